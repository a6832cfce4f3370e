"""A job that stopped writing at its planned end (the epochs or steps it logs as hyper-parameters) finished: it is
not flagged ``stalled``, which tells the user to look for a crash or a hang. One that stopped short still is.
(The demo's jobs, finished, all read "stalled" two minutes later.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.live.monitor import Monitor
from tui.sources.tensorboard.writer import EventWriter


def _job(folder: Path, planned: dict[str, int]) -> EventWriter:
    writer = EventWriter(str(folder))
    writer.add_hparams(planned, 0.0)
    writer.flush()
    return writer


def _write(writer: EventWriter, steps: range, steps_per_epoch: int) -> None:
    for epoch in steps:
        step = (epoch + 1) * steps_per_epoch
        writer.add_scalar("loss", 1.0 / (epoch + 1), step, float(epoch))
        writer.add_scalar("val_loss", 1.1 / (epoch + 1), step, float(epoch))
        writer.flush()


@pytest.mark.parametrize(
    "planned, steps_per_epoch",
    [
        ({"epochs": 8}, 1),
        ({"num_train_epochs": 8}, 1),
        ({"max_steps": 800}, 100),
        ({"epochs": 2, "max_steps": 800}, 100),
    ],
)
def test_a_job_at_its_planned_end_is_finished_and_one_short_of_it_stalled(tmp_path: Path, planned, steps_per_epoch):
    """Steps before epochs where both are logged: a Trainer evaluating more often than once an epoch has more
    validation points than epochs long before its end."""
    now = [1000.0]
    done = _job(tmp_path / "done", planned)
    hung = _job(tmp_path / "hung", {key: value * 3 for key, value in planned.items()})
    monitor = Monitor(str(tmp_path), clock=lambda: now[0])
    monitor.refresh()
    for writer in (done, hung):  # both write while watched (live), one epoch a second, eight epochs
        _write(writer, range(4), steps_per_epoch)
    monitor.refresh()
    for writer in (done, hung):
        _write(writer, range(4, 8), steps_per_epoch)
        writer.close()
    monitor.refresh()
    now[0] += 600  # ten minutes of silence from jobs that wrote every second
    stalled = [alert.run for alert in monitor.refresh()[2] if alert.kind == "stalled"]
    assert stalled == ["hung"]
    assert "stalled" not in monitor.verdict("done").flags
