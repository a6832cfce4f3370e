"""Never the same alert twice: what a run's engine has told, and what a re-read or a restart raises again.

Judged afresh after a restart, or reading a file again from its start, the engine raises what it raised before;
only alerts the user has not been told get through. A blow-up is an event, not a state: a job resumed from its
checkpoint that blows up again at the very step it did is told again, by its point's time of writing.
"""

from __future__ import annotations

import math

import numpy as np

from tui.judging.diverging import Raised
from tui.judging.kinds import Kind
from tui.store import Run

RESUME_SECONDS = 2.0
"""A resumed job writes its first point at least this long after the attempt before it wrote its last (a process
started again, a checkpoint loaded); two ranks write one step within it of each other (an all-reduce apart)."""


class Announcements:
    """The (step, kind, curve) of every alert raised, with the times of writing of the points it stood on."""

    def __init__(self) -> None:
        self._told: dict[tuple[int, str, str], set[float | None]] = {}
        self.kept_below: dict[str, int] = {}
        """Per paired curve, the steps below the latest restart's purge and up to the curve's last point judged
        before it: kept as they were, their alerts told."""
        self.written_before = -math.inf
        """The newest point time the run had before the latest restart (``Run.last_write`` at the update before)."""
        self._job = 0
        self._job_of: dict[tuple[int, str, str], int] = {}
        """Which job (restarts counted) first told each alert: a restart's rewritten steps hold another job's."""

    def restarted(self, kept_below: dict[str, int], written_before: float) -> None:
        """The run restarted: its engine judges afresh, keeping what it had judged below ``kept_below``."""
        self.kept_below, self.written_before = kept_below, written_before
        self._job += 1

    def told_steps(self, kind: str) -> set[int]:
        """The steps of the alerts of ``kind`` told of this job, whichever curve: told since the latest restart, or
        before it at a step it kept (below where it rewrote that curve)."""
        return {
            step
            for step, told_kind, tag in self._told
            if told_kind == str(kind)
            and (self._job_of.get((step, told_kind, tag)) == self._job or step < self.kept_below.get(tag, math.inf))
        }

    def new(self, run: Run, raised: Raised) -> bool:
        """Whether an alert was not raised before (and note it).

        Judged afresh after a restart, a curve's points below the step it purged from and up to the last one
        judged were judged before and kept: what they raise now (at the same step, or at another one because a
        lagging curve's points had come late then) was told. A file read again from its start raises what it
        raised before: the same step, kind and curve. A blow-up again at the very step it was told is a second
        one when its point was written (the time its logger wrote down: ``Run.walls_logged``) ``RESUME_SECONDS``
        after anything the run had written before the restart (two ranks writing one folder write the same step
        at once, and the second's new file read a poll later restarts the run too). A state raised again on
        rewritten points (a resumed job's overfitting onset where it was) is the same state; a time unknown is no
        evidence.
        """
        step, kind, tag, _reason = raised
        key = (step, str(kind), tag)
        wall = written(run, tag, step) if kind == Kind.DIVERGING else None
        seen = self._told.get(key)
        if step < self.kept_below.get(tag, -1):
            self._told.setdefault(key, set()).add(wall)
            return False
        if seen is None:
            self._told[key] = {wall}
            self._job_of[key] = self._job
            return True
        if wall is None or None in seen or wall in seen or not wall > self.written_before + RESUME_SECONDS:
            return False
        seen.add(wall)
        self._job_of[key] = self._job
        return True

    def not_told_blow_ups(
        self, raised: list[Raised], episodes: list[list[float]], told_here: set[int] | None = None
    ) -> list[Raised]:
        """Judged afresh after the curves paired changed (a training file first read after validation's blow-up
        was told, a per-epoch curve's first point after the per-batch one's NaN), a blow-up (its first and last
        step, and its curve's point before it, in ``episodes``) that lasted through a step a diverging alert was
        told at, or began at the curve's first point after it, is that one: not rung again. One that came back
        before it, or began after the curve was calm after it, is another. ``told_here``: the steps of those the
        same update raised before the curves paired changed (a file read whole), told as well."""
        told = self.told_steps(Kind.DIVERGING) | (told_here or set())
        if not told:
            return raised

        def told_already(step: int) -> bool:
            spans = [(calm, end) for start, end, calm in episodes if start <= step <= end]
            return any(calm < t <= end for calm, end in spans for t in told)

        return [r for r in raised if r[1] != Kind.DIVERGING or not told_already(r[0])]


def written(run: Run, tag: str, step: int) -> float | None:
    """When the point of ``tag`` at ``step`` was written, if its log says (TensorBoard, W&B, MLflow, trackio)."""
    series = run.scalars.get(tag)
    if series is None or not run.walls_logged:
        return None
    at = np.flatnonzero(series.steps == step)
    if not at.size:
        return None
    time = float(series.walls[at[-1]])
    return time if math.isfinite(time) and time > 0 else None
