"""How far chance alone moves the figures the overfitting bell reads, so its bars can allow for it: the best of
many means sits low by luck, and noise that wanders holds fewer independent points than it has."""

from __future__ import annotations

import math

BEST_POINTS = 3
"""Consecutive points whose mean is validation's best level (``Moment.best``)."""
BIAS_REFERENCE = 80
"""Curve length for which ``rise_z`` alone pays for how low the best of many means sits by chance."""


def best_bias_excess(count: int, rho: float) -> float:
    """How much lower, in noise deviations, the best three-point mean of ``count`` points sits by chance
    than on 80 points of white noise: more means, or means that stray further because the noise wanders
    (lag-1 autocorrelation ``rho``), sit lower, and a rise measured from them must clear more."""
    if not (count > BEST_POINTS and math.isfinite(rho)):
        return 0.0
    spread = math.sqrt((BEST_POINTS + 2.0 * (2.0 * rho + rho * rho)) / BEST_POINTS)  # of a 3-point mean vs white

    def bias(points: float) -> float:
        return math.sqrt(2.0 * math.log(max(points / BEST_POINTS, 1.0)) / BEST_POINTS)

    return max(0.0, spread * bias(count) - bias(BIAS_REFERENCE))


def wander_factor(rho: float) -> float:
    """How many times wider a slope's standard error is under lag-1 autocorrelation ``rho`` than on white noise
    (``sqrt((1 + rho) / (1 - rho))``: noise that wanders holds fewer independent points)."""
    return math.sqrt((1.0 + rho) / (1.0 - rho)) if math.isfinite(rho) and 0.0 < rho < 1.0 else 1.0
