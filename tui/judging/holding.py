"""Validation points that wait for the rest of their step, while a run is being written.

A writer may flush a step's validation loss before the same step's training loss: Keras' ``train/`` and
``validation/`` writers are two files flushed apart (each every 10 summaries or 120 s), and a loop that
logs its epoch's mean training loss after validating writes it second. A live read that lands in between
would judge the validation point with the previous step's training value, for good, where a whole read
(``check``) uses the right one. So, on a run seen writing, a validation point waits while a curve judged
beside it (training loss, accuracies) that logs in every validation interval has nothing yet in the point's
own (after the previous validation point, up to its step), and at most ``HOLD_SECONDS`` (once a point waited
that long in vain, none waits again: the companion lags longer or stopped). A non-finite validation point
does not wait, nor do the points before it: a blow-up rings at once.
"""

from __future__ import annotations

import numpy as np

HOLD_SECONDS = 150.0
"""Longest wait of any point: beyond TensorFlow's and PyTorch's summary writers' flush interval (120 s)."""


def keeps_pace(steps: np.ndarray, val_steps: np.ndarray, consumed: int) -> bool:
    """Whether a curve logged in each of validation's latest two intervals that it has reached: one that lags
    (a file flushed later) is waited for, a coarser one (every third epoch) or one on another scale (epochs
    beside global steps) is not. Before validation has two points there is nothing to tell by: it is."""
    if consumed < 2:
        return True
    reached = int(np.searchsorted(val_steps[:consumed], steps[-1], side="right"))
    if reached < 2:
        return False
    for back in (1, 2):
        if reached - back < 1:
            break
        low, high = val_steps[reached - back - 1], val_steps[reached - back]
        if np.searchsorted(steps, high, side="right") == np.searchsorted(steps, low, side="right"):
            return False
    return True


def first_unmatched(steps: np.ndarray, val_steps: np.ndarray, consumed: int, end: int) -> int:
    """The first of validation's points ``consumed .. end-1`` whose interval has no point of this curve yet,
    while the curve has not logged past it either (``end`` when there is none): the one to wait at.

    A curve logged one step before validation's (``step - 1``, a 0-based batch counter) has its point in the
    interval and is not waited for."""
    if consumed >= end:
        return end
    tops = val_steps[consumed:end]
    bottoms = val_steps[consumed - 1 : end - 1] if consumed else np.concatenate(([np.iinfo(np.int64).min], tops[:-1]))
    counts = np.searchsorted(steps, tops, side="right") - np.searchsorted(steps, bottoms, side="right")
    missing = np.flatnonzero((counts == 0) & (steps[-1] < tops))
    return consumed + int(missing[0]) if missing.size else end


class Holdback:
    """Decides, at each update of a live run, how many of validation's points may be judged now."""

    def __init__(self) -> None:
        self._first = 0
        """Index of the first waiting validation point."""
        self._since: list[float] = []
        """When each waiting point, from ``_first`` on, began to wait (a point waits at most HOLD_SECONDS)."""
        self._gave_up = False
        """A point waited HOLD_SECONDS in vain: the companion lags longer than that (or stopped), so waiting for
        it again would only make every later point late too."""

    def due(self, now: float) -> bool:
        """Whether a point waits and has waited long enough to be judged without its companions."""
        return bool(self._since) and now - self._since[0] >= HOLD_SECONDS

    def free(
        self,
        val_steps: np.ndarray,
        val_values: np.ndarray,
        consumed: int,
        end: int,
        companions: list[np.ndarray],
        now: float | None,
    ) -> int:
        """How many validation points may be consumed (``end`` when none waits; ``now`` None: a whole read)."""
        if now is None or end <= consumed or self._gave_up:
            self._since = []
            return end
        free = end
        for steps in companions:
            if len(steps) and keeps_pace(steps, val_steps, consumed):
                free = min(free, first_unmatched(steps, val_steps, consumed, free))
        if free < end:
            blown = np.flatnonzero(~np.isfinite(val_values[free:end]))
            if blown.size:
                free += int(blown[-1]) + 1
        # Each waiting point keeps the time it began to wait; those that waited HOLD_SECONDS go, in order.
        kept = self._since[max(free - self._first, 0) :] if free >= self._first else []
        kept = kept[: end - free] + [now] * (end - free - len(kept))
        waited = sum(1 for began in kept if now - began >= HOLD_SECONDS)
        self._first, self._since = free + waited, kept[waited:]
        self._gave_up = waited > 0
        return free + waited
