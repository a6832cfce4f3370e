"""Validation points that wait for the rest of their step, while a run is being written.

A writer may flush a step's validation loss before the same step's training loss: Keras' ``train/`` and
``validation/`` writers are two files flushed apart (each every 10 summaries or 120 s), and a loop that
logs its epoch's mean training loss after validating writes it second. A live read that lands in between
would judge the validation point with the previous step's training value, for good, where a whole read
(``check``) uses the right one. So, on a run seen writing, a validation point waits while a curve judged
beside it (training loss, accuracies) that logs in every validation interval has nothing yet in the point's
own (after the previous validation point, up to its step; for a per-batch curve, fewer than the interval
before), and at most ``HOLD_SECONDS`` (a curve a point waited for that long in vain is not waited for again:
it lags longer, stopped, or is on another scale). A non-finite validation point does not wait, nor do the
points before it: a blow-up rings at once.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

HOLD_SECONDS = 150.0
"""Longest wait of any point: beyond TensorFlow's and PyTorch's summary writers' flush interval (120 s)."""


def keeps_pace(steps: np.ndarray, val_steps: np.ndarray, consumed: int) -> bool:
    """Whether a curve logged in validation's latest two intervals within its own span (its first to its last
    step): a coarser curve (every third epoch) skips one and is not waited for. One that lags (a file flushed
    later), starts late, or has not reached a whole interval yet (nothing to tell by) is; one on another
    scale (epochs beside global steps) too, until it made a point wait in vain once."""
    reached = int(np.searchsorted(val_steps[:consumed], steps[-1], side="right"))
    for j in (reached - 1, reached - 2):  # the latest two intervals whose end the curve has reached
        if j < 1 or val_steps[j] < steps[0]:
            break
        low, high = val_steps[j - 1], val_steps[j]
        if np.searchsorted(steps, high, side="right") == np.searchsorted(steps, low, side="right"):
            return False
    return True


def first_unmatched(steps: np.ndarray, val_steps: np.ndarray, consumed: int, end: int) -> int:
    """The first of validation's points ``consumed .. end-1`` that waits for this curve (``end`` when none):
    the curve has not logged past it, and has fewer points in its interval (after the previous validation
    point, up to its step) than in the interval before — none for a per-epoch curve, part of an epoch's
    batches for a per-batch one. A curve logged one step before validation's (``step - 1``) has its point."""
    if consumed >= end:
        return end
    # Only the intervals from the one before ``consumed`` on are counted: a long curve is not read whole.
    edges = (
        val_steps[consumed - 2 : end] if consumed >= 2 else np.concatenate(([np.iinfo(np.int64).min], val_steps[:end]))
    )
    counts = np.diff(np.searchsorted(steps, edges, side="right"))  # the curve's points in each interval
    current, previous = (counts, np.concatenate(([1], counts[:-1]))) if consumed == 0 else (counts[1:], counts[:-1])
    waits = (current < previous) & (steps[-1] < val_steps[consumed:end])  # the first interval needs one point
    missing = np.flatnonzero(waits)
    return consumed + int(missing[0]) if missing.size else end


class Holdback:
    """Decides, at each update of a live run, how many of validation's points may be judged now."""

    def __init__(self) -> None:
        self._since: dict[int, float] = {}
        """When each waiting validation point (by index) began to wait: it waits at most HOLD_SECONDS."""
        self._given_up: set[str] = set()
        """Curves a point waited for HOLD_SECONDS in vain: they lag longer than that, stopped, or are on another
        scale, and waiting for them again would make every later point late too."""

    def due(self, now: float) -> bool:
        """Whether a point waits and has waited long enough to be judged without its companions."""
        return bool(self._since) and now - min(self._since.values()) >= HOLD_SECONDS

    def free(
        self,
        val_steps: np.ndarray,
        val_values: np.ndarray,
        consumed: int,
        end: int,
        companions: dict[str, np.ndarray],
        now: float | None,
    ) -> int:
        """How many validation points may be consumed (``end`` when none waits; ``now`` None: a whole read)."""
        if now is None or end <= consumed:
            self._since = {}
            return end
        waits = {
            tag: first_unmatched(steps, val_steps, consumed, end)
            for tag, steps in companions.items()
            if tag not in self._given_up and len(steps) and keeps_pace(steps, val_steps, consumed)
        }
        free = _unblocked(waits.values(), val_values, end)
        for index in range(free, end):
            self._since.setdefault(index, now)
        timed_out = free
        while timed_out < end and now - self._since[timed_out] >= HOLD_SECONDS:
            timed_out += 1
        if timed_out > free:  # those that held these points waited in vain: not waited for again
            self._given_up |= {tag for tag, index in waits.items() if index < timed_out}
            kept = [index for tag, index in waits.items() if tag not in self._given_up]
            free = max(timed_out, _unblocked(kept, val_values, end))
        self._since = {index: began for index, began in self._since.items() if index >= free}
        return free


def _unblocked(waits: Iterable[int], val_values: np.ndarray, end: int) -> int:
    """Points before the first that waits may go; a non-finite point goes at once, and those before it."""
    free = min(waits, default=end)
    if free < end:
        blown = np.flatnonzero(~np.isfinite(val_values[free:end]))
        if blown.size:
            free += int(blown[-1]) + 1
    return free
