"""Spikes: short excursions of a loss curve that come back (a flag, no bell).

* A curve of points (per epoch, or a validation curve): one or two points far above the level before them
  (``spike_z`` noise deviations and ``spike_range`` of the range), then a return below half the excursion.
* A curve read per batch: single batches swing far (heavy tails: a real MLP's per-batch curve had one 8 noise
  deviations out every 50 batches, 173 "spikes" in 9,000 batches), so one or two points are no spike. A loss
  spike of large-model training lasts several logged steps: the running median of ``SMOOTH_POINTS`` points leaves
  the level and comes back within ``BATCH_LEVEL_POINTS`` points (``batch_spikes``), as LLM Foundry's
  ``KillLossSpike`` reads a loss against its running level for several steps, not a batch alone.
"""

from __future__ import annotations

import numpy as np

from tui.judging.thresholds import Thresholds
from tui.judging.tracks import Track
from tui.judging.windows import ROUNDING_NOISE, median_rows, noise, rows, spread_rows

LEVEL_POINTS = 5
"""Points before an excursion whose median is the level it left."""
BATCH_LEVEL_POINTS = 24
"""Points whose median is a per-batch (or lone) training curve's level for the ratio test of an explosion and
for its spikes. Single batches swing from near zero to several times the mean (a batch of 4 in a real run's
first epoch: 0.088, then 1.88 and 1.30 in a row, 15x that lowest batch while the net learned steadily), so "ten
times the lowest point" is met by chance, and on medians of 5 or 12 points still, on real batch-of-4 curves; the
blow-ups the ranges test and NaN miss show in a median of 24 within 13 points (far above ten times the lowest;
up to 24 near it), or at once when they leap ``diverging.BATCH_NOISE_Z`` noise deviations above that lowest
median."""
SPIKE_HISTORY = 10 * BATCH_LEVEL_POINTS
"""Points before a per-batch excursion whose own excursions (of the running median above its level) it must
outgrow ``SPIKE_RECORD`` times."""
SPIKE_RECORD = 3.0
"""A per-batch excursion is a spike only at this many times the largest of the ``SPIKE_HISTORY`` points before
it: clusters of hard batches (a real MLP near zero loss: three batches in a row at 0.5 over a level of 0.05, every
few hundred) and values held over a gradient-accumulation window of 8 steps recur at their own size, a loss spike
stands tens of times above them."""
SPIKE_CHUNK = 1 << 16
"""Points of a per-batch curve whose spikes are read at once."""
SMOOTH_POINTS = 5
"""A per-batch curve's spike is read on its running median of this many points: three batches in a row must
stand out, which heavy-tailed batch noise almost never gives and a loss spike always does."""


def spikes(
    track: Track, start: int, end: int, thresholds: Thresholds, batch: np.ndarray | None = None
) -> list[tuple[int, int]]:
    """(first index, return index) of each one- or two-point spike that came back at an index in [start, end).

    A spike leaves a level (median of the five points before it) by ``spike_z`` noise deviations and
    ``spike_range`` of the range, and the return is below half of it. Where ``batch`` (a mask over [start, end))
    reads the curve per batch, a point or two is no spike (``batch_spikes``).
    """
    t = thresholds
    values = track.values
    found: list[tuple[int, int]] = []
    returns = np.arange(max(start, LEVEL_POINTS + 2), end)
    if not len(returns):
        return found
    # The level before each possible excursion (ending one or two points before a return), computed once.
    first_level = max(returns[0] - 3, LEVEL_POINTS - 1)
    levels = median_rows(rows(values, np.arange(first_level, returns[-1] - 1), LEVEL_POINTS))
    for width in (1, 2):
        begin = returns - width
        ok = begin >= LEVEL_POINTS
        begin, back = begin[ok], returns[ok]
        if not len(begin):
            continue
        level = levels[begin - 1 - first_level]
        with np.errstate(invalid="ignore", over="ignore"):
            heights = np.min(np.stack([values[begin + k] for k in range(width)]), axis=0) - level
            came_back = values[back] - level < heights / 2.0
            before_low = values[begin - 1] - level < heights / 2.0
            # Cheap tests first; the noise (a window per point) only where they pass.
            scale = track.ranges(begin - 1)  # the progress made before the excursion
            # An infinite or NaN point is no spike: it is a blow-up, the diverging rule's (it rang, or stays quiet
            # as part of a blow-up that rang), never "routine".
            candidate = (
                np.isfinite(heights) & (heights > 0) & (heights >= t.spike_range * scale) & came_back & before_low
            )
        picked = np.flatnonzero(candidate)
        if batch is not None:  # single batches read per batch are no spike (``batch_spikes``): no noise read there
            picked = picked[~batch[np.maximum(back[picked] - start, 0)]]
        if not len(picked):
            continue
        sigma = noise(rows(values, begin[picked] - 1, t.noise_window))
        with np.errstate(invalid="ignore", over="ignore"):
            # float32's last digit is no spike: a curve that never left its start has no range and no noise
            sigma = np.fmax(sigma, ROUNDING_NOISE * np.maximum(np.abs(level[picked]), scale[picked]))
            hits = picked[heights[picked] >= t.spike_z * sigma]
        found += [(int(begin[i]), int(back[i])) for i in hits]
    return sorted(found, key=lambda pair: pair[1])


