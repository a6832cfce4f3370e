"""Where the selection goes without the user moving it: the run most in need of attention, sorted or not; and
where enter puts it in the tags list."""

from __future__ import annotations

from pathlib import Path

from conftest import scalar_run, until
from test_app import fixture_app, rows

from tui.app.app import LossWatchApp
from tui.live.monitor import Monitor


async def test_sorted_before_moving_the_cursor_a_run_that_turns_bad_later_is_the_one_selected(tmp_path: Path):
    """The selection follows the run most in need of attention until the user moves it, sorted by a column too: after
    ``s``, a run that blew up later rang the bell, and the chart stayed on the healthy run at the top."""
    scalar_run(
        tmp_path / "a-healthy", {"loss": [2.0, 1.8, 1.6, 1.5, 1.4, 1.3], "val_loss": [2.1, 1.9, 1.7, 1.6, 1.5, 1.4]}
    )
    app = LossWatchApp(Monitor(str(tmp_path)), watch=True, bell=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: rows(app) == ["a-healthy"], "the healthy run")
        await pilot.press("s")
        await until(pilot, lambda: app.table.sort_column != "verdict", "another order")
        scalar_run(tmp_path / "z-blown", {"loss": [2.0, 1.8, float("nan")], "val_loss": [2.1, 1.9, float("nan")]})
        await until(pilot, lambda: "z-blown" in rows(app), "the new run")
        assert rows(app)[-1] == "z-blown"  # not on top in this order...
        await until(pilot, lambda: app.selected == app.table.selected == "z-blown", "the blown-up run selected")
        assert app.chart_title.render().plain.startswith("z-blown")
        await pilot.press("up")  # moved by the user: the cursor stays where it is put
        await pilot.pause()
        assert app.selected == "a-healthy"


async def test_enter_opens_the_tags_on_what_the_chart_shows_so_down_enter_charts_the_first_tag():
    """Enter from the runs focused the tags list with nothing highlighted: ↓ then highlighted "train + val loss",
    and enter chose the pair again instead of the first tag."""
    app = fixture_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        assert app.focused is app.tags and app.tags.highlighted == 0  # the pair, shown now
        first_tag = app.tags.get_option_at_index(1).id
        await pilot.press("down", "enter")
        await pilot.pause()
        assert (app.view.mode, app.view.tag) == ("tag", first_tag)
        await pilot.press("escape", "enter")  # back to the runs (and the pair) and in again: on the pair
        assert app.view.mode == "pair" and app.focused is app.tags and app.tags.highlighted == 0


async def test_a_click_on_a_header_sorts_and_the_selection_still_follows(tmp_path: Path):
    """A header clicked to sort stopped the selection following the run most in need of attention (``s`` did not)."""
    scalar_run(
        tmp_path / "a-healthy", {"loss": [2.0, 1.8, 1.6, 1.5, 1.4, 1.3], "val_loss": [2.1, 1.9, 1.7, 1.6, 1.5, 1.4]}
    )
    app = LossWatchApp(Monitor(str(tmp_path)), watch=True, bell=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: rows(app) == ["a-healthy"], "the healthy run")
        columns = list(app.table.columns.values())
        before = next(i for i, column in enumerate(columns) if column.key.value == "run")
        await pilot.click("#runs", offset=(sum(c.get_render_width(app.table) for c in columns[:before]) + 1, 0))
        await until(pilot, lambda: app.table.sort_column == "run", "sorted by name")
        scalar_run(tmp_path / "z-blown", {"loss": [2.0, 1.8, float("nan")], "val_loss": [2.1, 1.9, float("nan")]})
        await until(pilot, lambda: rows(app) == ["a-healthy", "z-blown"], "the new run, last by name")
        await until(pilot, lambda: app.selected == "z-blown", "the blown-up run selected")
        await pilot.click("#runs", offset=(2, 1))  # a row clicked: the user chose, the selection stays
        await pilot.pause()
        assert app.selected == "a-healthy" and not app.table.follow_attention
