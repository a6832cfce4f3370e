"""The sweep view's best-vs-value plot with swept values that have no place on an axis (``clip=inf``)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from sweep_fixtures import lr_sweep, write_run
from test_sweep_view import _app, _open, screen_text

from tui.app.sweep_data import sweep_view
from tui.live.monitor import Monitor

CURVES = list(lr_sweep(1).values())


def _runs(root: Path, params: list[dict]) -> Path:
    """Runs a, b, c … in one folder, each logging its hyper-parameters with the HParams plugin."""
    for index, hparams in enumerate(params):
        write_run(root / "abcdefgh"[index], CURVES[index], hparams=hparams)
    return root


def test_a_value_at_inf_is_left_out_of_the_plot_and_counted(tmp_path: Path):
    monitor = Monitor(str(_runs(tmp_path, [{"clip": c} for c in (0.5, 1.0, math.inf, math.inf)])))
    monitor.refresh()
    view = sweep_view(monitor, monitor.sweeps.sweeps[0].name)
    against = view.against()
    assert against is not None
    key, x, y, log_x = against
    assert key == "clip" and list(x) == [0.5, 1.0] and np.isfinite(y).all() and not log_x
    assert view.left_out("clip") == 2


def test_a_swept_value_with_one_finite_number_gives_way_to_the_next(tmp_path: Path):
    """clip in {1, inf} beside four learning rates: best val against clip would be one column of points."""
    params = [{"clip": c, "lr": lr} for c, lr in zip((1.0, math.inf, 1.0, math.inf), (1e-1, 1e-2, 1e-3, 1e-4))]
    monitor = Monitor(str(_runs(tmp_path, params)))
    monitor.refresh()
    against = sweep_view(monitor, monitor.sweeps.sweeps[0].name).against()
    assert against is not None and against[0] == "lr" and len(against[1]) == 4 and against[3]


async def test_the_sweep_view_opens_on_a_value_at_inf_and_says_what_it_left_out(tmp_path: Path):
    """The app died in plotext's ticks (cannot convert float NaN to integer): the x axis ran to inf."""
    app = _app(_runs(tmp_path, [{"clip": c} for c in (0.5, 1.0, math.inf, math.inf)]))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await _open(pilot, "a")
        await pilot.pause(0.3)
        text = "\n".join(screen_text(app))
        assert "best val vs clip (2 at inf or nan left out)" in text
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.is_running and app.table.selected == "a"
