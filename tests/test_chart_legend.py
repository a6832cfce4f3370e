"""The curves' names go in the chart's title line, in their colours: plotext's legend sits over the plot's top left
corner, where a loss curve starts, and hid its first points. Only a title too narrow for them sends them back into
the plot, so no curve is ever unnamed."""

from __future__ import annotations

import numpy as np
from conftest import scalar_run, until
from test_screen import screen_lines

from tui.app.app import LossWatchApp
from tui.app.chart import TRAIN_COLOR, VAL_COLOR, ChartSpec, Curve, Marker, legend_in_title, title_text
from tui.live.monitor import Monitor

SPEC = ChartSpec(
    key=(),
    heading="runs/resnet-lr0.1",
    detail="smoothing 0.60",
    curves=[
        Curve("", np.arange(3.0), np.arange(3.0), (1, 2, 3)),  # a raw curve under its smoothed one: no name
        Curve("train", np.arange(3.0), np.arange(3.0), TRAIN_COLOR),
        Curve("val", np.arange(3.0), np.arange(3.0), VAL_COLOR),
    ],
    markers=[Marker(1, "green", "best val", "best")],
)


def test_the_title_names_the_curves_in_their_colours_when_it_has_room():
    text = title_text(SPEC, 80)
    assert text.plain == "runs/resnet-lr0.1 · smoothing 0.60 · ▬ train · ▬ val · │ best val"
    styles = {text.plain[span.start : span.end]: str(span.style) for span in text.spans}
    assert styles["▬ train"] == "rgb({},{},{})".format(*TRAIN_COLOR)
    assert styles["▬ val"] == "rgb({},{},{})".format(*VAL_COLOR)
    assert legend_in_title(SPEC, 80 + 2)  # the chart is the title's width plus its padding


def test_the_detail_goes_before_the_curves_names_and_a_narrow_title_leaves_them_to_the_plot():
    assert title_text(SPEC, 50).plain == "runs/resnet-lr0.1 · ▬ train · ▬ val · │ best val"
    assert title_text(SPEC, 46).plain == "runs/resnet-lr0.1 · ▬ train · ▬ val · │ best"
    narrow = title_text(SPEC, 40).plain
    assert "▬" not in narrow and narrow.startswith("runs/resnet-lr0.1")
    assert legend_in_title(SPEC, 46 + 2) and not legend_in_title(SPEC, 40 + 2)


async def test_the_plot_draws_no_legend_over_the_curves_while_the_title_names_them(tmp_path):
    values = [1.0 / (step + 1) for step in range(40)]
    scalar_run(tmp_path / "run", {"loss": values, "val_loss": [v + 0.1 for v in values]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.chart.spec is not None and not app.chart.spec.empty, "the chart")
        await pilot.pause(0.3)
        lines = screen_lines(app)
        title = next(line for line in lines if "▬ train" in line)
        assert "▬ val" in title
        plot = lines[lines.index(title) + 1 :]
        assert not any("▞▞ train" in line or "▞▞ val" in line for line in plot), lines


async def test_a_sweeps_curves_are_named_in_its_title_when_it_has_room_and_in_the_plot_when_not(tmp_path):
    from sweep_fixtures import lr_sweep, write_run

    from tui.app.sweep_view import SweepScreen

    for name, values in lr_sweep(1).items():
        write_run(tmp_path / "sweep" / name, values)
    for size, in_title in (((200, 40), True), ((100, 30), False)):  # three runs named (lr=0.01 caught up), "behind"
        app = LossWatchApp(Monitor(str(tmp_path)), watch=False)
        async with app.run_test(size=size) as pilot:
            await until(pilot, lambda app=app: len(app.table.order) == 8, "the runs")
            await pilot.press("w")
            await until(pilot, lambda app=app: isinstance(app.screen, SweepScreen), "the sweep")
            await pilot.pause(0.3)
            lines = screen_lines(app)
            title = next(line for line in lines if "val loss" in line)
            plot = "\n".join(lines[lines.index(title) + 1 :])
            assert ("▬ lr=" in title) is in_title, lines
            assert ("▞▞ lr=" in plot) is not in_title, lines
