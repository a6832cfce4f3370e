"""A job resumed with ``SummaryWriter(purge_step=…)``: TensorBoard drops the abandoned attempt's points from that
step on (its ``SessionLog.START``), and so does the store, whether the files are read at once or as they grow."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboardX import SummaryWriter
from tensorboardX.proto.event_pb2 import Event, SessionLog

from tui.live.monitor import Monitor

WALL = 1.7e9


def _attempt(run: Path, name: str, steps: range, base: float, wall: float, purge_step: int | None = None) -> Path:
    """One job's event file, written by tensorboardX (``purge_step`` as a resumed job passes it; its session
    start is written at the time it is made) and given the name its writer would have given it (the second
    attempt's must sort after the first's)."""
    scratch = run.parent / f".scratch-{name}"
    with SummaryWriter(str(scratch), purge_step=purge_step) as writer:
        for step in steps:
            writer.add_scalar("loss", base + step, step, walltime=wall + step)
    (written,) = scratch.glob("events.out.tfevents.*")
    run.mkdir(parents=True, exist_ok=True)
    shutil.move(written, run / name)
    shutil.rmtree(scratch)
    return run / name


def _loss(root: Path, run: str = "run") -> list[tuple[int, float]]:
    monitor = Monitor(str(root))
    monitor.refresh()
    series = monitor.store.runs[run].scalars["loss"]
    return list(zip(series.steps.tolist(), series.values.tolist(), strict=True))


def test_a_resumed_jobs_purge_step_drops_the_old_attempts_points_from_there_as_tensorboard_does(tmp_path: Path):
    """The old attempt logged to step 99, the job resumed from its checkpoint at step 50 and logged from 60 on:
    steps 50..59 of the abandoned attempt were kept (150 points where TensorBoard shows 140)."""
    run = tmp_path / "run"
    _attempt(run, "events.out.tfevents.1700000000.host.1.0", range(100), 0.0, WALL)
    _attempt(run, "events.out.tfevents.1700000900.host.2.0", range(60, 150), 1000.0, WALL + 900, purge_step=50)
    ours = _loss(tmp_path)
    assert ours == [(s, float(s)) for s in range(50)] + [(s, 1000.0 + s) for s in range(60, 150)]
    tensorboard = EventAccumulator(str(run), size_guidance={"scalars": 0}).Reload().Scalars("loss")
    assert ours == [(event.step, event.value) for event in tensorboard]


def test_the_purge_comes_when_the_resumed_jobs_file_is_read_before_any_of_its_points(tmp_path: Path):
    run = tmp_path / "run"
    _attempt(run, "events.out.tfevents.1700000000.host.1.0", range(100), 0.0, WALL)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert len(monitor.store.runs["run"].scalars["loss"]) == 100
    resumed = _attempt(run, "events.out.tfevents.1700000900.host.2.0", range(60, 80), 1000.0, WALL + 900, 50)
    head = resumed.read_bytes()
    whole = len(head)
    header_only = _attempt(tmp_path / "h", "events.out.tfevents.1.h.1.0", range(0), 0.0, WALL + 900, 50).read_bytes()
    resumed.write_bytes(head[: len(header_only)])  # the writer's file as it is before its first point
    monitor.refresh()
    assert monitor.store.runs["run"].scalars["loss"].steps.tolist() == list(range(50))
    resumed.write_bytes(head[:whole])
    monitor.refresh()
    assert monitor.store.runs["run"].scalars["loss"].steps.tolist() == list(range(50)) + list(range(60, 80))


def test_a_second_writers_start_purges_nothing_written_after_it(tmp_path: Path):
    """Two ranks each made a writer with purge_step=50; rank 0 logged, rank 1 (its file read after rank 0's)
    logged nothing. Rank 1's start is older than rank 0's new points: they stay."""
    run = tmp_path / "run"
    _attempt(run, "events.out.tfevents.1700000000.host.1.0", range(100), 0.0, WALL)
    _attempt(run, "events.out.tfevents.1700000900.host.3.0", range(0), 0.0, WALL, purge_step=50)  # started now
    later = time.time() + 1.0
    _attempt(run, "events.out.tfevents.1700000900.host.2.0", range(50, 150), 1000.0, later, purge_step=50)
    assert _loss(tmp_path) == [(s, float(s)) for s in range(50)] + [(s, 1000.0 + s) for s in range(50, 150)]


def _split_run(root: Path, resumed_validation: bool) -> None:
    """A Keras-like run, ``train/`` and ``validation/`` written by writers of their own; the job resumed at step
    50 with ``purge_step`` for its training writer, and for its validation writer too if ``resumed_validation``."""
    run = root / "run"
    _attempt(run / "train", "events.out.tfevents.1700000000.host.1.0", range(100), 0.0, WALL)
    _attempt(run / "validation", "events.out.tfevents.1700000000.host.1.0", range(0, 100, 10), 0.0, WALL)
    later = time.time() + 1.0
    _attempt(run / "train", "events.out.tfevents.1700000900.host.2.0", range(60, 150), 1000.0, later, 50)
    if resumed_validation:
        _attempt(run / "validation", "events.out.tfevents.1700000900.host.2.0", range(60, 150, 10), 1e3, later, 50)


@pytest.mark.parametrize("resumed_validation", [False, True])
def test_a_split_folders_start_purges_its_own_curves_read_at_once_or_as_written(tmp_path: Path, resumed_validation):
    """train/'s start purged validation/'s points too (TensorBoard reads each split folder as a run of its own),
    and only when validation was read first: the TUI cut validation to steps 0..40 where check kept 50..90."""
    _split_run(tmp_path, resumed_validation)
    whole = Monitor(str(tmp_path))
    whole.refresh()
    run = whole.store.runs["run"]
    assert run.scalars["train/loss"].steps.tolist() == list(range(50)) + list(range(60, 150))
    expected = list(range(0, 50, 10)) + list(range(60, 150, 10)) if resumed_validation else list(range(0, 100, 10))
    assert run.scalars["validation/loss"].steps.tolist() == expected
    tensorboard = EventAccumulator(str(tmp_path / "run" / "validation"), size_guidance={"scalars": 0}).Reload()
    assert [event.step for event in tensorboard.Scalars("loss")] == expected
    live = Monitor(str(tmp_path / "live"))
    (tmp_path / "live").mkdir()
    for folder in ("validation", "train"):  # one split folder seen before the other, as a live view may
        shutil.copytree(tmp_path / "run" / folder, tmp_path / "live" / "run" / folder)
        live.refresh()
    for tag in ("train/loss", "validation/loss"):
        assert live.store.runs["run"].scalars[tag].steps.tolist() == run.scalars[tag].steps.tolist()


def test_a_start_in_the_middle_of_a_file_purges_the_histograms_before_it_not_after(tmp_path: Path):
    """One file holding both attempts: its histograms all went after the purge (they carried no record order), so
    ``check`` read steps 0..90 then 50..140 where TensorBoard and a live view read 0..140 once."""
    run = tmp_path / "run"
    with SummaryWriter(str(run)) as writer:
        for step in range(100):
            writer.add_scalar("loss", float(step), step, walltime=WALL + step)
            if step % 10 == 0:
                writer.add_histogram("w", np.arange(5.0) + step, step, walltime=WALL + step)
        start = Event(step=50, wall_time=WALL + 500, session_log=SessionLog(status=SessionLog.START))
        writer.file_writer.add_event(start)
        for step in range(50, 150):
            writer.add_scalar("loss", 1000.0 + step, step, walltime=WALL + 501 + step)
            if step % 10 == 0:
                writer.add_histogram("w", np.arange(5.0) + step, step, walltime=WALL + 501 + step)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    tensorboard = EventAccumulator(str(run), size_guidance={"scalars": 0, "histograms": 0}).Reload()
    assert monitor.store.runs["run"].histograms["w"].steps.tolist() == [e.step for e in tensorboard.Histograms("w")]
    assert monitor.store.runs["run"].scalars["loss"].steps.tolist() == [e.step for e in tensorboard.Scalars("loss")]
