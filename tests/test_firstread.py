"""Runs read in worker processes give exactly what one process gives: for `check` and for the live app."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import frame, mixed_logdir, scalar_event, scalar_run

from tui.cli import commands
from tui.judging.thresholds import Thresholds
from tui.live import firstread as parallel
from tui.live import shipping
from tui.live.monitor import Monitor


def _check_json(root: Path, capsys) -> tuple[int, list[dict]]:
    code = commands.check(str(root), Thresholds(), None, None, as_json=True)
    return code, json.loads(capsys.readouterr().out)


def _count_installs(monkeypatch) -> list[str]:
    """The runs that came back from worker processes."""
    installed: list[str] = []
    real = parallel._install

    def counting(monitor, result, now):
        installed.append(result.run.name)
        real(monitor, result, now)

    monkeypatch.setattr(parallel, "_install", counting)
    return installed


def test_check_in_workers_equals_one_process(tmp_path, capsys, monkeypatch, forking_allowed):
    root = mixed_logdir(tmp_path)
    installed = _count_installs(monkeypatch)
    monkeypatch.setattr(commands, "cores", lambda: 2)
    spread = _check_json(root, capsys)
    assert len(installed) == 12  # every run was read by a worker
    monkeypatch.setattr(commands, "cores", lambda: 1)
    alone = _check_json(root, capsys)
    assert len(installed) == 12  # ... and here none
    assert spread == alone
    assert len(alone[1]) == 12
    assert {r["verdict"] for r in alone[1]} >= {"overfitting", "diverging"}


def test_workers_are_used_only_where_they_pay(tmp_path, monkeypatch, forking_allowed):
    assert parallel.Workers.start(1, whole=False) is None
    root = tmp_path / "runs"
    for i in range(parallel.MIN_RUNS - 1):
        scalar_run(root / f"run-{i}", {"loss": [1.0, 0.5], "val_loss": [1.0, 0.6]})
    monitor = Monitor(str(root))
    monitor.scan()
    installed = _count_installs(monkeypatch)
    with parallel.Workers.start(2, whole=False) as workers:
        assert parallel.read_in_workers(monitor, workers) == []
    assert not installed and len(parallel.unread_paths(monitor)) == parallel.MIN_RUNS - 1


def _write_later(path: str) -> None:
    """A worker's job that is still running when its command is stopped."""
    time.sleep(3)
    Path(path).write_text("finished")


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError])
def test_a_stop_or_an_error_ends_the_workers_without_waiting_for_their_runs(tmp_path, forking_allowed, stop):
    """Ctrl-C, SIGTERM or SIGHUP during `check` (a KeyboardInterrupt here) must not wait for the runs the
    workers are reading: one with tens of thousands of tags kept a stopped `check` and its workers busy
    for minutes. Workers ignore the stop signals, so they are killed."""
    marker = tmp_path / "finished"
    with pytest.raises(stop), parallel.Workers.start(2, whole=False) as workers:
        pids = list(workers.pids)
        started = workers.pool.submit(_write_later, str(marker))
        while not started.running():
            time.sleep(0.01)
        raise stop
    assert len(pids) == 2
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)  # ended and reaped
    time.sleep(0.1)
    assert not marker.exists()  # the job was not let finish


def test_workers_are_never_forked_beside_another_thread():
    """Forking copies other threads' locks in whatever state they are: with a thread running, no workers."""
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert parallel.Workers.start(2, whole=True) is None
    finally:
        release.set()
        other.join()


