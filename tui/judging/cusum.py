"""Evidence of a slow rise, accumulated point by point: a one-sided CUSUM of validation above its best.

Page's CUSUM is the classic sequential test for a persistent upward shift. It catches what the level
test (``rising.Rise``) is slow to see: a rise of a fraction of the noise per epoch, which no single
recent median shows but which adds up. Each validation point adds ``clip((v - best) / noise, ±clip)``
minus an allowance; the sum never goes below zero and starts afresh at each new best, the best being
the lowest mean of five consecutive points (a minimum of many noisy means sits below the true level,
which the allowance pays for; on long curves it grows with the number of means, and on noise that
wanders it grows with how much more a five-point mean strays then, see ``allowance``). Excesses are
counted over the higher of that best and the lowest median of five points: one lucky low point of
heavy-tailed noise pulls a mean down, never a median.
"""

from __future__ import annotations

import math

import numpy as np

from tui.compiled import compiled_kernels

_kernels = compiled_kernels()

LEVEL_POINTS = 5
"""Consecutive points whose mean may set the best level."""
REFERENCE_POINTS = 80
"""Curve length the allowance is set for; beyond it the allowance grows with the minimum's selection bias."""


def mean_spread(rho: float) -> float:
    """How much more a five-point mean strays under lag-1 autocorrelation ``rho`` than under white noise."""
    return math.sqrt((5.0 + 2.0 * (4.0 * rho + 3.0 * rho * rho + 2.0 * rho * rho * rho + rho * rho * rho * rho)) / 5.0)


def allowance(kappa: float, count: int, rho: float = 0.0) -> float:
    """``kappa``, plus how much lower the best of ``count`` five-point means sits beyond what 80 points of
    white noise give: more means, or means that stray further (noise that wanders, ``rho``), sit lower."""

    def bias(points: float) -> float:
        return math.sqrt(2.0 * math.log(max(points / LEVEL_POINTS, 1.0)) / LEVEL_POINTS)

    return kappa + max(0.0, mean_spread(rho) * bias(count) - bias(REFERENCE_POINTS))


class Cusum:
    """The running sum of one validation curve, consumed in order (any chunking gives the same sums).

    The loop runs in the compiled module where it was built (a 50,000-point curve costs a Python
    step per point otherwise); ``_extend_python`` is its reference, operation for operation.
    """

    def __init__(self, kappa: float, clip: float) -> None:
        self.kappa, self.clip = kappa, clip
        self.count = 0
        self.best = math.inf
        self.best_index = -1
        self.sum = 0.0
        self.median_low = math.inf
        """Lowest median of five consecutive points: the sum counts excesses over the higher of it and ``best``
        (one lucky low point pulls a mean down, never a median; on plain noise the lowest mean is the higher)."""
        self._recent = np.zeros(LEVEL_POINTS)
        """The last ``LEVEL_POINTS`` values, oldest first; ``_recent_len`` of them are filled."""
        self._recent_len = 0

    def extend(
        self, values: np.ndarray, sigmas: np.ndarray, rhos: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Consume points, each with its noise and the noise's lag-1 autocorrelation (0: white);
        return the sum, the best level and its index after each one."""
        values = np.ascontiguousarray(values, dtype=np.float64)
        sigmas = np.ascontiguousarray(sigmas, dtype=np.float64)
        rhos = np.zeros(len(values)) if rhos is None else np.ascontiguousarray(rhos, dtype=np.float64)
        if _kernels is None:
            return self._extend_python(values, sigmas, rhos)
        n = len(values)
        sums, bests, indices = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
        if not self._recent.flags.writeable:  # an engine handed over from a worker is mapped read-only
            self._recent = self._recent.copy()
        self.count, self.best, self.best_index, self.sum, self._recent_len, self.median_low = _kernels.cusum(
            values, sigmas, rhos, sums, bests, indices, self._recent, self.kappa, self.clip,
            self.count, self.best, self.best_index, self.sum, self._recent_len, self.median_low,
        )  # fmt: skip
        return sums, bests, indices

    def _extend_python(
        self, values: np.ndarray, sigmas: np.ndarray, rhos: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(values)
        sums, bests, indices = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
        recent, clip = self._recent[: self._recent_len].tolist(), self.clip
        for k, (value, sigma, rho) in enumerate(zip(values.tolist(), sigmas.tolist(), rhos.tolist(), strict=True)):
            index = self.count
            self.count += 1
            recent.append(value)
            if len(recent) > LEVEL_POINTS:
                del recent[0]
            if len(recent) == LEVEL_POINTS and all(math.isfinite(v) for v in recent):
                level = (recent[0] + recent[1] + recent[2] + recent[3] + recent[4]) / LEVEL_POINTS
                if level < self.best:
                    self.best, self.best_index, self.sum = level, index, 0.0
                self.median_low = min(self.median_low, sorted(recent)[LEVEL_POINTS // 2])
            if index != self.best_index and math.isfinite(value) and sigma > 0 and math.isfinite(self.best):
                floor = max(self.best, self.median_low) if math.isfinite(self.median_low) else self.best
                step = min(max((value - floor) / sigma, -clip), clip) - allowance(self.kappa, self.count, rho)
                self.sum = max(0.0, self.sum + step)
            sums[k], bests[k], indices[k] = self.sum, self.best, self.best_index
        self._recent_len = len(recent)
        self._recent[: len(recent)] = recent
        return sums, bests, indices
