"""The numbers in a reason tell what the reason says: a rise on a curve levelled far from zero, whose rise is in the
fifth digit (a language model's fine-tuning on a large evaluation set), is not written '3.2 → 3.2'."""

from __future__ import annotations

import re

import numpy as np
from judging_helpers import judge


def test_an_overfitting_rise_in_the_fifth_digit_reads_as_a_rise(tmp_path):
    epochs = np.arange(40)
    train = 3.0 + 0.3 * np.exp(-epochs / 6) - 0.002 * epochs
    noise = 0.000003 * np.random.default_rng(3).standard_normal(len(epochs))
    val = 3.2 + 0.01 * np.exp(-epochs / 3) + np.where(epochs > 15, 0.00006 * (epochs - 15), 0.0) + noise
    judged = judge(tmp_path / "lm", {"train/loss": train.tolist(), "val/loss": val.tolist()})
    alert = judged.first("overfitting")
    assert alert is not None and alert.step > 15
    best, now = map(float, re.match(r"val/loss (\S+) → (\S+) since", alert.reason).groups())
    assert now > best
    falling = re.search(r"train still falling \((\S+) → (\S+)\)", alert.reason)
    assert falling is not None and float(falling.group(2)) < float(falling.group(1))
