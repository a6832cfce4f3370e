"""``replay`` on worker processes: the same alerts as in one process, and no worker left when it stops."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA, scalar_run

from tui.cli import commands, replays
from tui.judging.thresholds import Thresholds
from tui.live import firstread
from tui.live.monitor import Monitor


@pytest.fixture
def forking_allowed(monkeypatch):
    """Earlier tests may have left a library's thread running (watchdog keeps one for inotify), which makes
    Workers.start refuse to fork; these tests are about what the workers do, so they fork anyway."""
    monkeypatch.setattr(firstread, "_other_threads_running", lambda: False)


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


def _logdir(tmp_path: Path) -> Path:
    """Sixteen runs: the real fixtures (overfitting, diverging, frozen layers, Keras) and generated ones."""
    root = tmp_path / "runs"
    for folder in ("torch", "keras"):
        shutil.copytree(DATA / folder, root / folder, ignore=shutil.ignore_patterns("*.json"))
    rng = np.random.default_rng(1)
    for i in range(10):
        t = np.arange(300)
        val = 0.3 + np.exp(-t / 40) + 0.003 * np.maximum(t - 60 * (i % 4 + 1), 0) + rng.normal(0, 0.01, t.size)
        scalar_run(root / f"gen-{i}", {"loss": list(np.exp(-t / 50) + 0.1), "val_loss": list(val)})
    return root


@pytest.mark.parametrize("by_run", [False, True])
def test_replay_on_workers_prints_what_one_process_prints(
    tmp_path, capsys, monkeypatch, forking_allowed, started, by_run
):
    root = _logdir(tmp_path)
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
    root = _logdir(tmp_path)
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

    root = _logdir(tmp_path)
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
