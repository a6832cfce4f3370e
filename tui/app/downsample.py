"""Downsampling for drawing: per column, keep the minimum and the maximum so spikes stay visible."""

from __future__ import annotations

import numpy as np


def minmax_downsample(x: np.ndarray, y: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``2 * columns`` points: for each of ``columns`` equal x-bins, its min and max y in x order.

    Non-finite y values are dropped (they cannot be drawn); x must be sorted.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    keep = np.isfinite(y) & np.isfinite(x)
    x, y = x[keep], y[keep]
    if x.size <= 2 * columns or columns < 1:
        return x, y
    edges = np.linspace(x[0], x[-1], columns + 1)
    bins = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, columns - 1)
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    ends = np.r_[starts[1:], x.size]
    # Index of the min and max inside each bin, to keep their x positions and order.
    out_x, out_y = [], []
    for start, end in zip(starts.tolist(), ends.tolist()):
        segment = y[start:end]
        i_low = start + int(np.argmin(segment))
        i_high = start + int(np.argmax(segment))
        for i in sorted({i_low, i_high}):
            out_x.append(x[i])
            out_y.append(y[i])
    return np.asarray(out_x), np.asarray(out_y)
