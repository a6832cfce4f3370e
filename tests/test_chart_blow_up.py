"""A run blown up to 3e34 and then to inf (DeepOBS's quadratic at a momentum learning rate of 4): its chart froze
the live view at full CPU while its memory grew by 0.6 GB a second, ``q`` did nothing, and it ended, if at all, on
a MemoryError traceback with exit status 0 (a hostile tester's find). The y axis was set from the curves' lowest
values alone (their top was the inf, dropped), and plotext drew the line up to 3e34 across 6e35 rows."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from children import spawn
from conftest import scalar_run, until

from tui.app.app import LossWatchApp
from tui.app.axes import label_y_axis
from tui.live.monitor import Monitor

BLOWN_UP = {"loss": [353.9, 3.03e34, math.inf, math.nan], "val_loss": [353.4, 3.03e34, math.inf, math.nan]}


class _Axes:
    def __init__(self) -> None:
        self.ticks: list[float] = []
        self.limits: tuple[float, float] | None = None

    def yticks(self, ticks: list[float], _labels: list[str]) -> None:
        self.ticks = ticks

    def ylim(self, low: float, high: float) -> None:
        self.limits = (low, high)


def test_the_y_axis_of_curves_with_an_inf_reaches_their_largest_finite_value():
    axes = _Axes()
    label_y_axis(axes, [np.array(BLOWN_UP["loss"]), np.array([353.4, 1.89e34])], 15)
    assert axes.limits is not None and axes.limits[0] <= 353.4 and axes.limits[1] >= 3.03e34
    assert max(axes.ticks) > 1e34


async def test_the_chart_of_a_run_blown_up_to_3e34_then_inf_is_drawn(tmp_path: Path):
    test_the_y_axis_of_curves_with_an_inf_reaches_their_largest_finite_value()  # else the drawing below never ends
    scalar_run(tmp_path / "blown", BLOWN_UP)
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.query_one("#runs").row_count == 1, "the run")
        chart = app.query_one("#chart")
        await until(pilot, lambda: chart.draws > 0, "the chart drawn")
        assert "e+34" in str(chart.render())
        assert app.is_running


def test_the_live_view_stopped_by_an_error_of_its_own_exits_1(tmp_path: Path):
    """A traceback on the screen and exit status 0: a script or a supervisor took the crash for a user's quit."""
    scalar_run(tmp_path / "run", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import tui.app.chart as chart\n"
        "def render(self):\n"
        "    raise RuntimeError('an error of its own')\n"
        "chart.LossChart.render = render\n"
    )
    env = {**{k: v for k, v in os.environ.items() if k != "TMUX"}, "PYTHONPATH": str(hook)}
    with spawn("watch", str(tmp_path), terminal=(80, 24), env=env) as child:
        child.wait_for(lambda c: c.proc.poll() is not None, 60, "the exit")
        assert child.proc.returncode == 1
        assert "an error of its own" in child.text()
