"""TensorBoard's debiased EMA, checked against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import use_kernel

from tui.judging.smoothing import DEFAULT_WEIGHT, OnlineSmoother, Smoothed


def smooth(values, weight: float = DEFAULT_WEIGHT) -> np.ndarray:
    """TensorBoard-smoothed copy of ``values``, in one go."""
    return Smoothed(weight).extend(np.asarray(values, dtype=np.float64)).values


def test_hand_worked_values_weight_0_6():
    # last: 0.4 -> 1.04 -> 1.824 ; debias: 0.4, 0.64, 0.784
    assert smooth([1.0, 2.0, 3.0], 0.6).tolist() == pytest.approx([1.0, 1.625, 1.824 / 0.784], abs=0, rel=1e-15)


def test_nonfinite_points_pass_through_and_do_not_advance():
    out = smooth([1.0, math.nan, 2.0, math.inf], 0.6)
    assert out[0] == 1.0 and math.isnan(out[1]) and out[2] == pytest.approx(1.625) and out[3] == math.inf


def test_constant_series_stays_constant():
    assert smooth([0.3] * 5, 0.6).tolist() == [0.3] * 5


def test_weight_zero_is_raw():
    assert smooth([1.0, 5.0, 2.0], 0.0).tolist() == [1.0, 5.0, 2.0]


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_same_arithmetic_as_tensorboard_bit_for_bit(compiled, monkeypatch):
    from tui.judging import smoothing

    use_kernel(smoothing, compiled, monkeypatch)
    rng = np.random.default_rng(1)
    values = rng.normal(size=500) * 7 + 3
    values[[7, 100]] = [math.nan, -math.inf]

    def tensorboard(data, w):  # classicSmoothing, transcribed
        last, n, out = 0.0, 0, []
        for v in data:
            if not math.isfinite(v):
                out.append(v)
                continue
            last = last * w + (1 - w) * v
            n += 1
            out.append(last / (1 - w**n))
        return out

    for weight in (0.3, 0.6, 0.9, 0.99):
        assert (
            np.asarray(smooth(values, weight)).tobytes() == np.asarray(tensorboard(values.tolist(), weight)).tobytes()
        )


def test_incremental_extension_equals_full_pass():
    values = np.random.default_rng(2).normal(size=100)
    smoothed = Smoothed(0.6)
    for end in (0, 1, 2, 50, 100):
        smoothed.extend(values[:end])
    assert np.array_equal(smoothed.values, smooth(values, 0.6))


def test_online_smoother_matches():
    values = [3.0, 1.0, math.nan, 2.0]
    online = OnlineSmoother(0.6)
    got = [online.add(v) for v in values]
    want = smooth(values, 0.6)
    assert got[0] == want[0] and got[1] == want[1] and math.isnan(got[2]) and got[3] == want[3]


def test_ema_kernel_equals_online_smoother():
    _kernels = pytest.importorskip("tui._kernels")

    rng = np.random.default_rng(3)
    values = rng.normal(1.0, 0.3, 5000)
    values[[10, 400, 401]] = [np.nan, np.inf, -np.inf]
    for weight in (0.0, 0.6, 0.99, 1.0):
        smoother = OnlineSmoother(weight)
        expected = [smoother.add(v) for v in values.tolist()]
        out = np.empty_like(values)
        last, count = _kernels.ema(values[:1234], out[:1234], weight, 0.0, 0)
        last, count = _kernels.ema(values[1234:], out[1234:], weight, last, count)
        np.testing.assert_array_equal(out, np.asarray(expected))
        assert (last, count) == (smoother.last, smoother.count)
