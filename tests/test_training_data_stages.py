"""A run whose training data changes part-way (a curriculum's harder samples, a dataset grown, a new fine-tuning
stage): training's loss leaps back toward its start as the net gets better on held-out data. Real runs
(``tests/stage_runs/README.md``) and the kinds of curves around them, judged whole and replayed alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from judging_helpers import judge, judge_folder

STAGES = Path(__file__).parent / "stage_runs"


def test_a_curriculums_leap_in_training_loss_as_validation_falls_rings_no_divergence():
    """The curriculum's leap from 1e-4 to 0.36 at epoch 30 (3,743 times its lowest, above half its start) rang
    `diverging` as validation fell 0.578 to 0.293 (a helper's real runs, 4 of 4); and with the divergence standing
    the rise after validation's best at epoch 35 (to 0.67) never rang."""
    judged = judge_folder(STAGES / "curriculum_s0")
    assert "diverging" not in judged.kinds()
    bells = [alert.step for alert in judged.alerts if alert.kind == "overfitting"]
    assert bells[0] <= 8 and any(35 < step <= 45 for step in bells)  # the easy half's, then the whole set's
    assert judged.verdict.kind == "overfitting"


def _leap(val_at_leap: float, n: int = 60, at: int = 30) -> dict[str, list[float]]:
    """Training falls to 1e-3, leaps to 0.5 at ``at`` (its start 0.6) and falls again; validation falls to 0.35 and
    is ``val_at_leap`` at the leap, falling after it."""
    epochs = np.arange(n, dtype=float)
    train = np.where(epochs < at, 0.6 * np.exp(-epochs / 4) + 1e-3, 0.5 * np.exp(-(epochs - at) / 3) + 0.05)
    val = np.where(epochs < at, 0.35 + 0.3 * np.exp(-epochs / 5), val_at_leap * np.exp(-(epochs - at) / 10) + 0.1)
    val[at], val[at + 1] = val_at_leap, val_at_leap + 0.01  # a wobble up at the next point
    return {"train_loss": train.tolist(), "val_loss": val.tolist()}


def test_a_training_blow_up_with_validation_worse_at_the_same_epoch_rings_at_its_step(tmp_path: Path):
    """A guard: the same leap with validation up at that epoch (0.35 to 0.9) is a net blowing up: it rings, at the
    training point's own step."""
    judged = judge(tmp_path / "blown", _leap(0.9))
    assert [(alert.step, alert.kind) for alert in judged.bells][:1] == [(30, "diverging")]


def test_a_training_leap_as_validation_falls_is_excused_while_training_stays_above_the_bar(tmp_path: Path):
    """Validation down at the leap (0.36 to 0.30), up a little at the next point: no bell at the leap, nor at the
    points right after it where training is still ten times its lowest and above half its start (one excuse for the
    whole leap, not a bell at its second point)."""
    judged = judge(tmp_path / "stage", _leap(0.30))
    assert "diverging" not in judged.kinds()
