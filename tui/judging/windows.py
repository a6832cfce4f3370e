"""Statistics of recent points, computed for many points at once or for one, with the same result.

The engine judges each validation point from the points before it. A long run read at start-up is
judged in bulk and a live run one point at a time, and both must agree to the bit, so every
statistic here is built from order statistics (medians, minima) and element-wise arithmetic: no sum
whose rounding depends on how many rows are computed together.
"""

from __future__ import annotations

import math

import numpy as np

MAD_TO_SIGMA = 1.4826
"""The median absolute deviation of a normal sample, times this, estimates its standard deviation."""
_SECOND_DIFFERENCE_SCALE = math.sqrt(6.0)
"""White noise of deviation sigma has second differences of deviation sigma * sqrt(6)."""


def rows(values: np.ndarray, ends: np.ndarray, width: int) -> np.ndarray:
    """``values[end - width + 1 : end + 1]`` for each end, as rows; NaN where the window starts before 0."""
    ends = np.asarray(ends, dtype=np.int64)
    index = ends[:, None] + np.arange(1 - width, 1)
    out = values[np.maximum(index, 0)].astype(np.float64, copy=True)
    out[index < 0] = np.nan
    return out


def trailing_mean3(values: np.ndarray) -> np.ndarray:
    """Mean of each point and the two before it (NaN for the first two and around non-finite points)."""
    out = np.full(values.shape, np.nan)
    if values.size >= 3:
        with np.errstate(invalid="ignore", over="ignore"):
            out[2:] = (values[:-2] + values[1:-1] + values[2:]) / 3.0
    out[~np.isfinite(out)] = np.nan
    return out


def noise(windows: np.ndarray) -> np.ndarray:
    """Robust point-to-point noise of each row (NaNs ignored), blind to a locally linear trend.

    Second differences cancel a linear trend; the median of their absolute values keeps single
    spikes from inflating the estimate. NaN for rows with fewer than five finite points.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        second = windows[:, 2:] - 2.0 * windows[:, 1:-1] + windows[:, :-2]
        spread = median_rows(np.abs(second))
    enough = np.count_nonzero(np.isfinite(second), axis=1) >= 3
    return np.where(enough, MAD_TO_SIGMA * spread / _SECOND_DIFFERENCE_SCALE, np.nan)


def median_rows(windows: np.ndarray) -> np.ndarray:
    """Median of each row's finite values (NaN for an empty row): sorted, the middle one or two averaged."""
    if windows.shape[1] == 0:
        return np.full(windows.shape[0], np.nan)
    clean = np.where(np.isfinite(windows), windows, np.nan)
    ordered = np.sort(clean, axis=1)  # NaNs sort last
    counts = np.count_nonzero(np.isfinite(clean), axis=1)
    row = np.arange(len(ordered))
    low = ordered[row, np.maximum(counts - 1, 0) // 2]
    high = ordered[row, counts // 2 - (counts == 0)]
    with np.errstate(invalid="ignore"):
        return np.where(counts > 0, (low + high) / 2.0, np.nan)


def change(windows: np.ndarray) -> np.ndarray:
    """Median of each row's last third minus the median of its first third: a robust change over the row."""
    third = max(1, windows.shape[1] // 3)
    return median_rows(windows[:, -third:]) - median_rows(windows[:, :third])


def change_spread(width: int) -> float:
    """Standard deviation of ``change`` over ``width`` points of unit white noise (medians of a third each)."""
    third = max(1, width // 3)
    return 1.2533 * math.sqrt(2.0 / third)


THEIL_SEN_EFFICIENCY = 1.1
"""Theil-Sen's slope has about 1.1 times the standard error of least squares on white noise (91 % efficient)."""


def slope_z(values: np.ndarray, ends: np.ndarray, counts: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """Theil-Sen slope over the ``counts[i]`` points ending at ``ends[i]``, in standard errors for noise ``sigmas[i]``.

    The median of pairwise slopes: robust to a spike, exact (no sums), and unbiased for white noise when the
    points follow a chosen low point rather than include it. NaN with fewer than three points or no noise.
    """
    out = np.full(len(ends), np.nan)
    for k in np.unique(counts).tolist():
        if k < 3:
            continue
        mine = np.flatnonzero(counts == k)
        window = rows(values, ends[mine], k)
        i, j = np.triu_indices(k, 1)
        with np.errstate(invalid="ignore", over="ignore"):
            slopes = median_rows((window[:, j] - window[:, i]) / (j - i).astype(np.float64))
            stderr = THEIL_SEN_EFFICIENCY * sigmas[mine] * math.sqrt(12.0 / (k * (k * k - 1.0)))
            out[mine] = np.where(stderr > 0, slopes / stderr, np.nan)
    return out
