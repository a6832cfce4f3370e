"""Replay recorded runs through the live engine, in step order, as if they were being written."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tui.config import Thresholds
from tui.decode import Decoded
from tui.store import Run, Store
from tui.verdicts import Alert, VerdictEngine


def _steps_of(run: Run) -> np.ndarray:
    arrays = [series.steps for series in run.scalars.values()]
    arrays += [hseries.steps for hseries in run.histograms.values()]
    return np.unique(np.concatenate(arrays)) if arrays else np.empty(0, dtype=np.int64)


def _batches(run: Run) -> Iterator[Decoded]:
    """The run's points grouped by step, oldest first, as a live tail would have delivered them."""
    scalars = {tag: series.arrays() for tag, series in run.scalars.items()}
    histograms = {tag: (hseries.steps, hseries.items) for tag, hseries in run.histograms.items()}
    cursors = dict.fromkeys(list(scalars) + [f"\0{t}" for t in histograms], 0)
    for step in _steps_of(run).tolist():
        batch = Decoded()
        for tag, (steps, values, walls) in scalars.items():
            i = cursors[tag]
            j = i
            while j < len(steps) and steps[j] == step:
                j += 1
            if j > i:
                batch.add_arrays(tag, np.arange(i, j), steps[i:j], walls[i:j], values[i:j])
                cursors[tag] = j
        for tag, (steps, items) in histograms.items():
            key = f"\0{tag}"
            i = cursors[key]
            j = i
            while j < len(steps) and steps[j] == step:
                j += 1
            if j > i:
                batch.histograms[tag] = items[i:j]
                cursors[key] = j
        yield batch


def replay_run(run: Run, thresholds: Thresholds, train_pattern: str | None = None,
               val_pattern: str | None = None) -> list[Alert]:
    """Every alert the live engine raises while the run's points arrive one step at a time."""
    store = Store()
    engine = VerdictEngine(run.name, thresholds, train_pattern, val_pattern)
    alerts: list[Alert] = []
    for batch in _batches(run):
        store.apply(run.name, batch)
        alerts += engine.update(store.runs[run.name])
    return alerts
