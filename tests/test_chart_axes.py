"""The chart's y axis: labels that are the ticks' values, short and whole, on curves of any scale."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import scalar_run, until
from rich.console import Console
from tensorboardX import SummaryWriter

from tui.app.app import LossWatchApp
from tui.app.axes import even_ticks, label_y_axis, nice_ticks, value_labels
from tui.live.monitor import Monitor


@pytest.mark.parametrize(
    ("low", "high", "labels"),
    [
        (0.005, 1.15, ["0.25", "0.5", "0.75", "1"]),  # 0.75, not '0.8': a label is its tick's value
        (1.1e-5, 2.1e-4, ["5e-05", "0.0001", "0.00015", "0.0002"]),  # plotext wrote 1e-5 as '0.000006'
        (2.1e-31, 6.85e-31, ["3e-31", "4e-31", "5e-31", "6e-31"]),  # plotext: 34 digits; rounding gave 0
        (0.0, 12_345.678, ["0", "2,500", "5,000", "7,500", "10,000"]),
        (-1.0, 1.0, ["-1", "-0.5", "0", "0.5", "1"]),
        (1.0, 21.9, ["5", "10", "15", "20"]),  # not '1e+01' and '2e+01'
        (0.999, 1.001, ["0.999", "0.9995", "1", "1.0005", "1.001"]),
    ],
)
def test_tick_labels_are_the_ticks_values_in_the_fewest_digits(low: float, high: float, labels: list[str]):
    assert value_labels([2.5, 10.0, 17.5, 20.0]) == ["2.5", "10", "17.5", "20"]  # whole ones as written
    ticks = nice_ticks(low, high, 6, integer=False)
    assert value_labels(ticks) == labels
    slack = 1e-9 * (high - low)  # a tick may land a rounding error past the end it stands on
    assert all(low - slack <= tick <= high + slack for tick in ticks)


async def test_a_chart_of_losses_near_1e_31_keeps_its_plot_wide(tmp_path: Path):
    """Losses around 1e-31 got 34-character axis labels, leaving an 18-column plot at 80x24."""
    scalar_run(tmp_path / "tiny", {"loss": [6.85e-31, 4e-31, 3e-31, 2.1e-31], "val_loss": [6e-31, 5e-31, 4e-31, 3e-31]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.query_one("#runs").row_count == 1, "the run")
        await pilot.pause()
        console = Console(width=80, height=24, file=io.StringIO(), force_terminal=True, record=True)
        console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
        lines = console.export_text(styles=False).split("\n")
        axis = [line.split("┤")[0].strip() for line in lines if "┤" in line]
        assert axis and all(label.endswith("e-31") and len(label) <= 6 for label in axis), axis


class _Axes:
    """What a chart asked plotext's y axis for."""

    def __init__(self) -> None:
        self.ticks: tuple[list[float], list[str]] | None = None
        self.limits: tuple[float, float] | None = None

    def yticks(self, ticks: list[float], labels: list[str]) -> None:
        self.ticks = (ticks, labels)

    def ylim(self, low: float, high: float) -> None:
        self.limits = (low, high)


def test_a_curve_constant_but_for_float_rounding_gets_one_short_label():
    """0.1 ± 1e-16 from a JSON log was labelled '0.10000000000000006'."""
    cases = (([0.1, 0.1 + 1e-16, 0.1 - 1e-16, 0.1], "0.1"), ([1234.5] * 3, "1234.5"), ([1e6] * 2, "1,000,000"))
    cases += (([0.564607441425], "0.5646"),)  # one point (a sweep's best vs lr) read 0.564607441
    for values, label in cases:
        axes = _Axes()
        label_y_axis(axes, [np.array(values)], 10)
        assert axes.ticks is not None and axes.ticks[1] == [label]  # the table's digits or more (1234.5 whole)


@pytest.mark.parametrize("values", [[1.7e308, -1e308, 1e308, -1.5e308], [0.0, 5e-324, 0.0, 5e-324]])
def test_a_span_past_the_float_limit_or_of_denormals_leaves_the_axis_to_plotext(values: list[float]):
    """The span overflowed nice_ticks (log10 of inf, of 0) before the chart's guard: the app exited on it."""
    assert nice_ticks(min(values), max(values), 6, integer=False) == []
    axes = _Axes()
    label_y_axis(axes, [np.array(values)], 10)
    assert axes.ticks is None


