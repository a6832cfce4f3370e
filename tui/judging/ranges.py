"""Where a curve stands against the range it made (its start to its best): the tests that tell a blow-up, a
slow divergence, a return above the start and a run parked at its start, each free of any state."""

from __future__ import annotations

import math

import numpy as np

from tui.judging.thresholds import Thresholds
from tui.judging.verdict import fmt
from tui.text import percent


def by_ranges(
    values: np.ndarray, low_before: np.ndarray, first: float | np.ndarray, thresholds: Thresholds
) -> np.ndarray:
    """``explode_ranges`` ranges above the lowest point before (a range at least ``explode_floor`` of the start)."""
    t = thresholds
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        scale = np.maximum(first - low_before, t.explode_floor * np.abs(first))
        ranges = (values - low_before) / np.where(scale > 0, scale, np.inf)
        return np.isfinite(low_before) & (ranges >= t.explode_ranges)


def by_ratio(
    levels: np.ndarray, low_before: np.ndarray, first: float | np.ndarray, thresholds: Thresholds
) -> np.ndarray:
    """Positive losses: ``explode_ratio`` times the lowest level before, and above half the start (back more than
    half-way to it, counting from zero: for a positive loss, zero is the floor any progress is made towards)."""
    t = thresholds
    with np.errstate(invalid="ignore", over="ignore"):
        return (
            np.isfinite(low_before)
            & (low_before > 0)
            & (levels > t.regress * first)
            & (levels >= t.explode_ratio * low_before)
        )


def returned(
    values: np.ndarray, low_before: np.ndarray, first: float | np.ndarray, noise: np.ndarray, thresholds: Thresholds
) -> np.ndarray:
    """Back above its start after it learned clearly (its lowest point before ``learned_enough`` of its ``noise``
    deviations below the start, and, for a positive loss, ``parked_within`` of its start): the curve left the range
    it made. A warm-up's climb before any learning, a stuck net wandering about its start and a VAE parked at it
    (68.46 at best 68.40, then 68.51) learned nothing to leave."""
    t = thresholds
    with np.errstate(invalid="ignore", over="ignore"):
        span = first - low_before
        learned = (span >= t.learned_enough * noise) & ((first <= 0) | (span >= t.parked_within * first))
        return np.isfinite(low_before) & (noise > 0) & learned & (values > first)


def still_out(level: float, best: float, first: float, thresholds: Thresholds) -> bool:
    """A diverged curve not back in its range: not finite, or back more than ``regress`` of the way from its best
    to its start; or, for a loss that never got below a non-zero start (it blew up before learning anything,
    so its best is the blown-up level and its range says nothing), above its start by ``explode_floor`` of it."""
    if not math.isfinite(level):
        return True
    t = thresholds
    if regressed(level, best, first, t.regress):
        return True
    learned_nothing = first != 0 and not best < first  # NaN best: nothing measured yet; 0: a placeholder
    return learned_nothing and level - first > t.explode_floor * abs(first)


CLIMB_STEP = 1 / 3
"""A climb from the start is steady when no single step carried more than this share of it."""


def out_of_range(
    level: float, best: float, first: float, thresholds: Thresholds, step_up: float = math.nan, points: int = 0
) -> bool:
    """A rising curve gone out of its range, to diverge slowly: back more than ``regress`` of the way from its
    best to its start, or ``climbed``."""
    return regressed(level, best, first, thresholds.regress) or climbed(level, best, first, thresholds, step_up, points)


def climbed(level: float, best: float, first: float, thresholds: Thresholds, step_up: float, points: int) -> bool:
    """A curve that never got below its start (it rose from its first point: there is no way back to measure)
    above it by ``explode_floor`` of it in a steady climb — no step up (``step_up``, the largest) carrying
    ``CLIMB_STEP`` of it: a run that jumped at a step may come back, and blow-ups are the explosion rules' — over
    at least ``trend_window`` points (``points``): a warm-up that climbs a few epochs, then learns, is not told."""
    t = thresholds
    climb = level - first
    never_lower = first != 0 and not best < first
    steady = not step_up > CLIMB_STEP * climb and points >= t.trend_window
    return never_lower and climb > t.explode_floor * abs(first) and steady


def parked_at_start(level: float, best: float, first: float, share: float) -> bool:
    """A positive loss (read as a distance to the perfect loss, 0) never ``share`` of its first value below it, and
    not that far above it now: a VAE parked near its start, 68.28 → 68.27 → 68.30. A curve with a negative value
    has no such band (its level says nothing of progress); one whose floor is far above 0 (a large constant in the
    loss) and that learns less than ``share`` of its level reads parked too: the price of reading the level."""
    band = share * first
    return first > 0 and best > 0 and first - best < band and level - first < band


def regressed(level: float, best: float, first: float, share: float) -> bool:
    """Back more than ``share`` of the way from the best level toward the start."""
    span = first - best
    return math.isfinite(level) and span > 0 and level - best > share * span


def how_far_back(level: float, best: float, first: float, t: Thresholds) -> str:
    """'60% of the way from its best 0.5 to its start 1', or, for a curve that never got below its start, '+45%
    above its start 1.1'."""
    if regressed(level, best, first, t.regress):
        return f"{(level - best) / (first - best):.0%} of the way from its best {fmt(best)} to its start {fmt(first)}"
    return f"{(level - first) / abs(first):+.0%} above its start {fmt(first)}"


def lost_progress(level: float, best: float, first: float, noise: float, thresholds: Thresholds) -> bool:
    """Back ``lost_share`` of the way from its best to its start and ``learned_enough`` of its noise deviations above
    its best (NaN noise: not known yet, not told): progress made and lost, short of a divergence."""
    t = thresholds
    return regressed(level, best, first, t.lost_share) and level - best > t.learned_enough * noise


def lost_words(backs: list[tuple[str, float, float, float]], since: int | None, thresholds: Thresholds) -> str:
    """'back since step 40: loss at 2.6, 90% of the way from its best level 1.4 to its start 4.2; the run lost
    progress ...' for each curve (tag, level, best, start) back."""
    curves = ", and ".join(
        f"{tag} at {fmt(level)}, {percent((level - best) / (first - best), thresholds.lost_share)} of the way from its "
        f"best level {fmt(best)} to its start {fmt(first)}"
        for tag, level, best, first in backs
    )
    when = f"step {since:,}" if since is not None else "then"
    return (
        f"back since {when}: {curves}; the run lost progress it had made and has not won it back (a checkpoint from "
        f"before {when} would hold it)"
    )
