"""One event file, two step axes: the training loss at the iteration, validation at the epoch index (a hand-written
PyTorch loop, Ignite's own TensorBoard example). Validation's points are placed at the iteration they follow; they
sat at steps 0 to 29 beside training's 6,000, and an overfitting run was judged "learning" to its end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tensorboardX import SummaryWriter

from tui.cli.main import main
from tui.judging.thresholds import Thresholds
from tui.live.monitor import Monitor

ITERATIONS = 200
"""Iterations an epoch."""
EPOCHS = 30


def _curves(epoch: float, rising_from: int) -> tuple[float, float]:
    train = 0.2 + 2.0 * np.exp(-epoch / 5)
    val = 0.3 + 2.0 * np.exp(-epoch / 5) + 0.03 * max(epoch - rising_from, 0)
    return float(train), float(val)


def _loop(writer: SummaryWriter, epochs: range, rising_from: int, first_epoch: int = 0) -> None:
    """Each epoch: the training loss every 50 iterations at the global step, then validation at the epoch index
    (``first_epoch``: 0 or 1, as the loop counts)."""
    for epoch in epochs:
        for it in range(50, ITERATIONS + 1, 50):
            step = epoch * ITERATIONS + it
            writer.add_scalar("train/loss", _curves(step / ITERATIONS, rising_from)[0], step, walltime=1e6 + step)
        val = _curves(epoch + 1, rising_from)[1]
        writer.add_scalar("val/loss", val, epoch + first_epoch, walltime=1e6 + (epoch + 1) * ITERATIONS)


def test_validation_at_the_epoch_index_beside_training_at_the_iteration_rings_overfitting(tmp_path: Path, capsys):
    with SummaryWriter(str(tmp_path / "run")) as writer:
        _loop(writer, range(EPOCHS), rising_from=12)
    assert main(["check", "--json", str(tmp_path)]) == 1
    (record,) = json.loads(capsys.readouterr().out)
    assert record["verdict"] == "overfitting"
    assert main(["replay", "--json", str(tmp_path)]) == 0
    alerts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    bells = [alert for alert in alerts if alert["kind"] in ("overfitting", "diverging")]
    assert [alert["kind"] for alert in bells] == ["overfitting"]
    assert 12 * ITERATIONS < bells[0]["step"] <= 22 * ITERATIONS  # on training's axis, some epochs after the onset


def _val_steps(folder: Path) -> list[int]:
    monitor = Monitor(str(folder), Thresholds())
    monitor.refresh()
    steps, _, _ = monitor.store.runs["."].scalars["val/loss"].arrays()
    return steps.tolist()


def test_validation_counted_from_one_or_evaluated_before_training_is_placed_too(tmp_path: Path):
    with SummaryWriter(str(tmp_path / "from_one")) as writer:
        _loop(writer, range(5), rising_from=99, first_epoch=1)  # Ignite's engine.state.epoch
    assert _val_steps(tmp_path / "from_one") == [ITERATIONS * (epoch + 1) for epoch in range(5)]
    with SummaryWriter(str(tmp_path / "before")) as writer:
        writer.add_scalar("val/loss", 2.5, 0, walltime=1e6)  # evaluated once before the first iteration
        _loop(writer, range(5), rising_from=99, first_epoch=1)
    assert _val_steps(tmp_path / "before") == [0] + [ITERATIONS * (epoch + 1) for epoch in range(5)]


def test_curves_on_one_axis_stay_where_they_were_written(tmp_path: Path):
    with SummaryWriter(str(tmp_path / "run")) as writer:
        for step in range(10, 2001, 10):
            writer.add_scalar("train/loss", 1.0 / step, step)
            if step % 200 == 0:
                writer.add_scalar("val/loss", 2.0 / step, step)
    assert _val_steps(tmp_path / "run") == list(range(200, 2001, 200))


def test_a_file_read_as_it_grows_places_validation_as_read_whole(tmp_path: Path):
    folder = tmp_path / "run"
    monitor = Monitor(str(folder.parent), Thresholds())
    with SummaryWriter(str(folder)) as writer:
        _loop(writer, range(3), rising_from=99)
        writer.flush()
        monitor.refresh()
        _loop(writer, range(3, 8), rising_from=99)
    monitor.refresh()
    steps, _, _ = monitor.store.runs["run"].scalars["val/loss"].arrays()
    assert steps.tolist() == [ITERATIONS * (epoch + 1) for epoch in range(8)] == _val_steps(folder)


def test_a_file_written_curve_by_curve_after_training_keeps_its_steps(tmp_path: Path):
    """DeepOBS's logs written afterwards: every batch first, then the epoch curves at their iterations, each point
    at the time its step was trained: a curve's first point at step 0 is behind the file's highest step, but was
    not written after it."""
    with SummaryWriter(str(tmp_path / "run")) as writer:
        for step in range(0, 2000, 10):
            writer.add_scalar("train_batch_loss", 1.0 / (1 + step), step, walltime=1e6 + step)
        for step in range(0, 2001, 200):
            writer.add_scalar("val/loss", 2.0 / (1 + step), step, walltime=1e6 + step)
    assert _val_steps(tmp_path / "run") == list(range(0, 2001, 200))


def _steps(folder: Path) -> dict[str, list[int]]:
    monitor = Monitor(str(folder), Thresholds())
    monitor.refresh()
    return {tag: series.arrays()[0].tolist() for tag, series in monitor.store.runs["."].scalars.items()}


def test_phases_each_logged_from_step_zero_keep_every_point(tmp_path: Path):
    """Pretraining, then fine-tuning from step 0 in the same file: the second curve's first point was placed at the
    first's last step, its next one went back, and the run was purged from step 1 (one pretraining point left)."""
    with SummaryWriter(str(tmp_path)) as writer:
        for step in range(500):
            writer.add_scalar("pretrain/loss", 2 / (step + 1), step, walltime=1e6 + step)
        for step in range(500):
            writer.add_scalar("finetune/loss", 1 / (step + 1), step, walltime=1e6 + 500 + step)
    assert _steps(tmp_path) == {"pretrain/loss": list(range(500)), "finetune/loss": list(range(500))}