async def test_the_live_view_survives_a_curve_past_the_float_limit(tmp_path: Path):
    run = tmp_path / "huge"
    run.mkdir()
    values = [1.7e308, -1e308, 1e308, -1.5e308, 1e308, 1.2e308]
    lines = [json.dumps({"step": i, "train_loss": v, "val_loss": v}) for i, v in enumerate(values)]
    (run / "log.jsonl").write_text("\n".join(lines) + "\n")
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.query_one("#runs").row_count == 1, "the run")
        await pilot.pause()
        assert app.is_running


async def test_a_run_with_no_finite_value_says_so_in_the_charts_place(tmp_path: Path):
    """Every value NaN or infinite: the chart was an empty frame with no word of why."""
    scalar_run(tmp_path / "nan-run", {"loss": [float("nan")] * 5, "val_loss": [float("inf")] * 5})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(140, 30)) as pilot:
        await until(pilot, lambda: app.query_one("#runs").row_count == 1, "the run")
        title = app.query_one("#chart-title")
        await until(pilot, lambda: "nothing to draw" in str(title.render()), "the note")
        assert str(title.render()) == "every value is NaN or infinite: nothing to draw · nan-run"


@pytest.mark.parametrize("width", [40, 50, 60])
async def test_a_narrow_charts_step_axis_is_labelled_in_whole_steps(tmp_path: Path, width: int):
    """Steps 35 to 1,050 in a narrow pane held fewer than two round ticks, and plotext labelled its own:
    ``35.0``, ``288.8``, ``796.2``."""
    scalar_run(
        tmp_path / "run",
        {"loss": list(np.linspace(2.0, 0.5, 1016)), "val_loss": list(np.linspace(2.1, 0.6, 1016))},
        start_step=35,
    )
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(width, 30)) as pilot:
        await until(pilot, lambda: app.query_one("#runs").row_count == 1, "the run")
        await pilot.pause()
        labels = x_labels(app, width)
        assert labels and all("." not in label for label in labels), labels  # 40: room for one


def x_labels(app: LossWatchApp, width: int) -> list[str]:
    """The chart's x tick labels as on screen: the line under the frame's ticked bottom edge."""
    console = Console(width=width, height=30, file=io.StringIO(), force_terminal=True, record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    lines = console.export_text(styles=False).split("\n")
    below = [lines[k + 1] for k, line in enumerate(lines[:-1]) if "└" in line and ("┬" in line or "┴" in line)]
    assert below, "\n".join(lines)
    return below[0].split()


async def test_a_time_axis_over_milliseconds_is_labelled_with_its_values(tmp_path: Path):
    """A run written within 3 ms (logs converted in one go, a job just started): its time axis read
    ``0  0  0  0  0  0  0`` (labels rounded to two decimals; over 150 ms, 0.025 read 0.03)."""
    with SummaryWriter(str(tmp_path / "fast")) as writer:
        for k in range(40):
            wall = 1.8e9 + 0.003 * k / 39
            writer.add_scalar("train/loss", 2 * np.exp(-k / 10) + 0.1, k * 10, walltime=wall)
            writer.add_scalar("val/loss", 2 * np.exp(-k / 10) + 0.3, k * 10, walltime=wall)
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.query_one("#runs").row_count == 1, "the run")
        await pilot.press("x")
        await until(pilot, lambda: x_labels(app, 100)[-1] != "390", "the time axis")  # steps run 0 to 390
        labels = x_labels(app, 100)
        values = [float(label) for label in labels]
        assert len(set(labels)) == len(labels) >= 3, labels
        assert values == sorted(values) and values[0] >= 0 and values[-1] <= 0.0031, labels
        steps = np.diff(values)
        assert np.allclose(steps, steps[0], rtol=1e-6), labels  # each label its tick's value: evenly spaced


