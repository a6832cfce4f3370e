"""Scale-free trend statistics for short, noisy curves.

Every statistic here is unchanged when a curve is multiplied by a positive
constant, so a loss of 0.01 and one of 4,000 are judged alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_MAD_TO_SIGMA = 1.4826
_SQRT6 = math.sqrt(6.0)


def noise_sigma(values: np.ndarray) -> float:
    """Robust point-to-point noise of a curve, blind to its trend.

    Second differences cancel any locally linear trend; for white noise of
    standard deviation sigma they have standard deviation sigma*sqrt(6). The
    median absolute value keeps single spikes from inflating the estimate.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size < 3:
        return 0.0
    d2 = x[2:] - 2.0 * x[1:-1] + x[:-2]
    return float(_MAD_TO_SIGMA * np.median(np.abs(d2)) / _SQRT6)


@dataclass(frozen=True)
class Trend:
    """Least-squares slope (per point) with its standard error and a one-sided decision."""

    slope: float
    stderr: float
    level: float
    """Fitted value at the last point."""
    n: int

    def rising(self, z: float) -> bool:
        return self.n >= 3 and self.slope - z * self.stderr > 0.0

    def falling(self, z: float) -> bool:
        return self.n >= 3 and self.slope + z * self.stderr < 0.0


def linear_trend(values: np.ndarray, sigma: float | None = None) -> Trend:
    """Slope of ``values`` against their index, and its standard error.

    ``sigma`` is the noise level to use (default: from the residuals, floored
    by :func:`noise_sigma` so a lucky straight run is not over-trusted).
    """
    y = np.asarray(values, dtype=np.float64)
    n = y.size
    if n < 2:
        return Trend(0.0, math.inf, float(y[-1]) if n else math.nan, n)
    t = np.arange(n, dtype=np.float64)
    t_mean = t.mean()
    sxx = float(np.sum((t - t_mean) ** 2))
    slope = float(np.sum((t - t_mean) * (y - y.mean())) / sxx)
    intercept = float(y.mean() - slope * t_mean)
    level = intercept + slope * (n - 1)
    if sigma is None:
        residuals = y - (intercept + slope * t)
        sigma = math.sqrt(float(np.sum(residuals**2)) / max(n - 2, 1)) if n > 2 else 0.0
        sigma = max(sigma, noise_sigma(y))
    return Trend(slope, sigma / math.sqrt(sxx), level, n)


def mann_kendall(values: np.ndarray) -> float:
    """Mann-Kendall trend statistic as a z-score (positive: rising), ties counted as no change."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = x.size
    if n < 3:
        return 0.0
    diff = np.sign(x[None, :] - x[:, None])
    s = float(np.sum(np.triu(diff, 1)))
    variance = n * (n - 1) * (2 * n + 5) / 18.0
    if s == 0:
        return 0.0
    return (s - math.copysign(1.0, s)) / math.sqrt(variance)


def relative_change(values: np.ndarray) -> float:
    """Fitted change over the span of ``values`` relative to their typical magnitude."""
    y = np.asarray(values, dtype=np.float64)
    y = y[np.isfinite(y)]
    if y.size < 2:
        return 0.0
    trend = linear_trend(y)
    scale = float(np.median(np.abs(y)))
    if scale == 0.0:
        return 0.0
    return trend.slope * (y.size - 1) / scale
