"""A run's folder renamed while watched: the run under its new name is the same job, not a new one. Its alerts were
told under the old name; told again as new, they rang the bell and ran the ``--on-alert`` hook a second time, and
the old name said its files were deleted."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import frame
from tensorboard.compat.proto import event_pb2
from tensorboardX import SummaryWriter

from tui.cli.report import run_flags
from tui.judging.kinds import GONE, Kind
from tui.live.monitor import Monitor


def _diverged(folder: Path) -> None:
    with SummaryWriter(str(folder)) as writer:
        for step in range(110):
            writer.add_scalar("train/loss", 1 / (step + 1) if step < 100 else float("nan"), step)


def test_a_renamed_run_tells_its_alerts_as_history_and_the_old_name_where_it_went(tmp_path: Path):
    _diverged(tmp_path / "job")
    monitor = Monitor(str(tmp_path))
    _, _, alerts = monitor.refresh()
    [told] = [alert for alert in alerts if alert.kind == Kind.DIVERGING]
    assert told.run == "job" and told.rings
    os.rename(tmp_path / "job", tmp_path / "job-v2")
    new_runs, _, alerts = monitor.refresh()
    assert [new.run for new in new_runs] == ["job-v2"]
    [again] = [alert for alert in alerts if alert.kind == Kind.DIVERGING]
    assert (again.run, again.step, again.history, again.rings) == ("job-v2", 100, True, False)
    old = monitor.store.runs["job"]
    assert old.gone and old.moved_to == "job-v2"
    assert run_flags(old, None)[Kind.GONE] == (
        "its logs moved: it is the run job-v2 now; showing what was read under this name"
    )


def _renamed(tmp_path: Path) -> Monitor:
    """A diverged job read, then its folder renamed to job-v2 and read again."""
    _diverged(tmp_path / "job")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    os.rename(tmp_path / "job", tmp_path / "job-v2")
    monitor.refresh()
    return monitor


def test_a_new_blow_up_after_the_rename_rings(tmp_path: Path):
    """Only what was told under the old name is history: the renamed job blowing up again later is a new onset."""
    monitor = _renamed(tmp_path)
    with SummaryWriter(str(tmp_path / "job-v2")) as writer:
        for step in range(110, 300):
            writer.add_scalar("train/loss", 0.01 * 0.95 ** (step - 110), step)  # learning on, far below its best
        for step in range(300, 310):
            writer.add_scalar("train/loss", float("inf"), step)
    _, _, alerts = monitor.refresh()
    later = [alert for alert in alerts if alert.kind == Kind.DIVERGING and alert.step >= 300]
    assert later and later[0].rings


def test_a_deleted_run_and_a_copy_are_not_a_rename(tmp_path: Path):
    """A copy is other files (new inodes): its alerts are its own; the deleted run's files were deleted."""
    _diverged(tmp_path / "job")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    shutil.copytree(tmp_path / "job", tmp_path / "copy")
    shutil.rmtree(tmp_path / "job")
    _, _, alerts = monitor.refresh()
    [again] = [alert for alert in alerts if alert.kind == Kind.DIVERGING]
    assert again.run == "copy" and not again.history
    old = monitor.store.runs["job"]
    assert old.gone and old.moved_to == ""
    assert run_flags(old, None)[Kind.GONE] == GONE


def _nan_records(steps: range) -> bytes:
    """Framed events of ``train/loss`` at NaN, as a job still writing appends them."""
    events = []
    for step in steps:
        event = event_pb2.Event(wall_time=1e6 + step, step=step)
        event.summary.value.add(tag="train/loss", simple_value=float("nan"))
        events.append(frame(event.SerializeToString()))
    return b"".join(events)


def test_a_run_renamed_while_its_job_writes_is_still_the_same_run(tmp_path: Path):
    """Its file grew between the two listings: matched by its inode, not by its size. (Appended by hand: a
    tensorboardX writer's thread may hold points back past its flush, 11 times in 40 here.)"""
    _diverged(tmp_path / "job")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert [alert.run for alert in monitor.alerts if alert.kind == Kind.DIVERGING] == ["job"]
    os.rename(tmp_path / "job", tmp_path / "job-v2")
    [events] = (tmp_path / "job-v2").iterdir()
    with open(events, "ab") as handle:  # the job goes on writing to the file it holds open
        handle.write(_nan_records(range(110, 130)))
    _, _, alerts = monitor.refresh()
    [again] = [alert for alert in alerts if alert.kind == Kind.DIVERGING]
    assert (again.run, again.history) == ("job-v2", True)
    assert monitor.store.runs["job"].moved_to == "job-v2"
    assert monitor.store.runs["job-v2"].scalars["train/loss"].steps.tolist()[-1] == 129


def test_a_run_renamed_back_and_then_deleted_says_deleted(tmp_path: Path):
    """Renamed away and back, then deleted with no other run found: its files were deleted, not moved."""
    monitor = _renamed(tmp_path)
    os.rename(tmp_path / "job-v2", tmp_path / "job")
    monitor.refresh()
    assert monitor.store.runs["job-v2"].moved_to == "job" and not monitor.store.runs["job"].gone
    shutil.rmtree(tmp_path / "job")
    monitor.refresh()
    old = monitor.store.runs["job"]
    assert old.gone and run_flags(old, None)[Kind.GONE] == GONE
