"""``replay`` on worker processes: the same alerts as in one process, and no worker left when it stops."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import mixed_logdir

from tui.cli import commands, replays
from tui.judging.thresholds import Thresholds
from tui.live import firstread
from tui.live.monitor import Monitor


@pytest.fixture
def started(monkeypatch) -> list[firstread.Workers | None]:
    """What each replay's Workers.start gave: workers, or None (replayed in this process)."""
    given: list[firstread.Workers | None] = []
    real = firstread.Workers.start

    def recording(count: int, whole: bool, notes: list[str] | None = None):
        workers = real(count, whole, notes)
        given.append(workers)
        return workers

    monkeypatch.setattr(replays.Workers, "start", recording)
    return given


@pytest.mark.parametrize("by_run", [False, True])
def test_replay_on_workers_prints_what_one_process_prints(
    tmp_path, capsys, monkeypatch, forking_allowed, started, by_run
):
    root = mixed_logdir(tmp_path, generated=10, points=300)  # 16 runs: two workers
    outputs = []
    for count in (2, 1):
        monkeypatch.setattr(replays, "cores", lambda count=count: count)
        assert commands.replay(str(root), Thresholds(), None, None, as_json=True, by_run=by_run) == 0
        outputs.append(capsys.readouterr().out)
    assert started[0] is not None and started[1] is None  # on two workers, then in this process
    assert outputs[0] == outputs[1]
    assert {'"kind": "overfitting"', '"kind": "diverging"'} <= {
        part for part in outputs[0].split(", ") if "kind" in part
    }


def test_a_replay_stopped_early_leaves_no_worker(tmp_path, monkeypatch, forking_allowed, started):
    """Closed after its first run (as Ctrl-C unwinds it), its workers are ended, not left replaying."""
    root = mixed_logdir(tmp_path, generated=10, points=300)  # 16 runs: two workers
    monitor = Monitor(str(root))
    monitor.refresh()
    runs = monitor.store.snapshot()
    monkeypatch.setattr(replays, "cores", lambda: 2)
    each = replays.replayed(runs, Thresholds(), None, None)
    next(each)
    workers = started[0]
    assert workers is not None and len(workers.pids) == 2
    each.close()
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers.pids)  # ended and reaped
    assert replays._JOB is None  # the runs are not kept alive by the module


def test_a_worker_killed_midway_leaves_the_rest_to_this_process(
    tmp_path, monkeypatch, capsys, forking_allowed, started
):
    """A worker the kernel kills (out of memory) broke the pool: the replay would have ended in a traceback."""
    import os
    import signal

    root = mixed_logdir(tmp_path, generated=10, points=300)  # 16 runs: two workers
    monitor = Monitor(str(root))
    monitor.refresh()
    runs = monitor.store.snapshot()
    monkeypatch.setattr(replays, "cores", lambda: 1)
    alone = list(replays.replayed(runs, Thresholds(), None, None))
    monkeypatch.setattr(replays, "cores", lambda: 2)
    each = replays.replayed(runs, Thresholds(), None, None)
    first = next(each)
    workers = started[-1]
    assert workers is not None
    for pid in workers.pids:
        os.kill(pid, signal.SIGKILL)
    rest = list(each)
    assert [first, *rest] == alone
    assert "worker processes failed" in capsys.readouterr().err
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers.pids)
