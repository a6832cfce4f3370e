"""A training curve alone (no validation curve yet, or none at all) is ``unstable`` only when its name says it is
per epoch: alone, it is most often logged per batch, and its swings are its batches'. Every real per-batch run of
the corpus was told "unstable: learning rate too high or batch too small" in its first epoch, before its first
validation point."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from judging_helpers import judge, judge_folder
from tbparse import SummaryReader
from tensorboardX import SummaryWriter

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import corpus


def _real_per_batch_run(folder: Path) -> None:
    regime = next(r for r in corpus.REGIMES if r.name == "per-batch")
    corpus.train(regime, 5, str(folder), ("train/loss", "val/loss"))


def test_a_real_per_batch_run_is_not_told_unstable_in_its_first_epoch(tmp_path):
    _real_per_batch_run(tmp_path / "run")
    judged = judge_folder(tmp_path / "run")
    assert "unstable" not in judged.kinds()
    assert judged.verdict.kind in ("learning", "converged")


def test_the_same_training_curve_logged_alone_is_not_told_unstable(tmp_path):
    """A job that logs its loss per step and no validation (a language model's pretraining, a fine-tuning run)."""
    _real_per_batch_run(tmp_path / "whole")
    scalars = SummaryReader(str(tmp_path / "whole")).scalars
    train = scalars[scalars.tag == "train/loss"]
    with SummaryWriter(str(tmp_path / "alone")) as writer:
        for step, value in zip(train.step.tolist(), train.value.tolist(), strict=True):
            writer.add_scalar("train/loss", value, step, walltime=1000.0 + step)
    judged = judge_folder(tmp_path / "alone")
    assert not judged.alerts or {a.kind for a in judged.alerts} <= {"spike"}


def test_a_training_curve_named_per_epoch_that_swings_alone_is_still_unstable(tmp_path):
    epochs = np.arange(60)
    swinging = 1.0 + 1.0 * np.exp(-epochs / 10) + 0.3 * np.where(epochs % 2, 1.0, -1.0)
    judged = judge(tmp_path / "run", {"epoch_loss": swinging.tolist()})
    assert judged.verdict.kind == "unstable"
    assert judged.first("unstable") is not None and "(no validation curve)" in judged.first("unstable").reason
