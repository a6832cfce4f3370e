"""The room a pane leaves over goes to the names: the flags take what is left after the numbers, and a long run
name grows past its usual 40 cells when nothing else wants the room."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA, scalar_run, until
from test_screen import FIXED_NOW, table_cells, table_fits

from tui.app.app import LossWatchApp
from tui.app.runs_table import LABELS, RunsTable
from tui.live.monitor import Monitor


def spare(table: RunsTable) -> int:
    """Blank cells right of the last column."""
    used = sum(column.get_render_width(table) for column in table.columns.values())
    return table.size.width - table.styles.scrollbar_size_vertical - used


def _fixtures_app() -> LossWatchApp:
    return LossWatchApp(Monitor(str(DATA), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)


async def _all_runs_shown(pilot) -> None:
    await until(pilot, lambda: len(pilot.app.table.order) == 6, "the fixture runs")
    await pilot.pause()


@pytest.mark.parametrize("width", range(96, 122, 2))
async def test_the_flags_take_the_room_left_when_it_holds_their_header(width: int):
    """Below about 114 columns the flags were dropped with 8 to 10 blank cells to spare."""
    app = _fixtures_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await _all_runs_shown(pilot)
        table = app.table
        if "flags" in table.shown_columns:
            flags = table_cells(app)["torch/frozen-7"]["flags"].strip()
            assert flags == "weights-static" or (flags.endswith("…") and "weights-static".startswith(flags[:-1]))
        else:
            assert spare(table) < len(LABELS["flags"]) + 2 * table.cell_padding, (width, table.shown_columns)
        assert table_fits(app)


LONG = "a-very-long-ascii-run-name-for-testing-a-wide-pane-of-the-runs-table,lr=0.001"


@pytest.mark.parametrize("width", [200, 160, 100, 80])
async def test_a_long_name_takes_the_room_a_wide_pane_leaves(tmp_path: Path, width: int):
    """Names were cut to 40 cells in a 200-column pane with 80 blank columns."""
    for name in (LONG, LONG.replace("0.001", "0.0001"), "short"):
        scalar_run(tmp_path / name, {"loss": [1.0, 0.9, 0.8], "val_loss": [1.1, 1.0, 0.95]})
    app = LossWatchApp(Monitor(str(tmp_path), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(width, 24)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 3, "the runs")
        await pilot.pause()
        shown = table_cells(app)[LONG]["run"].strip()
        if width >= 160:
            assert shown == LONG
        else:
            assert "…" in shown and shown.endswith("lr=0.001")
        assert table_fits(app)  # and no number cut
        assert {"run", "verdict", "val", "best"} <= set(app.table.shown_columns)


@pytest.mark.parametrize("width", range(24, 50, 2))
async def test_a_narrow_pane_shows_the_verdict_before_any_flag(width: int):
    """At 30 and 32 columns the table showed 'run  flags': the verdict left out, the flags cut in its room."""
    app = _fixtures_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await _all_runs_shown(pilot)
        shown = app.table.shown_columns
        if "flags" in shown:
            assert {"run", "verdict", "val", "best", "step"} <= set(shown), (width, shown)
        if width >= 34:  # a shortened name and the longest verdict ('overfitting') fit: the verdict is shown
            assert "verdict" in shown, (width, shown)
        assert table_fits(app)


@pytest.mark.parametrize(("width", "tags"), [(50, 16), (60, 19), (80, 26), (120, 26)])
async def test_a_narrow_pane_keeps_two_thirds_of_the_middle_for_the_chart(width: int, tags: int):
    """The tag list kept its 26 cells in any pane: at 50 cells the chart had 24 for its axis and its curves."""
    app = _fixtures_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await _all_runs_shown(pilot)
        assert app.tags.region.width == tags
        assert app.chart.region.width == width - tags
