"""A NaN or an infinity cannot be drawn: the chart marks where the first one came, as it marks validation's best."""

from __future__ import annotations

from pathlib import Path

from conftest import scalar_run, until
from test_app import rows, select_run

from tui.app.app import LossWatchApp
from tui.live.monitor import Monitor

LOSS = [2.0, 1.8, 1.6, 1.5, 1.4, 1.3, 1.25, 1.2]


async def test_the_chart_marks_the_step_of_the_first_nan_its_line_cannot_draw(tmp_path: Path):
    """A run whose loss went NaN at step 5: its line just stopped there, and only the verdict's reason said why."""
    scalar_run(tmp_path / "blown", {"loss": LOSS[:5] + [float("nan")] * 3, "val_loss": [v + 0.1 for v in LOSS]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: rows(app) == ["blown"], "the run")
        await until(pilot, lambda: app.chart.spec is not None and app.chart.spec.curves, "its chart")
        marks = [(m.x, m.label) for m in app.chart.spec.markers]
        assert (5.0, "NaN/inf at step 5") in marks
        await until(pilot, lambda: "NaN/inf at step 5" in app.chart_title.render().plain, "the mark named")
        title = app.chart_title.render()
        start = title.plain.index("NaN/inf")
        styles = {str(span.style) for span in title.spans if span.start <= start < span.end}
        assert styles == {"rgb(175,95,255)"}  # violet: a theme drew "magenta" as the onset's red


async def test_a_narrow_charts_short_mark_keeps_the_step(tmp_path: Path):
    scalar_run(tmp_path / "blown", {"loss": LOSS[:5] + [float("nan")] * 3, "val_loss": [v + 0.1 for v in LOSS]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(50, 24)) as pilot:
        await until(pilot, lambda: rows(app) == ["blown"], "the run")
        await until(pilot, lambda: "NaN@5" in app.chart_title.render().plain, "the short mark with its step")


async def test_an_infinity_in_validation_alone_is_marked_and_a_finite_run_is_not(tmp_path: Path):
    scalar_run(tmp_path / "inf", {"loss": LOSS, "val_loss": [*LOSS[:6], float("inf"), 1.0]})
    scalar_run(tmp_path / "fine", {"loss": LOSS, "val_loss": LOSS})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: sorted(rows(app)) == ["fine", "inf"], "the runs")
        for name, expected in (("inf", [(6.0, "NaN/inf at step 6")]), ("fine", [])):
            await select_run(pilot, name)
            await until(pilot, lambda n=name: app.chart.spec is not None and app.chart.spec.heading == n, name)
            assert [(m.x, m.label) for m in app.chart.spec.markers if m.label.startswith("NaN")] == expected


def test_a_chosen_tag_is_marked_on_its_own_axis_of_steps_or_time(tmp_path: Path):
    """The tag view charts one curve: its own first NaN is marked; on the time axis at the time it was logged."""
    from tensorboardX import SummaryWriter

    from tui.app.chart_data import SmoothingCache, View, chart_spec

    with SummaryWriter(str(tmp_path / "run")) as writer:  # steps 0, 10, 20...; a point every 2.5 s from 1,000
        for index, (loss, val) in enumerate(zip(LOSS[:3] + [float("nan")] * 5, LOSS, strict=True)):
            writer.add_scalar("loss", loss, 10 * index, walltime=1000.0 + 2.5 * index)
            writer.add_scalar("val_loss", val, 10 * index, walltime=1000.0 + 2.5 * index)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    for x_axis, x in (("step", 30.0), ("time", 7.5)):  # the time axis in seconds since the run's first point
        view = View(mode="tag", tag="loss", x_axis=x_axis)
        spec = chart_spec(monitor.store, monitor.verdicts, "run", view, SmoothingCache())
        assert [(m.x, m.label) for m in spec.markers] == [(x, "NaN/inf at step 30")]
    spec = chart_spec(monitor.store, monitor.verdicts, "run", View(mode="tag", tag="val_loss"), SmoothingCache())
    assert spec.markers == []
