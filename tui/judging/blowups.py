"""A loss curve's blow-up as the divergence rules find it, and the words its reason is told in."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tui.judging.verdict import fmt, fmt_apart

SPREAD_WINDOWS = 4
"""A per-batch curve's swing, which a level back above its start must have learned ``learned_enough`` of before, is
read over this many noise windows of points."""


@dataclass(frozen=True)
class Blowup:
    """A non-finite or exploding point of a loss curve."""

    tag: str
    index: int
    value: float
    low: float
    """The curve's lowest point (or level) before it."""
    first: float
    """Its start: the first point, or the median of the first ``level_window`` points."""
    train_falling: bool = False
    """(Validation only) training fell at the same time: an evaluation glitch is possible, so wait for a second."""
    value_window: int = 1
    """Points whose median ``value`` is (1: the point itself)."""
    level_window: int = 1
    """Points whose medians ``low`` and ``first`` are (1: single points)."""
    returned: bool = False
    """(Training) back above its start after learning clearly (``returned``): believed at a second point in a row."""
    overfit_climb: bool = False
    """(Validation only) validation climbed there, its point before at least half this one (``_climbed_to``), and
    training's point there stands near its best level, within its noise (``_held_low``): with validation's
    overfitting confirmed, that climb past ten times its best is the overfitting going on, no blow-up (a divergence
    is training leaving its range, or both curves; a jump of validation alone, 0.7 to 40, still rings)."""


def exploded_words(b: Blowup, step: int) -> str:
    """The reason, with the numbers the test read: points or medians, and which."""
    if b.value_window > 1:
        what = f"exploded: its median over {b.value_window} points rose to"
        lowest = "lowest such median" if b.level_window > 1 else "first point"
    else:
        lowest = "lowest" if b.level_window == 1 else f"lowest median over {b.level_window} points"
        what = "exploded to"
    ratio = b.value / b.low if b.low > 0 else math.nan
    times = (
        f"{_times(ratio)}x its {lowest} {fmt(b.low)}"
        if math.isfinite(ratio)  # 1.8e308 over 0.5 is past floats: 'infx' said nothing true
        else f"from its {lowest} {fmt(b.low)}"
    )
    start = f"start {fmt(b.first)}" if b.level_window == 1 else f"started at {fmt(b.first)}, its first points' median"
    return f"{b.tag} {what} {fmt(b.value)} at step {step:,}, {times} ({start})"


def _times(ratio: float) -> str:
    """A ratio with three figures under 100 (10.57 beside a rule of 10 read "11x"), whole with separators to a
    million, then as a number is written (not 30 digits of noise)."""
    if ratio < 100:
        return f"{ratio:.3g}"
    return f"{ratio:,.0f}" if ratio < 1e6 else fmt(ratio)


def returned_words(b: Blowup, step: int) -> str:
    """The reason of a training curve back above its start, with the numbers the test read: with as many digits as
    tell the value from the start (2.2071 above 2.2068 read "2.207 above 2.207")."""
    value, first = fmt_apart(b.value, b.first)
    if b.level_window > 1:
        return (
            f"{b.tag} back above its start: its median over {b.level_window} points at {value} at step "
            f"{step:,} and the point before, above {first}, its first points' median, after its median over "
            f"{SPREAD_WINDOWS * b.level_window} points fell to {fmt(b.low)}"
        )
    return (
        f"{b.tag} back above its start {first}: {value} at step {step:,} and the point before, after "
        f"learning down to {fmt(b.low)}"
    )
