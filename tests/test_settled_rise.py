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
    assert "its last 40 points 4.2 standard errors above 20 from its best level" in judged.bells[0].reason


def _two_sample(after: np.ndarray, before: np.ndarray) -> float:
    return float((after.mean() - before.mean()) / np.sqrt(1 / SETTLED_AFTER + 1 / SETTLED_BEFORE))


def test_the_settled_statistic_reads_the_latest_40_against_the_20_from_the_best_on():
    """On a ramp, any window a point off gives another number: the 20 from the first of the best three (the best
    three-point mean ends at 12: points 10-29) against the latest 40."""
    values = np.arange(120, dtype=float)
    ends, best_ends = np.array([69, 100]), np.array([12, 12])
    statistic = settled_up(values, ends, best_ends, np.full(2, 60.0), np.full(2, 1000.0))
    assert statistic[0] == pytest.approx(_two_sample(values[30:70], values[10:30]))
    assert statistic[1] == pytest.approx(_two_sample(values[61:101], values[10:30]))


def test_the_settled_statistic_waits_until_its_windows_stand_apart():
    """NaN while the latest 40 reach into the 20 from the best (57 points after it), so a fresh best never reads
    as settled; and before any best."""
    values = np.arange(120, dtype=float)
    statistic = settled_up(values, np.array([68, 69, 69]), np.array([12, 12, -1]), np.ones(3), np.full(3, 1e3))
    assert np.isnan(statistic[0]) and np.isfinite(statistic[1]) and np.isnan(statistic[2])


def test_each_value_counts_at_most_its_limit_from_the_floor():
    """A value far above or below the floor counts at the limit, as in the shift test: one spike is one point."""
    values = np.full(100, 1.0)
    values[90], values[15] = 50.0, -50.0
    statistic = settled_up(values, np.array([99]), np.array([12]), np.array([1.0]), np.array([0.5]))
    after, before = np.full(40, 1.0), np.full(20, 1.0)
    after[30], before[5] = 1.5, 0.5
    assert statistic[0] == pytest.approx(_two_sample(after, before))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_point_in_either_window_gives_no_statistic(bad):
    for where in (15, 90):
        values = np.full(100, 1.0)
        values[where] = bad
        assert np.isnan(settled_up(values, np.array([99]), np.array([12]), np.ones(1), np.ones(1))[0])


def test_a_row_gives_the_same_bits_alone_or_among_others():
    """Live (one row) and bulk (many) judge alike, as ``shift_up``'s test asks of its twin."""
    rng = np.random.default_rng(3)
    values = rng.standard_normal(400)
    values[150] = np.nan
    ends = np.arange(60, 400)
    best_ends = np.maximum(ends - rng.integers(0, 200, len(ends)), -1)
    centres, limits = rng.normal(0.0, 0.3, len(ends)), rng.uniform(1.0, 3.0, len(ends))
    together = settled_up(values, ends, best_ends, centres, limits)
    alone = [
        settled_up(values, ends[k : k + 1], best_ends[k : k + 1], centres[k : k + 1], limits[k : k + 1])[0]
        for k in range(len(ends))
    ]
    assert np.array_equal(together, alone, equal_nan=True)
    assert np.isnan(together).any() and np.isfinite(together).sum() > 100
