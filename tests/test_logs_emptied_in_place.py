"""A text log its job empties in place to write it again (a script started again that opens its log with "w",
``cat new > log``) is the same run, not one gone: between the truncation and the first new line the file is empty.
Keras' CSV log was kept so; JSON lines (by step and by epoch), Lightning's ``metrics.csv``, Detectron2's
``metrics.json`` and MMEngine's ``scalars.json`` were skipped while empty, and their run was said gone."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tui.live.monitor import Monitor


def _json_lines(key: str) -> Callable[[int], str]:
    def lines(count: int) -> str:
        return "".join(
            json.dumps({key: i, "train_loss": 1 - i * 0.05, "val_loss": 1 - i * 0.04}) + "\n" for i in range(count)
        )

    return lines


def _lightning(count: int) -> str:
    rows = [f"{i},{i * 10},{1 - i * 0.05},{1 - i * 0.04}" for i in range(count)]
    return "\n".join(["epoch,step,train_loss,val_loss", *rows]) + "\n"


def _detectron2(count: int) -> str:
    return "".join(json.dumps({"iteration": i * 20 + 19, "total_loss": 1 - i * 0.05}) + "\n" for i in range(count))


LOGS = {
    "json lines by step": ("run/metrics.jsonl", "run", "val_loss", _json_lines("step")),
    "json lines by epoch": ("run/metrics.jsonl", "run", "val_loss", _json_lines("epoch")),
    "lightning": ("run/metrics.csv", "run", "val_loss", _lightning),
    "detectron2": ("run/metrics.json", "run", "total_loss", _detectron2),
    "mmengine": ("run/20241203_101500/vis_data/scalars.json", "run/20241203_101500", "val_loss", _json_lines("step")),
}


@pytest.mark.parametrize("kind", sorted(LOGS))
def test_a_log_emptied_to_be_written_again_is_no_run_gone(tmp_path: Path, kind: str):
    path, run, tag, lines = LOGS[kind]
    log = tmp_path / path
    log.parent.mkdir(parents=True)
    log.write_text(lines(8))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert len(monitor.store.runs[run].scalars[tag].steps) == 8
    log.write_text("")  # the job started again: truncated, nothing written yet
    monitor.refresh()
    assert not monitor.store.runs[run].gone
    log.write_text(lines(5))
    monitor.refresh()
    again = monitor.store.runs[run]
    assert not again.gone and len(again.scalars[tag].steps) == 5


def test_an_empty_file_never_a_log_is_read_at_no_scan(tmp_path: Path):
    """Every empty ``*.jsonl`` beside the runs is left alone until it holds a line: nothing to read, no run."""
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.jsonl").write_text("")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert not monitor.store.runs
