"""Round, true ticks for the charts' axes: plotext's own labels of tiny values ran 34 digits long, fell between rows
unevenly and read steps as ``166.7``; these are round values, each labelled exactly, a whole number of rows apart."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np


def nice_ticks(low: float, high: float, most: int, integer: bool) -> list[float]:
    """At most ``most`` round tick positions (1, 2 or 5 times a power of ten apart) within [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        return [low]
    raw = (high - low) / max(most - 1, 1)
    if not (math.isfinite(raw) and raw > 0 and math.isfinite(math.log10(raw))):
        return []  # a span past the float limit, or of a few denormals: plotext draws what it can
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    first = math.ceil(low / step) * step
    ticks: list[float] = []
    value = first
    while value <= high + step * 1e-9 and len(ticks) <= most:
        ticks.append(round(value / step) * step)  # relative to the step: ticks of 1e-31 are not rounded to 0
        value += step
    return ticks


def x_ticks(low: float, high: float, most: int, integer: bool) -> list[float]:
    """Round ticks on the x axis; where a narrow chart's span holds fewer than two at that spacing (steps 35 to
    1,050 in two ticks), finer ones, else the two ends: plotext's own ticks read ``35.0, 288.8, 796.2``."""
    ticks = nice_ticks(low, high, most, integer)
    if len(ticks) < 2:
        ticks = nice_ticks(low, high, 2 * most, integer)
    if len(ticks) > most or len(ticks) < 2:
        ticks = [low, high] if high > low else ticks
    return ticks


RANGE_OF_ROUNDING = 1e-9
"""A curve whose values differ by no more than this share of their size is constant but for float rounding."""
CONSTANT_LABEL_SHARE = 1e-4
"""A constant curve's one label is its value within this share: 0.5646, as the table reads it, not 0.564607441 (a
sweep's best against its swept value, one run in it); 1234.5 stays whole."""


def label_y_axis(plt: Any, ys: Iterable[np.ndarray], rows: int) -> None:
    """Round ticks on a linear y axis whose plot area is ``rows`` rows tall, labelled with their values
    (``value_labels``): plotext's own labels of tiny values run 34 digits long, of small ones one digit, and fall
    between rows unevenly. The axis's ends are set so that the ticks land the same number of rows apart."""
    finite_ys = [y[np.isfinite(y)] for y in ys]
    # over the finite values alone: with an inf among them the top was the inf, dropped, and the axis ended at the
    # curves' lowest values, so plotext drew a line from 353 to 3e34 across 6e35 rows (until memory ran out)
    finite = [float(f(y)) for y in finite_ys if y.size for f in (np.min, np.max)]
    if not finite:
        return
    low, high = min(finite), max(finite)
    if high - low <= RANGE_OF_ROUNDING * max(abs(low), abs(high)):
        middle = low + (high - low) / 2  # a constant curve but for float rounding: one label, not 19 digits
        plt.yticks([middle], [shortest(middle, max(high - low, CONSTANT_LABEL_SHARE * abs(middle)))])
        return
    most = max(3, rows // 2 + 1)
    even = even_ticks(low, high, rows, most)
    if even is not None:
        bottom, top, ticks = even
        plt.ylim(bottom, top)
        plt.yticks(ticks, value_labels(ticks))
        return
    ticks = nice_ticks(low, high, most, integer=False)
    if len(ticks) < 2:  # a short plot over a range between round steps: finer ones
        ticks = nice_ticks(low, high, 2 * most, integer=False)
    if len(ticks) > 1:
        plt.yticks(ticks, value_labels(ticks))


def canvas_rows(height: int, title: bool = False, xlabel: bool = False) -> int:
    """Rows plotext draws curves on in a plot ``height`` rows tall: less the frame's two lines, the ticks' labels,
    and the title's and the axis name's lines when there are any."""
    return height - 3 - title - xlabel


EVEN_SLACK = 0.25
"""Share of a curve's span an axis may add around it so that its ticks fall evenly on the rows."""


def even_ticks(low: float, high: float, rows: int, most: int) -> tuple[float, float, list[float]] | None:
    """(bottom, top, ticks) of an axis over ``rows`` rows holding [low, high], whose round ticks (1, 2, 2.5 or 5
    times a power of ten apart) lie the same whole number of rows apart, each at a row's centre (plotext puts
    a value at ``floor(0.5 + (rows - 1) * share)``); the most ticks, up to ``most``, within ``EVEN_SLACK`` of
    room added, else the least room. None where rows are too few or the span is past what floats hold."""
    span = high - low
    if rows < 3 or not (math.isfinite(span) and 1e-290 < span < 1e290):  # past floats' range: plotext's own
        return None
    gaps = rows - 1
    found: list[tuple[tuple[bool, float, int], float, float, list[float]]] = []  # (roomy, its room, -ticks), ...
    order = math.floor(math.log10(span))
    for power in range(order - 2, order + 2):
        for mantissa in (1, 2, 2.5, 5):
            step = mantissa * 10.0**power
            for per_step in range(math.floor(gaps * step / span), 0, -1):  # rows between ticks
                row = step / per_step
                room = gaps * row
                if room < span:
                    continue
                # centred on the curve, on the rows' grid (a tick at a row's centre), holding the curve whole
                bottom = round((low + high - room) / 2 / row) * row
                bottom = min(max(bottom, math.ceil((high - room) / row) * row), math.floor(low / row) * row)
                top = bottom + room
                if top < high or bottom > low:
                    continue
                first = math.ceil(bottom / step - 1e-9)
                ticks = [k * step for k in range(first, math.floor(top / step + 1e-9) + 1)]
                if ticks and low >= 0 > ticks[0]:
                    continue  # a curve never below zero (a loss) labelled with a negative value (-1e+10)
                if 2 <= len(ticks) <= most:
                    slack = (top - bottom - span) / span
                    roomy = slack > EVEN_SLACK
                    found.append(((roomy, round(slack, 6) if roomy else 0.0, -len(ticks)), bottom, top, ticks))
                break
    if not found:
        return None
    _, bottom, top, ticks = min(found, key=lambda choice: choice[0])
    return bottom, top, ticks


def label_x_axis(plt: Any, xs: Iterable[np.ndarray], width: int, integer: bool) -> None:
    """Round ticks on a linear x axis ``width`` columns wide (``x_ticks``): steps as whole numbers with thousands
    separators, other values as written (``value_labels``); plotext's own read ``166.7`` and ``2250``."""
    ends = [float(f(x)) for x in xs if len(x) and np.isfinite(x).any() for f in (np.nanmin, np.nanmax)]
    finite = [v for v in ends if math.isfinite(v)]
    if not finite:
        return
    ticks = x_ticks(min(finite), max(finite), max(2, (width - 8) // 7), integer)
    if ticks:
        plt.xticks(ticks, x_labels(ticks, integer))


def label_log_x_axis(plt: Any, low: float, high: float, columns: int) -> None:
    """Powers of ten on a log x axis, as many as ``columns`` hold, labelled with their values (plotext's own labels
    read 1e-05 as '0.0000')."""
    if not (0 < low <= high and math.isfinite(high)):
        return
    decades = list(range(math.ceil(math.log10(low)), math.floor(math.log10(high)) + 1))
    every = max(1, math.ceil(len(decades) / max(2, columns // 8)))
    ticks = [10.0**k for k in decades[::every]]
    if len(ticks) > 1:
        plt.xticks(ticks, value_labels(ticks))


def label_log_y_axis(plt: Any, ys: Iterable[np.ndarray], rows: int) -> None:
    """Round ticks on a log y axis ``rows`` rows tall, labelled as the linear axis's are (``value_labels``: 10,000
    with its separator; plotext's own read 10000): powers of ten, or 1, 2 and 5 times them within one decade."""
    positive = [y[np.isfinite(y) & (y > 0)] for y in ys]
    ends = [float(f(y)) for y in positive if y.size for f in (np.min, np.max)]
    if not ends:
        return
    low, high = min(ends), max(ends)
    most = max(2, rows // 2)
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    for mantissas in ((1,), (1, 2, 5)):
        ticks = [m * 10.0**k for k in decades for m in mantissas if low <= m * 10.0**k <= high]
        if len(ticks) >= 2:
            every = math.ceil(len(ticks) / most)
            plt.yticks(ticks[::every], value_labels(ticks[::every]))
            return


def value_labels(ticks: list[float]) -> list[str]:
    """The y axis's tick labels, each the tick's value in the fewest digits that give it back exactly (``2e-05``,
    ``0.0002``, ``0.75``; whole numbers as written, with thousands separators): never a rounded value, never cut."""
    spread = max(ticks) - min(ticks) if ticks else 0.0
    return [shortest(tick, 1e-9 * spread) for tick in ticks]


def shortest(value: float, within: float) -> str:
    """``value`` in the fewest significant digits that stay ``within`` it (whole numbers with thousands separators)."""
    value += 0.0  # no '-0'
    if value.is_integer() and abs(value) < 1e9:
        return f"{int(value):,}"
    return next(
        (text for digits in range(1, 16) if abs(float(text := f"{value:.{digits}g}") - value) <= within),
        repr(value),
    )


def tick_label(step: float) -> str:
    """A step's tick label: a whole number with thousands separators."""
    return f"{round(step):,}"


def x_labels(ticks: list[float], integer: bool) -> list[str]:
    """An x axis's tick labels: steps as whole numbers, other values (seconds since the start) as the y axis's are
    (``value_labels``: a run written within milliseconds read ``0 0 0`` when rounded to two decimals)."""
    return [tick_label(t) for t in ticks] if integer else value_labels(ticks)