async def test_log_y_on_curves_with_values_at_or_below_zero_stays_linear_and_says_why(tmp_path: Path):
    """Negative losses (a Gaussian NLL) on a log axis: the training curve vanished, one validation point stayed,
    and plotext labelled the axis upside down (0.032 at the top, 0.316 at the bottom)."""
    epochs = np.arange(30)
    scalar_run(
        tmp_path / "neg",
        {"train_loss": list(-1 + np.exp(-epochs / 5)), "val_loss": list(-0.9 + np.exp(-epochs / 5))},
    )
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.query_one("#runs").row_count == 1, "the run")
        await pilot.press("l")
        await pilot.pause()
        chart = app.query_one("#chart")
        assert app.view.log_y and not chart._spec.log_y and "log y off: values ≤ 0" in chart._spec.title
        assert len(chart._spec.curves) == 4 and all(len(curve.x) == 30 for curve in chart._spec.curves)  # raw, smoothed


def _rows_of(ticks: list[float], bottom: float, top: float, rows: int) -> list[int]:
    """The row plotext draws each tick at (``plotext._utility.get_matrix_data``), counted from the bottom."""
    return [int(np.floor(round(0.5 + (rows - 1) * (tick - bottom) / (top - bottom), 8))) for tick in ticks]


def test_y_ticks_fall_the_same_number_of_rows_apart_and_hold_the_curve():
    """Round ticks over the curve's own ends fell 3, 3 and 2 rows apart on a 12-row plot (plotext rounds each to
    a row): the axis's ends are now chosen so that they land evenly, the curve whole between them."""
    rng = np.random.default_rng(7)
    for _ in range(3000):
        scale = 10 ** rng.uniform(-6, 6)
        low = rng.uniform(-3, 3) * scale
        high = low + rng.uniform(0.01, 5) * scale
        rows = int(rng.integers(6, 41))
        most = max(3, rows // 2 + 1)
        found = even_ticks(low, high, rows, most)
        assert found is not None, (low, high, rows)
        bottom, top, ticks = found
        assert bottom <= low and top >= high and 2 <= len(ticks) <= most
        at = _rows_of(ticks, bottom, top, rows)
        assert len({b - a for a, b in itertools.pairwise(at)}) == 1 and at[0] >= 0 and at[-1] <= rows - 1, (at, found)
    axes = _Axes()
    label_y_axis(axes, [np.array([2.31, 1.2, 0.6, 0.39])], 12)
    assert axes.limits is not None and axes.ticks is not None
    assert axes.ticks[1] == ["1", "2"] and axes.limits[0] <= 0.39 and axes.limits[1] >= 2.31


def test_a_curve_never_below_zero_gets_no_negative_tick():
    """A blown-up loss, 3.6 to 7.7e10: the axis, centred on it, read -1e+10 at its foot (a QA pass)."""
    rng = np.random.default_rng(11)
    for low, high in [(3.58, 7.7e10), (0.0, 1.0), *((rng.uniform(0, 1), rng.uniform(1, 1e3)) for _ in range(500))]:
        for rows in range(6, 41):
            found = even_ticks(low, high, rows, max(3, rows // 2 + 1))
            assert found is not None, (low, high, rows)
            bottom, top, ticks = found
            assert bottom <= low and top >= high and min(ticks) >= 0, (low, high, rows, found)
            at = _rows_of(ticks, bottom, top, rows)
            assert len({b - a for a, b in itertools.pairwise(at)}) == 1, (at, found)


async def test_the_charts_y_labels_stand_evenly_on_screen(tmp_path: Path):
    """The labels as drawn, in the run's chart and in both plots of the sweep view."""
    from test_sweep_view import _two_sweeps

    _two_sweeps(tmp_path)
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.query_one("#runs").row_count == 16, "the runs")
        await pilot.pause()

        def label_rows() -> list[list[int]]:
            console = Console(width=100, height=30, file=io.StringIO(), force_terminal=True, record=True)
            console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
            lines = console.export_text(styles=False).split("\n")
            columns = sorted({x for line in lines for x, char in enumerate(line) if char == "┤"})
            return [[y for y, line in enumerate(lines) if len(line) > x and line[x] == "┤"] for x in columns]

        for plots in (label_rows(), await _sweep_rows(pilot, label_rows)):
            assert plots
            for rows in plots:
                assert len(rows) >= 2 and len({b - a for a, b in itertools.pairwise(rows)}) == 1, plots


async def _sweep_rows(pilot, label_rows) -> list[list[int]]:
    from test_sweep_view import _open

    await _open(pilot, "adam/lr=0.001")
    await pilot.pause(0.2)
    found = label_rows()
    assert len(found) == 2  # the curves and the best against the swept value
    return found


def test_log_y_ticks_are_round_and_labelled_as_the_linear_ones():
    """plotext's own log labels read 10000 beside a linear axis's 10,000."""
    from tui.app.axes import label_log_y_axis

    axes = _Axes()
    label_log_y_axis(axes, [np.array([20000.0, 3000.0, 400.0, 50.0, 6.0, 0.0, -1.0])], 12)
    assert axes.ticks == ([10.0, 100.0, 1000.0, 10000.0], ["10", "100", "1,000", "10,000"])
    axes = _Axes()
    label_log_y_axis(axes, [np.array([0.9, 0.3, 0.15])], 12)  # within a decade: 1, 2 and 5 times a power of ten
    assert axes.ticks == ([0.2, 0.5], ["0.2", "0.5"])


async def test_the_status_line_says_log_y_is_off_where_the_charts_title_is_cut(tmp_path: Path):
    """At 80 columns the title's 'log y off: values ≤ 0' was cut away while the status line said `log y` over a
    linear chart."""
    epochs = np.arange(30)
    scalar_run(
        tmp_path / "negative-elbo-of-a-long-named-run",
        {"train_loss": list(-1 + np.exp(-epochs / 5)), "val_loss": list(-0.9 + np.exp(-epochs / 5))},
    )
    scalar_run(tmp_path / "positive", {"train_loss": list(1 + np.exp(-epochs / 5)), "val_loss": list(1.1 + epochs * 0)})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.query_one("#runs").row_count == 2, "the runs")
        app.table.move_cursor(row=app.table.order.index("negative-elbo-of-a-long-named-run"))
        await pilot.press("l")
        status = app.query_one("#status")
        await until(pilot, lambda: "log y off: values ≤ 0" in str(status.render()), "the status line's note")
        app.table.move_cursor(row=app.table.order.index("positive"))
        await until(pilot, lambda: app.query_one("#chart").spec.log_y, "the log axis")
        await until(pilot, lambda: "log y off" not in str(status.render()) and "log y" in str(status.render()), "on")


async def test_the_time_axis_of_a_log_without_times_shows_steps_and_says_so(tmp_path: Path):
    """A CSV log read at once gives every point its file's modification time: x as time drew each curve as one
    bar at "0 seconds since start". The same key on an event file's run shows its times."""
    (tmp_path / "keras").mkdir()
    rows = ["epoch,loss,val_loss", *(f"{epoch},{1 / (epoch + 1)},{1.1 / (epoch + 1)}" for epoch in range(12))]
    (tmp_path / "keras" / "training.log").write_text("\n".join(rows) + "\n")
    scalar_run(tmp_path / "events", {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.6, 0.4]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.query_one("#runs").row_count == 2, "the runs")
        chart = app.query_one("#chart")
        await pilot.press("x")
        expected = {"keras": ("step", True), "events": ("seconds since start", False)}
        seen = set()
        for _ in expected:
            name = app.table.selected
            label, said = expected[name]
            shown = lambda name=name, label=label: chart._spec.heading == name and chart._spec.xlabel == label  # noqa: E731
            await until(pilot, shown, f"the chart of {name} on {label}")
            assert app.view.x_axis == "time"
            assert ("x: steps, its log holds no times" in chart._spec.title) is said
            # said on the status line too, which keeps it where the title's detail is cut (it said "x: time")
            status = str(app.query_one("#status").render())
            assert ("x: steps, its log holds no times" in status) is said and ("x: time" in status) is not said
            seen.add(name)
            await pilot.press("down")
        assert seen == set(expected)
        await pilot.press("space", "up", "space", "c")  # both compared: one axis, so steps for both, said
        await until(pilot, lambda: chart._spec.heading.startswith("validation loss of 2"), "the comparison")
        assert chart._spec.xlabel == "step" and "x: steps, its log holds no times" in chart._spec.title
