"""The compiled verdict kernels (tui._scan) equal their Python references bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.judging import onset as onset_module
from tui.judging.onset import OnsetDetector
from tui.judging.smoothing import OnlineSmoother
from tui.judging.trends import rolling_noise_sigma

CURVES = [
    np.asarray(label["val"], dtype=np.float64)
    for folder in ("torch", "keras")
    for label in json.loads((DATA / folder / "labels.json").read_text()).values()
    if label.get("val")
]


def _state(detector: OnsetDetector):
    """The detector's state; recent values as bytes so NaN compares equal to NaN."""
    return (
        detector.count,
        detector.best_level,
        detector.best_level_index,
        detector.best_raw,
        detector.cusum,
        detector.fired,
        np.asarray(detector.values[-8:]).tobytes(),
    )


def _run_point_by_point(values, directions, sigmas):
    detector = OnsetDetector()
    onsets = []
    for value, direction, sigma in zip(values.tolist(), directions, sigmas.tolist()):
        onset = detector.add(value, direction, sigma)
        if onset is not None:
            onsets.append(onset)
    return detector, onsets


def _run_in_blocks(values, directions, sigmas, cuts):
    """add_many over blocks of one direction each, cut also at ``cuts``; resumed after every onset."""
    detector = OnsetDetector()
    onsets = []
    i = 0
    bounds = sorted(
        set(cuts) | {j for j in range(1, len(values)) if directions[j] != directions[j - 1]} | {len(values)}
    )
    for end in bounds:
        while i < end:
            used, onset = detector.add_many(values[i:end], directions[i], sigmas[i:end])
            i += used
            if onset is not None:
                onsets.append(onset)
    return detector, onsets


def _check_same(values, directions, cuts):
    sigmas = rolling_noise_sigma(values, OnsetDetector().noise_width)
    slow, slow_onsets = _run_point_by_point(values, directions, sigmas)
    fast, fast_onsets = _run_in_blocks(values, directions, sigmas, cuts)
    assert _state(fast) == _state(slow)
    assert fast_onsets == slow_onsets


@pytest.mark.parametrize("values", CURVES, ids=range(len(CURVES)))
def test_onset_kernel_equals_python_on_real_curves(values):
    rng = np.random.default_rng(0)
    directions = ["falling"] * (len(values) // 2) + ["flat"] * (len(values) - len(values) // 2)
    _check_same(values, directions, rng.integers(1, len(values), 5).tolist())


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(10, 300), st.floats(0.0, 0.05), st.sampled_from([0.0, 0.1, 2.0]))
def test_onset_kernel_equals_python_on_random_curves(seed, n, slope, spike_rate):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 1.0 + np.exp(-t / 10) + slope * np.maximum(t - n / 3, 0) * 0.05 + rng.normal(0, 0.05, n)
    values[rng.random(n) < spike_rate * 0.02] = np.nan
    directions = rng.choice(["falling", "flat", "rising"], n, p=[0.6, 0.3, 0.1]).tolist()
    _check_same(values, directions, rng.integers(1, n, 3).tolist())


def test_python_fallback_of_add_many_is_the_same(monkeypatch):
    values = CURVES[0]
    directions = ["falling"] * len(values)
    sigmas = rolling_noise_sigma(values, OnsetDetector().noise_width)
    compiled = _run_in_blocks(values, directions, sigmas, [7, 30])
    monkeypatch.setattr(onset_module, "_scan", None)
    fallback = _run_in_blocks(values, directions, sigmas, [7, 30])
    assert _state(compiled[0]) == _state(fallback[0]) and compiled[1] == fallback[1]


def test_ema_kernel_equals_online_smoother():
    from tui import _scan

    rng = np.random.default_rng(3)
    values = rng.normal(1.0, 0.3, 5000)
    values[[10, 400, 401]] = [np.nan, np.inf, -np.inf]
    for weight in (0.0, 0.6, 0.99, 1.0):
        smoother = OnlineSmoother(weight)
        expected = [smoother.add(v) for v in values.tolist()]
        out = np.empty_like(values)
        last, count = _scan.ema(values[:1234], out[:1234], weight, 0.0, 0)
        last, count = _scan.ema(values[1234:], out[1234:], weight, last, count)
        np.testing.assert_array_equal(out, np.asarray(expected))
        assert (last, count) == (smoother.last, smoother.count)


def _long_run(seed: int, n: int, nan_at: int | None = None):
    """Train falling; validation falling, then rising from 60% of the run; accuracy curves too."""
    from tui.sources.points import Decoded
    from tui.store import Store

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
    store = Store()
    store.apply("r", batch)
    return store.runs["r"]


def _verdict_tuple(engine):
    v = engine.verdict
    return repr((v.kind, v.reason, v.onset_step, dict(v.flags), v.train, v.val, v.best_val, v.best_step, v.trend))


@pytest.mark.parametrize("seed, n, nan_at", [(0, 3000, None), (1, 20_000, None), (2, 5000, 4200), (3, 600, None)])
def test_bulk_catch_up_equals_feeding_every_event(seed, n, nan_at, monkeypatch):
    """The catch-up (bulk curves, compiled onset kernel) raises the same alerts and ends in the same verdict."""
    from tui.judging.engine import VerdictEngine

    run = _long_run(seed, n, nan_at)
    fast = VerdictEngine("r")
    fast_alerts = fast.update(run)
    monkeypatch.setattr(VerdictEngine, "_catch_up", lambda self, batch: [])
    slow = VerdictEngine("r")
    slow_alerts = slow.update(run)
    assert [(a.kind, a.step, a.reason) for a in fast_alerts] == [(a.kind, a.step, a.reason) for a in slow_alerts]
    assert _verdict_tuple(fast) == _verdict_tuple(slow)
    assert any(a.kind in ("overfitting", "diverging") for a in fast_alerts)


def _noise_point_by_point(values: np.ndarray, width: int) -> np.ndarray:
    from tui.judging.trends import noise_sigma

    return np.array(
        [noise_sigma(values[max(0, i - width + 1) : i + 1], autocorrelated=True) for i in range(len(values))]
    )


@settings(max_examples=120, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 400),
    st.sampled_from([3, 4, 5, 8, 24, 25]),
    st.sampled_from([1e-3, 1.0, 4e3]),
    st.sampled_from([0.0, 0.02, 0.2]),
    st.booleans(),
)
def test_rolling_noise_kernel_equals_point_by_point(seed, n, width, scale, bad_rate, ties):
    """Compiled kernel, NumPy path and the live per-window estimate give the same bits, NaN/inf and ties too."""
    from unittest import mock

    from tui.judging import trends

    rng = np.random.default_rng(seed)
    values = scale * (np.cumsum(rng.normal(0, 0.2, n)) + rng.normal(0, 1, n))
    if ties:  # equal second differences: the kernel's sliding sorted window must keep duplicates right
        values = np.round(values / scale * 4) * scale
    values[rng.random(n) < bad_rate] = np.nan
    values[rng.random(n) < bad_rate / 4] = np.inf
    expected = _noise_point_by_point(values, width).tobytes()
    assert rolling_noise_sigma(values, width).tobytes() == expected
    with mock.patch.object(trends, "_scan", None):
        assert rolling_noise_sigma(values, width).tobytes() == expected


@pytest.mark.parametrize("values", CURVES, ids=range(len(CURVES)))
def test_rolling_noise_kernel_on_real_curves(values):
    width = OnsetDetector().noise_width
    assert rolling_noise_sigma(values, width).tobytes() == _noise_point_by_point(values, width).tobytes()
