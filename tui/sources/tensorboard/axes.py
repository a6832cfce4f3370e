"""Curves of one event file logged on two step axes: per-epoch curves at the epoch, the others at the iteration.

A hand-written PyTorch loop (and Ignite's own TensorBoard example) logs the training loss at the global step and
validation at the epoch index, into one file: validation's points sat at steps 1, 2, 3 beside training's
thousands, the two could not be compared at any step, and an overfitting run was judged "learning" to its end.
Such a curve is told by the file itself: at its first point (or its second, when the first came before any
training, at step 0 or 1) it stands ``FAR_BEHIND`` times below the highest step the file had reached, and was
written after the point that reached it (a file written curve by curve after training, each point at the time
of its step, as DeepOBS's logs are, is left as it is). Its points
are then placed, as MMEngine's are, at the highest step written before each (the iteration it follows), as long
as its own steps go on rising; a curve whose steps go back (a new attempt in the same file) is decided afresh.
Curves that begin on the file's axis are never moved.
"""

from __future__ import annotations

import math

import numpy as np

from tui.sources.points import Decoded

FAR_BEHIND = 10
"""A curve's first point this many times below the file's highest step is on an axis of its own (an epoch index
beside iterations: ten or more iterations an epoch)."""
UNDECIDED_UP_TO = 1
"""A curve whose first point is at step 0 or 1 before the file went further (an evaluation before training) is
decided at its next point."""


def placed_at(decoded: Decoded, placed: np.ndarray) -> Decoded:
    """``decoded`` with its scalars' steps replaced by ``placed`` (tag by tag, in the order of its scalars)."""
    out = Decoded()
    at = 0
    for tag, (tag_steps, walls, values) in decoded.scalars.items():
        out.add_arrays(tag, decoded.orders[tag], placed[at : at + len(tag_steps)], walls, values)
        at += len(tag_steps)
    out.histograms, out.hparams, out.checkpoints = decoded.histograms, decoded.hparams, decoded.checkpoints
    out.histogram_orders, out.starts = decoded.histogram_orders, decoded.starts
    out.undecodable = decoded.undecodable
    return out


class EpochAxis:
    """What one event file's reads have told of its curves' axes, from read to read."""

    def __init__(self) -> None:
        self.highest: int | None = None
        """The highest step read so far (of any curve, as written)."""
        self.highest_wall = -math.inf
        """The time its point was written at."""
        self.own_axis: dict[str, bool | None] = {}
        """Tag -> on an axis of its own (placed), on the file's (never placed), or not decided yet."""
        self.last_step: dict[str, int] = {}
        """Tag -> the step its last point was written at (before placing)."""
        self.last_placed: dict[str, int] = {}
        """Tag -> the step its last point was placed at."""

    def place(self, decoded: Decoded) -> Decoded:
        """The points of curves on an axis of their own placed at the highest step written before each."""
        scalars = decoded.scalars
        if not scalars:
            return decoded
        tags = list(scalars)
        steps = np.concatenate([scalars[tag][0] for tag in tags])
        walls = np.concatenate([scalars[tag][1] for tag in tags])
        order = np.concatenate([decoded.orders[tag] for tag in tags])
        which = np.repeat(np.arange(len(tags)), [len(scalars[tag][0]) for tag in tags])
        in_order = np.argsort(order, kind="stable")
        start = np.iinfo(np.int64).min if self.highest is None else self.highest
        ordered = np.concatenate(([start], steps[in_order]))
        running = np.maximum.accumulate(ordered)
        # The point that set each highest step, and the time it was written: a curve written after it is behind.
        setter = np.maximum.accumulate(
            np.where(ordered > np.concatenate(([start], running[:-1])), np.arange(len(ordered)), 0)
        )
        setter_walls = np.concatenate(([self.highest_wall], walls[in_order]))[setter]
        before, before_wall = running[:-1], setter_walls[:-1]
        self.highest, self.highest_wall = int(running[-1]), float(setter_walls[-1])
        open_tags = [k for k, tag in enumerate(tags) if self.own_axis.get(tag) is not False]
        if not open_tags:
            return decoded
        by_tag = np.argsort(which[in_order], kind="stable")  # positions in file order, grouped by tag
        bounds = np.searchsorted(which[in_order][by_tag], np.arange(len(tags) + 1))
        placed = steps.copy()
        for k in open_tags:
            positions = by_tag[bounds[k] : bounds[k + 1]]
            points = in_order[positions]
            behind = walls[points] >= before_wall[positions]
            placed[points] = self._placed(tags[k], steps[points], before[positions], behind)
        return placed_at(decoded, placed) if (placed != steps).any() else decoded

    def _placed(self, tag: str, steps: np.ndarray, before: np.ndarray, written_after: np.ndarray) -> np.ndarray:
        """One curve's points (in file order; the highest step before each, and whether each was written after the
        point that set it) where they belong. A curve whose placed points would not rise (nothing of the file's
        axis written between two of them: a file written curve by curve, not as it trained) is on the file's axis
        after all: its points from there on stay where they were written."""
        out = steps.copy()
        decided = -1  # the point of this read its axis was decided at (placed alone so far), -1: none
        for at in range(len(steps)):
            step, highest = int(steps[at]), int(before[at])
            placed, fresh = self._decide(tag, step, highest, bool(written_after[at]))
            if not placed:
                if self.own_axis.get(tag) is False:
                    return out  # the points placed before stay as they were (a live read gave them out so)
                continue
            where = max(step, highest)
            # Its next point not behind, read with the first: the file's axis. Read apart, the first was given out
            # placed, and stays so with the rest (moved back alone, it would take the next one's step).
            level = decided >= 0 and not fresh and step * FAR_BEHIND >= highest
            if level or where <= self.last_placed.get(tag, where - 1):
                self.own_axis[tag] = False
                if decided >= 0:  # a new phase's curve from step 0 (fine-tuning after pretraining, the next fold:
                    # nothing of the file's axis came between), or an evaluation logged at the step it evaluated
                    out[decided] = steps[decided]
                return out
            decided = at if fresh else -1
            out[at] = self.last_placed[tag] = where
        return out

    def _decide(self, tag: str, step: int, highest: int, written_after: bool) -> tuple[bool, bool]:
        """Decide the axis of ``tag`` at a point of it at ``step`` (``highest``: the file's highest step before it;
        ``written_after``: the point was written after the one that set it); whether it is placed, and whether its
        axis was decided at this point (its first, or its steps went back)."""
        state = self.own_axis.get(tag)
        if state and step <= self.last_step.get(tag, step - 1):  # its steps went back: a new attempt, decided afresh
            state = None
            self.last_placed.pop(tag, None)
        fresh = state is None
        if fresh:
            if highest > 0 and step >= 0 and step * FAR_BEHIND < highest and written_after:
                state = True
            elif not (step <= UNDECIDED_UP_TO and highest <= UNDECIDED_UP_TO):
                state = False
        self.own_axis[tag] = state
        self.last_step[tag] = step
        return bool(state), fresh
