"""A JSON-lines log that opens with its config, a line longer than the 64 KiB a header is looked for in: it was never
found ("no runs", exit 2), with no word of why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.live.monitor import Monitor


@pytest.mark.parametrize("blank", ["", "\n", "\n\r\n  \n"])
@pytest.mark.parametrize("config_bytes", [70_000, 1_000_000])
def test_a_json_lines_log_opening_with_a_long_config_line_is_read(tmp_path: Path, config_bytes: int, blank: str):
    """Blank lines before it (a script that prints a newline first) ended the search for its end at once."""
    (tmp_path / "run").mkdir()
    config = json.dumps({"config": {"notes": "x" * config_bytes}})
    steps = [json.dumps({"step": step, "loss": 1 / (step + 1), "val_loss": 1.2 / (step + 1)}) for step in range(5)]
    (tmp_path / "run" / "log.jsonl").write_text(blank + "\n".join([config, *steps]) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert monitor.store.runs["run"].scalars["val_loss"].steps.tolist() == list(range(5))
