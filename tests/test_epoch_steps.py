"""Validation logged at the epoch's number beside training logged at every step, in two files (``epoch-steps``).

Written by tensorboardX's ``SummaryWriter`` as a hand-written loop writes them: ``add_scalar("train/loss", loss,
global_step)`` per batch, ``add_scalar("val/loss", v, epoch)`` per epoch; the curves are a real MLP's whose ReLUs
died (``benchmarks/data/realnets``, ``mlp-dead-more-s1``: stuck at chance). In one file, validation is placed at
the iteration each point follows (``tui/sources/tensorboard/axes.py``); in two (a writer for each), it is not, and
paired by step that stuck net rang ``overfitting``: the flag says why. It is not raised where the two are logged
at the same steps."""

from __future__ import annotations

from pathlib import Path

import pytest
from judging_helpers import EPOCH_NUMBERED, REALNET_CURVES, judge_folder, write_epoch_numbered
from tensorboardX import SummaryWriter

from tui.judging.kinds import Kind

START = 1_700_000_000.0


def test_validation_at_epoch_numbers_in_a_file_of_its_own_is_flagged_with_its_numbers(tmp_path: Path):
    per_epoch = write_epoch_numbered(tmp_path / "run", val_at_epoch=True, two_files=True)
    judged = judge_folder(tmp_path / "run")  # read whole and a step at a time: the same flags
    reason = judged.verdict.flags[Kind.EPOCH_STEPS]
    epochs = len(REALNET_CURVES[EPOCH_NUMBERED]["val_loss"])  # validated after each epoch, from the first
    assert reason.startswith(f"val/loss is logged at steps 1–{epochs}, and train/loss had reached step ")
    assert f"step {epochs * per_epoch:,} by then" in reason
    assert "log both at the training step" in reason


@pytest.mark.parametrize(("val_at_epoch", "two_files"), [(False, True), (True, False)])
def test_the_same_run_on_one_axis_is_not_flagged_and_rings_no_bell(tmp_path: Path, val_at_epoch: bool, two_files: bool):
    """Logged at the training step, or at the epoch's number in the training's own file (placed when read)."""
    write_epoch_numbered(tmp_path / "run", val_at_epoch=val_at_epoch, two_files=two_files)
    judged = judge_folder(tmp_path / "run")
    assert Kind.EPOCH_STEPS not in judged.verdict.flags
    assert judged.bells == []  # a net at chance: paired at the epoch's number, it rang overfitting


def test_validation_that_stopped_early_at_training_steps_is_not_flagged(tmp_path: Path):
    """Evaluated at steps 10, 20, 30 and then no more while training went on to step 400: the same axis."""
    with SummaryWriter(str(tmp_path / "run")) as writer:
        for step in range(1, 401):
            writer.add_scalar("train/loss", 2.0 / step**0.5, step, walltime=START + step)
            if step in (10, 20, 30):
                writer.add_scalar("val/loss", 2.2 / step**0.5, step, walltime=START + step + 0.5)
    assert Kind.EPOCH_STEPS not in judge_folder(tmp_path / "run").verdict.flags


def test_an_evaluator_a_few_checkpoints_behind_is_not_flagged(tmp_path: Path):
    """A separate evaluator logs at checkpoints' steps (every 100), each written 300 steps later."""
    with SummaryWriter(str(tmp_path / "run")) as writer:
        for step in range(1, 1201):
            writer.add_scalar("train/loss", 2.0 / step**0.5, step, walltime=START + step)
            if step % 100 == 0 and step >= 400:  # the checkpoint 300 steps behind, evaluated now
                checkpoint = step - 300
                writer.add_scalar("val/loss", 2.2 / checkpoint**0.5, checkpoint, walltime=START + step + 0.5)
    assert Kind.EPOCH_STEPS not in judge_folder(tmp_path / "run").verdict.flags


def test_checkpoints_evaluated_after_training_are_not_flagged(tmp_path: Path):
    """An offline evaluation, after a 1,000-step run, of its checkpoints at steps 10 to 100: written long after
    training got there, but at training's steps (10 apart: no epoch numbers)."""
    folder = str(tmp_path / "run")
    with SummaryWriter(folder, filename_suffix=".train") as train, SummaryWriter(folder, filename_suffix=".eval") as ev:
        for step in range(1, 1001):
            train.add_scalar("train/loss", 2.0 / step**0.3, step, walltime=START + step)
        for k in range(1, 11):
            ev.add_scalar("val/loss", 2.1 / (10 * k) ** 0.3, 10 * k, walltime=START + 1100 + k)
    assert Kind.EPOCH_STEPS not in judge_folder(tmp_path / "run").verdict.flags


def test_an_evaluator_that_falls_behind_over_the_run_is_not_flagged(tmp_path: Path):
    """An evaluator working through its queue of checkpoints (every 2 steps), each evaluation slower than the
    steps between them: at its first point training was near it, by its latest 5 times as far."""
    folder = str(tmp_path / "run")
    with SummaryWriter(folder, filename_suffix=".train") as train, SummaryWriter(folder, filename_suffix=".eval") as ev:
        for step in range(1, 501):
            train.add_scalar("train/loss", 2.0 / step**0.3, step, walltime=START + step)
        for k in range(1, 51):  # checkpoint 2k: the first evaluated as it was saved, each next one 5 s later
            ev.add_scalar("val/loss", 2.1 / (2 * k) ** 0.3, 2 * k, walltime=START + 2.5 + 5 * (k - 1))
    assert Kind.EPOCH_STEPS not in judge_folder(tmp_path / "run").verdict.flags
