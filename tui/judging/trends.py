"""Scale-free trend statistics for short, noisy curves.

Every statistic here is unchanged when a curve is multiplied by a positive
constant, so a loss of 0.01 and one of 4,000 are judged alike.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

try:
    from tui import _scan
except ImportError:  # built without a C compiler: the NumPy path gives the same numbers
    _scan = None

_MAD_TO_SIGMA = 1.4826
_SQRT6 = math.sqrt(6.0)


RHO_CAP = 0.5
"""Largest lag-1 autocorrelation believed from a short window: beyond it, the curve's bend, not its noise."""
_RHO_OFFSET, _RHO_SHRINK, _RHO_SHRINK_FLOOR = 3.0, 7.0, 0.3
"""Over m points the residual autocorrelation averages ``-OFFSET/m + max(1 - SHRINK/m, FLOOR) * rho``."""


def noise_sigma(values: np.ndarray, autocorrelated: bool = False) -> float:
    """Robust point-to-point noise of a curve, blind to its trend.

    Second differences cancel any locally linear trend; for white noise of
    standard deviation sigma they have standard deviation sigma*sqrt(6). The
    median absolute value keeps single spikes from inflating the estimate.

    With ``autocorrelated``, noise that wanders (lag-1 autocorrelation rho of
    the detrended curve, see :func:`lag1_autocorrelation`) is accounted for:
    for AR(1) noise the second differences have variance
    ``sigma**2 * (6 - 8 rho + 2 rho**2)``, so white-noise arithmetic would
    under-state how far the level wanders.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size < 3:
        return 0.0
    d2 = x[2:] - 2.0 * x[1:-1] + x[:-2]
    spread = _MAD_TO_SIGMA * float(np.median(np.abs(d2)))
    if not autocorrelated or x.size < 5:
        return spread / _SQRT6
    rho = lag1_autocorrelation(x)
    return spread / math.sqrt(6.0 - 8.0 * rho + 2.0 * rho * rho)


@functools.lru_cache(maxsize=64)
def _fit_basis(n: int) -> np.ndarray:
    """Orthonormal basis (n, k) of the polynomials fitted over n equally spaced points (quadratic from 5 points).

    The residuals of the least-squares fit are ``x - Q (Q^T x)``.
    """
    t = np.linspace(-1.0, 1.0, n)
    q, _ = np.linalg.qr(np.vander(t, 3 if n > 4 else 2))
    return np.ascontiguousarray(q)


def lag1_autocorrelation(values: np.ndarray) -> float:
    """Lag-1 autocorrelation of the noise, from the residuals around a quadratic fit, in [0, RHO_CAP].

    A quadratic, not a line, so the bend of a U-shaped curve is not mistaken for wandering noise.
    The residuals' own autocorrelation is biased low on a short window: over m points it averages
    ``-3/m + (1 - 7/m) rho`` for AR(1) noise of autocorrelation rho (the fit takes out three
    degrees of freedom; measured by simulation for m = 8..64, checked at 24 in ``tests/test_verdicts.py``), so
    24 points of rho = 0.5 read as 0.23. The estimate is corrected for that bias.
    """
    x = np.asarray(values, dtype=np.float64)
    return float(_lag1_rows(x[None, :])[0])


def _lag1_rows(rows: np.ndarray) -> np.ndarray:
    """lag1_autocorrelation of each row (same arithmetic whether one row or many)."""
    width = rows.shape[1]
    basis = _fit_basis(width)
    # Element-wise steps in a fixed order (no BLAS, no pairwise summation, whose order depends on the
    # shape): the same additions for one row or fifty thousand, and as in the compiled kernel
    # (_scan.rolling_sigma), so the bulk, live and compiled paths agree bit for bit.
    residuals = rows.copy()
    for j in range(basis.shape[1]):
        coefficient = np.zeros(rows.shape[0])
        for k in range(width):
            coefficient += rows[:, k] * basis[k, j]
        residuals -= coefficient[:, None] * basis[None, :, j]
    energy = np.zeros(rows.shape[0])
    for k in range(width):
        energy += residuals[:, k] * residuals[:, k]
    lagged = np.zeros(rows.shape[0])
    for k in range(1, width):
        lagged += residuals[:, k] * residuals[:, k - 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(energy > 0, lagged / np.where(energy > 0, energy, 1.0), 0.0)
    rho = (raw + _RHO_OFFSET / width) / max(1.0 - _RHO_SHRINK / width, _RHO_SHRINK_FLOOR)
    return np.clip(rho, 0.0, RHO_CAP)


def rolling_noise_sigma(values: np.ndarray, width: int) -> np.ndarray:
    """``noise_sigma(values[i - width + 1 : i + 1], autocorrelated=True)`` for every i, in bulk.

    Bit-identical to calling :func:`noise_sigma` point by point (the live path), only faster:
    windows with non-finite values or shorter than ``width`` are done one by one. The compiled
    kernel does the full windows when built; the NumPy path gives the same bits.
    """
    x = np.ascontiguousarray(values, dtype=np.float64)
    out = np.empty(x.size)
    if x.size >= width >= 3 and _scan is not None:
        basis = _fit_basis(width) if width >= 5 else np.empty(0)
        _scan.rolling_sigma(x, width, basis, out)
        redo = np.flatnonzero(np.isnan(out))
    else:
        redo = np.arange(min(width - 1, x.size))
        if x.size >= width:
            out[width - 1 :] = _noise_rows(np.lib.stride_tricks.sliding_window_view(x, width))
            redo = np.concatenate((redo, width - 1 + np.flatnonzero(np.isnan(out[width - 1 :]))))
    for i in redo.tolist():
        out[i] = noise_sigma(x[max(0, i - width + 1) : i + 1], autocorrelated=True)
    return out


def _noise_rows(windows: np.ndarray) -> np.ndarray:
    """noise_sigma(row, autocorrelated=True) of each all-finite row; NaN for rows with non-finite values."""
    width = windows.shape[1]
    finite = np.isfinite(windows).all(axis=1)
    with np.errstate(invalid="ignore"):
        d2 = windows[:, 2:] - 2.0 * windows[:, 1:-1] + windows[:, :-2]
        spread = _MAD_TO_SIGMA * np.median(np.abs(d2), axis=1)
        rho = _lag1_rows(windows) if width >= 5 else np.zeros(len(windows))
        sigma = spread / np.sqrt(6.0 - 8.0 * rho + 2.0 * rho * rho)
    sigma[~finite] = np.nan
    return sigma


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
