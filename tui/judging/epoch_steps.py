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
"""Seconds: training points written this soon after validation's latest point count as written by then (two
files flushed one after the other)."""


def epoch_steps_reason(run: Run, train_tag: str | None, val_tag: str | None) -> str | None:
    """The flag's reason when validation's steps look like epoch numbers beside training's, else None (no times
    logged: not told)."""
    if not (train_tag and val_tag and train_tag in run.scalars and val_tag in run.scalars):
        return None
    val_steps, _, val_walls = run.scalars[val_tag].arrays()
    train_steps, _, train_walls = run.scalars[train_tag].arrays()
    if len(val_steps) < MIN_POINTS or not np.isfinite(val_walls[-1]) or val_walls[-1] <= 0:
        return None
    if int(np.max(np.diff(val_steps))) > MAX_SPACING:
        return None
    with np.errstate(invalid="ignore"):
        by_then = train_steps[train_walls <= val_walls[-1] + WALL_SLACK]
    last = int(val_steps[-1])
    if len(by_then) < RATIO * len(val_steps) or int(by_then.max()) < RATIO * (last + 1):
        return None
    return (
        f"{val_tag} is logged at steps {int(val_steps[0]):,}–{last:,}, and {train_tag} had reached step "
        f"{int(by_then.max()):,} by then: epoch numbers beside training steps? Paired by step, {val_tag}'s step "
        f"{last:,} is judged beside {train_tag}'s step {last:,}; log both at the training step"
    )
