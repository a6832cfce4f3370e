"""Counts in the live view are written as ``check`` writes them: 1,000 runs, not 1000."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import until
from test_app import status_text

from tui.app.app import LossWatchApp
from tui.live.monitor import Monitor


async def test_the_status_line_counts_a_thousand_runs_with_a_separator(tmp_path: Path):
    for index in range(1_000):  # the smallest logs there are: one JSON line each
        run = tmp_path / f"r{index:04d}"
        run.mkdir()
        (run / "log.jsonl").write_text(json.dumps({"step": 0, "loss": 1.0}) + "\n")
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False)
    async with app.run_test(size=(140, 30)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 1_000, "the runs", seconds=60)
        await pilot.pause()
        assert "1,000 runs" in status_text(app)
