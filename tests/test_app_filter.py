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
