"""Logged times read as a wall clock only when they are one: Detectron2's ``time`` (the seconds one iteration took)
put every point in 1970 (the alert log said 1970-01-01, the age column 20,794 days), and a log's milliseconds since
1970 (JavaScript's ``Date.now()``) read as seconds put them in the year 58902."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from tui.live.monitor import Monitor
from tui.sources.wall_clock import epoch_seconds


def _walls(folder: Path, tag: str) -> np.ndarray:
    monitor = Monitor(str(folder))
    monitor.refresh()
    (run,) = monitor.store.runs.values()
    return run.scalars[tag].arrays()[2]


def test_detectron2s_iteration_time_is_no_wall_clock(tmp_path: Path) -> None:
    log = tmp_path / "output" / "metrics.json"
    log.parent.mkdir()
    rows = [
        {"data_time": 0.002, "iteration": i, "lr": 0.02, "time": 0.35, "total_loss": 2 / (1 + i / 100)}
        for i in range(19, 400, 20)
    ]
    log.write_text("".join(json.dumps(row) + "\n" for row in rows))
    written = time.time() - 600
    os.utime(log, (written, written))
    walls = _walls(tmp_path, "total_loss")
    assert len(walls) == len(rows) and np.allclose(walls, written)  # the file's own time, not 0.35 s after 1970


def test_milliseconds_and_seconds_since_1970_are_the_same_clock(tmp_path: Path) -> None:
    start = 1_796_000_000.0
    for name, scale in (("seconds", 1), ("millis", 1000)):
        (tmp_path / name).mkdir()
        lines = [json.dumps({"step": s, "timestamp": (start + s) * scale, "loss": 1 / (s + 1)}) for s in range(10)]
        (tmp_path / name / "log.jsonl").write_text("\n".join(lines) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    for name in ("seconds", "millis"):
        assert monitor.store.runs[name].scalars["loss"].arrays()[2].tolist() == [start + s for s in range(10)]


def test_a_clock_is_told_by_its_column_and_a_value_out_of_it_is_no_time() -> None:
    found = np.ones(4, dtype=bool)
    for scale in (1, 1e3, 1e6, 1e9):
        seconds, clock = epoch_seconds(np.array([1.7e9, 1.7e9 + 1, 1.7e9 + 2, 5.0]) * scale, found)
        assert clock.tolist() == [True, True, True, False] and seconds[:3].tolist() == [1.7e9, 1.7e9 + 1, 1.7e9 + 2]
    elapsed = np.array([0.0, 30.5, 61.0, 3600.0])  # seconds since the job started: no clock
    assert not epoch_seconds(elapsed, found)[1].any()
    assert not epoch_seconds(np.array([np.nan, np.nan]), np.zeros(2, dtype=bool))[1].any()
