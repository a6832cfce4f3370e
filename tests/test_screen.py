"""What is on screen is true, at 80×24 as at 120×40: whole numbers, a named chart, the alerts that matter.

These tests read the screen as the user sees it: every cell the app would draw, as plain text.
"""

from __future__ import annotations

import io
import math
import re
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA, frame, refused, scalar_event, scalar_run, until
from rich.console import Console

from tui.app.app import LossWatchApp
from tui.app.format import number
from tui.app.runs_table import RunsTable
from tui.judging.engine import Alert
from tui.live.monitor import Monitor

FIXED_NOW = 1795400400.0


def is_cut_of(shown: str, name: str) -> bool:
    """``shown`` is ``name``, or true pieces of it, in order, with '…' between them (a run's name is cut where it
    differs from the others: its middle, or parts of it)."""
    if shown == name:
        return True
    pieces = shown.split("…")
    if len(pieces) < 2 or len("".join(pieces)) >= len(name):
        return False
    at = 0
    for piece in pieces:
        found = name.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return name.startswith(pieces[0]) and name.endswith(pieces[-1])


def screen_lines(app: LossWatchApp) -> list[str]:
    """The whole screen as plain text, one string per terminal row."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False).split("\n")[:height]


def table_cells(app: LossWatchApp) -> dict[str, dict[str, str]]:
    """Run -> column -> the text drawn in that cell, cut out of the screen at the column's place."""
    table = app.query_one("#runs", RunsTable)
    lines = screen_lines(app)
    region = table.content_region
    x = region.x - int(table.scroll_x)
    places = {}
    for column in table.ordered_columns:
        width = column.get_render_width(table)
        places[column.key.value] = (x + table.cell_padding, x + width - table.cell_padding)
        x += width
    cells = {}
    for index, name in enumerate(table.order):
        y = region.y + table.header_height + index - int(table.scroll_y)
        if region.y + table.header_height <= y < region.bottom:  # rows scrolled above are under the header
            line = lines[y]
            cells[name] = {key: line[start:end].strip() for key, (start, end) in places.items()}
    return cells


def table_fits(app: LossWatchApp) -> bool:
    """No column reaches past the visible table (nothing is cut by the pane's edge)."""
    table = app.query_one("#runs", RunsTable)
    used = sum(column.get_render_width(table) for column in table.ordered_columns)
    return table.max_scroll_x == 0 and used <= table.scrollable_content_region.width


def _append(path: Path, points: list[tuple[int, float, float]]) -> None:
    with open(path, "ab") as handle:
        for step, train, val in points:
            handle.write(frame(scalar_event("loss", step, train, 1000.0 + step)))
            handle.write(frame(scalar_event("val_loss", step, val, 1000.0 + step)))


def _expected(app: LossWatchApp, name: str) -> dict[str, str]:
    """What each numeric cell must read, formatted from the store and the verdict (not from the table)."""
    run = app.store.runs[name]
    verdict = app.monitor.verdict(name)
    train = run.scalars["loss"].last()[1]
    val = run.scalars["val_loss"].last()[1]
    return {
        "step": f"{verdict.step:,}",
        "val": number(val),
        "train": number(train),
        "best": f"{number(verdict.best_val)} @ {verdict.best_step:,}",
        "since": str(verdict.since_best),
        "verdict": verdict.kind,
    }


