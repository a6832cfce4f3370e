"""A value reads the same in the live table, in `check` and in the reasons: large and tiny losses were
written with three significant digits on screen and four by check (``1.23e+05`` against ``1.235e+05``)."""

from __future__ import annotations

from pathlib import Path

from conftest import run_main, scalar_run, until
from test_screen import table_cells

from tui.app.app import LossWatchApp
from tui.live.monitor import Monitor

FIXED_NOW = 1795400400.0


def _check_rows(logdir: Path) -> dict[str, list[str]]:
    """Run -> the cells of its row in check's table (its runs' names hold no space)."""
    lines = run_main("check", str(logdir), columns=200).stdout.splitlines()
    header = lines[0].split()
    return {line.split()[0]: line.split() for line in lines[1 : lines.index("")]} | {"": header}


async def test_large_and_tiny_values_read_the_same_on_screen_and_in_check(tmp_path: Path):
    scalar_run(tmp_path / "large", {"loss": [923456.7, 723456.7, 623456.7], "val_loss": [987654.3, 876543.2, 765432.1]})
    scalar_run(
        tmp_path / "tiny", {"loss": [0.0009876, 0.0008765, 0.00076543], "val_loss": [0.0009, 0.0008, 0.00065432]}
    )
    rows = _check_rows(tmp_path)
    assert rows[""][:4] == ["run", "step", "train", "val"]
    assert rows["large"][2:4] == ["6.235e+05", "7.654e+05"] and rows["tiny"][2:4] == ["0.0007654", "0.0006543"]
    app = LossWatchApp(Monitor(str(tmp_path), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(160, 30)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 2, "the runs")
        await pilot.pause()
        cells = table_cells(app)
        assert (cells["large"]["train"], cells["large"]["val"]) == ("6.235e+05", "7.654e+05")
        assert (cells["tiny"]["train"], cells["tiny"]["val"]) == ("0.0007654", "0.0006543")
