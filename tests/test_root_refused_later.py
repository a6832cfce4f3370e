"""A root whose permission is taken away while it is watched: its runs are not gone (they were said deleted, and
nothing said why), and the watch says what happened and when it can read the root again (a hostile tester's
find)."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import DATA, refused

from tui.live.monitor import Monitor


def test_a_root_that_cannot_be_listed_any_more_keeps_its_runs_and_says_why(tmp_path: Path):
    root = tmp_path / "runs"
    shutil.copytree(DATA / "torch" / "overfit-7", root / "run1")
    monitor = Monitor(str(root))
    monitor.refresh()
    points = len(monitor.store.runs["run1"].scalars["val_loss"])
    with refused(root):
        monitor.refresh()
        run = monitor.store.runs["run1"]
        assert not run.gone and len(run.scalars["val_loss"]) == points
        assert (
            monitor.store.notes[-1]
            == f"{root}: permission denied: its runs are kept as read until it can be read again"
        )
    monitor.refresh()
    assert not monitor.store.runs["run1"].gone and monitor.store.notes[-1] == f"{root} can be read again"
    assert len(monitor.store.notes) == 2
