"""A lone spike right after validation's best is no trend: on the four points since a best, one spike carries half
of Theil-Sen's pairs, so the trend test reads a point far above both its neighbours at the higher of them
(``windows.despiked``). The latest point stays as it is: a spike there is not yet known to come back."""

from __future__ import annotations

import numpy as np
from judging_helpers import from_first_epoch, judge

from tui.judging.windows import despiked, slope_z

SVHN = "svhn_wrn164-sgd-lr6.31e-03-s42"


def test_a_healthy_net_with_a_spike_after_its_best_rings_no_bell(tmp_path):
    """A real wide ResNet on SVHN (DeepOBS baselines, plain SGD at lr 0.0063, labelled healthy: its validation
    keeps improving), logged from its first epoch on (steps from 0): best level 0.6263 at step 51, then 0.6209,
    a spike to 0.686 at step 54 (training spiked with it), 0.640, 0.639 and a new best 0.615 at step 57. The four
    points since the best read 3.9 standard errors of trend, the spike in three of their six pairs, and rang
    overfitting at step 55 with validation 2.3 noise deviations up. Read without the spike the trend is about 1
    standard error: a warning at the spike, no bell."""
    judged = judge(tmp_path / "run", from_first_epoch(SVHN))
    assert judged.bells == []
    assert [(a.step, a.kind) for a in judged.alerts if a.kind == "val-rising"] == [(54, "val-rising")]


def test_a_spike_that_came_back_counts_at_its_higher_neighbour():
    windows = np.array([[0.6354, 0.6209, 0.686, 0.6399], [0.62, 0.63, 0.64, 0.70]])
    out = despiked(windows, np.array([0.02, 0.02]))
    assert np.array_equal(out[0], [0.6354, 0.6209, 0.6399, 0.6399])
    assert np.array_equal(out[1], windows[1])  # a steady climb has no point above both neighbours; the last stays
    assert np.array_equal(despiked(windows, np.array([0.05, 0.05])), windows)  # 0.046 above: under the limit


def test_the_trend_of_a_real_rise_is_read_as_before():
    """A rise with noise keeps its trend: no point of a climb stands far above both its neighbours."""
    rng = np.random.default_rng(3)
    rising = np.arange(12.0) * 0.5 + rng.normal(0, 1.0, 12)
    ends, counts, sigmas = np.array([11]), np.array([12]), np.ones(1)
    assert slope_z(rising, ends, counts, sigmas, 4.0)[0] == slope_z(rising, ends, counts, sigmas)[0] > 3
    spiked = np.array([0.6354, 0.6209, 0.686, 0.6399])
    plain = slope_z(spiked, np.array([3]), np.array([4]), np.array([0.0045]))[0]
    held = slope_z(spiked, np.array([3]), np.array([4]), np.array([0.0045]), 4.0)[0]
    assert plain > 2.0 and held < 1.0
