"""The watcher: the log directory deleted and recreated, the inotify limit (polling instead)."""

from __future__ import annotations

import errno
import shutil
import time
from pathlib import Path

import pytest
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


def _written_open(path: Path, lines: list[str], every: float, stop) -> None:
    """A job's log: created empty, then a line at a time, kept open until ``stop`` (Keras' CSVLogger does this)."""
    with open(path, "w") as handle:
        time.sleep(0.5)
        for line in lines:
            if stop():
                return
            handle.write(line)
            handle.flush()
            time.sleep(every)


@pytest.mark.parametrize(
    ("name", "header", "row"),
    [
        ("training.log", "epoch,loss,val_loss\n", "{i},{loss:.4f},{val:.4f}\n"),
        ("log.jsonl", "", '{{"step": {i}, "train_loss": {loss:.4f}, "val_loss": {val:.4f}}}\n'),
    ],
    ids=["keras-csv", "json-lines"],
)
def test_a_log_created_empty_is_found_while_its_job_still_writes_it(tmp_path: Path, name: str, header: str, row: str):
    """Found only when its job closed it: its writes, each a change of a file no stream read, came faster than the
    rescan's wait, which never came; the TUI and watch --plain showed nothing, nor rang, while it trained."""
    import threading

    from tui.live.watcher import Watcher

    (tmp_path / "job").mkdir()
    monitor = Monitor(str(tmp_path))
    seen: list[str] = []
    watcher = Watcher(monitor, lambda new, changes, alerts: seen.extend(n.run for n in new))
    watcher.start()
    done = threading.Event()
    lines = [header] + [row.format(i=i, loss=1 / (i + 1), val=1.2 / (i + 1)) for i in range(400)]
    writer = threading.Thread(target=_written_open, args=(tmp_path / "job" / name, lines, 0.05, done.is_set))
    writer.start()
    try:
        deadline = time.monotonic() + 12  # well before the writer's 20 s end
        while "job" not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "job" in seen and writer.is_alive()
    finally:
        done.set()
        writer.join()
        watcher.stop()
