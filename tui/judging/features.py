"""What the engine looks at when it judges validation points: one row of figures per judged point.

Computed for all the points an update judges at once (a long run read at start-up) or for one (a
live run), with the same numbers either way (see ``windows``). Each figure uses only points up to
the judged one.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from tui.judging.pairing import is_chance_accuracy
from tui.judging.thresholds import TREND_WINDOW_MAX, Thresholds
from tui.judging.verdict import fmt
from tui.judging.windows import (
    ROUNDING_NOISE,
    change,
    change_spread,
    median_rows,
    noise_and_rho,
    rows,
    trailing_mean3,
)
from tui.store import Run

RECENT = 3
"""Recent points whose median is the curve's current level."""


def trend_width(count: int, thresholds: Thresholds, longest: int = TREND_WINDOW_MAX) -> int:
    """Points a direction is judged on when the curve has ``count`` points: a tenth of it, within bounds."""
    return int(min(max(thresholds.trend_window, count // 10), longest))


@dataclass
class Figures:
    """Figures of one curve at each judged point (arrays aligned with the judged indices)."""

    level: np.ndarray
    """Median of the last three points: the current level, blind to one spike."""
    noise: np.ndarray
    """Robust point-to-point noise over the noise window."""
    change: np.ndarray
    """Change over the direction window (median of its last third minus median of its first third)."""
    spread: np.ndarray
    """Standard error of that change for the curve's noise."""
    width: np.ndarray
    """Direction window of each point."""
    rho: np.ndarray
    """Lag-1 autocorrelation of the noise over the noise window (0: white)."""
    bend_noise: np.ndarray
    """The noise over the same window, blind to the curve's bend (``windows.bend_blind_noise``)."""
    level_noise: np.ndarray
    """The larger of that and the same over the long window: the unit of the bell's level test."""

    def row(self, k: int) -> Row:
        columns = (self.level, self.noise, self.change, self.spread, self.rho, self.bend_noise, self.level_noise)
        return Row(*(float(column[k]) for column in columns))

    def rows(self) -> list[Row]:
        """Every judged point's row (``row`` for each, without a NumPy scalar per number)."""
        columns = (self.level, self.noise, self.change, self.spread, self.rho, self.bend_noise, self.level_noise)
        return [Row(*numbers) for numbers in zip(*(column.tolist() for column in columns), strict=True)]


class Row(NamedTuple):
    """A curve's figures at one judged point (a tuple: thousands are made when a long run is read)."""

    level: float
    noise: float
    change: float
    spread: float
    rho: float = 0.0
    bend_noise: float = float("nan")
    """Noise blind to the curve's bend: the unit of validation's rise above its best (the plain noise while too few
    points give it; NaN for a curve read without it, as training is)."""
    level_noise: float = float("nan")
    """The larger of that and the same over the long window: the unit of the level and shift tests."""


def figures(
    values: np.ndarray,
    judged: np.ndarray,
    counts: np.ndarray,
    thresholds: Thresholds,
    noise: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    longest: int = TREND_WINDOW_MAX,
) -> Figures:
    """Figures of ``values`` at indices ``judged``; ``counts`` is the curve length each point saw (index + 1).
    ``noise``: validation's (noise, autocorrelation, bend-blind noise, level test's noise) at those points
    (``windows.validation_noise``, which the engine reads once for these figures and its CUSUM); without it, the
    plain noise of the window. ``longest``: the longest direction window (``trend_width``)."""
    level = median_rows(rows(values, judged, RECENT))
    if noise is not None:
        sigma, rho, bend_noise, level_noise = noise
        bend_noise = np.where(np.isfinite(bend_noise), bend_noise, sigma)  # the plain noise until it can be read
        level_noise = np.where(np.isfinite(level_noise), np.maximum(bend_noise, level_noise), bend_noise)
    else:
        window = rows(values, judged, thresholds.noise_window)
        sigma, rho = noise_and_rho(window)
        bend_noise = level_noise = np.full(len(judged), np.nan)
    counts = np.asarray(counts, dtype=np.int64)
    widths = np.minimum(np.clip(counts // 10, int(thresholds.trend_window), longest), counts)
    moved = np.full(len(judged), np.nan)
    spread = np.full(len(judged), np.nan)
    for width in np.unique(widths).tolist():
        mine = np.flatnonzero(widths == width)
        moved[mine] = change(rows(values, judged[mine], width))
        spread[mine] = sigma[mine] * change_spread(width)
    return Figures(level, sigma, moved, spread, widths, rho, bend_noise, level_noise)


FLAT_Z = 2.0
"""A curve is flat when its change, give or take this many standard errors, stays within ``flat_range`` of its range."""


def direction(moved: float, spread: float, scale: float, thresholds: Thresholds, level: float = 0.0) -> str:
    """'falling' or 'rising' (a change that clears its standard error and matters against the range), 'flat' (shown
    to be within ``flat_range`` of the range, standard error included) or 'unclear' (too noisy to say either).
    The standard error is at least float32's rounding of the curve's ``level`` (``ROUNDING_NOISE``): a curve that
    never left its start (no range) moving by one last digit, 2.332161 to 2.332161, neither fell nor rose."""
    if moved != moved or spread != spread:  # NaN: not enough points
        return "unclear"
    floor = ROUNDING_NOISE * max(abs(level), scale) if math.isfinite(level) else 0.0  # an inf level moves
    if spread <= floor and abs(moved) <= thresholds.trend_z * floor:
        return "flat"  # its last digits alone moved, if any: flat, on a curve without range (a net stuck at its start)
    spread = max(spread, floor)
    tolerance = thresholds.flat_range * scale
    needed = max(thresholds.trend_z * spread, tolerance)
    if moved < -needed:
        return "falling"
    if moved > needed:
        return "rising"
    if abs(moved) + FLAT_Z * spread <= tolerance:
        return "flat"
    return "unclear"


def span(progress: float, level: float, first: float) -> float:
    """The scale a curve's direction is read against: its progress from its start to its best, or, for a curve that
    now stands above its start, how far above it stands — a VAE thrown from 133 to 184 at its first epoch and
    sitting there read "falling" (hence "learning") for a drift of 0.2, against a progress of none."""
    above = level - first if all_finite(level, first) else 0.0
    return max(progress, above)


def aligned(train_steps: np.ndarray, train_values: np.ndarray, val_steps: np.ndarray, start: int) -> np.ndarray:
    """Training loss at each validation point from ``start`` on: the median of its points since the previous one.

    Per-epoch training curves give their own value; per-batch ones the median of the epoch's batches.
    NaN where no training point was logged in between (or any of them was not finite).
    """
    ends = np.searchsorted(train_steps, val_steps[start:], side="right")
    begins = np.empty_like(ends)
    begins[1:] = ends[:-1]
    begins[0] = np.searchsorted(train_steps, val_steps[start - 1], side="right") if start > 0 else 0
    out = np.full(len(ends), np.nan)
    counts = ends - begins
    single = counts == 1
    out[single] = train_values[ends[single] - 1]
    for i in np.flatnonzero(counts > 1).tolist():
        chunk = train_values[begins[i] : ends[i]]
        out[i] = np.median(chunk) if np.isfinite(chunk).all() else np.nan
    for i in np.flatnonzero(counts == 0).tolist():  # none in between: the last one before, if any
        if ends[i] > 0:
            out[i] = train_values[ends[i] - 1]
    return out


def movement(name: str, way: str, row: Row) -> str:
    """A curve's direction in a reason, with the numbers behind it: how far it moved over the direction window
    (median of its last third minus that of its first) and where it is now."""
    if way in ("falling", "rising"):
        return f"{name} {way} by {fmt(abs(row.change))} to {fmt(row.level)}"
    if way == "flat":
        return f"{name} flat at {fmt(row.level)} (moved {fmt(row.change)})"
    if not (math.isfinite(row.noise) and math.isfinite(row.change)):
        return f"{name} at {fmt(row.level)}, too few points to tell its direction"
    return f"{name} at {fmt(row.level)}, its direction hidden by its noise (±{fmt(row.noise)})"


JUMP_POINTS = 8
"""Validation's latest points searched for a jump (``jumps``): the bell waits until a jump has left them (its level
stood nine points; an excursion of up to seven epochs is back by then). Five let five-epoch excursions ring."""
JUMP_BASE = 3
"""Points before a step whose highest is the level it jumped from."""


def jumps(values: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each end, the largest rise of one of its ``JUMP_POINTS`` latest points above the highest of the
    ``JUMP_BASE`` before it (a step up, not the way back from a shorter dip; -inf when none is finite), and that
    highest point: the level it jumped from."""
    window = rows(values, ends, JUMP_POINTS + JUMP_BASE)
    before = functools.reduce(np.fmax, (window[:, k : k + JUMP_POINTS] for k in range(JUMP_BASE)))
    with np.errstate(invalid="ignore", over="ignore"):
        steps = window[:, JUMP_BASE:] - before
    steps = np.where(np.isfinite(steps), steps, -np.inf)
    largest = steps.argmax(axis=1)
    picked = np.arange(len(ends))
    return steps[picked, largest], before[picked, largest]


def accuracy_so_far(run: Run, tag: str | None, at_steps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An accuracy curve's first finite value, its best and how many finite points it has from that first one,
    among its points up to each of these steps (NaN and 0 before any): read from the curve itself, so a point
    that came in a later read than its step's loss still counts. A first point of exactly 0 followed by one
    above it is an evaluation before the first batch (a net guessing scores chance, above 0), not where the net
    started: the next point is the first. Zeros that go on are the accuracy's own."""
    series = run.scalars.get(tag) if tag else None
    nan, none = np.full(len(at_steps), np.nan), np.zeros(len(at_steps), dtype=np.int64)
    if series is None:
        return nan, nan, none
    steps, values, _ = series.arrays()
    finite = np.isfinite(values)
    if not finite.any():
        return nan, nan, none
    after = np.flatnonzero(finite)
    first = int(after[1]) if values[after[0]] == 0.0 and len(after) > 1 and values[after[1]] > 0.0 else int(after[0])
    finite[:first] = False
    upto = np.searchsorted(steps, at_steps, side="right")  # points at or before each step
    best = np.fmax.accumulate(np.where(finite, values, np.nan))
    counted = np.concatenate(([0], np.cumsum(finite)))[upto]
    seen = upto > first
    return np.where(seen, values[first], np.nan), np.where(seen, best[np.maximum(upto - 1, 0)], np.nan), counted


def at_chance(first: float, best: float, points: int, tag: str | None, thresholds: Thresholds) -> bool:
    """A validation accuracy proper (not f1, auc, ...) that started at or below half its top (1, or 100: chance for
    two or more classes) and whose best, over its first ``acc_after`` points or more, is within ``acc_learned`` of
    that first value (a thousand classes at 0.001 that reach 0.03 have learned; a net at 0.1 that never passes
    0.105 has not)."""
    if not (points >= thresholds.acc_after and math.isfinite(first) and math.isfinite(best) and 0.0 <= best <= 100.0):
        return False
    top = 1.0 if best <= 1.0 else 100.0
    return 0.0 <= first <= 0.5 * top and best <= (1.0 + thresholds.acc_learned) * first and is_chance_accuracy(tag)


def means3(values: np.ndarray, start: int) -> np.ndarray:
    """Three-point trailing means of ``values`` from index ``start`` on (the same numbers whatever ``start``)."""
    lead = values[max(0, start - 2) :]
    return trailing_mean3(lead)[len(lead) - (len(values) - start) :]


def flat_share(best: np.ndarray, first: float, judged_at: np.ndarray, tolerance: float) -> np.ndarray:
    """For each judged point, the share of the curve so far spent within ``tolerance`` of the range of its best.

    ``best`` is the running best level (non-increasing); a curve that dropped at once and then sat still has a
    share near 1, one that learned until recently a small share.
    """
    if not np.isfinite(first):
        return np.full(len(judged_at), np.nan)
    levels = best[judged_at]
    with np.errstate(invalid="ignore", over="ignore"):
        spans = first - levels
        bars = -(levels + tolerance * spans)
    # ``best`` is sorted, so the first point within the bar, searched in the whole curve, is the one in its
    # prefix up to the judged point (or the point after it, when none is).
    reached = np.minimum(np.searchsorted(-best, bars, side="left"), judged_at + 1)
    shares = (judged_at - reached) / (judged_at + 1)
    return np.where(np.isfinite(levels) & (spans > 0), shares, np.nan)


def first_finite(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite[0]) if finite.size else float("nan")


def all_finite(*values: float) -> bool:
    """Whether every one of ``values`` is finite (the judge asks ~10 times per judgement: ``map``, not a generator,
    costs half)."""
    return all(map(math.isfinite, values))


def or_zero(value: float) -> float:
    """A figure that may be missing (NaN, inf) as 0: nothing to count on."""
    return value if math.isfinite(value) else 0.0


def share_of(rise: float, progress: float) -> float:
    """A rise as a share of a curve's progress: whole when there was none (it rose from its start)."""
    return rise / progress if progress > 0 else 1.0
