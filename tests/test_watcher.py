"""The watcher: the log directory deleted and recreated, the inotify limit (polling instead)."""

from __future__ import annotations

import errno
import shutil
import time
from pathlib import Path

from conftest import frame, scalar_event, scalar_run

from tui.live.monitor import Monitor


def test_logdir_deleted_and_recreated_resumes_watching(tmp_path: Path):
    from tui.live.watcher import Watcher

    logdir = tmp_path / "logs"
    scalar_run(logdir / "a", {"loss": [1.0]})
    monitor = Monitor(str(logdir))
    seen: list[str] = []
    watcher = Watcher(monitor, lambda new, changes, alerts: seen.extend(n.run for n in new))
    watcher.start()
    try:
        deadline = time.monotonic() + 10
        while "a" not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(logdir)
        deadline = time.monotonic() + 10
        while not monitor.logdir_missing and time.monotonic() < deadline:
            time.sleep(0.1)
        assert monitor.logdir_missing and monitor.store.runs["a"].gone
        scalar_run(logdir / "b", {"loss": [1.0]})
        deadline = time.monotonic() + 15
        while "b" not in seen and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "b" in seen
    finally:
        watcher.stop()


def test_inotify_limit_falls_back_to_polling_with_a_note(tmp_path: Path, monkeypatch):
    from tui.live import watcher as watcher_module

    def refuse(self):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watcher_module.Observer, "start", refuse)
    path = scalar_run(tmp_path / "r", {"loss": [1.0]})
    monitor = Monitor(str(tmp_path))
    changes_seen = []
    w = watcher_module.Watcher(monitor, lambda new, changes, alerts: changes_seen.extend(changes))
    w.start()
    try:
        assert w.mode == "polling" and "polling" in (w.note or "")
        assert any("inotify" in note for note in monitor.store.notes)
        time.sleep(0.3)
        with open(path, "ab") as handle:
            handle.write(frame(scalar_event("loss", 1, 0.5, 1001.0)))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(monitor.store.runs.get("r").scalars["loss"]) < 2:
            time.sleep(0.1)
        assert len(monitor.store.runs["r"].scalars["loss"]) == 2
    finally:
        w.stop()