def batch_spikes(
    track: Track, start: int, end: int, thresholds: Thresholds, batch: np.ndarray
) -> list[tuple[int, int]]:
    """(first index, return index) of each spike of a per-batch curve (``batch``: a mask over [start, end)) that
    came back at an index in [start, end): its running median of ``SMOOTH_POINTS`` points above the level (the
    median of the ``BATCH_LEVEL_POINTS`` points before that window) by ``spike_range`` of the range, for at most
    ``BATCH_LEVEL_POINTS`` points (longer is a change of level), at its highest by ``spike_z`` deviations of the
    level's points (their median absolute deviation: held values have no point-to-point noise) and by
    ``SPIKE_RECORD`` times the excursions before it, then back below half of that, with no NaN or inf among its
    points. Read ``SPIKE_CHUNK`` points at a time (each point reads a window)."""
    found: list[tuple[int, int]] = []
    for at in range(start, end, SPIKE_CHUNK):
        upto = min(at + SPIKE_CHUNK, end)
        found += _batch_spikes(track, at, upto, thresholds, batch[at - start : upto - start])
    return found


def _batch_spikes(
    track: Track, start: int, end: int, thresholds: Thresholds, batch: np.ndarray
) -> list[tuple[int, int]]:
    t, values = thresholds, track.values
    first = max(start - SPIKE_HISTORY - BATCH_LEVEL_POINTS - 2, SMOOTH_POINTS + BATCH_LEVEL_POINTS - 1)
    if end - first < 2:
        return []
    index = np.arange(first, end)
    smooth = median_rows(rows(values, index, SMOOTH_POINTS))
    level = median_rows(rows(values, index - SMOOTH_POINTS, BATCH_LEVEL_POINTS))
    with np.errstate(invalid="ignore", over="ignore"):
        up = smooth - level
        high = np.isfinite(up) & (up > 0) & (up >= t.spike_range * track.ranges(index - SMOOTH_POINTS))
    # A return: the first point not high after a high one, in the block, where the curve is read per batch.
    at = np.flatnonzero(high[:-1] & ~high[1:]) + 1
    at = at[(index[at] >= start) & batch[np.maximum(index[at] - start, 0)]]
    if not len(at):
        return []
    last_low = np.maximum.accumulate(np.where(high, -1, np.arange(len(index))))
    begins = last_low[at - 1] + 1  # the first high point of each excursion
    keep = (at - begins <= BATCH_LEVEL_POINTS) & (begins > 0)
    candidates: list[tuple[int, int, float]] = []
    for b, r in zip(begins[keep].tolist(), at[keep].tolist(), strict=True):
        peak = float(np.max(up[b:r]))
        # Back below half its height over the level before it: the running level catches up with a curve that
        # stays up (a change of level, which read "came back" once the level had risen with it).
        if not (smooth[r] - level[b] < peak / 2.0 and up[b - 1] < peak / 2.0):
            continue
        if not np.isfinite(values[index[b] - SMOOTH_POINTS + 1 : index[r]]).all():
            continue  # a NaN or inf among its points: a blow-up, the diverging rule's, never "routine"
        before = up[max(b - SPIKE_HISTORY, 0) : b]
        before = before[np.isfinite(before)]
        if peak >= SPIKE_RECORD * (float(np.max(before)) if len(before) else 0.0):
            candidates.append((b, r, peak))
    if not candidates:
        return []
    begun, back, peaks = (np.array(column) for column in zip(*candidates, strict=True))
    # The spread of the level's points before each, all at once (the cheap tests above first).
    windows = rows(values, index[begun] - SMOOTH_POINTS, BATCH_LEVEL_POINTS)
    centres = level[begun]  # those windows' medians, read above
    spread = spread_rows(windows, centres)
    floor = ROUNDING_NOISE * np.maximum(np.abs(centres), track.ranges(index[begun] - SMOOTH_POINTS))
    with np.errstate(invalid="ignore"):
        spiked = peaks >= t.spike_z * np.fmax(spread, floor)
    return [
        (int(index[b]) - SMOOTH_POINTS // 2, int(index[r])) for b, r in zip(begun[spiked], back[spiked], strict=True)
    ]
