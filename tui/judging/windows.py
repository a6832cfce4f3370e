"""Statistics of recent points, computed for many points at once or for one, with the same result.

The engine judges each validation point from the points before it. A long run read at start-up is
judged in bulk and a live run one point at a time, and both must agree to the bit, so every
statistic here is built from order statistics (medians, minima) and element-wise arithmetic: no sum
whose rounding depends on how many rows are computed together.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from tui.judging.resolution import rounding_noise

MAD_TO_SIGMA = 1.4826
"""The median absolute deviation of a normal sample, times this, estimates its standard deviation."""
_SECOND_DIFFERENCE_SCALE = math.sqrt(6.0)
"""White noise of deviation sigma has second differences of deviation sigma * sqrt(6)."""
ROUNDING_NOISE = 1e-6
"""Noise below this share of the curve's level (or range, if larger) is rounding on a smooth curve (float32 keeps
seven digits): a reason says it has none, instead of a rise of 2e15 times its noise."""


def rows(values: np.ndarray, ends: np.ndarray, width: int) -> np.ndarray:
    """``values[end - width + 1 : end + 1]`` for each end, as rows; NaN where the window starts before 0."""
    ends = np.asarray(ends, dtype=np.int64)
    index = ends[:, None] + np.arange(1 - width, 1)
    out = values[np.maximum(index, 0)].astype(np.float64, copy=True)
    out[index < 0] = np.nan
    return out


def trailing_mean3(values: np.ndarray) -> np.ndarray:
    """Mean of each point and the two before it (NaN for the first two and around non-finite points)."""
    out = np.full(values.shape, np.nan)
    if values.size >= 3:
        with np.errstate(invalid="ignore", over="ignore"):
            out[2:] = (values[:-2] + values[1:-1] + values[2:]) / 3.0
    out[~np.isfinite(out)] = np.nan
    return out


def trailing_median3(values: np.ndarray) -> np.ndarray:
    """Median of each point and the two before it (NaN for the first two and around non-finite points)."""
    out = np.full(values.shape, np.nan)
    if values.size >= 3:
        a, b, c = values[:-2], values[1:-1], values[2:]
        out[2:] = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    out[~np.isfinite(out) | ~np.isfinite(trailing_mean3(values))] = np.nan
    return out


def curve_noise(values: np.ndarray) -> float:
    """White-noise deviation of one curve's finite points, from their second differences (0 below three points);
    never below its ``rounding_noise``."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size < 3:
        return 0.0
    with np.errstate(invalid="ignore", over="ignore"):  # values near the float limit (1e308): inf
        second = x[2:] - 2.0 * x[1:-1] + x[:-2]
        spread = MAD_TO_SIGMA * float(np.median(np.abs(second))) / _SECOND_DIFFERENCE_SCALE
    return max(spread, float(rounding_noise(x[np.newaxis, :])[0]))


RHO_CAP = 0.5
"""Largest lag-1 autocorrelation believed from a short window: beyond it, the curve's bend, not its noise."""
RHO_OFFSET, RHO_SHRINK, RHO_SHRINK_FLOOR = 3.0, 7.0, 0.3
"""Around a quadratic fit over m points, AR(1) noise of autocorrelation rho shows a residual autocorrelation of
``-OFFSET/m + max(1 - SHRINK/m, FLOOR) * rho`` on average (measured by simulation); the estimate undoes it."""


def noise(windows: np.ndarray, wandering: bool = True) -> np.ndarray:
    """Robust noise of each row (see ``noise_and_rho``)."""
    return noise_and_rho(windows, wandering)[0]


RHO_LONG = 2
"""Lag-1 autocorrelation is measured on the noise window and on this many times as many points, and the larger
is believed: on 24 points the estimate is noisy and, capped, reads noise that wanders as tamer than it is
(half the false bells of the stress suite's wandering plateaus; the longer window sees more of the bend only
to be more careful)."""


