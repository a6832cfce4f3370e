"""The CUSUM of validation above its best: the compiled loop equals the Python reference bit for bit,
whatever the chunking, on clean, noisy, damaged and long curves; and it measures what it says."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from conftest import use_kernel

from tui.judging import cusum as cusum_module
from tui.judging.cusum import Cusum


def _run(values, sigmas, rhos, chunks, kappa=2.0, clip=3.0):
    c = Cusum(kappa, clip)
    outs = [c.extend(values[a:b], sigmas[a:b], rhos[a:b]) for a, b in itertools.pairwise(chunks)]
    sums, bests, indices = (np.concatenate([o[i] for o in outs]) for i in range(3))
    return sums, bests, indices, (c.count, c.best, c.best_index, c.sum, c.median_low)


def _curve(rng, n, damaged, spiky=False):
    """A falling then rising noisy curve with its noise and autocorrelation estimates; damaged ones carry NaN,
    inf and zero or odd estimates; spiky ones Student-t noise (lucky low points: the median sets the floor)."""
    x = np.arange(n)
    scatter = 0.02 * rng.standard_t(3, size=n) if spiky else rng.normal(scale=0.02, size=n)
    values = 1.0 / (1 + x / 20) + 0.002 * np.maximum(x - n / 2, 0) + scatter
    sigmas = np.abs(rng.normal(0.02, 0.005, size=n))
    rhos = rng.uniform(0.0, 0.5, size=n)
    if damaged:
        picks = rng.choice(n, size=max(n // 20, 3), replace=False)
        values[picks[0::3]] = math.nan
        values[picks[1::3]] = rng.choice([math.inf, -math.inf])
        sigmas[picks[2::3]] = rng.choice([0.0, -1.0, math.nan, math.inf], size=len(picks[2::3]))
        rhos[picks[1::3]] = math.nan
    return values, sigmas, rhos


@pytest.mark.parametrize("spiky", [False, True], ids=["normal", "spiky"])
@pytest.mark.parametrize("damaged", [False, True], ids=["clean", "damaged"])
@pytest.mark.parametrize("n", [3, 7, 120, 5000])
def test_compiled_equals_python_reference_bit_for_bit_in_any_chunking(n, damaged, spiky, monkeypatch):
    if cusum_module._kernels is None:
        pytest.skip("built without a C compiler")
    rng = np.random.default_rng(n + damaged)
    values, sigmas, rhos = _curve(rng, n, damaged, spiky)
    cuts = sorted({0, n, *rng.integers(0, n, size=min(n, 12)).tolist()})
    compiled_whole = _run(values, sigmas, rhos, [0, n])
    compiled_cut = _run(values, sigmas, rhos, cuts)
    monkeypatch.setattr(cusum_module, "_kernels", None)
    python_whole = _run(values, sigmas, rhos, [0, n])
    python_point_by_point = _run(values, sigmas, rhos, list(range(n + 1)))
    for other in (compiled_cut, python_whole, python_point_by_point):
        for mine, theirs in zip(compiled_whole[:3], other[:3], strict=True):
            assert mine.tobytes() == theirs.tobytes()
        assert repr(compiled_whole[3]) == repr(other[3])


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_sum_grows_on_a_rise_and_restarts_at_a_new_best(compiled, monkeypatch):
    use_kernel(cusum_module, compiled, monkeypatch)
    falling = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]
    rising = [1.0 + 0.05 * k for k in range(1, 9)]  # a jump: no later five-point mean is lower
    values = np.asarray(falling + rising)
    sums, bests, indices = Cusum(2.0, 3.0).extend(values, np.full(len(values), 0.01))
    # The best five-point mean is that of 0.7..0.3 (index 7); while falling the sum stays at zero.
    assert bests[-1] == pytest.approx(0.5) and indices[-1] == 7
    assert sums[:8].tolist() == [0.0] * 8
    # Each rising point is more than 3 sigmas above the best: clipped to 3, minus the allowance of 2.
    assert sums[8:].tolist() == pytest.approx([1.0 * k for k in range(1, 9)])


def test_the_allowance_grows_with_the_curve_and_with_noise_that_wanders():
    from tui.judging.cusum import allowance, mean_spread

    assert mean_spread(0.0) == 1.0 and mean_spread(0.5) == pytest.approx(1.4916, abs=1e-4)
    assert allowance(2.0, 40) == allowance(2.0, 80) == 2.0  # white noise, up to 80 points: kappa alone
    assert allowance(2.0, 400) > 2.0  # the best of more means sits lower
    # Wandering noise: a five-point mean strays 1.49x as far, so its best sits lower already at 40 points.
    assert allowance(2.0, 40, 0.5) > 2.0 and allowance(2.0, 400, 0.5) > allowance(2.0, 400)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_one_lucky_low_point_does_not_lower_the_floor_of_the_sum(compiled, monkeypatch):
    """A plateau at 1 with scatter of half its noise and one point 20 noise deviations low: the best five-point
    mean drops to 0.958, and every plateau point then read 3.7 to 4.7 deviations above it (the sum grew by one
    per point). The lowest five-point median is 0.995: the sum counts from there and stays at zero."""
    use_kernel(cusum_module, compiled, monkeypatch)
    values = 1.0 + 0.005 * (-1.0) ** np.arange(40)
    values[10] = 0.8
    c = Cusum(2.0, 3.0)
    sums, bests, _ = c.extend(values, np.full(len(values), 0.01))
    assert bests[-1] == pytest.approx(0.958) and c.median_low == pytest.approx(0.995)
    assert sums.tolist() == [0.0] * len(values)
