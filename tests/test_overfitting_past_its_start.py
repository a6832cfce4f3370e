"""Validation climbing past ten times its best while training holds near its own best is overfitting going on, not
a blow-up: a divergence is training leaving its range, or both curves undoing their progress. It rang a second,
wrong-kind bell (`diverging`, "lower the learning rate") on overfitting nets whose validation passed its start."""

from __future__ import annotations

import pytest
from judging_helpers import DEEPOBS, judge

FMNIST = "fmnist_2c2d-adam-lr3.98e-03-s42"


def test_validation_climbing_past_its_start_beside_training_at_its_best_stays_overfitting(tmp_path):
    """A real CNN on Fashion-MNIST (DeepOBS baselines, Adam at lr 0.004): validation's best 0.279 at epoch 3, then
    a climb to 3.0 by epoch 100, past its start 2.30, while training sits near 0.06. The overfitting bell rings at
    epoch 11; at epoch 100 validation stood 11 times its best and rang `diverging` too."""
    run = DEEPOBS[FMNIST]
    judged = judge(tmp_path / "run", {"train_loss": run["train"], "val_loss": run["val"]})
    assert [(a.step, a.kind) for a in judged.bells] == [(11, "overfitting")]
    assert judged.verdict.kind == "overfitting"
    assert max(run["val"]) > 10 * min(run["val"]) and max(run["train"][50:]) < 0.15  # the climb, training held


def test_a_blow_up_of_training_while_it_overfits_still_rings(tmp_path):
    """The same curves with a blow-up put in at epoch 60 (training thrown to 5, above its start, and validation to
    30): training leaves its range, and that is a divergence whatever validation did before."""
    run = DEEPOBS[FMNIST]
    train, val = list(run["train"][:70]), list(run["val"][:70])
    train[60:] = [5.0] * 10
    val[60:] = [30.0] * 10
    judged = judge(tmp_path / "run", {"train_loss": train, "val_loss": val})
    assert [(a.step, a.kind) for a in judged.bells] == [(11, "overfitting"), (60, "diverging")]
    assert judged.verdict.kind == "diverging"


def test_validation_blowing_up_while_training_climbs_back_still_rings(tmp_path):
    """Validation thrown ten times past its best as training climbs back more than half-way to its start is the
    optimisation going wrong: the bell rings at that point, as before."""
    run = DEEPOBS[FMNIST]
    train, val = list(run["train"][:70]), list(run["val"][:70])
    train[60:] = [1.5] * 10  # 0.06 back toward 2.31: two thirds of the way
    val[60:] = [30.0] * 10
    judged = judge(tmp_path / "run", {"train_loss": train, "val_loss": val})
    assert (60, "diverging") in [(a.step, a.kind) for a in judged.bells]


@pytest.mark.parametrize("train_to", [1.1, 0.6, 0.3])
def test_both_curves_blowing_up_while_it_overfits_ring_though_training_stays_under_half_its_start(tmp_path, train_to):
    """A review's find: "held" read as training under half-way back to its start let training 25 times its best
    (0.04 → 1.1) beside validation past ten times its own ring nothing. Held is near its best, within its noise
    there: validation climbing by half again each epoch from epoch 60 (a climb, not a jump) beside training thrown
    to ``train_to`` rings."""
    run = DEEPOBS[FMNIST]
    train, val = list(run["train"][:75]), list(run["val"][:75])
    train[60:] = [train_to] * 15
    val[60:] = [val[59] * 1.5**k for k in range(1, 16)]
    judged = judge(tmp_path / "run", {"train_loss": train, "val_loss": val})
    assert "diverging" in [a.kind for a in judged.bells]


def test_validation_climbing_past_ten_times_its_best_beside_training_within_its_noise_stays_overfitting(tmp_path):
    """The same climb beside training that stays where it stood at epoch 59 (0.043, its lowest yet): the
    overfitting goes on."""
    run = DEEPOBS[FMNIST]
    train, val = list(run["train"][:75]), list(run["val"][:75])
    train[60:] = [train[59]] * 15
    val[60:] = [val[59] * 1.5**k for k in range(1, 16)]
    judged = judge(tmp_path / "run", {"train_loss": train, "val_loss": val})
    assert [a.kind for a in judged.bells] == ["overfitting"]
