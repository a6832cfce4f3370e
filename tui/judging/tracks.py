"""The engine's running view of one curve: what it consumed, its start, its best, its smoothed level.

Everything here is cumulative (first value, running minimum, running best of three-point means), so
consuming a block of points at once gives, point for point, what consuming them one by one gives.
"""

from __future__ import annotations

import math

import numpy as np

from tui.judging.growing import Growing
from tui.judging.smoothing import OnlineSmoother
from tui.judging.windows import noise, rows, trailing_mean3, trailing_median3


class Track:
    """A curve's values as consumed so far (the store's own arrays, read-only), with running figures."""

    def __init__(self) -> None:
        self.steps = np.empty(0, dtype=np.int64)
        self.values = np.empty(0)
        self.count = 0
        """Points consumed (the judged prefix of ``values``)."""
        self.first = math.nan
        """The first finite value: the curve's starting level."""
        self.low = math.inf
        """Lowest finite value so far (raw)."""
        self.low_index = -1
        self._low_indices = Growing(np.int64)
        """Index of the lowest point as it stood at each consumed point (-1 before the first finite one)."""
        self.best = math.inf
        """Lowest mean of three consecutive points so far: the level reached (one lucky point cannot set it)."""
        self.best_index = -1
        self._bests = Growing()
        """The best level as it stood at each consumed point (causal: what a live reader knew then)."""
        self.median_low = math.inf
        """Lowest median of three consecutive points so far: a best that one lucky low point cannot pull down."""
        self.smoother = OnlineSmoother()
        self.smoothed = math.nan
        """TensorBoard-smoothed value at the newest point (for display)."""

    def __len__(self) -> int:
        return self.count

    @property
    def low_indices(self) -> np.ndarray:
        """Index of the lowest point as it stood at each consumed point (-1 before the first finite one)."""
        return self._low_indices.view

    @property
    def bests(self) -> np.ndarray:
        """The best level as it stood at each consumed point."""
        return self._bests.view

    def _low_index_at(self, step: int) -> int:
        """Index of the lowest finite point among those consumed up to ``step`` (-1 before the first finite one)."""
        end = int(np.searchsorted(self.steps[: self.count], step, side="right"))
        return int(self.low_indices[end - 1]) if end else -1

    def low_at(self, step: int) -> float:
        """Lowest finite value among the points consumed up to ``step`` (inf before the first finite one)."""
        index = self._low_index_at(step)
        return float(self.values[index]) if index >= 0 else math.inf

    def noise_at_low(self, step: int, width: int) -> float:
        """Robust noise of the ``width`` points that led to the lowest point as it stood at ``step`` (the curve as
        it was learning, not blown up); NaN before any."""
        index = self._low_index_at(step)
        return float(noise(rows(self.values, np.array([index]), width))[0]) if index >= 0 else math.nan

    @property
    def range(self) -> float:
        """Progress made: the start minus the best level (0 while nothing was learned)."""
        if not math.isfinite(self.first) or not math.isfinite(self.best):
            return 0.0
        return max(self.first - self.best, 0.0)

    def ranges(self, indices: np.ndarray) -> np.ndarray:
        """The progress made as it stood at each of these consumed points."""
        with np.errstate(invalid="ignore"):
            span = self.first - self.bests[indices]
        return np.where(np.isfinite(span) & (span > 0), span, 0.0)

    def step_at(self, index: int) -> int:
        return int(self.steps[index])

    def consume(self, steps: np.ndarray, values: np.ndarray, upto: int) -> Block:
        """Take the store's arrays and consume points ``count .. upto``; return their running figures.

        ``upto`` may lie behind what was consumed: a live reader that read one file ahead of another judged
        those points already (a curve that appears later, starting at an earlier step, re-judges from there).
        """
        self.steps, self.values = steps, values
        start = self.count
        if upto <= start:
            return Block(start, start)
        new = values[start:upto]
        block = Block(start, upto)
        finite = np.isfinite(new)
        if math.isnan(self.first) and finite.any():
            self.first = float(new[np.argmax(finite)])
        # Lowest raw value before each new point (the explosion test compares with it).
        lows = np.fmin.accumulate(np.concatenate(([self.low], np.where(finite, new, np.inf))))
        block.low_before = lows[:-1]
        lower = np.where(lows[1:] < lows[:-1], np.arange(start, upto), -1)
        low_indices = np.maximum.accumulate(np.concatenate(([self.low_index], lower)))[1:]
        self._low_indices.extend(low_indices)
        self.low, self.low_index = float(lows[-1]), int(low_indices[-1])
        # Running best of three-point means, and its index, as of each new point.
        lead = values[max(0, start - 2) : upto]
        means = trailing_mean3(lead)[len(lead) - len(new) :]
        candidates = np.where(np.isnan(means), np.inf, means)
        running = np.fmin.accumulate(np.concatenate(([self.best], candidates)))[1:]
        improved = running < np.concatenate(([self.best], running[:-1]))
        where = np.where(improved, np.arange(start, upto), -1)
        best_index = np.maximum.accumulate(np.concatenate(([self.best_index], where)))[1:]
        block.best, block.best_index, block.means = running, best_index, means
        self.best, self.best_index = float(running[-1]), int(best_index[-1])
        self._bests.extend(running)
        medians = trailing_median3(lead)[len(lead) - len(new) :]
        block.median_low = np.fmin.accumulate(np.concatenate(([self.median_low], medians)))[1:]
        self.median_low = float(block.median_low[-1])
        smoothed = self.smoother.extend(new)
        self.smoothed = float(smoothed[-1])
        self.count = upto
        return block


class Block:
    """Running figures of a block of newly consumed points, one entry per point."""

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end
        empty = np.empty(0)
        self.low_before = empty
        self.best = empty
        self.best_index = np.empty(0, dtype=np.int64)
        self.means = empty
        self.median_low = empty

    def __len__(self) -> int:
        return self.end - self.start

    def floors(self, at: np.ndarray) -> np.ndarray:
        """At these block positions, the level the bell measures a rise from (``Moment.floor``): the higher of the
        best three-point mean and the lowest three-point median (the best alone before a finite median)."""
        best, lows = self.best[at], self.median_low[at]
        return np.where(np.isfinite(lows), np.maximum(best, lows), best)
