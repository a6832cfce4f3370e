"""The ``epoch-steps`` flag: validation logged at the epoch's number beside training logged at its own steps.

A hand-written loop often logs ``add_scalar("train/loss", loss, global_step)`` at every step and
``add_scalar("val/loss", v, epoch)`` once an epoch. TensorBoard plots the two on one step axis, validation squeezed
into its first epochs' worth of steps; the engine pairs them by step the same way, so validation's epoch 30 is
judged beside training's step 30, near its start. The flag says so, with the numbers, so that the verdict beside
it is read for what it is and the logging can be fixed. One file with ten or more iterations an epoch has such a
curve placed at the iteration each point follows when read (``tui/sources/tensorboard/axes.py``); two files
flushed apart are not (which training step an epoch ended at is known only from the times the points were
logged, and the training file tells it late).

Told by the times each point was logged, each later than the one before in both curves (a CSV's points all carry
the file's time: not told): validation's steps are at most ``MAX_SPACING`` apart (epoch numbers: an evaluator of
checkpoints logs at their steps, further apart), and both at its first point after step 0 and at its latest,
training had logged at least ``RATIO`` times as many points and a step of at least ``RATIO * (step + 1)``. An
epoch-numbered curve falls that far behind from its first epoch; an evaluator of checkpoints that falls behind
over the run starts near training's step. (An evaluator logging at epoch numbers, more than ``RATIO`` times as
slow as training from its first evaluation, is flagged too: the reason asks.)
"""

from __future__ import annotations

import math

import numpy as np

from tui.store import Run

RATIO = 2.0
"""Training's points and steps, logged by a validation point's time, this many times validation's (its points so far,
and its step + 1): not the same axis."""
MAX_SPACING = 2
"""Epoch numbers: validation's steps at most this far apart (validated every epoch or every other)."""
MIN_POINTS = 3
"""Validation points before its steps are told apart from training's."""
WALL_SLACK = 1.0
"""Seconds: training points logged this soon after a validation point count as logged by then (a loop may log
validation just before its epoch's last training step)."""


class _LoggedBy:
    """How many training points were logged by a time, and the highest step among them: a prefix of the points
    (their times in order), grown as points are read and as the time moves on."""

    def __init__(self) -> None:
        self.count = 0
        self.top = -1

    def advance(self, steps: np.ndarray, walls: np.ndarray, time: float) -> None:
        upto = self.count + int(np.searchsorted(walls[self.count :], time + WALL_SLACK, "right"))
        if upto > self.count:
            self.top = max(self.top, int(np.max(steps[self.count : upto])))
            self.count = upto

    def far_past(self, points: int, step: int) -> bool:
        return self.count >= RATIO * points and self.top >= RATIO * (step + 1)


class EpochSteps:
    """The flag's reading, kept from update to update: each curve's points are walked once (live, a replay fed a
    step at a time, and a whole read alike), so a run of 100,000 training steps costs no more than its points.

    Where either curve's times ever go back or repeat (two ranks, a clock set back, a CSV's one time for all),
    nothing is told: which training points were logged by a time is then not a prefix of them."""

    def __init__(self, train_tag: str | None, val_tag: str | None) -> None:
        self.train_tag, self.val_tag = train_tag, val_tag
        self._generations = (-1, -1)
        self._reset()

    def _reset(self) -> None:
        self._train_seen = self._val_seen = 0
        self._ordered = True
        self._train_wall = self._val_wall = -math.inf
        self._spacing = 0
        self._first: tuple[int, int, float] | None = None
        """Validation's first point after step 0: (its index, step, time)."""
        self._at_first = _LoggedBy()
        self._at_latest = _LoggedBy()

    def reason(self, run: Run) -> str | None:
        """The flag's reason when validation's steps look like epoch numbers beside training's, else None."""
        if not (self.train_tag and self.val_tag and self.train_tag in run.scalars and self.val_tag in run.scalars):
            return None
        train, val = run.scalars[self.train_tag], run.scalars[self.val_tag]
        if (train.generation, val.generation) != self._generations:  # points removed (a restart): walk afresh
            self._generations = (train.generation, val.generation)
            self._reset()
        train_steps, _, train_walls = train.arrays()
        val_steps, _, val_walls = val.arrays()
        self._walk(train_walls, val_steps, val_walls)
        count = len(val_steps)
        if not (self._ordered and count >= MIN_POINTS and self._spacing <= MAX_SPACING and self._first is not None):
            return None
        index, step, time = self._first
        self._at_first.advance(train_steps, train_walls, time)
        self._at_latest.advance(train_steps, train_walls, self._val_wall)
        last = int(val_steps[-1])
        if not (self._at_first.far_past(index + 1, step) and self._at_latest.far_past(count, last)):
            return None
        return (
            f"{self.val_tag} is logged at steps {int(val_steps[0]):,}–{last:,}, and {self.train_tag} had reached "
            f"step {self._at_latest.top:,} by then (step {self._at_first.top:,} by {self.val_tag}'s step {step:,}): "
            f"epoch numbers beside training steps? If so, {self.val_tag}'s step {last:,} is judged beside "
            f"{self.train_tag}'s step {last:,}: log both at the training step"
        )

    def _walk(self, train_walls: np.ndarray, val_steps: np.ndarray, val_walls: np.ndarray) -> None:
        """Take in the points read since the last look: are the times in order, how far apart validation's steps,
        which is its first point after step 0."""
        new_train = train_walls[self._train_seen :]
        new_val = val_walls[self._val_seen :]
        if len(new_train):
            walls = np.concatenate(([self._train_wall], new_train))
            self._ordered &= bool(np.all(walls[1:] > walls[:-1]))  # NaN, or times shared (a CSV's): not in order
            self._train_wall = float(new_train[-1])
        if len(new_val):
            walls = np.concatenate(([self._val_wall], new_val))
            self._ordered &= bool(np.all(walls[1:] > walls[:-1]) and new_val[0] > 0)
            self._val_wall = float(new_val[-1])
            steps = val_steps[max(self._val_seen - 1, 0) :]
            if len(steps) > 1:
                self._spacing = max(self._spacing, int(np.max(np.diff(steps))))
            if self._first is None:
                after = np.flatnonzero(val_steps[self._val_seen :] > 0)
                if len(after):
                    at = self._val_seen + int(after[0])
                    self._first = (at, int(val_steps[at]), float(val_walls[at]))
        self._train_seen, self._val_seen = len(train_walls), len(val_steps)
