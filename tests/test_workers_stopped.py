"""Workers stopped in the middle of a read end without a traceback from the pool's own thread.

Python 3.11's process pool, broken by the kill that stops it, sets an error on each job not started; on a job
its caller had cancelled meanwhile that raised ``InvalidStateError`` in the pool's thread, printed on stderr
after Ctrl-C (seen on ``check``; ``replay`` closed ``pool.map``, which cancels its jobs, before the kill).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import mixed_logdir

from tui.cli import replays
from tui.judging.thresholds import Thresholds
from tui.live import firstread
from tui.live.monitor import Monitor


@pytest.fixture
def busy(monkeypatch) -> None:
    """The pool's thread sees its killed workers before the close that follows the kill (as on a busy machine;
    on an idle one the close usually came first, and the fault showed once in a dozen test runs)."""
    end_runs = firstread.Workers.end_runs

    def end_runs_then_wait(self: firstread.Workers) -> None:
        end_runs(self)
        time.sleep(0.3)

    monkeypatch.setattr(firstread.Workers, "end_runs", end_runs_then_wait)


@pytest.fixture
def thread_errors(monkeypatch) -> Callable[[], list[BaseException]]:
    """Call it in the test's body (pytest sets its own hook after the fixtures): from then on, what any thread
    raised and did not catch, which Python would print on stderr."""
    raised: list[BaseException] = []

    def catch() -> list[BaseException]:
        monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
        return raised

    return catch


def test_check_stopped_during_its_first_read_leaves_no_thread_traceback(tmp_path, forking_allowed, busy, thread_errors):
    raised = thread_errors()
    root = mixed_logdir(tmp_path, generated=30, points=200)
    monitor = Monitor(str(root))
    monitor.scan()

    def ctrl_c(*_new: object) -> None:  # the first run back: the rest are queued or being read
        raise KeyboardInterrupt

    workers = firstread.Workers(2, whole=False)
    with pytest.raises(KeyboardInterrupt), workers:
        firstread.read_in_workers(monitor, workers, progress=ctrl_c)
    assert raised == []
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers.pids)


def test_a_replay_stopped_early_leaves_no_thread_traceback(tmp_path, monkeypatch, forking_allowed, busy, thread_errors):
    raised = thread_errors()
    root = mixed_logdir(tmp_path, generated=30, points=200)
    monitor = Monitor(str(root))
    monitor.refresh()
    monkeypatch.setattr(replays, "cores", lambda: 2)
    each = replays.replayed(monitor.store.snapshot(), Thresholds(), None, None)
    next(each)
    each.close()  # as Ctrl-C unwinds it
    assert raised == []
