"""The sort arrow takes its cells from the room left or the run's name: sorting never changes the columns shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import scalar_run, until
from test_screen import FIXED_NOW, screen_lines

from tui.app.app import LossWatchApp
from tui.live.demo import DemoJobs
from tui.live.monitor import Monitor


@pytest.mark.parametrize("width", [60, 70, 81, 90, 96])
async def test_sorting_by_each_column_keeps_the_columns_on_screen(tmp_path: Path, width: int):
    """At 80 columns, sorting a DeepOBS sweep by ``since`` pushed ``since`` out (its header two cells wider with
    ▲): the header read ``run verdict ↕ val best @ step step`` and no column showed the order."""
    for lr in ("0.001", "0.00158", "0.00251", "0.00398", "0.0063"):
        falling = [2.3 / (1 + step * float(lr) * 100) for step in range(30)]
        scalar_run(tmp_path / f"cifar10_3c3d-adam/lr={lr}", {"loss": falling, "val_loss": [v + 0.1 for v in falling]})
    app = LossWatchApp(Monitor(str(tmp_path), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(width, 24)) as pilot:
        table = app.table
        await until(pilot, lambda: table.row_count == 5, "the runs")
        await pilot.pause()
        shown = table.shown_columns
        sorted_by = set()
        for _ in range(2 * len(shown)):
            await pilot.press("s")
            await pilot.pause()
            header = screen_lines(app)[table.region.y]
            sorted_by.add(table.sort_column)
            assert table.shown_columns == shown, (table.sort_column, header)
            assert "▲" in header or "▼" in header, (table.sort_column, header)
        assert sorted_by == set(shown) - {"mark", "trend"}, (sorted_by, shown)


async def test_the_arrow_takes_its_cells_from_the_flags_before_a_name_that_fits(tmp_path: Path):
    """At 120 columns the demo's names fit whole beside a flags column that takes the room left, and sorting by
    ``since`` cut them (``bert-sma…overfit``): the arrow took its cells from the name, not from the flags."""
    DemoJobs(str(tmp_path)).run_to_end()
    app = LossWatchApp(Monitor(str(tmp_path), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.table
        await until(pilot, lambda: table.row_count == 9, "the demo's runs")
        await pilot.pause()
        names = sorted(table.order)
        assert "flags" in table.shown_columns and not any("…" in line for line in _name_cells(app, names))
        for column in ("since", "step", "val"):
            while table.sort_column != column:
                await pilot.press("s")
            await pilot.pause()
            cells = _name_cells(app, names)
            assert sorted(cell.strip() for cell in cells) == names, (column, cells)


def _name_cells(app: LossWatchApp, names: list[str]) -> list[str]:
    """The run column of each row on screen."""
    table = app.table
    columns = table.ordered_columns
    index = next(i for i, column in enumerate(columns) if column.key.value == "run")
    start = table.region.x + sum(column.get_render_width(table) for column in columns[:index])
    width = columns[index].get_render_width(table)
    lines = screen_lines(app)[table.region.y + 1 : table.region.y + 1 + len(names)]
    return [line[start : start + width] for line in lines]
