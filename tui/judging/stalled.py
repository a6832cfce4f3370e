"""A job that stopped writing: quiet for much longer than it usually is between writes."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tui.judging.thresholds import Thresholds
from tui.store import Run

PLANNED_ROUNDS = ("epochs", "num_epochs", "n_epochs", "max_epochs", "num_train_epochs", "epoch_count")
PLANNED_STEPS = ("max_steps", "total_steps", "num_steps", "train_steps", "steps", "iterations", "max_iters")
"""Hyper-parameters that give a run's planned length, in validation rounds (epochs) or in steps."""


def planned_in(params: Mapping[str, object], steps_first: bool = False) -> tuple[str, float, str] | None:
    """A planned end among hyper-parameters, from an epochs- or steps-like one: ('round', epochs, key) or
    ('step', steps, key), epochs first unless ``steps_first``; None without one."""
    order = ((PLANNED_ROUNDS, "round"), (PLANNED_STEPS, "step"))
    for keys, unit in order[::-1] if steps_first else order:
        for key in keys:
            value = params.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                return unit, float(value), key
    return None


def finished(run: Run, val_tag: str | None) -> bool:
    """Whether the run reached the planned end its logged hyper-parameters give (not its name: ``steps=20`` there
    may mean anything). A job that finished stopped writing as planned: it is not stalled.

    Steps first (its last step at ``max_steps``): a Trainer logs both, and evaluates more often than once an epoch.
    Epochs by its logged epoch curve where it has one (a Trainer's ``train/epoch`` reaches 3.0 for 3 epochs,
    Lightning's ``epoch`` counts from 0 to 2), else by its validation points, one per epoch."""
    planned = planned_in(run.hparams, steps_first=True)
    if planned is None:
        return False
    unit, end, _key = planned
    if unit == "step":
        last = run.last_step()
        return last is not None and last >= end
    epoch = next((series for tag, series in run.scalars.items() if tag.rsplit("/", 1)[-1] == "epoch"), None)
    values = epoch.values[np.isfinite(epoch.values)] if epoch is not None else np.empty(0)
    if values.size:
        counted_from_zero = bool(np.all(values == np.floor(values)))
        return float(values.max()) >= (end - 1 if counted_from_zero else end * (1 - 1e-6))
    return val_tag in run.scalars and len(run.scalars[val_tag]) >= end


def watched_interval(run: Run) -> float | None:
    """The run's usual seconds between writes, if it can stall: only a job seen writing while we watched can (an
    old run is just finished, a run gone is gone)."""
    interval = usual_interval(run)
    if run.last_seen is None or interval is None or run.gone or not run.live:
        return None
    return interval


def stalled_reason(run: Run, now: float, interval: float, thresholds: Thresholds) -> str | None:
    """Why a run that writes every ``interval`` seconds looks stalled at ``now``, or None."""
    assert run.last_seen is not None
    quiet = now - run.last_seen
    if quiet > max(thresholds.stall_factor * interval, thresholds.stall_min_seconds):
        quiet_for = f"{quiet / 60:.0f} min" if quiet >= 90 else _seconds(quiet)  # not '0 min' (stall_min_seconds=5)
        return f"no new events for {quiet_for} (usually every {_seconds(interval)})"
    return None


def usual_interval(run: Run) -> float | None:
    """Median seconds between writes, from the wall times of the run's busiest curve."""
    if not run.scalars:
        return None
    series = max(run.scalars.values(), key=len)
    walls = series.walls[-50:]
    if walls.size < 3:
        return None
    gaps = np.diff(np.unique(walls))
    return float(np.median(gaps)) if gaps.size else None


ENDED_AFTER = 3600.0
"""Seconds a run's files stay unchanged, at the least, before a single read says its job ended: a CSV log's points
carry no write times to measure its interval by, and a job may log once every several minutes."""


def not_running(run: Run, val_tag: str | None, quiet: float | None, thresholds: Thresholds) -> str | None:
    """For a single read (``check``), which cannot watch a job stall: why the run is no longer being written — its
    planned end reached, or its files unchanged (for ``quiet`` seconds, None when unknown) long enough (``ended``)
    — or None while it may still run."""
    if finished(run, val_tag):
        return "finished (its planned end reached)"
    if quiet is None or not ended(run, quiet, thresholds):
        return None
    return f"its files unchanged for {_age(quiet)}"


def ended(run: Run, quiet: float | None, thresholds: Thresholds) -> bool:
    """Whether files unchanged for ``quiet`` seconds (None: unknown) say the run's job no longer writes: longer than
    the ``stalled`` flag waits (``stall_factor`` times its usual interval) and than ``ENDED_AFTER``."""
    if quiet is None:
        return False
    return quiet > max(
        thresholds.stall_factor * (usual_interval(run) or 0.0), thresholds.stall_min_seconds, ENDED_AFTER
    )


def _age(seconds: float) -> str:
    """A time ago in the unit it reads best in: '3 min', '5 h', '12 days'."""
    for unit, size, upto in (("s", 1, 90), ("min", 60, 90 * 60), ("h", 3600, 48 * 3600)):
        if seconds < upto:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds / 86400:.0f} days"


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.2g} s"
