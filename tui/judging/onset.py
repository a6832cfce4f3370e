"""Online detection of the overfitting onset: a robust one-sided CUSUM on validation loss.

Page's CUSUM is the classic sequential test for a persistent upward shift with
the shortest delay for a given false-alarm rate. Here it runs on validation
loss measured against its best level so far:

* the *best level* is the lowest mean of five consecutive validation points
  (one lucky epoch cannot set it); a new best resets the sum and re-arms;
* each point adds ``clip((v - best) / sigma, -c, c) - kappa`` to the sum, never
  letting it go below zero. ``sigma`` is the validation curve's own noise
  (robust, from second differences over recent points, corrected for noise
  that wanders), so the test is scale-free; clipping keeps one spike from
  firing it. The best of many 5-point means sits about one sigma below the
  true level of a flat noisy curve, so ``kappa = 2`` keeps the sum drifting
  down on such a curve (on flat white noise over 80 epochs it fires about
  once in 25 runs); on long curves (validation every step) the allowance
  grows with the number of means the best was picked from;
* the alarm needs the sum above ``h`` (``1.5 h`` when training loss is flat),
  training loss not rising (that is divergence, not overfitting) and the recent
  median at least ``rise_min`` above the best.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np

from tui.judging.trends import noise_sigma

try:
    from tui import _scan
except ImportError:  # built without a C compiler: add_many loops over add
    _scan = None

_DIRECTIONS = {"falling": 0, "flat": 1, "rising": 2}

REFERENCE_POINTS = 80
"""Curve length the default allowance is tuned for (see ``OnsetDetector.allowance``)."""


@dataclass(frozen=True)
class Onset:
    """A confirmed sustained rise of validation loss."""

    index: int
    """Index of the validation point at which it was confirmed."""
    best_value: float
    current: float
    """Median of the recent validation points."""
    rise: float
    """``current / best_value - 1``."""


class OnsetDetector:
    """Feed validation points one by one with the training direction; get an Onset once per rise."""

    def __init__(
        self,
        h: float = 5.0,
        kappa: float = 2.0,
        clip: float = 3.0,
        flat_factor: float = 1.5,
        rise_min: float = 0.01,
        window: int = 8,
        level_width: int = 5,
    ) -> None:
        self.h, self.kappa, self.clip, self.flat_factor = h, kappa, clip, flat_factor
        self.rise_min, self.window, self.level_width = rise_min, window, level_width
        self.values: list[float] = []
        self.count = 0
        self.best_level = math.inf
        self.best_level_index = -1
        self.best_raw = math.inf
        self.cusum = 0.0
        self.fired = False

    def add(self, value: float, train_direction: str, sigma: float | None = None) -> Onset | None:
        """Consume one validation value; return an Onset when a sustained rise is confirmed.

        ``sigma`` may be given when already computed in bulk (``trends.rolling_noise_sigma`` over
        ``noise_width`` points gives exactly what this would compute).
        """
        self.values.append(value)
        index = self.count
        self.count += 1
        if len(self.values) > 8 * self.window:
            del self.values[: 4 * self.window]  # only recent points are ever looked at
        if not math.isfinite(value):
            return None  # divergence is judged elsewhere
        if value < self.best_raw:
            self.best_raw = value
        if index < self.level_width - 1:
            return None
        total = 0.0
        for recent in self.values[-self.level_width :]:
            total += recent  # in order, one rounding per add: the compiled kernel does the same
        level = total / self.level_width
        if level < self.best_level:
            self.best_level, self.best_level_index = level, index
            self.cusum = 0.0
            self.fired = False  # a new best re-arms the alarm
            return None
        if index < 5 or self.fired:
            return None
        if sigma is None:
            sigma = noise_sigma(np.asarray(self.values[-self.noise_width :], dtype=np.float64), autocorrelated=True)
        if not sigma > 0:
            return None
        z = (value - self.best_level) / sigma
        self.cusum = max(0.0, self.cusum + min(max(z, -self.clip), self.clip) - self.allowance)
        if train_direction == "rising":
            return None
        limit = self.h if train_direction == "falling" else self.h * self.flat_factor
        since = [v for v in self.values[-min(index - self.best_level_index, self.window) :] if math.isfinite(v)]
        current = statistics.median(since) if since else value
        if self.cusum > limit and current > self.best_level + self.rise_min * abs(self.best_level):
            self.fired = True
            return self._onset(index, current)
        return None

    def add_many(self, values: np.ndarray, train_direction: str, sigmas: np.ndarray) -> tuple[int, Onset | None]:
        """``add`` over a block of points with one training direction, up to and including the first onset.

        Returns how many points were consumed and the Onset (or None if the block ran out).
        Bit for bit the same as calling ``add`` point by point; the compiled kernel
        (``tui._scan.onset_scan``) does it without a Python step per point.
        """
        if _scan is None:
            for i, (value, sigma) in enumerate(zip(values.tolist(), sigmas.tolist())):
                onset = self.add(value, train_direction, sigma)
                if onset is not None:
                    return i + 1, onset
            return len(values), None
        keep = max(self.window, self.level_width)
        tail = self.values[-keep:]
        buffer = np.concatenate((np.asarray(tail, dtype=np.float64), np.asarray(values, dtype=np.float64)))
        state = np.array(
            [
                self.count,
                self.best_level,
                self.best_level_index,
                self.best_raw,
                self.cusum,
                float(self.fired),
                math.nan,
                0.0,
            ]
        )
        params = np.array(
            [
                self.h,
                self.kappa,
                self.clip,
                self.flat_factor,
                self.rise_min,
                self.window,
                self.level_width,
                REFERENCE_POINTS,
            ],
            dtype=np.float64,
        )
        stop, fired_now = _scan.onset_scan(
            buffer,
            len(tail),
            np.ascontiguousarray(sigmas, dtype=np.float64),
            state,
            _DIRECTIONS[train_direction],
            params,
        )
        consumed = stop - len(tail)
        self.values.extend(buffer[len(tail) : stop].tolist())
        if len(self.values) > 8 * self.window:
            del self.values[: len(self.values) - 4 * self.window]
        self.count = int(state[0])
        self.best_level, self.best_level_index = float(state[1]), int(state[2])
        self.best_raw, self.cusum, self.fired = float(state[3]), float(state[4]), bool(state[5])
        if not fired_now:
            return consumed, None
        return consumed, self._onset(self.count - 1, float(state[6]))

    def _onset(self, index: int, current: float) -> Onset:
        rise = current / self.best_raw - 1.0 if self.best_raw else math.inf
        return Onset(index, self.best_raw, current, rise)

    @property
    def allowance(self) -> float:
        """kappa, plus more on long curves.

        The best of N means of ``level_width`` points sits about ``sqrt(2 ln N / level_width)``
        sigmas below a flat curve's level. ``kappa`` is tuned for curves of up to REFERENCE_POINTS
        points; beyond that the allowance grows by the extra bias, so a long noisy plateau
        (validation every step) keeps drifting down instead of firing.
        """

        def bias(points: float) -> float:
            return math.sqrt(2.0 * math.log(max(points / self.level_width, 1.0)) / self.level_width)

        return self.kappa + max(0.0, bias(self.count) - bias(REFERENCE_POINTS))

    @property
    def noise_width(self) -> int:
        """Recent points the noise is measured on."""
        return 3 * self.window