def wandering_noise(
    values: np.ndarray, ends: np.ndarray, width: int, long_width: int | None = None, filled: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the rows of ``width`` points ending at ``ends``, their noise, its autocorrelation) for a validation
    curve: ``noise_and_rho`` with the autocorrelation measured over ``long_width`` points as well (by default
    ``RHO_LONG`` windows) and the larger believed. That second reading takes the curve with each NaN or inf in
    it replaced by the finite value before it (``forward_filled``; pass it in to spare the pass): a window with
    a NaN reads no autocorrelation at all, and one NaN would read wandering noise as white for a whole window."""
    long_width = width * RHO_LONG if long_width is None else long_width
    filled = forward_filled(values) if filled is None else filled
    window = rows(values, ends, width)
    sigma, rho = noise_and_rho(window)
    if long_width <= width and filled is values:
        return window, sigma, rho
    wider = np.maximum(rho, autocorrelation(rows(filled, ends, max(long_width, width))))
    with np.errstate(invalid="ignore"):
        sigma = sigma * np.sqrt(_wander_scale(rho) / _wander_scale(wider))
    return window, sigma, wider


def forward_filled(values: np.ndarray) -> np.ndarray:
    """``values`` with each non-finite point replaced by the last finite one before it (causal: a point's
    filling depends on no later point); ``values`` itself when all are finite, NaN before the first finite one."""
    finite = np.isfinite(values)
    if finite.all():
        return values
    last = np.maximum.accumulate(np.where(finite, np.arange(len(values)), -1))
    return np.where(last >= 0, values[np.maximum(last, 0)], np.nan)


NOISE_SHARE = 5
"""A validation curve longer than this many noise windows has its noise read over this share of it (a fifth)..."""
NOISE_WINDOW_MAX = 120
"""...up to this many points. A noise read on 24 points strays by a third either way (its median of 22
overlapping differences); judged again and again along a long run, it is read low somewhere, and a rise
measured in it looks large: healthy plateaus of 500 and 1,000 points rang the bell on 12 of 144 and 11 of
72 runs. Read on a fifth of the curve, 3 and 2 (all with Student-t spikes); the stress suite 54 of 2,304 -> 21
(its 480-point runs 41 -> 13, its 160-point runs 9 -> 4). Curves of up to 120 points are read as before."""


NOISE_STEP = 4
"""The long window grows in steps of this many points: a curve read whole is read with a few dozen widths, not
hundreds (each width costs a pass; judging a 50,000-point curve whole takes 62 ms instead of 53 with 24 points)."""


def noise_width(count: int, base: int) -> int:
    """Points the noise of a validation curve of ``count`` points is read on: ``base``, or a fifth of a long curve
    (rounded down to a multiple of ``NOISE_STEP``), up to ``NOISE_WINDOW_MAX``."""
    fifth = count // NOISE_SHARE // NOISE_STEP * NOISE_STEP
    return int(min(max(base, fifth), max(base, NOISE_WINDOW_MAX)))


def validation_noise(
    values: np.ndarray, ends: np.ndarray, base: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(noise, its autocorrelation, the noise blind to the bend, and the larger of that and the same over the long
    window) of a validation curve at each of ``ends``, each read on ``noise_width`` points for the curve as long
    as it was then (``wandering_noise``, ``bend_blind_noise``). The last is the unit of the bell's level test: on
    24 calm points the bend-blind noise read half a real curve's scatter, and a spike with two points 2 % up rang a
    healthy wide ResNet (the stress suite's plateaus rang 12 times of 2,304, 6 with the larger)."""
    ends = np.asarray(ends, dtype=np.int64)
    filled = forward_filled(values)
    sigma, rho, bent, wide = (np.full(len(ends), np.nan) for _ in range(4))
    widths = np.array([noise_width(end + 1, base) for end in ends.tolist()], dtype=np.int64)
    for width in np.unique(widths).tolist():
        mine = np.flatnonzero(widths == width)
        # The autocorrelation over RHO_LONG windows too, up to NOISE_WINDOW_MAX points (as many as the noise's).
        long_width = min(width * RHO_LONG, max(width, NOISE_WINDOW_MAX))
        window, sigma[mine], rho[mine] = wandering_noise(values, ends[mine], width, long_width, filled)
        bent[mine] = bend_blind_noise(window, rho[mine])
        wide[mine] = bent[mine]
        if long_width > width:
            wide[mine] = np.fmax(bent[mine], bend_blind_noise(rows(filled, ends[mine], long_width), rho[mine]))
    return sigma, rho, bent, wide


def _wander_scale(rho: np.ndarray) -> np.ndarray:
    """Variance of AR(1) noise's second differences, in units of its marginal variance (6 for white noise)."""
    return 6.0 - 8.0 * rho + 2.0 * rho * rho


