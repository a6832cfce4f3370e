"""TensorBoard's scalar smoothing: a debiased exponential moving average.

The same arithmetic, in the same order, as TensorBoard's ``classicSmoothing``:
``last = last * w + (1 - w) * v`` started at 0 and divided by ``1 - w**n`` over
the ``n`` finite points seen so far; non-finite points pass through unsmoothed
and do not advance the average; a constant series stays constant.

Smoothing a long curve costs one pass, so :class:`Smoothed` keeps the state
and extends it when points are appended instead of starting over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tui.compiled import compiled_kernels

_kernels = compiled_kernels()
"""The compiled EMA where built; without it the smoothers loop in Python (same bits)."""

DEFAULT_WEIGHT = 0.6


@dataclass
class Smoothed:
    """A smoothed curve that can be extended as its raw curve grows."""

    weight: float
    values: np.ndarray = field(default_factory=lambda: np.empty(0))
    last: float = 0.0
    count: int = 0
    first: float | None = None
    constant: bool = True

    def extend(self, raw: np.ndarray) -> Smoothed:
        """Smooth ``raw`` (the whole curve, of which ``len(self.values)`` points are already done)."""
        done = len(self.values)
        new = np.asarray(raw[done:], dtype=np.float64)
        if new.size == 0:
            return self
        if self.first is None:
            self.first = float(new[0])
        if self.constant and not np.all(new == self.first):
            # TensorBoard decides "constant" over the whole curve: redo it all as a varying one.
            self.constant = False
            self.values, self.last, self.count = np.empty(0), 0.0, 0
            new = np.asarray(raw, dtype=np.float64)
        if self.constant:
            self.values = np.concatenate((self.values, new))
            return self
        self.values = np.concatenate((self.values, self._ema(new)))
        return self

    def _ema(self, values: np.ndarray) -> np.ndarray:
        if _kernels is not None:  # the compiled loop: the same operations (tests/test_smoothing.py)
            values = np.ascontiguousarray(values, dtype=np.float64)
            out = np.empty_like(values)
            self.last, self.count = _kernels.ema(values, out, self.weight, self.last, self.count)
            return out
        w = self.weight
        one_minus_w = 1.0 - w
        last, count = self.last, self.count
        smoothed: list[float] = []
        append = smoothed.append
        for v in values.tolist():
            if v - v == 0.0:  # finite
                last = last * w + one_minus_w * v
                count += 1
                append(last / (1.0 - w**count) if w != 1.0 else last)
            else:
                append(v)
        self.last, self.count = last, count
        return np.asarray(smoothed, dtype=np.float64)


class OnlineSmoother:
    """The same average fed one point at a time (the live verdict engine's view)."""

    __slots__ = ("count", "last", "weight")

    def __init__(self, weight: float = DEFAULT_WEIGHT) -> None:
        self.weight = weight
        self.last = 0.0
        self.count = 0

    def extend(self, values: np.ndarray) -> np.ndarray:
        """``add`` over many values (the compiled kernel when built; same numbers either way)."""
        values = np.ascontiguousarray(values, dtype=np.float64)
        if _kernels is None:
            return np.asarray([self.add(v) for v in values.tolist()], dtype=np.float64)
        out = np.empty_like(values)
        self.last, self.count = _kernels.ema(values, out, self.weight, self.last, self.count)
        return out

    def add(self, value: float) -> float:
        """The smoothed value at this point. (No constant-series special case: it only matters for display.)"""
        if not math.isfinite(value):
            return value
        self.last = self.last * self.weight + (1.0 - self.weight) * value
        self.count += 1
        return self.last / (1.0 - self.weight**self.count) if self.weight != 1.0 else self.last
