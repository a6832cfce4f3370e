"""The steps a curve can move by: a float32's spacing at its size, or the decimal grid a rounded log sits on.

A noise read from a median of differences reads nothing on a curve that repeats its values, and a net that stopped
changing writes its loss again to the seventh digit: both are told here, for the noise estimates of ``windows`` and
the overfitting test's ``Moment.frozen``.
"""

from __future__ import annotations

import math

import numpy as np

DECIMALS = 6
"""A window whose values all sit on a grid of 10^-k (k up to this) was written rounded: the grid is its step."""
GRID_ULPS = 8.0
"""...a grid read only where its step is this many float32 spacings or more (finer, every value sits on it)."""


def resolution(windows: np.ndarray) -> np.ndarray:
    """The step each row's values can move by: a float32's spacing at its largest value (an event file's values are
    float32: a loss near 1e6 moves in steps of 0.0625), or the decimal grid all its values sit on (a loss logged
    rounded to two decimals: 0.01), whichever is coarser.

    A curve written rounded, a float32 far from zero or a dead net's loss flickering by a float32 step repeats its
    values: most of its differences are exactly 0, so a median of them reads no noise at all, and a move of one
    step would stand any number of noise deviations up. No noise estimate is finer than the step. A grid is read
    where the row repeats a value (a curve without noise moving in round steps at every point, as a test writes a
    straight line, is no rounded one), from three different finite values or more (two or one fit any grid), no
    coarser than the smallest step between them, and only where values that are continuous could not all sit on it
    by chance."""
    finite = np.isfinite(windows)
    values = np.where(finite, windows, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):  # past float32's range: no spacing (NaN), the grid alone
        spacing = np.spacing(np.abs(values).max(axis=1, initial=0.0).astype(np.float32)).astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # values near the float limit: no grid (inf, NaN)
        repeats = (np.diff(windows, axis=1) == 0).any(axis=1)
        if not repeats.any():  # most curves: a grid is read only where a value repeats
            return spacing
        ordered = np.sort(np.where(finite, windows, np.inf), axis=1)  # finite values first, padding (inf) last
        gaps = np.diff(ordered, axis=1)
        between = np.isfinite(ordered[:, 1:]) & (gaps > 0)  # steps between two different finite values
        distinct = np.count_nonzero(between, axis=1) + finite.any(axis=1)
        smallest = np.where(between, gaps, np.inf).min(axis=1, initial=np.inf)
        grid = np.zeros(len(windows))
        for k in range(DECIMALS + 1):  # the coarsest grid first
            step = 10.0**-k
            # A grid no coarser than the values' own steps: a float32 flickering by a step or two is on no grid of 1.
            fits = step <= smallest + 2.0 * spacing
            open_rows = (grid == 0) & repeats & (distinct >= 3) & (step >= GRID_ULPS * spacing) & fits
            off = np.abs(values - np.round(values / step) * step)
            on = (off <= 2.0 * spacing[:, None]) | ~finite
            grid = np.where(open_rows & on.all(axis=1), step, grid)
    return np.fmax(spacing, grid)


UNMOVED_POINTS = 5
"""A curve is ``unmoved`` when its latest this many points..."""
UNMOVED_STEPS = 4.0
"""...span at most this many float32 steps of their size."""


def unmoved(windows: np.ndarray) -> np.ndarray:
    """Whether each row (a curve's latest ``UNMOVED_POINTS`` values) spans at most ``UNMOVED_STEPS`` float32 steps:
    a net that stopped changing (dead units parked at chance) writes its loss again to the seventh digit, or
    flickers by a step; a curve of real noise, or one without noise that moves, spans far more. False for a row
    with a NaN (a window starting before the curve)."""
    with np.errstate(invalid="ignore", over="ignore"):
        span = windows.max(axis=1) - windows.min(axis=1)
        step = np.spacing(np.abs(windows).max(axis=1).astype(np.float32)).astype(np.float64)
    return span <= UNMOVED_STEPS * step


def rounding_noise(windows: np.ndarray) -> np.ndarray:
    """The deviation rounding to each row's ``resolution`` adds (q / sqrt(12), a uniform error over one step): the
    least noise a curve that can only move by that step is read with."""
    return resolution(windows) / math.sqrt(12.0)
