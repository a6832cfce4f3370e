"""The overfitting test of losswatch before verdicts v2 (commit fed2178), kept to calibrate the benchmark.

Issue 15 measured it on runs kept outside this repository: median delay 10 validation points. Scored here on
the same curves as the engine, it says how hard these suites are next to those runs: a suite on which it needs
18 points holds slower or noisier rises than one on which it needs 10.

It is Page's CUSUM on validation above its best five-point mean: each point adds its excess in noise deviations
(robust second differences over the last 24 points, corrected for noise that wanders), clipped to ±3, minus
2; the alarm is the sum above 5 (7.5 while training is flat, none while it rises) with the median since the best
1 % above it. Re-written from that commit's ``tui/onset.py`` and ``tui/trends.py`` for the benchmark only;
one difference: the training direction is read on its values at the last 8 validation points (the median of
each epoch's batches for a per-batch curve), where v1 read every training point since then.
"""

from __future__ import annotations

import math

import numpy as np

H, KAPPA, CLIP, FLAT_FACTOR, RISE_MIN, WINDOW, LEVEL_POINTS = 5.0, 2.0, 3.0, 1.5, 0.01, 8, 5
DIRECTION_Z, FLAT_TOLERANCE = 1.645, 0.02


def _lag1(values: np.ndarray) -> float:
    t = np.arange(values.size, dtype=np.float64)
    residuals = values - np.polyval(np.polyfit(t, values, 2 if values.size > 4 else 1), t)
    energy = float(np.sum(residuals**2))
    return min(max(float(np.sum(residuals[1:] * residuals[:-1]) / energy), 0.0), 0.7) if energy > 0 else 0.0


def _noise(values: np.ndarray, wandering: bool = True) -> float:
    x = values[np.isfinite(values)]
    if x.size < 3:
        return 0.0
    spread = 1.4826 * float(np.median(np.abs(x[2:] - 2.0 * x[1:-1] + x[:-2])))
    if not wandering or x.size < 5:
        return spread / math.sqrt(6.0)
    rho = _lag1(x)
    return spread / math.sqrt(6.0 - 8.0 * rho + 2.0 * rho * rho)


def _direction(values: np.ndarray) -> str:
    """'falling', 'rising' or 'flat': a least-squares slope past 1.645 standard errors and 2 % of the level."""
    y = values[np.isfinite(values)]
    if y.size < 3:
        return "flat"
    t = np.arange(y.size, dtype=np.float64)
    sxx = float(np.sum((t - t.mean()) ** 2))
    slope = float(np.sum((t - t.mean()) * (y - y.mean())) / sxx)
    residuals = y - (y.mean() + slope * (t - t.mean()))
    sigma = max(math.sqrt(float(np.sum(residuals**2)) / max(y.size - 2, 1)), _noise(y, wandering=False))
    stderr = sigma / math.sqrt(sxx)
    change = slope * (y.size - 1) / (float(np.median(np.abs(y))) or 1.0)
    if slope + DIRECTION_Z * stderr < 0 and change <= -FLAT_TOLERANCE:
        return "falling"
    if slope - DIRECTION_Z * stderr > 0 and change >= FLAT_TOLERANCE:
        return "rising"
    return "flat"


def v1_overfitting(val: list[float], train_at_val: list[float]) -> int | None:
    """Index of the validation point at which the v1 test first alarmed (None: never)."""
    values = np.asarray(val, dtype=np.float64)
    train = np.asarray(train_at_val, dtype=np.float64)
    best, best_index, total = math.inf, -1, 0.0
    for i in range(len(values)):
        if not math.isfinite(values[i]) or i < LEVEL_POINTS - 1:
            continue
        level = float(np.mean(values[i - LEVEL_POINTS + 1 : i + 1]))
        if level < best:
            best, best_index, total = level, i, 0.0
            continue
        if i < 5:
            continue
        sigma = _noise(values[max(0, i - 3 * WINDOW) : i + 1])
        if not sigma > 0:
            continue
        total = max(0.0, total + min(max((values[i] - best) / sigma, -CLIP), CLIP) - KAPPA)
        train_way = _direction(train[max(0, i - WINDOW + 1) : i + 1]) if i < len(train) else "flat"
        if train_way == "rising":
            continue
        since = values[max(best_index + 1, i - WINDOW + 1) : i + 1]
        since = since[np.isfinite(since)]
        current = float(np.median(since)) if since.size else float(values[i])
        limit = H if train_way == "falling" else H * FLAT_FACTOR
        if total > limit and current > best + RISE_MIN * abs(best):
            return i
    return None
