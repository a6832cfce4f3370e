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


async def test_the_filter_matches_a_name_as_the_table_shows_it(tmp_path):
    """A folder named with an escape sequence shows as ``esc\\x1b[31mRED``; typing ``x1b`` found nothing (the raw
    name holds the ESC character, not its escape) and ``bell.name`` matched ``bell\\x07name`` through the hidden
    BEL. What the table shows is what the filter reads."""
    from conftest import scalar_run

    for name in ("esc\x1b[31mRED", "bell\x07name", "plain"):
        scalar_run(tmp_path / name, {"train_loss": [1.0, 0.9, 0.8], "val_loss": [1.1, 1.0, 0.9]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 3, "the three runs")
        await pilot.press("slash", *"x1b")
        await until(pilot, lambda: app.table.order == ("esc\x1b[31mRED",), "the run shown with \\x1b")
        await pilot.press("escape", "slash", *"bell.name")
        await until(pilot, lambda: not app.table.order, "no run: its name shows bell\\x07name")
        await pilot.press("escape", "slash", *"x07")
        await until(pilot, lambda: app.table.order == ("bell\x07name",), "the run shown with \\x07")


async def test_the_status_line_counts_the_runs_the_filter_shows_of_all():
    """It said "6 runs" while the filter showed one row."""
    app = LossWatchApp(Monitor(str(DATA)), watch=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 6, "the fixture runs")
        await pilot.press("slash", *"frozen")
        await until(pilot, lambda: len(app.table.order) == 1, "one row left")
        await until(pilot, lambda: "1 of 6 runs" in str(app.query_one("#status").render()), "the count")
        await pilot.press("escape")
        await until(pilot, lambda: "6 runs" in str(app.query_one("#status").render()), "all runs again")
        assert " of 6 runs" not in str(app.query_one("#status").render())
