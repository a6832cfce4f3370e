"""Window statistics give the same bits for one row or many, and a long run judged at once equals point by point."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from judging_helpers import DEEPOBS, deepobs

from tui.judging.engine import VerdictEngine
from tui.judging.moments import judged
from tui.judging.tracks import Track
from tui.judging.windows import (
    autocorrelation,
    bend_blind_noise,
    median_rows,
    noise,
    noise_and_rho,
    rows,
    slope_z,
    trailing_median3,
    validation_noise,
    wandering_noise,
)
from tui.sources.points import Decoded
from tui.store import Store

finite_or_not = st.one_of(st.floats(-1e6, 1e6), st.sampled_from([math.nan, math.inf, -math.inf]))


@settings(max_examples=60, deadline=None)
@given(
    # Tables of 1 to 12 rows of one width, 1 to 30: drawn at that width (filtering rows of any length down to
    # tables of equal ones threw most draws away, and took up to 6 s on a busy machine).
    st.integers(1, 30).flatmap(
        lambda width: st.lists(st.lists(finite_or_not, min_size=width, max_size=width), min_size=1, max_size=12)
    )
)
def test_median_and_noise_of_many_rows_equal_each_row_alone(table):
    windows = np.array(table, dtype=np.float64)
    together_median, together_noise = median_rows(windows), noise(windows)
    for i, row in enumerate(table):
        finite = [v for v in row if math.isfinite(v)]
        expected = float(np.median(finite)) if finite else math.nan
        assert np.array_equal(median_rows(windows[i : i + 1]), [expected], equal_nan=True)
        assert np.array_equal(together_median[i : i + 1], [expected], equal_nan=True)
        assert np.array_equal(noise(windows[i : i + 1]), together_noise[i : i + 1], equal_nan=True)


@pytest.mark.parametrize("width", [5, 24, 100, 150])
def test_autocorrelation_of_many_rows_equals_each_row_alone_to_the_bit(width):
    """Past 64 rows the sums run column by column across the rows, below it along each row: the same bits."""
    rng = np.random.default_rng(width)
    wandering = np.cumsum(rng.normal(0, 1, (70, width)), axis=1) * 10.0 ** rng.integers(-6, 6, (70, 1))
    table = np.concatenate([wandering, rng.normal(0, 1, (60, width))])
    table[3, width // 2] = math.nan
    table[80, 0] = math.inf
    together, together_noise = autocorrelation(table), noise(table)
    assert np.count_nonzero(together) > 60  # most rows have a rho to compare
    for i in range(len(table)):
        assert together[i : i + 1].tobytes() == autocorrelation(table[i : i + 1]).tobytes()
        assert together_noise[i : i + 1].tobytes() == noise(table[i : i + 1]).tobytes()
    for start in range(0, len(table), 64):  # and in blocks of up to 64 rows
        assert together[start : start + 64].tobytes() == autocorrelation(table[start : start + 64]).tobytes()


def test_noise_is_blind_to_a_linear_trend_and_to_one_spike():
    rng = np.random.default_rng(0)
    white = rng.normal(0, 0.1, 400)
    trend = 5.0 - 0.03 * np.arange(400)
    spiky = white.copy()
    spiky[200] = 50.0
    windows = rows(white + trend, np.array([399]), 400)
    assert 0.09 < noise(windows)[0] < 0.11
    assert noise(rows(spiky, np.array([399]), 400))[0] < 0.11


def test_bend_blind_noise_sees_the_scatter_of_a_curve_turning_through_its_minimum():
    # 24 points of a validation curve falling steeply into its minimum, scatter 0.002: second differences
    # count the bend as noise, third differences do not (white noise here: no autocorrelation correction).
    rng = np.random.default_rng(2)
    t = np.arange(24.0)
    bend = 0.5 + 0.6 * np.exp(-t / 4.0) + 0.0015 * t
    samples = np.array([bend + rng.normal(0, 0.002, 24) for _ in range(400)])
    white = np.zeros(len(samples))
    assert np.median(noise(samples, wandering=False)) > 1.5 * 0.002
    assert 0.0018 < np.median(bend_blind_noise(samples, white)) < 0.0022
    # Noise that wanders (AR(1), 0.5, deviation 1): with its autocorrelation, the deviation itself.
    shocks = rng.normal(0, 1.0, (400, 74))
    wander = np.zeros_like(shocks)
    for k in range(1, 74):
        wander[:, k] = 0.5 * wander[:, k - 1] + np.sqrt(0.75) * shocks[:, k]
    assert 0.9 < np.median(bend_blind_noise(wander[:, 50:], np.full(400, 0.5))) < 1.1
    # One row gives the same bits alone as among many; too short a row gives NaN.
    noisy = rng.normal(0, 1.0, (300, 24))
    _, rho = noise_and_rho(noisy)
    together = bend_blind_noise(noisy, rho)
    for i in range(300):
        assert np.array_equal(bend_blind_noise(noisy[i : i + 1], rho[i : i + 1]), together[i : i + 1])
    assert np.isnan(bend_blind_noise(noisy[:, :7], rho)).all()  # fewer than five third differences


def test_rows_pad_before_the_first_point():
    out = rows(np.arange(5.0), np.array([1, 4]), 3)
    assert np.array_equal(out, [[np.nan, 0.0, 1.0], [2.0, 3.0, 4.0]], equal_nan=True)


def test_slope_since_the_best_is_unbiased_on_white_noise():
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 1.0, 20 * 2000)
    ends = np.arange(19, noise.size, 20)
    zs = slope_z(noise, ends, np.full(len(ends), 20), np.ones(len(ends)))
    assert abs(np.mean(zs)) < 0.1 and 0.8 < np.std(zs) < 1.2  # a standard normal
    rising = np.arange(20.0) * 0.5 + rng.normal(0, 1.0, 20)
    assert slope_z(rising, np.array([19]), np.array([20]), np.ones(1))[0] > 5
    one_by_one = [slope_z(noise, ends[i : i + 1], np.array([20]), np.ones(1))[0] for i in range(50)]
    assert np.array_equal(zs[:50], one_by_one)


def test_every_point_is_judged_while_short_then_a_fixed_share():
    assert np.array_equal(judged(np.arange(400)), np.arange(400))
    long = judged(np.arange(400, 100_000))
    assert 190 * math.log2(250) < len(long) < 210 * (math.log2(250) + 1)  # about 200 per doubling
    assert np.array_equal(
        judged(np.arange(400, 1000)), np.concatenate([judged(np.arange(400, 700)), judged(np.arange(700, 1000))])
    )


def _long_run(seed: int, n: int, nan_at: int | None = None) -> Decoded:
    """Train falling; validation falling, then rising from 60 % of the run; accuracies too; every step logged."""
    rng = np.random.default_rng(seed)
    steps = np.arange(1, n + 1)
    t = steps / n
    train = 0.2 + np.exp(-5 * t) + rng.normal(0, 0.01, n)
    val = 0.3 + np.exp(-5 * t) + 0.3 * np.maximum(t - 0.6, 0) + rng.normal(0, 0.02, n)
    if nan_at is not None:
        val[nan_at:] = np.nan
    batch = Decoded()
    batch.add_arrays("train/loss", steps * 4, steps, steps * 1.0, train)
    batch.add_arrays("eval/loss", steps * 4 + 1, steps, steps * 1.0, val)
    batch.add_arrays("train/acc", steps * 4 + 2, steps, steps * 1.0, 1 - train / 2)
    batch.add_arrays("eval/acc", steps * 4 + 3, steps, steps * 1.0, 1 - val / 1.5)
    return batch


def _chunks(batch: Decoded, cuts: list[int]):
    for lo, hi in zip([0, *cuts], [*cuts, None]):
        part = Decoded()
        for tag, (steps, walls, values) in batch.scalars.items():
            part.add_arrays(tag, np.arange(len(steps))[lo:hi], steps[lo:hi], walls[lo:hi], values[lo:hi])
        yield part


def _judge(parts) -> tuple:
    store, engine, alerts = Store(), VerdictEngine("r"), []
    for part in parts:
        store.apply("r", part)
        alerts += engine.update(store.runs["r"])
    v = engine.verdict
    return repr(
        ([(a.step, a.kind, a.reason) for a in alerts], (v.kind, v.reason, dict(v.flags), v.train, v.val, v.trend))
    )


@pytest.mark.parametrize(("seed", "n", "nan_at"), [(0, 3000, None), (1, 20_000, None), (2, 5000, 4900)])
def test_a_long_run_read_at_once_equals_one_read_in_pieces(seed, n, nan_at):
    batch = _long_run(seed, n, nan_at)
    whole = _judge([batch])
    assert "overfitting" in whole
    rng = np.random.default_rng(seed)
    cuts = sorted(set(rng.integers(1, n, 25).tolist()) | {1, 2, 399, 400, 401})
    assert _judge(_chunks(batch, cuts)) == whole


def test_noise_that_wanders_is_measured_at_its_full_size_with_the_longer_window():
    """AR(1) noise of autocorrelation 0.5 and deviation 1: on 24 points the capped autocorrelation reads it as
    tamer (deviation ~0.94) and a plateau's wander looked like a rise (the stress suite's false bells); with the
    autocorrelation measured on 48 points as well it is ~0.99, while white noise barely moves."""
    rng = np.random.default_rng(3)
    shocks = rng.standard_normal(5050)
    wandering = np.zeros(5050)
    for k in range(1, 5050):
        wandering[k] = 0.5 * wandering[k - 1] + np.sqrt(0.75) * shocks[k]
    wandering = wandering[50:]
    ends = np.arange(100, 5000)
    short_sigma, _ = noise_and_rho(rows(wandering, ends, 24))
    _, sigma, rho = wandering_noise(wandering, ends, 24)
    assert np.nanmean(short_sigma) < 0.95 and abs(np.nanmean(sigma) - 1.0) < 0.03 and np.mean(rho) > 0.45
    white = rng.standard_normal(5000)
    white_short, _ = noise_and_rho(rows(white, ends, 24))
    _, white_sigma, _ = wandering_noise(white, ends, 24)
    assert np.nanmean(white_sigma) / np.nanmean(white_short) < 1.03
    one = wandering_noise(wandering, ends[-1:], 24)  # a live point gives the bulk's bits
    assert one[1][0] == sigma[-1] and one[2][0] == rho[-1]


def test_the_lowest_three_point_median_ignores_one_lucky_low_point():
    values = np.array([1.0, 1.0, 1.0, 0.4, 1.0, 1.0, np.nan, 1.0, 1.0, 1.0])
    medians = trailing_median3(values)
    assert np.isnan(medians[:2]).all() and np.isnan(medians[6:9]).all()  # too few points, or a NaN among them
    assert np.nanmin(medians) == 1.0  # the mean of three reads 0.8 there
    track = Track()
    block = track.consume(np.arange(10), values, 10)
    assert track.best == pytest.approx(0.8) and track.median_low == 1.0
    assert block.median_low.tolist()[2:] == [1.0] * 8
    split = Track()  # consumed in two blocks: the same running lows
    first, second = split.consume(np.arange(10), values, 5), split.consume(np.arange(10), values, 10)
    assert np.concatenate((first.median_low, second.median_low)).tolist() == block.median_low.tolist()


@given(st.lists(finite_or_not, min_size=3, max_size=40))
def test_trailing_median3_is_the_median_of_each_three(values):
    x = np.array(values, dtype=np.float64)
    out = trailing_median3(x)
    for k in range(2, len(x)):
        window = x[k - 2 : k + 1]
        if np.isfinite(window).all() and np.isfinite(window.sum() / 3.0):
            assert out[k] == np.median(window)
        else:
            assert math.isnan(out[k])


def test_the_level_tests_noise_is_the_larger_over_the_long_window_too(tmp_path):
    """A wide ResNet on SVHN (DeepOBS baselines, plain SGD, lr 0.0063; healthy: its validation keeps improving):
    a spike (0.686) and two points 2 % up (0.640, 0.639) rang overfitting at epoch 57, 5.3 times a noise of 0.0026
    read by third differences on 24 calm points; the curve's scatter around them is twice that. Read as the larger
    over 24 and 48 points (as the noise's autocorrelation already was), it rings nothing; its rise stays a warning."""
    judged = deepobs(tmp_path, "svhn_wrn164-sgd-lr6.31e-03-s42")
    assert not judged.bells
    run = DEEPOBS["svhn_wrn164-sgd-lr6.31e-03-s42"]
    values = np.array(run["val"][:58])
    short = bend_blind_noise(rows(values, np.array([57]), 24), np.zeros(1))[0]
    _, _, bent, wide = validation_noise(values, np.array([57]), 24)
    assert bent[0] == short and wide[0] >= 1.5 * short