def test_folds_each_logged_from_step_zero_keep_every_point(tmp_path: Path, capsys):
    """k-fold cross-validation, each fold's curves from step 0: fold 1 lost everything, and fold 0's one point left
    read "never learned"."""
    with SummaryWriter(str(tmp_path)) as writer:
        wall = 1e6
        for fold in range(3):
            for step in range(300):
                wall += 1
                writer.add_scalar(f"fold{fold}/train_loss", 1 / (step + 1) + fold, step, walltime=wall)
                if step % 30 == 0:
                    writer.add_scalar(f"fold{fold}/val_loss", 1.1 / (step + 1) + fold, step, walltime=wall)
    steps = _steps(tmp_path)
    for fold in range(3):
        assert steps[f"fold{fold}/train_loss"] == list(range(300))
        assert steps[f"fold{fold}/val_loss"] == list(range(0, 300, 30))
    assert main(["check", "--json", str(tmp_path)]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["verdict"] == "learning"


def test_an_evaluation_logged_at_the_step_it_evaluated_stays_there(tmp_path: Path):
    """Validation of the previous checkpoint, logged at its step (100 behind the file's): not an epoch index, as its
    second point shows; its first, at step 0, was moved to 99 and every later one 99 on."""
    with SummaryWriter(str(tmp_path)) as writer:
        for step in range(1000):
            writer.add_scalar("train/loss", 1 / (step + 1), step, walltime=1e6 + step)
            if step % 100 == 0 and step:
                writer.add_scalar("val/loss", 1 / (step - 99) + 0.01, step - 100, walltime=1e6 + step)
    assert _steps(tmp_path)["val/loss"] == list(range(0, 900, 100))


def test_an_evaluation_at_its_step_read_as_it_is_written_loses_no_point(tmp_path: Path):
    """Read after each evaluation, the first one was given out placed (at 100) before the second showed the curve
    is on the file's axis: moved back, the second took its step and was dropped. Read so, the curve stays placed,
    every point kept in order (read whole, it stays where it was written)."""
    monitor = Monitor(str(tmp_path), Thresholds())
    with SummaryWriter(str(tmp_path)) as writer:
        for step in range(1000):
            writer.add_scalar("train/loss", 1 / (step + 1), step, walltime=1e6 + step)
            if step % 100 == 0 and step:
                writer.add_scalar("val/loss", 1 / (step - 99) + 0.01, step - 100, walltime=1e6 + step)
                writer.flush()
                monitor.refresh()
    monitor.refresh()
    steps, values, _ = monitor.store.runs["."].scalars["val/loss"].arrays()
    expected = np.float32([1 / (step + 1) + 0.01 for step in range(0, 900, 100)])  # as the writer keeps them
    assert values.tolist() == expected.tolist()
    assert steps.tolist() == sorted(set(steps.tolist()))
