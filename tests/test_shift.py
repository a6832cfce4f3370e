"""The shift test of the overfitting bell: validation's mean since a recent change point against its mean from its
best up to there (``windows.shift_up``). A level that stepped up by twice its noise stands out on a mean of a few
points well before one recent median is five noise deviations above the best: a real small-set CNN whose validation
went from 0.43 to 0.58 rang 8 points before the other tests would have, two real runs were never caught without it.
It asks the level to stand too, and training to sit at its level of validation's best (a learning rate ramped too
far lifts both first)."""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np
import pytest
from judging_helpers import realnet

from tui.judging.thresholds import Thresholds
from tui.judging.windows import shift_up

WITHOUT = replace(Thresholds(), shift_z=math.inf)


def _reference(values: np.ndarray, end: int, best_end: int, centre: float, limit: float) -> tuple[float, int]:
    """The statistic written out: every change point among the latest 40 points after the best three, three or more
    points from it to the end, the mean before it over at most 40 points from the first of the best three on, each
    value clipped to
    ``centre`` give or take ``limit``."""
    top, points = -math.inf, 0
    clipped = np.where(np.isfinite(values), np.clip(values, centre - limit, centre + limit), values)
    for change in range(max(best_end + 1, end - 38), end - 1):
        before = clipped[max(best_end - 2, change - 40) : change]
        after = clipped[change : end + 1]
        if np.isfinite(before).all() and np.isfinite(after).all():
            z = (after.mean() - before.mean()) / math.sqrt(1 / len(before) + 1 / len(after))
            top, points = max((top, points), (z, len(after)))
    return (top, points) if points else (math.nan, 0)


def test_the_shift_is_the_two_sample_statistic_at_the_best_change_point_whatever_rows_are_computed_together():
    rng = np.random.default_rng(3)
    values = rng.standard_normal(200)
    values[50], values[120] = np.nan, np.inf  # no change point whose means hold them (the clip keeps them out)
    ends = np.arange(5, 200)
    best_ends = np.maximum(ends - rng.integers(0, 60, len(ends)), -1)
    centres, limits = rng.normal(0.0, 0.3, len(ends)), rng.uniform(1.0, 3.0, len(ends))
    shifts, points = shift_up(values, ends, best_ends, centres, limits)
    expected = [
        _reference(values, int(e), int(b), c, lim) if b >= 2 else (math.nan, 0)
        for e, b, c, lim in zip(ends, best_ends, centres, limits)
    ]
    np.testing.assert_allclose(shifts, [s for s, _ in expected], rtol=1e-12)
    assert points.tolist() == [p for _, p in expected]
    one_by_one = [
        shift_up(values, ends[k : k + 1], best_ends[k : k + 1], centres[k : k + 1], limits[k : k + 1])[0][0]
        for k in range(len(ends))
    ]
    assert np.array_equal(shifts, one_by_one, equal_nan=True)  # live (one row) and bulk agree to the bit
    assert np.isnan(shifts).any() and np.isfinite(shifts).sum() > 100


def _shift(values: np.ndarray, end: int, best_end: int, limit: float = math.inf) -> tuple[float, int]:
    shifts, points = shift_up(values, np.array([end]), np.array([best_end]), np.array([0.0]), np.array([limit]))
    return float(shifts[0]), int(points[0])


def test_a_step_up_of_twice_the_noise_stands_out_after_a_few_points_and_a_spike_counts_as_one_point_of_it():
    rng = np.random.default_rng(0)
    flat = rng.standard_normal(30)
    best_end = int(np.argmin(np.convolve(flat, np.ones(3), "valid"))) + 2
    shift, points = _shift(np.concatenate((flat, 2.0 + rng.standard_normal(6))), 35, best_end)
    assert shift > 3.5 and 3 <= points <= 8  # unit noise: the statistic is in standard errors
    assert _shift(flat, 29, 5)[0] < 3.0
    spiked = np.concatenate((flat, [0.0, 0.0, 40.0]))  # one evaluation 40 deviations off, three points from the end
    assert _shift(spiked, 32, best_end)[0] > 10.0  # a mean alone reads it as a step up
    assert _shift(spiked, 32, best_end, limit=2.5)[0] < 3.0  # counted at 2.5 deviations: below the bar of 3


@pytest.mark.parametrize("name", ["cnn-epoch-bigval-s2", "cnn-sgd-s2"])
def test_real_slow_rises_no_other_test_caught_ring_with_the_shift_test_and_say_so(tmp_path, name):
    judged, onset = realnet(tmp_path, name)
    assert [a.kind for a in judged.bells] == ["overfitting"]
    assert onset is not None and judged.bells[0].step > onset
    assert "points" in judged.bells[0].reason and "standard errors above those before" in judged.bells[0].reason
    assert realnet(tmp_path / "without", name, WITHOUT)[0].bells == []


def test_a_noisy_small_set_cnn_rings_eight_points_sooner_and_the_reason_gives_the_shift(tmp_path):
    judged, onset = realnet(tmp_path, "cnn-few-s4")  # validation 0.43 at step 14, 0.58 fifteen steps later
    assert onset == 14 and [a.kind for a in judged.bells] == ["overfitting"]
    assert judged.bells[0].step == 29
    assert "its last 12 points 2.7 standard errors above those before" in judged.bells[0].reason
    # 2.7 under a bar of 3: the reason says the bars stand lower while training memorises (a newcomer's find)
    assert judged.bells[0].reason.endswith(", the bars at 0.8 of themselves while it does")
    assert [a.step for a in realnet(tmp_path / "without", "cnn-few-s4", WITHOUT)[0].bells] == [37]


def test_a_learning_rate_ramped_too_far_is_a_divergence_not_overfitting(tmp_path):
    """Validation stepped up 0.23 -> 0.53 while training went 0.17 -> 0.33 (both turned), a point before both blew
    up: the shift test would have called it overfitting."""
    judged, _ = realnet(tmp_path, "mlp-lr-ramp-s0")
    assert [a.kind for a in judged.bells] == ["diverging"]


def test_values_near_the_float_limit_or_no_floor_yet_give_no_shift_and_no_warning():
    """A curve blowing up to 1e308 (sums overflow) or a point judged before any best (its floor is inf) reads no
    shift: NaN, silently (a warning printed under the live view would scar the screen)."""
    calm = np.array([1.0, 0.9, 0.8, 0.85, 0.9, 0.95, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        huge = shift_up(
            np.concatenate((calm, [1e308] * 3)), np.array([9]), np.array([3]), np.array([0.85]), np.array([math.inf])
        )
        no_floor = shift_up(calm, np.array([6]), np.array([3]), np.array([math.inf]), np.array([0.1]))
    assert math.isnan(huge[0][0]) and math.isnan(no_floor[0][0])
