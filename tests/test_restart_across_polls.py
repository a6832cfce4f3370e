"""A job resumed into the same event file, read while it is written: wherever the polls fall, the run ends as read
whole (TensorBoard's purge: each record in file order, a step going back dropping every curve from that step on)."""

from __future__ import annotations

from pathlib import Path

from conftest import file_version_event, frames_of, scalar_event, write_records

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