async def test_an_age_of_a_thousand_days_or_more_is_shown_whole_from_the_first_layout(tmp_path: Path):
    """Runs written 2,312 and 20,779 days ago showed '2312' and '2077': the age column was laid out four wide
    and widened only when an age changed later."""
    day = 86_400.0
    for name, days in (("old", 2_312), ("older", 20_779), ("new", 0)):
        scalar_run(
            tmp_path / name, {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]}, wall0=FIXED_NOW - days * day
        )
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False, clock=lambda: FIXED_NOW + 10)
    async with app.run_test(size=(160, 30)) as pilot:
        await until(pilot, lambda: len(app.query_one("#runs", RunsTable).order) == 3, "three runs")
        await pilot.pause()
        cells = table_cells(app)
        assert (cells["old"]["age"], cells["older"]["age"], cells["new"]["age"]) == ("2312d", "20779d", "8s")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_numbers_are_never_cut_while_they_grow(tmp_path: Path, size: tuple[int, int]):
    """Steps grow from 10 to 12,000 and values from 0.99 to thousands while the table is on screen: every
    number drawn equals its formatted value, whole; the long name may end in '…' and nothing else is cut."""
    long_name = "sweeps/a-very-long-experiment-name-for-the-narrow-pane"
    grow = scalar_run(tmp_path / "grow", {"loss": [2.0], "val_loss": [0.9911]}, start_step=10)
    scalar_run(tmp_path / long_name, {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    monitor = Monitor(str(tmp_path))
    app = LossWatchApp(monitor, watch=False, bell=False, clock=lambda: FIXED_NOW)
    stages = [
        [(11 + i, 2.0 - 0.1 * i, 0.99 - 0.03 * i) for i in range(9)],  # best moves along, steps two digits
        [(600, 0.7, 0.655)],
        [(1_600, 0.6, 0.6551), (1_700, 0.5, 0.8)],  # best @ 1,600 stays, val rises
        [(s, 0.4, 0.8 + (s - 2_000) / 100) for s in range(2_000, 12_001, 1_000)],  # step 12,000, val 100.8
        [(12_100, 0.3, 12_345.678)],  # val in the thousands
    ]
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for points in stages:
            _append(grow, points)
            app._from_engine(*monitor.refresh())
            await pilot.pause()
            table = app.query_one("#runs", RunsTable)
            cells = table_cells(app)
            assert table_fits(app), table.shown_columns
            assert {"run", "verdict", "val", "best", "step"} <= set(table.shown_columns)
            expected = _expected(app, "grow")
            for key in table.shown_columns:
                if key in expected:
                    assert cells["grow"][key] == expected[key], (key, cells["grow"])
            shown = cells[long_name]["run"]
            assert is_cut_of(shown, long_name), shown
        assert "12,100" in cells["grow"]["step"]


async def test_verdict_column_fits_the_longest_verdict_before_any_run_has_it(tmp_path: Path):
    scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        from tui.judging.kinds import VERDICT_STYLES

        assert app.table.columns["verdict"].width >= max(len(kind) for kind in VERDICT_STYLES)


async def test_chart_names_its_run_with_a_legend_and_whole_ticks_at_80x24():
    monitor = Monitor(str(DATA), clock=lambda: FIXED_NOW)
    app = LossWatchApp(monitor, watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        while app.table.selected != "torch/overfit-7":
            await pilot.press("down")
        title = app.chart_title.region

        def title_line() -> str:
            return screen_lines(app)[title.y][title.x : title.right]

        # The title and the chart are shown together (one spec): once the title names the run, so does the plot.
        await until(pilot, lambda: title_line().strip().startswith("torch/overfit-7"), "the run's chart drawn")
        line = title_line()
        assert line.strip().startswith("torch/overfit-7")
        assert ("│ best" in line and "│ onset" in line) or "│ overfitting onset" in line
        assert "│green" not in line and "│red" not in line  # colours are colours, not words
        styles = {span.style for span in app.chart_title.render().spans}
        assert "green" in styles and "red" in styles
        chart = app.chart.region
        plot = "\n".join(screen_lines(app)[chart.y : chart.bottom])
        ticks = re.findall(r"(?<![\d.,])\d[\d,]*(?:\.\d+)?(?![\d.,])", plot.split("└")[-1])
        assert ticks and all("." not in tick for tick in ticks), ticks  # steps are whole numbers
        await pilot.press("x")
        await until(pilot, lambda: app.chart._spec.xlabel != "step", "the time axis")
        assert app.chart._spec.xlabel == "seconds since start"  # this run took 0.7 s, not 0.0002 hours


async def test_chart_title_keeps_the_name_when_the_pane_is_narrow():
    import numpy as np

    from tui.app.chart import ChartSpec, Curve, Marker, title_text

    spec = ChartSpec(
        key=(),
        heading="runs/bert-large-finetune-lr3e-5-warmup",
        detail="smoothing 0.60",
        curves=[Curve("val", np.arange(3.0), np.arange(3.0), (0, 0, 0))],
        markers=[Marker(1, "green", "best val", "best"), Marker(2, "red", "overfitting onset", "onset")],
    )
    for width in (120, 60, 50, 30, 12):
        text = title_text(spec, width)
        assert text.cell_len <= width
        name = text.plain.split(" · ")[0]  # its start and its end around '…', as the runs table cuts it
        assert name.startswith("runs/") and is_cut_of(name, spec.heading), (width, text.plain)
    assert "smoothing" in title_text(spec, 120).plain
    assert "│ best" in title_text(spec, 50).plain  # the legend outlasts the detail


def _alert(run: str, kind: str, step: int, reason: str = "x") -> Alert:
    return Alert(run, step, kind, "val_loss", reason, "", time=FIXED_NOW)


async def test_alert_panel_keeps_bells_above_notices_and_groups_repeats(tmp_path: Path):
    scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        alerts = [_alert("job", "overfitting", 390, "val 0.5425 → 0.7222 (+33%) since best at step 150")]
        alerts += [_alert("job", "dead-units", 400 + i, f"activations/fc{i}: 92% zeros") for i in range(4)]
        alerts += [_alert("job", "stalled", 500, "no new events for 12 min"), _alert("other", "plateau", 510)]
        app.alert_log.show(alerts)
        await pilot.pause()
        region = app.alert_log.region
        panel = screen_lines(app)[region.y : region.bottom]
        body = [line for line in panel if line.strip()][1:]  # after the header
        assert "overfitting" in body[0] and "390" in body[0]
        assert sum("dead-units" in line for line in panel) == 1
        assert any("dead-units ×4" in line for line in panel)


SWEEP = [f"mnist_vae/mnist_vae-{optimizer}-lr2.51e+00-s42" for optimizer in ("adam", "sgd", "momentum")]
"""A sweep's runs in one folder: alike at their start and at their end, different in between."""


async def test_a_sweeps_runs_cut_to_fit_still_read_apart_in_the_table_and_the_alert_log(tmp_path: Path):
    """Cut in their middle, the three read ``mnist_vae/mnis…r2.51e+00-s42`` in the alert log at 80 columns (the
    table kept more of them): the cut moves to show where they differ."""
    for name in SWEEP:
        scalar_run(tmp_path / name, {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.alert_log.show([_alert(name, "diverging", 1, "loss is nan at step 1") for name in SWEEP])
        await pilot.pause()
        region = app.alert_log.region
        logged = [line.split()[0] for line in screen_lines(app)[region.y + 1 : region.bottom] if line.strip()]
        assert len(logged) == 3 and all("…" in name for name in logged)
        for name in SWEEP:
            assert sum(is_cut_of(shown, name) for shown in logged) == 1, (name, logged)
        optimizers = [shown.split("…")[1].split("-")[0] for shown in logged]
        assert sorted(optimizers) == ["adam", "momentum", "sgd"]
        shown_names = [cells["run"] for cells in table_cells(app).values()]
        for name in SWEEP:
            assert sum(is_cut_of(shown, name) for shown in shown_names) == 1, (name, shown_names)


async def test_runs_cut_apart_stay_apart_when_damage_marks_them(tmp_path: Path):
    """A reviewer's find: the table kept the cuts laid out before two runs were found damaged, whose marker takes
    two cells of their names': both fell back to the middle cut and read the same."""
    sweep = [
        f"cifar_resnet/cifar_resnet-{optimizer}-lr2.51e+00-wd1e-04-s42" for optimizer in ("adam", "sgd", "momentum")
    ]
    files = {name: scalar_run(tmp_path / name, {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]}) for name in sweep}
    monitor = Monitor(str(tmp_path))
    app = LossWatchApp(monitor, watch=False, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(table_cells(app)) == 3, "runs shown")
        for name in sweep[:2]:
            with open(files[name], "ab") as handle:
                handle.write(bytes(range(256)) * 8)
        monitor.refresh()
        await until(pilot, lambda: sum(c["run"].endswith(" !") for c in table_cells(app).values()) == 2, "marked")
        shown = {name: cells["run"].removesuffix(" !") for name, cells in table_cells(app).items()}
        assert len(set(shown.values())) == 3, shown
        for name, text in shown.items():
            assert is_cut_of(text, name), (text, name)
            assert name.split("-")[1] in text  # the optimizer, where they differ


async def test_escape_from_the_tags_list_gives_the_arrows_back_to_the_runs():
    app = LossWatchApp(Monitor(str(DATA), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        first = app.table.selected
        await pilot.press("enter")  # into the tags list
        assert app.focused is app.tags
        await pilot.press("down", "down", "enter")  # chart the first tag after "train + val loss"
        assert app.view.mode == "tag"
        await pilot.press("escape")
        assert app.view.mode == "pair"
        assert app.focused is app.table
        await pilot.press("down")
        assert app.table.selected != first


async def test_s_reverses_then_moves_on_and_the_header_shows_it():
    app = LossWatchApp(Monitor(str(DATA), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()

        def header() -> str:
            return screen_lines(app)[app.table.region.y]

        assert "verdict ▲" in header()
        await pilot.press("s")  # the next column to the right
        order = list(app.table.order)
        assert app.table.sort_column == "val" and "val ▲" in header()
        await pilot.press("s")  # again: reverse
        assert list(app.table.order) == order[::-1] and "val ▼" in header()
        await pilot.press("s")  # then the next column, left to right as the header reads
        assert app.table.sort_column == "best" and "best @ step ▲" in header() and "val ▼" not in header()
        for column in ("since", "train", "step", "age", "run", "verdict"):
            await pilot.press("s", "s")
            assert app.table.sort_column == column


async def test_footer_at_80_columns_shows_every_key():
    app = LossWatchApp(Monitor(str(DATA), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        # Textual fills the footer with the keys a few messages after start-up: on a busy machine, after the pause.
        deadline = time.monotonic() + 10
        while not screen_lines(app)[-1].strip() and time.monotonic() < deadline:
            await pilot.pause(0.05)
        footer = screen_lines(app)[-1]
        for key in ("q quit", "? help", "/ filter", "s sort", "c compare", "x ", "l log", "[]", "h hist"):
            assert key in footer, (key, footer)


async def test_help_explains_the_since_and_arrow_columns():
    app = LossWatchApp(Monitor(str(DATA), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "validation points since the best one" in text
        assert "↕" in text and "falling" in text


async def test_distributions_at_80x24_keep_the_layer_names_apart():
    app = LossWatchApp(Monitor(str(DATA), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        while app.table.selected != "torch/frozen-7":
            await pilot.press("down")
        await pilot.press("h")
        await pilot.pause(0.3)
        text = "\n".join(screen_lines(app))
        for layer in ("activations/layer0", "weights/layer0", "sparsity/layer0"):
            assert layer in text
        assert "weights-static" in text  # the flag, whole
        assert "0 σ" in text  # and a figure behind it


async def test_an_unreadable_run_folder_is_listed_with_the_reason(tmp_path: Path):
    scalar_run(tmp_path / "good", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    scalar_run(tmp_path / "locked", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    with refused(tmp_path / "locked"):
        app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            assert sorted(app.table.order) == ["good", "locked"]
            assert app.table.get_cell("locked", "flags").plain == "unreadable"
            while app.table.selected != "locked":
                await pilot.press("down")
            await until(pilot, lambda: "locked:" in str(app.query_one("#status").render()), "the run's note")
            assert "locked: permission denied" in str(app.query_one("#status").render())


async def test_a_logdir_not_made_yet_is_waited_for_then_an_empty_one_says_so(tmp_path: Path):
    logdir = tmp_path / "runs"
    app = LossWatchApp(Monitor(str(logdir)), watch=True, bell=False, poll_seconds=0.1)
    app.monitor.label = "runs/"
    async with app.run_test(size=(100, 30)) as pilot:
        status = app.query_one("#status")
        for _ in range(100):
            await pilot.pause(0.05)
            if "waiting for runs/ to appear" in str(status.render()):
                break
        assert "waiting for runs/ to appear" in str(status.render())
        logdir.mkdir()
        for _ in range(100):
            await pilot.pause(0.05)
            if "no runs yet in runs/" in str(status.render()):
                break
        assert "no runs yet in runs/" in str(status.render())
        scalar_run(logdir / "late", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
        for _ in range(200):
            await pilot.pause(0.05)
            if app.table.order == ("late",):
                break
        assert app.table.order == ("late",)


async def test_notification_bytes_beside_the_bell(tmp_path: Path, monkeypatch):
    scalar_run(tmp_path / "r", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})
    monkeypatch.delenv("TMUX", raising=False)
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, notify="777")
    written: list[str] = []
    app.write_terminal = written.append
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    assert written == ["\x1b]777;notify;losswatch;r: diverging at step 1, best val at step 0\x07"]


@pytest.mark.parametrize("width", [50, 60, 64, 70, 80, 90, 100, 110, 120, 140])
async def test_narrow_panes_drop_columns_in_the_documented_order(width: int):
    """Age first, then train, since, ↕, step, best @ step: best @ step (the checkpoint to keep) outlives age."""
    from tui.app.runs_table import PRIORITY

    app = LossWatchApp(Monitor(str(DATA), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(width, 20)) as pilot:
        await pilot.pause()
        shown = [key for key in PRIORITY if key in app.table.shown_columns and key != "flags"]
        assert shown == PRIORITY[: len(shown)], (width, shown)
        assert table_fits(app)


async def test_s_moves_only_through_the_columns_on_screen_and_the_status_names_a_hidden_sort():
    app = LossWatchApp(Monitor(str(DATA), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.table
        assert {"train", "since", "age"}.isdisjoint(table.shown_columns)  # dropped at this width
        header = lambda: screen_lines(app)[table.region.y]  # noqa: E731
        for _ in range(12):
            await pilot.press("s")
            await pilot.pause()
            assert table.sort_column in table.shown_columns and ("▲" in header() or "▼" in header())
            assert "sorted by" not in str(app.status.render())
        await pilot.resize_terminal(160, 30)
        table.cycle_sort("age")  # sorted by a column a narrower pane then drops: the status line says it
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: "sorted by age ▲" in str(app.status.render()), "the hidden sort named")


async def test_help_at_80x24_wraps_and_cuts_nothing():
    from tui.app.help import COLUMN_LEGEND, HelpScreen
    from tui.judging.kinds import ADVICE, TABLE

    app = LossWatchApp(Monitor(str(DATA), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        drawn = []
        for static in app.screen.query("Static"):
            console = Console(width=static.content_region.width, file=io.StringIO(), record=True)
            console.print(static.content)
            drawn.append(console.export_text())
        text = "\n".join(drawn)
        assert "…" not in text
        words = set(re.findall(r"[^\s│┃]+", text))
        for phrase in [*ADVICE.values(), *(train for train, _, _ in TABLE), *(shows for _, shows in COLUMN_LEGEND)]:
            assert set(phrase.split()) <= words, phrase
        assert "~ unclear" in " ".join(text.split())


async def test_a_run_of_random_bytes_is_marked_in_the_table_and_counted_in_the_status_line(tmp_path: Path):
    scalar_run(tmp_path / "good", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    noise = np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    for name in ("bad", "a-very-long-experiment-name-for-a-narrow-pane"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "events.out.tfevents.1.x").write_bytes(noise)
    app = LossWatchApp(Monitor(str(tmp_path)), watch=True, bell=False)  # as the CLI runs it: a watcher's rounds
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "2 damaged" in str(app.status.render()), "the damaged runs counted")
        await until(pilot, lambda: table_cells(app).get("bad", {}).get("run") == "bad !", "bad marked")
        cells = table_cells(app)
        assert cells["good"]["run"] == "good"
        long = cells["a-very-long-experiment-name-for-a-narrow-pane"]["run"]
        assert long.endswith(" !") and is_cut_of(long[:-2], "a-very-long-experiment-name-for-a-narrow-pane"), long
        assert str(app.status.render()).index("2 damaged") < 80  # not past the edge of an 80-column line


async def test_damage_found_by_a_round_with_no_new_points_still_marks_the_run(tmp_path: Path):
    run = scalar_run(tmp_path / "hurt", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    monitor = Monitor(str(tmp_path))
    app = LossWatchApp(monitor, watch=False, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: table_cells(app).get("hurt", {}).get("run") == "hurt", "the run shown")
        with open(tmp_path / "hurt" / run.name, "ab") as handle:
            handle.write(bytes(range(256)) * 8)
        monitor.refresh()  # as a watcher's round: nothing new to chart, so no update is posted
        assert app.store.runs["hurt"].damaged
        await until(pilot, lambda: table_cells(app)["hurt"]["run"] == "hurt !", "the run marked")
        assert "1 run, 1 damaged" in str(app.status.render())