def test_a_process_with_one_thread_forks_its_workers():
    """What `losswatch check` and `losswatch LOGDIR` do before any thread starts (a fresh interpreter)."""
    script = (
        "from tui.live.firstread import Workers\n"
        "workers = Workers.start(2, whole=True)\n"
        "print(workers is not None)\n"
        "workers.close()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "True"


def _state(monitor) -> dict:
    """Everything the app shows of each run: curves, verdict, alerts."""
    runs = {}
    for name, run in monitor.store.runs.items():
        curves = {tag: [a.tolist() for a in series.arrays()] for tag, series in run.scalars.items()}
        verdict = monitor.verdict(name)
        runs[name] = (
            curves,
            verdict.kind if verdict else None,
            sorted(verdict.flags) if verdict else None,
            {tag: len(h.items) for tag, h in run.histograms.items()},
        )
    alerts = sorted((a.run, a.step, a.kind, a.tag, a.reason) for a in monitor.alerts)
    return {"runs": runs, "alerts": alerts}


def _append(root: Path) -> None:
    """A job goes on writing: three more epochs of a generated run."""
    path = next((root / "gen-0").glob("*tfevents*"))
    with open(path, "ab") as handle:
        for step in range(400, 403):
            handle.write(frame(scalar_event("loss", step, 0.1, 2000.0 + step)))
            handle.write(frame(scalar_event("val_loss", step, 0.9, 2000.0 + step)))


def _open_fds() -> set[tuple[str, str]]:
    """This process's open file descriptors, each with what it points at.

    Compared as sets: a socket another test's library thread closes meanwhile (an idle pooled connection)
    is no leak, and made a count comparison fail."""
    fds = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor is closed by now
            fds.add((fd, os.readlink(f"/proc/self/fd/{fd}")))
    return fds


@pytest.mark.parametrize("shared", [True, False], ids=["memory-files", "in-the-pickle"])
def test_whole_runs_from_workers_equal_one_process_and_tailing_goes_on(tmp_path, monkeypatch, shared, forking_allowed):
    """The app's start-up path: whole runs, engines and file offsets come back; later appends are read once."""
    monkeypatch.setattr(shipping, "MIN_OUT_OF_BAND", 0 if shared else 1 << 62)
    root = mixed_logdir(tmp_path)
    alone = Monitor(str(root))
    alone.refresh()
    spread = Monitor(str(root))
    spread.scan()
    before = _open_fds()
    progressed = []
    with parallel.Workers.start(2, whole=True) as workers:
        parallel.read_in_workers(spread, workers, progress=lambda changes, alerts: progressed.append(changes))
    assert {change.run for changes in progressed for change in changes} == set(alone.store.runs)  # all reported
    assert progressed[0] and spread.progress == (len(spread.streams), len(spread.streams))
    assert parallel.unread_paths(spread) == []
    assert _state(spread) == _state(alone)
    assert _open_fds() - before == set()  # no memory file or socket left open
    writable = {
        series.arrays()[0].flags.writeable for run in spread.store.runs.values() for series in run.scalars.values()
    }
    assert writable == {not shared}  # curves from memory files are mapped read-only
    _append(root)
    for monitor in (alone, spread):
        monitor.read(None, only_grown=True)
    assert _state(spread) == _state(alone)
    assert len(spread.store.runs["gen-0"].scalars["val_loss"]) == 403


def test_without_worker_processes_the_rest_is_read_in_process(tmp_path, capsys, monkeypatch, forking_allowed):
    """Where no process can be started (fork fails: the user's process limit), check still prints every run,
    as one process would, and says why it read in one process."""
    root = mixed_logdir(tmp_path)
    alone = _check_json(root, capsys)

    def no_fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(commands, "cores", lambda: 2)
    monkeypatch.setattr(os, "fork", no_fork)
    monitor = commands._load(str(root), Thresholds(), None, None, spread=True)
    assert any("worker processes failed" in note for note in monitor.store.notes)
    assert len(monitor.store.runs) == 12
    assert _check_json(root, capsys) == alone


_started_log: Path | None = None
_real_read_run = parallel._read_run


def _slow_read_run(job):
    """A worker's job that takes a while, and says it started (in the file forked workers inherit the name of)."""
    with open(_started_log, "a") as log:
        log.write("x")
    time.sleep(0.3)
    return _real_read_run(job)


def test_an_error_in_the_app_stops_the_workers_from_starting_more_runs(tmp_path, monkeypatch, forking_allowed):
    """If taking a result fails, the runs not started are dropped (not read to the end for nothing), and
    what is left is read in one process as when no worker could start."""
    root = mixed_logdir(tmp_path)

    def broken_install(monitor, result, now):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(sys.modules[__name__], "_started_log", tmp_path / "started")
    monkeypatch.setattr(parallel, "_read_run", _slow_read_run)
    monkeypatch.setattr(parallel, "_install", broken_install)
    monitor = Monitor(str(root))
    monitor.scan()
    with parallel.Workers.start(2, whole=True) as workers:
        parallel.read_in_workers(monitor, workers)
    assert any("worker processes failed" in note for note in monitor.store.notes)
    assert len((tmp_path / "started").read_text()) < 12  # the 12 runs were not all read by the workers
    monkeypatch.undo()
    monitor.read(parallel.unread_paths(monitor))
    assert len(monitor.store.runs) == 12


def test_a_short_run_read_by_a_worker_takes_its_next_points_live(tmp_path, monkeypatch, forking_allowed):
    """A curve of fewer than 64 points came back from a worker with its running figures in a buffer with room to
    grow, mapped read-only (a memory file): the next live point was written into the mapping, and the live view
    ended on ``ValueError: assignment destination is read-only``."""
    monkeypatch.setattr(shipping, "MIN_OUT_OF_BAND", 0)  # as a run with over 1 MB of other curves travels
    root = tmp_path / "runs"
    curves = {"loss": [1.0 / (k + 1) for k in range(50)], "val_loss": [1.1 / (k + 1) for k in range(50)]}
    paths = [scalar_run(root / f"run-{i}", curves) for i in range(parallel.MIN_RUNS)]
    monitor = Monitor(str(root))
    monitor.scan()
    with parallel.Workers.start(2, whole=True) as workers:
        parallel.read_in_workers(monitor, workers)
    engine = monitor.engines["run-0"]
    assert not monitor.store.runs["run-0"].scalars["loss"].arrays()[1].flags.writeable  # from a memory file
    with open(paths[0], "ab") as handle:  # the job goes on: epoch 50
        handle.write(frame(scalar_event("loss", 50, 0.02, 1050.0)))
        handle.write(frame(scalar_event("val_loss", 50, 0.022, 1050.0)))
    monitor.read(None, only_grown=True)
    assert len(engine.train) == len(engine.val) == 51
    assert engine.train.bests[-1] < engine.train.bests[48]
