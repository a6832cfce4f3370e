"""A job that stopped writing: quiet for much longer than it usually is between writes."""

from __future__ import annotations

import numpy as np

from tui.judging.thresholds import Thresholds
from tui.store import Run


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
        return f"no new events for {quiet / 60:.0f} min (usually every {_seconds(interval)})"
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


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.2g} s"
