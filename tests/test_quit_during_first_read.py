"""Quitting while the first read of a big folder runs in worker processes: the process ends at once, its workers
killed, not when they finish their runs.

The TUI's stop waited 2 s for the watcher thread (busy waiting on the workers), then the interpreter's exit waited
for the pool to finish every run submitted: 2-5 s on the DeepOBS folder, the two workers still reading after the
screen was given back. ``check`` and ``replay`` stopped by Ctrl-C already ended them at once (``Workers.kill``).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from children import spawn
from conftest import file_version_event, frame, scalar_event

from tui.live.firstread import MIN_RUNS

WORK_AFTER_STOP = 1.0
"""CPU seconds any one reader may spend after the stop, half a run's read: measured 0.05-0.2 s on 2 cores, idle
or under load. Before, the workers read on through the 2 s the app waited for its watcher thread, then to the end
of every run submitted (seconds each: `check` read on for 15 CPU s). Counted in CPU time, not wall time: a loaded
machine slows the exit, not the work done after the stop; per reader, not summed: a machine with more cores has
more workers."""
TAGS = 15_000
"""Tags a run: each run takes a worker about 2 s to read and judge, so the read lasts well past the stop."""
POINTS = 5

pytestmark = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="no worker processes on one core")


def _big_folder(root: Path) -> Path:
    """MIN_RUNS runs with TAGS curves each (the same event file in each run's folder)."""
    records = [frame(file_version_event())]
    for step in range(POINTS):
        wall = 1000.0 + step
        records.append(frame(scalar_event("loss", step, 1.0 / (step + 1), wall)))
        records.append(frame(scalar_event("val_loss", step, 1.1 / (step + 1), wall)))
        records += [frame(scalar_event(f"layer{tag}/grad_norm", step, float(tag + step), wall)) for tag in range(TAGS)]
    data = b"".join(records)
    for i in range(MIN_RUNS):
        folder = root / f"job{i}"
        folder.mkdir(parents=True)
        (folder / "events.out.tfevents.1000.host.1.0").write_bytes(data)
    return root


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command's name (None: no such process)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None and fields[1] == str(pid):
            found.append(int(entry))
    return found


def _cpu(fields: list[str]) -> float:
    """CPU seconds of a process, from its stat fields (utime and stime)."""
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    return sum(_cpu(fields) for pid in pids if (fields := _stat(pid)) is not None)


def _ended(fields: list[str]) -> bool:
    return fields[0] in ("Z", "X")  # a zombie until its parent (or init) reaps it


def _gone(pid: int) -> bool:
    fields = _stat(pid)
    return fields is None or _ended(fields)


def _work_after_stop(pids: list[int], exited) -> float:
    """The most CPU seconds any of ``pids`` spends from now on, read every 10 ms until each has ended (its zombie
    still read: its last times are there) and ``exited()`` holds. A pid that no longer names the process it named
    now (reaped; or reused: its start time differs) counts as ended."""
    now = {pid: fields for pid in pids if (fields := _stat(pid)) is not None}
    started = {pid: fields[19] for pid, fields in now.items()}
    at_stop = {pid: _cpu(fields) for pid, fields in now.items()}
    last = dict(at_stop)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        running = False
        for pid in started:
            fields = _stat(pid)
            if fields is None or fields[19] != started[pid]:
                continue
            last[pid] = max(last[pid], _cpu(fields))
            running = running or not _ended(fields)
        if not running and exited():  # the main process reaped only once its zombie was read
            break
        time.sleep(0.01)
    return max((last[pid] - at_stop[pid] for pid in started), default=0.0)


def _reading(pid: int, timeout: float = 60.0) -> list[int]:
    """The child processes of ``pid`` (its workers), once it and they have read for a while."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = _children(pid)
        if _cpu_seconds(workers) >= 0.5 or (not workers and _cpu_seconds([pid]) >= 3.0):
            return workers
        time.sleep(0.05)
    raise AssertionError(f"not reading within {timeout} s")


@pytest.mark.parametrize("number", [signal.SIGHUP, signal.SIGTERM], ids=lambda n: signal.Signals(n).name)
def test_the_tui_quits_during_the_first_read_at_once_and_ends_its_workers(tmp_path: Path, number: int):
    root = _big_folder(tmp_path / "runs")
    with spawn("watch", str(root), terminal=(80, 24)) as child:
        workers = _reading(child.proc.pid)
        assert len(workers) >= 2  # forked before the app started
        child.proc.send_signal(number)  # the pane closed (SIGHUP) or a kill: the app's stop, as `q`
        work = _work_after_stop(workers, lambda: child.proc.poll() is not None)
        code = child.proc.wait(timeout=60)
        assert code == 0, child.text()[-2000:]
        assert all(map(_gone, workers)), "worker processes left behind"
        assert work < WORK_AFTER_STOP, f"the workers read on for {work:.2f} CPU s after the stop"
        assert "Traceback" not in child.text()


@pytest.mark.parametrize("command", ["check", "replay"])
def test_check_and_replay_stopped_during_their_first_read_end_at_once(tmp_path: Path, command: str):
    """What they did already: ``check`` kills its workers, ``replay`` (too few runs for workers) reads here."""
    root = _big_folder(tmp_path / "runs")
    with spawn(command, str(root)) as child:
        workers = _reading(child.proc.pid)
        child.proc.send_signal(signal.SIGINT)  # Ctrl-C (the child ignores SIGINT until losswatch installs its own)
        work = _work_after_stop([child.proc.pid, *workers], lambda: child.proc.poll() is not None)
        code = child.proc.wait(timeout=60)
        assert code == 130 and child.errors() == "losswatch: stopped before the end\n", child.errors()
        assert all(map(_gone, workers)), "worker processes left behind"
        assert work < WORK_AFTER_STOP, f"the readers read on for {work:.2f} CPU s after the stop"
