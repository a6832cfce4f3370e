"""The ``epoch-steps`` flag: validation logged at the epoch's number beside training logged at its own steps.

A hand-written loop often logs ``add_scalar("train/loss", loss, global_step)`` at every step and
``add_scalar("val/loss", v, epoch)`` once an epoch. TensorBoard plots the two on one step axis, validation squeezed
into its first epochs' worth of steps; the engine pairs them by step the same way, so validation's epoch 30 is
judged beside training's step 30, near its start. The flag says so, with the numbers, so that the verdict beside
it is read for what it is and the logging can be fixed. (Not aligned: which training step an epoch ended at is
known only from the time each point was written, and two files flushed apart tell it late.)

Told by the time each point was written: by validation's latest point, training had logged steps at least
``RATIO`` times as far. Validation logged at training's steps, by the job or an evaluator a checkpoint behind, is
about as far; an evaluator further behind logs at checkpoints' steps, spaced more than ``MAX_SPACING`` apart.
"""

from __future__ import annotations

import math

import numpy as np

from tui.store import Run

RATIO = 2.0
"""Training's steps, logged by validation's latest point, this many times as far as validation's (and as many
points per validation point): not the same axis."""
MAX_SPACING = 10
"""Epoch numbers: validation's steps at most this far apart (validated every epoch, or every few)."""
MIN_POINTS = 3
"""Validation points before its steps are told apart from training's."""
WALL_SLACK = 1.0
"""Seconds: training points logged this soon after validation's latest point count as logged by then (a loop may
log validation just before its epoch's last training step)."""


class EpochSteps:
    """The flag's reading, kept from update to update: each curve's points are walked once (live, a replay fed a
    step at a time, and a whole read alike), so a run of 100,000 training steps costs no more than its points.

    Where either curve's times ever go back (two ranks, a clock set back), nothing is told: which training steps
    were written by a time is then not a prefix of its points."""

    def __init__(self, train_tag: str | None, val_tag: str | None) -> None:
        self.train_tag, self.val_tag = train_tag, val_tag
        self._generations = (-1, -1)
        self._reset()

    def _reset(self) -> None:
        self._train_seen = self._val_seen = 0
        self._ordered = True
        self._train_wall = self._val_wall = -math.inf
        self._spacing = 0
        self._by_then = 0
        """Training points written by validation's latest point (a prefix of them, their times in order)..."""
        self._top = -1
        """...and the highest step among them."""

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
        if not (self._ordered and count >= MIN_POINTS and self._spacing <= MAX_SPACING and self._val_wall > 0):
            return None
        # The training points written by then: the next ones up to the limit (their times are in order).
        upto = self._by_then + int(np.searchsorted(train_walls[self._by_then :], self._val_wall + WALL_SLACK, "right"))
        if upto > self._by_then:
            self._top = max(self._top, int(np.max(train_steps[self._by_then : upto])))
            self._by_then = upto
        last = int(val_steps[-1])
        if self._by_then < RATIO * count or self._top < RATIO * (last + 1):
            return None
        return (
            f"{self.val_tag} is logged at steps {int(val_steps[0]):,}–{last:,}, and {self.train_tag} had reached "
            f"step {self._top:,} by then: epoch numbers beside training steps? Paired by step, {self.val_tag}'s step "
            f"{last:,} is judged beside {self.train_tag}'s step {last:,}; log both at the training step"
        )

    def _walk(self, train_walls: np.ndarray, val_steps: np.ndarray, val_walls: np.ndarray) -> None:
        """Take in the points read since the last look: are the times in order, how far apart validation's steps."""
        new_train = train_walls[self._train_seen :]
        new_val = val_walls[self._val_seen :]
        if len(new_train):
            walls = np.concatenate(([self._train_wall], new_train))
            self._ordered &= bool(np.all(walls[1:] >= walls[:-1]))  # NaN (no time logged): not in order
            self._train_wall = float(new_train[-1])
        if len(new_val):
            walls = np.concatenate(([self._val_wall], new_val))
            self._ordered &= bool(np.all(walls[1:] >= walls[:-1]))
            self._val_wall = float(new_val[-1])
            steps = val_steps[max(self._val_seen - 1, 0) :]
            if len(steps) > 1:
                self._spacing = max(self._spacing, int(np.max(np.diff(steps))))
        self._train_seen, self._val_seen = len(train_walls), len(val_steps)
