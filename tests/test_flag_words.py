"""Flags beside a verdict say what is true beside it, with their numbers read as written."""

from __future__ import annotations

import numpy as np
from judging_helpers import deepobs, judge


def test_noisy_validation_is_not_called_not_a_concern_beside_an_unstable_run(tmp_path):
    """A char-RNN at momentum's learning rate 3.98 (DeepOBS), 20 epochs in: training swings (unstable: the
    learning rate is too high) and the noisy-val flag beside it said its noise was 'not a concern'."""
    judged = deepobs(tmp_path, "tolstoi_char_rnn-mom-lr3.98e+00-s42", upto=20)
    assert judged.verdict.kind == "unstable"
    assert "noisy-val" not in judged.verdict.flags


def test_noisy_validation_still_says_not_a_concern_beside_a_learning_run(tmp_path):
    judged = deepobs(tmp_path, "svhn_wrn164-sgd-lr6.31e-03-s42")
    assert judged.verdict.kind == "learning"
    assert "not a concern" in judged.verdict.flags.get("noisy-val", "")


def test_the_gap_says_how_far_apart_in_accuracy_and_the_share_of_training_it_is(tmp_path):
    """'train_acc 0.9533 vs val_acc 0.7683 (19% apart)' read as 19 points of 100; they are 18.5 apart, 19 % of the
    training accuracy (the share the flag's bar is set on)."""
    n = 40
    epochs = np.arange(n)
    train_acc = 0.95 - 0.6 * np.exp(-epochs / 4)
    val_acc = 0.75 - 0.4 * np.exp(-epochs / 4)
    curves = {
        "train_loss": (0.1 + 2 * np.exp(-epochs / 4)).tolist(),
        "val_loss": (0.6 + 2 * np.exp(-epochs / 4)).tolist(),
        "train_acc": train_acc.tolist(),
        "val_acc": val_acc.tolist(),
    }
    judged = judge(tmp_path / "run", curves)
    gap = judged.verdict.flags["gap"]
    assert "train_acc 0.95 vs val_acc 0.75: 0.2 lower, 21% of train_acc" in gap
