"""Replay recorded runs through the live engine, in step order, as if they were being written.

The reference (``replay``) feeds one step per engine update. Each update costs about half a millisecond whatever it
brings, so a run logged at every batch took minutes (100,000 steps: 70 s, where ``check`` took 0.6 s); the command
(``replay_run``) feeds a long run's consecutive steps together, as a live view's polls bring them, in at most
``LIVE_UPDATES`` updates. Every alert still carries the step it fired at: the engine judges each point in step order,
however many a poll brings (the equivalence tests hold it to one step at a time).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tui.judging.checkpoints import with_checkpoint
from tui.judging.engine import VerdictEngine
from tui.judging.thresholds import Thresholds
from tui.judging.verdict import Alert
from tui.sources.points import Decoded
from tui.store import Run, Store


def _steps_of(run: Run) -> np.ndarray:
    arrays = [series.steps for series in run.scalars.values()]
    arrays += [hseries.steps for hseries in run.histograms.values()]
    return np.unique(np.concatenate(arrays)) if arrays else np.empty(0, dtype=np.int64)


def _end_of_step(steps: np.ndarray, start: int, step: int) -> int:
    """Index just past the points up to ``step`` that begin at ``start`` (steps are in order)."""
    end = start
    while end < len(steps) and steps[end] <= step:
        end += 1
    return end


def _last_steps(steps: np.ndarray, updates: int | None) -> list[int]:
    """The last step of each batch: every step, or with ``updates`` every k-th (and the last) of them, in at most
    ``updates`` batches."""
    per_batch = 1 if updates is None else max(1, -(-len(steps) // updates))
    ends = steps[per_batch - 1 :: per_batch]
    if len(steps) % per_batch:
        ends = np.append(ends, steps[-1])
    return [int(step) for step in ends]


LIVE_UPDATES = 2048
"""``replay_run`` feeds a run with more steps than this in at most this many updates (about a second of engine
time)."""


def _batches(run: Run, updates: int | None = None) -> Iterator[Decoded]:
    """The run's points grouped by step, oldest first, as a live tail would have delivered them: one step per batch,
    or, with ``updates``, consecutive steps together in at most that many batches."""
    scalars = {tag: series.arrays() for tag, series in run.scalars.items()}
    histograms = {tag: (hseries.steps, hseries.items) for tag, hseries in run.histograms.items()}
    scalar_at = dict.fromkeys(scalars, 0)
    histogram_at = dict.fromkeys(histograms, 0)
    for step in _last_steps(_steps_of(run), updates):
        batch = Decoded()
        for tag, (steps, values, walls) in scalars.items():
            i = scalar_at[tag]
            j = scalar_at[tag] = _end_of_step(steps, i, step)
            if j > i:
                batch.add_arrays(tag, np.arange(i, j), steps[i:j], walls[i:j], values[i:j])
        for tag, (steps, items) in histograms.items():
            i = histogram_at[tag]
            j = histogram_at[tag] = _end_of_step(steps, i, step)
            if j > i:
                batch.histograms[tag] = items[i:j]
        yield batch


def replay(
    run: Run,
    thresholds: Thresholds,
    train_pattern: str | None = None,
    val_pattern: str | None = None,
    updates: int | None = None,
) -> tuple[list[Alert], VerdictEngine]:
    """Every alert the live engine raises while the run's points arrive one step at a time (with ``updates``: in at
    most that many polls), and the engine after."""
    store = Store()
    engine = VerdictEngine(run.name, thresholds, train_pattern, val_pattern)
    alerts: list[Alert] = []
    for batch in _batches(run, updates):
        store.apply(run.name, batch)
        new = engine.update(store.runs[run.name])
        alerts += [with_checkpoint(alert, run.checkpoints, engine.verdict.best_step) for alert in new]
    return alerts, engine


def replay_run(
    run: Run, thresholds: Thresholds, train_pattern: str | None = None, val_pattern: str | None = None
) -> list[Alert]:
    """Every alert the live engine raises while the run's points arrive as a live view polls them (``LIVE_UPDATES``)."""
    return replay(run, thresholds, train_pattern, val_pattern, LIVE_UPDATES)[0]
