"""A rise that settled long ago: validation climbed a little after its best, then sat higher for a hundred epochs.
No trend since the best (it is flat since the climb), no change point among the latest points (the shift test's:
they all sit at the new level), no single median five noise deviations up: the evidence is the whole stretch since,
the latest 40 points against the 20 from the best on (``windows.settled_up``)."""

from __future__ import annotations

import numpy as np
import pytest
from judging_helpers import DEEPOBS, judge

from tui.judging.windows import SETTLED_AFTER, SETTLED_BEFORE, settled_up


def test_a_rise_that_settled_long_ago_rings_on_the_stretch_since(tmp_path):
    """A real CIFAR-100 net (``cifar100_allcnnc``, momentum at lr 6.3e-4, 350 epochs): validation 2.35 at its best
    near epoch 185, then 2.45 to 2.55 to the end, noise 0.06, while training falls 1.8 → 1.7. It rang nothing
    before; now the bell rings at epoch 346, its reason naming the stretch, not a recent change."""
    run = DEEPOBS["cifar100_allcnnc-mom-lr6.31e-04-s42"]
    judged = judge(tmp_path / "run", {"train_loss": run["train"], "val_loss": run["val"]})
    assert [(a.step, a.kind) for a in judged.bells] == [(346, "overfitting")]
    assert "its last 40 points 4.2 standard errors above 20 from the best" in judged.bells[0].reason


def test_the_settled_statistic_is_the_two_sample_step_between_its_windows():
    """Means over the latest 40 and the 20 from the first of the best three, clipped around the floor; NaN while
    the two windows overlap, so a fresh best never reads as settled."""
    values = np.concatenate((np.full(30, 1.0), np.full(60, 1.2)))
    ends, best_ends, centres, limits = np.array([50, 89]), np.array([12, 12]), np.ones(2), np.full(2, 10.0)
    statistic = settled_up(values, ends, best_ends, centres, limits)
    assert np.isnan(statistic[0])  # points 11-49 still hold 10 of the 20 from the best on
    expected_before = np.sum(values[10:30]) / SETTLED_BEFORE
    expected = (1.2 - expected_before) / np.sqrt(1 / SETTLED_AFTER + 1 / SETTLED_BEFORE)
    assert statistic[1] == pytest.approx(expected)
    clipped = settled_up(values, ends, best_ends, centres, np.full(2, 0.1))  # 1.2 counts as 1.1
    assert clipped[1] == pytest.approx((1.1 - expected_before) / np.sqrt(1 / SETTLED_AFTER + 1 / SETTLED_BEFORE))
