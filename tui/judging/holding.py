"""Validation points that wait for the rest of their step, while a run is being written.

A writer may flush a step's validation loss before the same step's training loss: Keras' ``train/`` and
``validation/`` writers are two files flushed apart (each every 10 summaries or 120 s), and a loop that
logs its epoch's mean training loss after validating writes it second. A live read that lands in between
would judge the validation point with the previous step's training value, for good, where a whole read
(``check``) uses the right one. So, on a run seen writing, a validation point waits until each curve
judged beside it that keeps pace with validation (training loss, accuracies) has reached its step, and at
most ``HOLD_SECONDS``. A non-finite validation point does not wait: a blow-up rings at once.
"""

from __future__ import annotations

import numpy as np

HOLD_SECONDS = 150.0
"""Longest wait: beyond TensorFlow's and PyTorch's summary writers' flush interval (120 s)."""


def keeps_pace(steps: np.ndarray, val_steps: np.ndarray, consumed: int) -> bool:
    """Whether a curve logs in each of validation's latest two intervals (a coarser curve is not waited for).

    Before validation has two points there is nothing to tell by: a started curve is waited for.
    """
    for back in (1, 2):
        if consumed - back < 1:
            break
        low, high = val_steps[consumed - back - 1], val_steps[consumed - back]
        if np.searchsorted(steps, high, side="right") == np.searchsorted(steps, low, side="right"):
            return False
    return True


class Holdback:
    """Decides, at each update of a live run, how many of validation's points may be judged now."""

    def __init__(self) -> None:
        self.since: float | None = None
        """When the points now waiting began to wait (None: none waits)."""

    def due(self, now: float) -> bool:
        """Whether points are waiting and have waited long enough to be judged without their companions."""
        return self.since is not None and now - self.since >= HOLD_SECONDS

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
        if now is None or end <= consumed:
            self.since = None
            return end
        free = end
        for steps in companions:
            if len(steps) and keeps_pace(steps, val_steps, consumed):
                free = min(free, int(np.searchsorted(val_steps[:end], steps[-1], side="right")))
        free = max(free, consumed)
        if free < end:
            blown = np.flatnonzero(~np.isfinite(val_values[free:end]))
            if blown.size:
                free += int(blown[-1]) + 1
        if free >= end or (self.since is not None and now - self.since >= HOLD_SECONDS):
            self.since = None
            return end
        if self.since is None or free > consumed:
            self.since = now  # the points still waiting began to wait now
        return free
