"""The filter box as a user types in it: a pattern no run matches says so in the chart panel."""

from __future__ import annotations

from conftest import DATA, until

from tui.app.app import LossWatchApp
from tui.live.monitor import Monitor


async def test_a_filter_no_run_matches_says_so_not_that_no_run_is_selected():
    """ "no run selected" read as if the runs had gone; clearing the filter brings the chart back."""
    monitor = Monitor(str(DATA))
    app = LossWatchApp(monitor, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 6, "the fixture runs")
        chart = app.query_one("#chart")
        await pilot.press("slash", *"zzz")
        await until(pilot, lambda: not app.table.order, "no row left")
        await pilot.pause()
        assert chart._spec.empty_message == "no run matches 'zzz'"
        assert str(app.query_one("#chart-title").render()) == "no run matches 'zzz'"
        await pilot.press("escape")
        await until(pilot, lambda: len(app.table.order) == 6, "the runs again")
        await pilot.pause()
        assert chart._spec.curves and app.table.selected is not None


async def test_a_bad_regex_toast_goes_when_the_pattern_is_mended():
    """It stayed on screen, saying 'bad regex', after the filter was cleared and a valid one typed."""
    app = LossWatchApp(Monitor(str(DATA)), watch=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await until(pilot, lambda: len(app.table.order) == 6, "the fixture runs")
        await pilot.press("slash", *"(zz", "enter")
        await until(pilot, lambda: len(app.screen.query("Toast")) == 1, "the bad regex's toast")
        assert "bad regex" in str(app.screen.query_one("Toast").render())
        await pilot.press("backspace", "backspace", "backspace", *"zzz")
        await pilot.pause()
        await pilot.pause()
        assert app.filter_error is None
        assert not app.screen.query("Toast")  # at once: its own timeout is seconds away


async def test_the_pattern_no_run_matches_is_shown_as_typed():
    """It was shown by ``repr``: the ``\\d`` typed read ``\\\\d``, another regex."""
    app = LossWatchApp(Monitor(str(DATA)), watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 6, "the fixture runs")
        await pilot.press("slash", *"\\d{9}")
        await until(pilot, lambda: not app.table.order, "no row left")
        await pilot.pause()
        assert str(app.query_one("#chart-title").render()) == "no run matches '\\d{9}'"
