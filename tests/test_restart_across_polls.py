"""An event file read while it changes: a job resumed into it ends as read whole wherever the polls fall
(TensorBoard's purge: each record in file order, a step going back dropping every curve from that step on); a file
cut short keeps what was read."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import DATA, event_files, file_version_event, frames_of, scalar_event, write_records

from tui.live.monitor import Monitor

NAME = "events.out.tfevents.1000.host.1.0"


def _resumed_job(path: Path) -> tuple[bytes, int]:
    """Attempt 1 logs steps 0-19, attempt 2 (resumed from step 6) 6-29: training each step, validation every fifth,
    the learning rate every third, each attempt's points valued by its number. Returns the file and the index of
    the attempt 2's first record."""
    payloads, wall, first_of_second = [file_version_event()], 1000.0, 0
    for attempt, steps in ((1.0, range(20)), (2.0, range(6, 30))):
        first_of_second = len(payloads)
        for step in steps:
            wall += 1.0
            payloads.append(scalar_event("train_loss", step, attempt, wall))
            if step % 5 == 4:
                payloads.append(scalar_event("val_loss", step, attempt, wall))
            if step % 3 == 0:
                payloads.append(scalar_event("lr", step, attempt, wall))
    return write_records(path, payloads), first_of_second


def _curves(monitor: Monitor, run: str) -> dict[str, tuple[list[int], list[float]]]:
    return {tag: (s.steps.tolist(), s.values.tolist()) for tag, s in monitor.store.runs[run].scalars.items()}


def test_a_resumed_job_read_in_three_polls_anywhere_ends_as_read_whole(tmp_path: Path):
    """The first poll ends at any record; the second ends at any record around attempt 2's first. Before, a poll
    ending with the old attempt's last points of some curves and the new attempt's first of another lost that
    first point: purged twice, by the first curve that went back and by the next."""
    whole_dir = tmp_path / "whole"
    whole_dir.mkdir()
    blob, restart = _resumed_job(whole_dir / NAME)
    whole = Monitor(str(whole_dir))
    whole.refresh()
    expected = _curves(whole, ".")
    assert expected["train_loss"] == (list(range(30)), [1.0] * 6 + [2.0] * 24)
    ends = [end for _start, end in frames_of(blob)][:-1]
    near_restart = ends[restart - 2 : restart + 2]
    for first in ends:
        for second in (end for end in near_restart if end >= first):
            run = tmp_path / f"{first}-{second}" / "job"
            run.mkdir(parents=True)
            monitor = Monitor(str(run.parent))
            for cut in (first, second, len(blob)):
                with open(run / NAME, "ab") as handle:
                    handle.write(blob[handle.tell() : cut])
                monitor.refresh()
            assert _curves(monitor, "job") == expected, (first, second)


@pytest.mark.parametrize("keep", [0.5, 0.0, 0.37], ids=["half", "emptied", "mid-record"])
def test_an_event_file_cut_short_keeps_every_point_read_and_reads_on_when_it_grows(tmp_path: Path, keep: float):
    """A hostile tester's find: a real run's file cut to half its size while watched lost the second half of its
    points (read again from its start, its first point was taken for a restart from step 0); emptied, it kept them
    all. Cut anywhere, what was read stays; the same bytes written back are read as the same points."""
    run = tmp_path / "overfit-7"
    shutil.copytree(DATA / "torch" / "overfit-7", run)
    (path,) = event_files(run)
    whole = path.read_bytes()
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    before = _curves(monitor, "overfit-7")
    verdict = monitor.verdict("overfit-7")
    path.write_bytes(whole[: int(len(whole) * keep)])
    monitor.refresh()
    assert _curves(monitor, "overfit-7") == before
    assert monitor.verdict("overfit-7") == verdict
    with open(path, "ab") as handle:
        handle.write(whole[handle.tell() :])
    monitor.refresh()
    assert _curves(monitor, "overfit-7") == before


@pytest.mark.parametrize("change", ["cut-short", "longer-copy"])
def test_a_file_with_a_step_written_twice_read_again_from_its_start_ends_as_read_whole(tmp_path: Path, change: str):
    """The review of the first fix: Lightning writes `epoch` twice at a step; read again from its start (cut short,
    or replaced by a longer copy as rsync does), that curve did not match what was kept, its restart was purged
    late, and the points of `loss` skipped as read before went with it (live: `loss` without step 0)."""
    records = [file_version_event()]
    for step in range(15):
        records.append(scalar_event("loss", step, 1.0 / (step + 1), 1000.0 + step))
        records.append(scalar_event("epoch", step, float(step // 5), 1000.0 + step))
        if step == 4:
            records.append(scalar_event("epoch", step, 0.0, 1000.5 + step))  # the second write at that step
    run = tmp_path / "live" / "run"
    run.mkdir(parents=True)
    blob = write_records(tmp_path / "whole.tfevents", records)
    first = blob[: len(blob) // 2] if change == "longer-copy" else blob
    (run / NAME).write_bytes(first)
    monitor = Monitor(str(run.parent))
    monitor.refresh()
    before = _curves(monitor, "run")
    if change == "cut-short":
        (run / NAME).write_bytes(blob[: len(blob) // 2])
        monitor.refresh()
        assert _curves(monitor, "run") == before
    else:
        copy = tmp_path / "copy"
        copy.write_bytes(blob)
        os.replace(copy, run / NAME)  # a new inode: read again from its start
        monitor.refresh()
        whole = Monitor(str(tmp_path / "live"))
        whole.refresh()
        assert _curves(monitor, "run") == _curves(whole, "run")
        assert _curves(monitor, "run")["loss"][0] == list(range(15))
