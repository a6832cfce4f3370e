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


def _trainer_job(folder: Path) -> EventWriter:
    """A Trainer's TensorBoard log: TrainingArguments as hyper-parameters (``max_steps=-1``: none), evaluation
    every 100 steps, five times an epoch, ``train/epoch`` beside the losses."""
    writer = EventWriter(str(folder))
    writer.add_hparams({"num_train_epochs": 3, "max_steps": -1, "eval_steps": 100}, 0.0)
    return writer


def _trainer_write(writer: EventWriter, evaluations: range) -> None:
    for k in evaluations:
        step = (k + 1) * 100
        writer.add_scalar("train/loss", 1.0 / (k + 1), step, float(k))
        writer.add_scalar("train/epoch", (k + 1) / 5, step, float(k))
        writer.add_scalar("eval/loss", 1.1 / (k + 1), step, float(k))
        writer.flush()


def test_a_trainer_evaluating_five_times_an_epoch_is_finished_at_its_last_epoch_not_its_third_evaluation(
    tmp_path: Path,
):
    """Counted by its evaluations, a Trainer that crashed at epoch 1.8 of 3 (nine evaluations) read 'finished'."""
    now = [1000.0]
    done, crashed = _trainer_job(tmp_path / "done"), _trainer_job(tmp_path / "crashed")
    monitor = Monitor(str(tmp_path), clock=lambda: now[0])
    monitor.refresh()
    _trainer_write(done, range(4))
    _trainer_write(crashed, range(4))
    monitor.refresh()
    _trainer_write(done, range(4, 15))  # epoch 3.0
    _trainer_write(crashed, range(4, 9))  # epoch 1.8
    monitor.refresh()
    now[0] += 600
    stalled = [alert.run for alert in monitor.refresh()[2] if alert.kind == "stalled"]
    assert stalled == ["crashed"]


def test_a_planned_length_in_a_runs_name_is_not_taken_for_its_end(tmp_path: Path):
    """``steps=20`` in a name may be anything (unrolled steps, a schedule): only logged hyper-parameters count."""
    now = [1000.0]
    writer = EventWriter(str(tmp_path / "sweep" / "steps=2,lr=0.1"))
    monitor = Monitor(str(tmp_path), clock=lambda: now[0])
    _write(writer, range(4), 1)
    monitor.refresh()
    _write(writer, range(4, 8), 1)
    monitor.refresh()
    now[0] += 600
    assert [alert.run for alert in monitor.refresh()[2] if alert.kind == "stalled"] == ["sweep/steps=2,lr=0.1"]
