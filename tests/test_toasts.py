"""Toasts that quote a run's name or the user's pattern show it as typed: Textual reads a toast as markup by
default, and a name such as ``cfg[dropout=0.5,wd=1e-4]`` ended the app with a MarkupError (a hostile tester's
find; the other tests replace ``notify`` or run without toasts, so they did not see it)."""

from __future__ import annotations

from pathlib import Path

from conftest import scalar_run
from textual.widgets._toast import Toast

from tui.app.app import LossWatchApp
from tui.live.monitor import Monitor

HOSTILE = "cfg[dropout=0.5,wd=1e-4]"


def _runs(root: Path) -> Path:
    for name in (HOSTILE, "sweep/lr=0.1", "sweep/lr=0.01"):
        scalar_run(root / name, {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.9, 0.85]})
    return root


async def _toasts(app: LossWatchApp, pilot, keys: list[str]) -> list[str]:
    await pilot.pause(0.2)
    for key in keys:
        await pilot.press(key)
    await pilot.pause(0.3)
    return [str(toast.render()) for toast in app.screen.query(Toast)]


async def test_a_toast_naming_a_run_shows_its_brackets_as_written(tmp_path: Path):
    app = LossWatchApp(Monitor(str(_runs(tmp_path))), watch=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause(0.2)
        assert app.selected == HOSTILE
        toasts = await _toasts(app, pilot, ["w"])
    assert app.return_code in (None, 0)
    assert any(f"run {HOSTILE} is not part of a sweep" in toast for toast in toasts)


async def test_a_bad_filter_pattern_with_brackets_is_quoted_as_typed(tmp_path: Path):
    app = LossWatchApp(Monitor(str(_runs(tmp_path))), watch=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        toasts = await _toasts(app, pilot, ["slash", *"(?P<[/]>x)", "enter"])
    assert app.return_code in (None, 0)
    assert any("[/]" in toast for toast in toasts)


async def test_a_sweep_pattern_with_brackets_that_groups_nothing_is_quoted_as_given(tmp_path: Path):
    monitor = Monitor(str(_runs(tmp_path)), sweep_pattern=r"zz[/](x)")
    app = LossWatchApp(monitor, watch=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        toasts = await _toasts(app, pilot, ["w"])
    assert app.return_code in (None, 0)
    assert any("--sweep 'zz[/](x)' groups no runs" in toast for toast in toasts)