def noise_and_rho(windows: np.ndarray, wandering: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Robust noise of each row (NaNs ignored), blind to a locally linear trend; with ``wandering``, how far it strays.

    Second differences cancel a linear trend; the median of their absolute values keeps single spikes from
    inflating the estimate. For white noise of deviation sigma they have deviation sigma * sqrt(6). Noise
    that wanders (lag-1 autocorrelation rho) strays further than its second differences say: their
    deviation is sigma * sqrt(6 - 8 rho + 2 rho^2), so with ``wandering`` rho is estimated from the row
    (``autocorrelation``) and the noise is the marginal deviation; never below the row's ``rounding_noise``. NaN
    for rows with fewer than five points.
    Also returns that autocorrelation (0 where it was not estimated).
    """
    with np.errstate(invalid="ignore", over="ignore"):
        second = windows[:, 2:] - 2.0 * windows[:, 1:-1] + windows[:, :-2]
        spread = MAD_TO_SIGMA * median_rows(np.abs(second))
    enough = np.count_nonzero(np.isfinite(second), axis=1) >= 3
    finest = rounding_noise(windows)
    if not wandering or windows.shape[1] < 5:
        return np.where(enough, np.fmax(spread / _SECOND_DIFFERENCE_SCALE, finest), np.nan), np.zeros(len(windows))
    rho = autocorrelation(windows)
    return np.where(enough, np.fmax(spread / np.sqrt(_wander_scale(rho)), finest), np.nan), rho


def bend_blind_noise(windows: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Robust noise of each row from third differences, which cancel a locally quadratic curve.

    Second differences (``noise_and_rho``) cancel a line but not a bend: on a smooth curve turning
    through its minimum, the bend itself reads as noise, several times the real scatter, and a rise
    measured in that unit looks small for epochs. Third differences are blind to the bend; for AR(1)
    noise of deviation sigma and autocorrelation ``rho`` they have deviation
    ``sigma * sqrt(20 - 30 rho + 12 rho^2 - 2 rho^3)``. NaN for rows with fewer than five of them.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        third = windows[:, 3:] - 3.0 * windows[:, 2:-1] + 3.0 * windows[:, 1:-2] - windows[:, :-3]
        spread = MAD_TO_SIGMA * median_rows(np.abs(third))
        scale = np.sqrt(20.0 - 30.0 * rho + 12.0 * rho * rho - 2.0 * rho * rho * rho)
    enough = np.count_nonzero(np.isfinite(third), axis=1) >= 5
    return np.where(enough, np.fmax(spread / scale, rounding_noise(windows)), np.nan)


@functools.lru_cache(maxsize=64)
def _quadratic_basis(width: int) -> np.ndarray:
    """Orthonormal basis (width, 3) of the quadratics over ``width`` equally spaced points."""
    t = np.linspace(-1.0, 1.0, width)
    q, _ = np.linalg.qr(np.vander(t, 3))
    return np.ascontiguousarray(q)


def autocorrelation(windows: np.ndarray) -> np.ndarray:
    """Lag-1 autocorrelation of each row's residuals around a quadratic fit, corrected for the window's bias.

    A quadratic, so the bend of a U-shaped curve is not taken for noise that wanders. Rows with a non-finite
    value get 0. Every sum runs over the columns in order from 0.0, element-wise across rows, so a row gives
    the same bits alone or among thousands (numpy's pairwise sums would not): for many rows one vector step
    per column; for a few, where that loop would cost a Python step per column for little arithmetic, a
    running sum along each row (``_running_total``), which makes the same additions in the same order.
    """
    width = windows.shape[1]
    basis = _quadratic_basis(width)
    finite = np.isfinite(windows).all(axis=1)
    x = _squarable(np.where(finite[:, None], windows, 0.0))
    with np.errstate(invalid="ignore", over="ignore"):
        raw = _lag_one(x, basis, width)
    rho = (raw + RHO_OFFSET / width) / max(1.0 - RHO_SHRINK / width, RHO_SHRINK_FLOOR)
    return np.where(finite, np.clip(rho, 0.0, RHO_CAP), 0.0)


SQUARABLE = 2.0**500
"""Largest magnitude whose squares, summed over a window, stay finite (about 3e150)."""


def _squarable(x: np.ndarray) -> np.ndarray:
    """``x`` with each row holding a value past ``SQUARABLE`` scaled by a power of two into range, other rows as
    they are. A value of 1e155 squared is inf, and the row's correlation inf / inf, NaN: the noise of every window
    holding it was NaN (a run read as having too few points; a later rise taken for a blow-up). The correlation
    does not depend on the scale, and a power of two changes no bit of the values but their exponent."""
    if x.size == 0:
        return x
    peaks = np.max(np.abs(x), axis=1)
    huge = peaks > SQUARABLE
    if not huge.any():
        return x
    scale = np.where(huge, np.ldexp(1.0, -np.frexp(peaks)[1]), 1.0)
    return x * scale[:, None]


def _lag_one(x: np.ndarray, basis: np.ndarray, width: int) -> np.ndarray:
    """``autocorrelation``'s raw lag-1 correlation of each row's residuals around its fit (0 without energy)."""
    few = len(x) <= _FEW_ROWS
    if few:
        coefficients = _running_total(x[:, :, None] * basis[None, :, :])
    residuals = x.copy()
    for j in range(basis.shape[1]):
        if few:
            coefficient = coefficients[:, j]
        else:
            coefficient = np.zeros(len(x))
            for k in range(width):
                coefficient += x[:, k] * basis[k, j]
        residuals -= coefficient[:, None] * basis[None, :, j]
    if few:
        energy = _running_total(residuals * residuals)
        lagged = _running_total(residuals[:, 1:] * residuals[:, :-1])
    else:
        energy = np.zeros(len(x))
        lagged = np.zeros(len(x))
        for k in range(width):
            energy += residuals[:, k] * residuals[:, k]
            if k:
                lagged += residuals[:, k] * residuals[:, k - 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(energy > 0, lagged / np.where(energy > 0, energy, 1.0), 0.0)


_FEW_ROWS = 64
"""Up to this many rows ``autocorrelation`` sums along each row (``_running_total``); beyond, column by column."""


def _running_total(terms: np.ndarray) -> np.ndarray:
    """Each row's terms (axis 1) added in order from 0.0, ``((0 + t0) + t1) + ...``: a running sum's last value."""
    padded = np.zeros((terms.shape[0], terms.shape[1] + 1, *terms.shape[2:]))
    padded[:, 1:] = terms
    return np.add.accumulate(padded, axis=1)[:, -1]


def spread_rows(windows: np.ndarray, centres: np.ndarray | None = None) -> np.ndarray:
    """Each row's spread about its median (``centres``, when read already), as a deviation: the median absolute
    deviation, blind to a few points far out and to a point-to-point noise that held values do not have."""
    centres = median_rows(windows) if centres is None else centres
    return MAD_TO_SIGMA * median_rows(np.abs(windows - centres[:, None]))


def median_rows(windows: np.ndarray) -> np.ndarray:
    """Median of each row's finite values (NaN for an empty row): sorted, the middle one or two averaged."""
    if windows.shape[1] == 0:
        return np.full(windows.shape[0], np.nan)
    if windows.shape[0] == 1:  # a live point: the same middle values, without the table's bookkeeping (6x faster)
        row = windows[0]
        finite = np.sort(row[np.isfinite(row)])
        n = finite.size
        with np.errstate(over="ignore"):  # two values near the float limit (1e308): their mean is read as inf
            return np.array([(finite[(n - 1) // 2] + finite[n // 2]) / 2.0 if n else np.nan])
    clean = np.where(np.isfinite(windows), windows, np.nan)
    ordered = np.sort(clean, axis=1)  # NaNs sort last
    counts = np.count_nonzero(np.isfinite(clean), axis=1)
    row = np.arange(len(ordered))
    low = ordered[row, np.maximum(counts - 1, 0) // 2]
    high = ordered[row, counts // 2 - (counts == 0)]
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(counts > 0, (low + high) / 2.0, np.nan)


def change(windows: np.ndarray) -> np.ndarray:
    """Median of each row's last third minus the median of its first third: a robust change over the row."""
    third = max(1, windows.shape[1] // 3)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: medians near the float limit
        return median_rows(windows[:, -third:]) - median_rows(windows[:, :third])


MEDIAN_SPREAD = 1.2533
"""A median of n points of white noise strays this many times as far as their mean (sqrt(pi / 2)), for large n."""


def change_spread(width: int) -> float:
    """Standard deviation of ``change`` over ``width`` points of unit white noise (medians of a third each)."""
    third = max(1, width // 3)
    return MEDIAN_SPREAD * math.sqrt(2.0 / third)


THEIL_SEN_EFFICIENCY = 1.1
"""Theil-Sen's slope has about 1.1 times the standard error of least squares on white noise (91 % efficient)."""


def slope_z(
    values: np.ndarray, ends: np.ndarray, counts: np.ndarray, sigmas: np.ndarray, spike_z: float = math.inf
) -> np.ndarray:
    """Theil-Sen slope over the ``counts[i]`` points ending at ``ends[i]``, in standard errors for noise ``sigmas[i]``.

    The median of pairwise slopes: robust to a spike among many points, exact (no sums), and unbiased for white
    noise when the points follow a chosen low point rather than include it. NaN with fewer than three points or no
    noise. On a few points one spike carries half the pairs, so a point ``spike_z`` noise deviations above both its
    neighbours counts at the higher of them (``despiked``).
    """
    out = np.full(len(ends), np.nan)
    for k in np.unique(counts).tolist():
        if k < 3:
            continue
        mine = np.flatnonzero(counts == k)
        with np.errstate(over="ignore"):  # --set jump_z=1e300 on noise of 1e30: no point is a spike (inf)
            limits = spike_z * sigmas[mine]
        window = despiked(rows(values, ends[mine], k), limits)
        i, j = np.triu_indices(k, 1)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            slopes = median_rows((window[:, j] - window[:, i]) / (j - i).astype(np.float64))
            stderr = THEIL_SEN_EFFICIENCY * sigmas[mine] * math.sqrt(12.0 / (k * (k * k - 1.0)))
            out[mine] = np.where(stderr > 0, slopes / stderr, np.nan)
    return out


def despiked(windows: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """Each row with every inner point more than its row's ``limit`` above both its neighbours held at the higher
    neighbour: a lone spike that came back (a spoiled evaluation) is no rise. The last point has no later
    neighbour yet and stays: a spike at the latest point is not known to come back."""
    if windows.shape[1] < 3:
        return windows
    inner = windows[:, 1:-1]
    with np.errstate(invalid="ignore", over="ignore"):
        higher = np.fmax(windows[:, :-2], windows[:, 2:])
        spike = inner - higher > limits[:, None]
    if not spike.any():
        return windows
    out = windows.copy()
    out[:, 1:-1] = np.where(spike, higher, inner)
    return out


def largest_steps_up(values: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For each end, the largest rise from one point to the next among the points up to it (NaN when none)."""
    if not len(ends):
        return np.empty(0)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, or past the float limit
        steps = np.diff(values[: int(ends[-1]) + 1])
    steps[~np.isfinite(steps)] = np.nan  # to or from a NaN or inf point: told by the blow-up rules, not a step
    return np.fmax.accumulate(np.concatenate(([np.nan], steps)))[ends]


SHIFT_POINTS = 40
"""The shift test's change point lies among validation's latest this many points (37 change points, each with 3 to
39 points from it to the end), and its mean before the change is read on at most this many points."""
SHIFT_BIAS_RATE = 2.0
"""The shift test's bar grows with how low the best of many means sits by chance at this many times the level
test's rate: a scan over change points at every look of a long plateau has more chances than one median."""


def _clipped(window: np.ndarray, centres: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """Each row's values held within its ``limits`` of its ``centres`` (one of each per row, as columns): a spike
    counts no more than a point of a real rise (``shift_up``, ``settled_up``)."""
    return np.minimum(np.maximum(window, centres - limits), centres + limits)


def shift_up(
    values: np.ndarray, ends: np.ndarray, best_ends: np.ndarray, centres: np.ndarray, limits: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """How far validation's mean since a change point stands above its mean from its best up to that point, for
    each end: the largest over change points after the best three points (and three or more points from each to
    the end) of
    ``(mean after - mean before) / sqrt(1 / after + 1 / before)``, the two-sample statistic of a step up before it
    is divided by the noise; with the number of points after the chosen change. NaN (and 0) without a change point
    or with a non-finite point in the way.

    A mean of the points since a change weighs them all: a level that stepped up by twice its noise stands out
    after a few points, where one recent median needs five deviations. Each value counts at most ``limits`` away
    from ``centres`` (one per end; the bell's floor and 2.5 noise deviations): a spike adds no more than a point
    of a real rise does. The mean before the change starts at the first of the best three points (``best_ends``:
    the index of the last, ``Moment.best_index``), over at most ``SHIFT_POINTS`` points; chosen for being the lowest
    of many, they sit low by chance, which the judge's bar pays for. Sums run along each row only: any number of
    rows gives the same.
    """
    count = len(ends)
    shift, after = np.full(count, np.nan), np.zeros(count, dtype=np.int64)
    if not count:
        return shift, after
    width = 2 * SHIFT_POINTS
    ends = np.asarray(ends, dtype=np.int64)
    window = rows(values, ends, width)
    finite = np.isfinite(window)
    centres, limits = np.asarray(centres, dtype=np.float64)[:, None], np.asarray(limits, dtype=np.float64)[:, None]
    best_ends = np.asarray(best_ends, dtype=np.int64)
    best_first = best_ends - 2 - (ends - width + 1)  # in columns of the window
    cuts = np.arange(width - SHIFT_POINTS + 1, width - 2)  # three to SHIFT_POINTS - 1 points from it on
    begin = np.maximum(best_first[:, None], cuts[None, :] - SHIFT_POINTS)
    valid = (cuts[None, :] >= best_first[:, None] + 3) & (begin >= 0) & (best_ends >= 2)[:, None]
    begin = np.clip(begin, 0, width)
    zero = np.zeros((count, 1))
    bad = np.hstack((zero, np.cumsum(~finite, axis=1)))
    valid &= (bad[:, -1:] - np.take_along_axis(bad, begin, axis=1)) == 0
    n_after = (width - cuts).astype(np.float64)[None, :]
    n_before = np.maximum(cuts[None, :] - begin, 1).astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # no floor yet (inf), values near the float limit: NaN
        window = _clipped(window, centres, limits)
        sums = np.hstack((zero, np.cumsum(np.where(finite, window, 0.0), axis=1)))  # sums[:, j]: of columns before j
        mean_after = (sums[:, -1:] - sums[:, cuts]) / n_after
        mean_before = (sums[:, cuts] - np.take_along_axis(sums, begin, axis=1)) / n_before
        z = np.where(valid, (mean_after - mean_before) / np.sqrt(1.0 / n_after + 1.0 / n_before), -np.inf)
    best = np.argmax(z, axis=1)
    top = z[np.arange(count), best]
    found = np.isfinite(top)
    shift[found] = top[found]
    after[found] = width - cuts[best[found]]
    return shift, after


SETTLED_AFTER = 40
"""The settled test's latest points: their mean against the mean of ``SETTLED_BEFORE`` points from the best on."""
SETTLED_BEFORE = 20


def settled_up(
    values: np.ndarray, ends: np.ndarray, best_ends: np.ndarray, centres: np.ndarray, limits: np.ndarray
) -> np.ndarray:
    """How far validation's mean over its latest ``SETTLED_AFTER`` points stands above its mean over the
    ``SETTLED_BEFORE`` points from the first of its best three on, as a two-sample statistic before it is divided
    by the noise; NaN until the two do not overlap, or with a non-finite point among them.

    A rise that happened long ago and then settled at a higher level has no trend since the best and no change
    point among the latest points (the shift test's): its evidence is the whole stretch since. Each value counts at
    most ``limits`` away from ``centres``, as in ``shift_up``."""
    count = len(ends)
    out = np.full(count, np.nan)
    if not count:
        return out
    ends = np.asarray(ends, dtype=np.int64)
    first = np.asarray(best_ends, dtype=np.int64) - 2
    apart = (first >= 0) & (ends - SETTLED_AFTER + 1 >= first + SETTLED_BEFORE)
    if not apart.any():
        return out
    centres = np.asarray(centres, dtype=np.float64)[apart, None]
    limits = np.asarray(limits, dtype=np.float64)[apart, None]
    after = rows(values, ends[apart], SETTLED_AFTER)
    before = rows(values, first[apart] + SETTLED_BEFORE - 1, SETTLED_BEFORE)
    finite = np.isfinite(after).all(axis=1) & np.isfinite(before).all(axis=1)  # inf is no level to clip
    with np.errstate(invalid="ignore", over="ignore"):
        after, before = _clipped(after, centres, limits), _clipped(before, centres, limits)
        z = (after.mean(axis=1) - before.mean(axis=1)) / np.sqrt(1.0 / SETTLED_AFTER + 1.0 / SETTLED_BEFORE)
    out[apart] = np.where(finite, z, np.nan)
    return out
