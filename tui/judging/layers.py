"""Per-layer figures from weight and activation histograms.

How far a distribution moved is the Wasserstein-1 (earth mover's) distance
between two histograms, divided by the layer's standard deviation so that it
is scale-free: 0 means identical, 1 means the mass moved by one standard
deviation on average. The fraction of activations at exactly zero is the mass
of the histogram buckets that lie within a hair of zero (PyTorch's default
TensorFlow-style buckets give zero its own ±1e-12 bucket).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tui.judging.pairing import words
from tui.sources.points import Histogram
from tui.text import percent

if TYPE_CHECKING:
    from tui.judging.thresholds import Thresholds
    from tui.store import Run
    from tui.store.series import HistogramSeries, Series

ACTIVATION_WORDS = frozenset(
    {"activation", "activations", "act", "acts", "relu", "output", "outputs", "hidden", "features", "feature", "post"}
)
SPARSITY_WORDS = frozenset({"sparsity", "zero", "zeros", "dead", "fraction"})
PERCENTILES = (0, 7, 16, 31, 50, 69, 84, 93, 100)
"""TensorBoard's distribution bands (±0, 1, 1.5, 2 sigma of a normal)."""


@dataclass(frozen=True)
class LayerReport:
    """How one histogram tag's distribution has moved, and how much of it sits at zero."""

    tag: str
    kind: str
    """'weights' or 'activations'."""
    step: int
    steps: int
    """How many histograms were logged."""
    std: float
    change_total: float
    """Distance from the first to the newest histogram, in standard deviations."""
    change_recent: float
    """Distance across the last ``static_window`` histograms, in standard deviations."""
    zero_fraction: float | None
    static: bool
    dead: bool
    static_reason: str
    dead_reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "tag": self.tag,
            "kind": self.kind,
            "step": self.step,
            "histograms": self.steps,
            "std": self.std,
            "change_total": self.change_total,
            "change_recent": self.change_recent,
            "zero_fraction": self.zero_fraction,
            "static": self.static,
            "dead": self.dead,
        }


def layer_kind(tag: str) -> str:
    return "activations" if any(w in ACTIVATION_WORDS for w in words(tag)) else "weights"


def finite_edges(h: Histogram) -> np.ndarray:
    """The histogram's bucket edges, ascending and finite: a diverged layer's min or max is inf or NaN, which would
    make every figure inf or NaN and its share at zero 100 %; its outer buckets are put at the finite edges next to
    them instead (a histogram without a finite edge has no mass to measure: ``bucket_counts``)."""
    edges = h.edges.astype(np.float64)
    finite = np.isfinite(edges)
    if not finite.all():
        if not finite.any():
            return np.zeros_like(edges)
        lowest, highest = edges[finite].min(), edges[finite].max()
        ends = np.where(np.arange(len(edges)) == 0, lowest, highest)  # a NaN min or max: the nearer finite end
        edges = np.clip(np.where(np.isnan(edges), ends, edges), lowest, highest)
    return np.maximum.accumulate(edges)


def _measurable(h: Histogram) -> bool:
    """The histogram has a finite edge: where its mass lies is known (a layer gone all inf or NaN has none)."""
    return bool(np.isfinite(h.edges).any())


def bucket_counts(h: Histogram) -> np.ndarray:
    """The histogram's counts as floats, a count that is not a finite number of at least 0 (a damaged record) as 0;
    all 0 where no edge is finite (values all inf or NaN: where its mass lies is not known)."""
    counts = h.counts.astype(np.float64)
    if not _measurable(h):
        return np.zeros_like(counts)
    return np.where(np.isfinite(counts) & (counts > 0), counts, 0.0)


def not_finite(h: Histogram) -> bool:
    """An edge that is inf or NaN: values beyond float range in the layer (``finite_edges`` draws them at its ends)."""
    return not bool(np.isfinite(h.edges).all())


def cdf_at(h: Histogram, points: np.ndarray) -> np.ndarray:
    """The histogram's cumulative distribution (mass spread evenly within buckets) at ``points``."""
    counts = bucket_counts(h)
    total = counts.sum()
    if total <= 0:
        return np.zeros_like(points)
    cumulative = np.concatenate(([0.0], np.cumsum(counts) / total))
    return np.interp(points, finite_edges(h), cumulative, left=0.0, right=1.0)


def mean_std(h: Histogram) -> tuple[float, float]:
    """Mean and deviation; NaN for a histogram without a finite edge (a layer gone all NaN: not known)."""
    if not _measurable(h):
        return math.nan, math.nan
    edges = finite_edges(h)
    counts = bucket_counts(h)
    total = counts.sum()
    if total <= 0:
        return 0.0, 0.0
    with np.errstate(invalid="ignore", over="ignore"):  # edges near the float limit: inf, or NaN
        centers = (edges[:-1] + edges[1:]) / 2
        mean = float(np.sum(centers * counts) / total)
        var = float(np.sum(counts * (centers - mean) ** 2) / total)
    return mean, var**0.5


def wasserstein(a: Histogram, b: Histogram) -> float:
    """Earth mover's distance between two histograms (area between their CDFs); NaN where one has no finite edge
    (how far a layer gone all NaN moved is not known: it is no frozen layer)."""
    if not (_measurable(a) and _measurable(b)):
        return math.nan
    grid = np.union1d(finite_edges(a), finite_edges(b))
    if grid.size < 2:
        return 0.0
    gap = np.abs(cdf_at(a, grid) - cdf_at(b, grid))
    return float(np.sum((gap[:-1] + gap[1:]) / 2 * np.diff(grid)))


def percentiles(h: Histogram, qs=PERCENTILES) -> np.ndarray:
    """Values below which ``q`` percent of the mass lies (inverse of the piecewise-linear CDF)."""
    counts = bucket_counts(h)
    total = counts.sum()
    edges = finite_edges(h)
    if total <= 0:
        return np.full(len(qs), np.nan)
    cumulative = np.concatenate(([0.0], np.cumsum(counts) / total))
    targets = np.asarray(qs, dtype=np.float64) / 100.0
    # The CDF is flat over empty buckets; interp needs increasing x, so keep the first edge of each level.
    keep = np.concatenate(([True], np.diff(cumulative) > 0))
    return np.interp(targets, cumulative[keep], edges[keep])


def zero_fraction(h: Histogram) -> float | None:
    """Mass in buckets lying within a hair of zero, or None if no bucket is that narrow."""
    edges = finite_edges(h)
    counts = bucket_counts(h)
    total = counts.sum()
    span = float(np.max(np.abs(edges))) if edges.size else 0.0
    if total <= 0:
        return None
    finite = np.isfinite(h.edges)
    if span == 0 and finite.all():
        return 1.0  # every bucket edge is zero: all of the mass is exactly zero
    hair = 1e-6 * span
    # a bucket reaching to inf or NaN (put at its finite neighbour) is not narrow: [0, inf] holds no zero
    narrow = (np.abs(edges[:-1]) <= hair) & (np.abs(edges[1:]) <= hair) & finite[:-1] & finite[1:]
    if not narrow.any():
        return None
    return float(counts[narrow].sum() / total)


class HistogramTrack:
    """Figures of each histogram of one tag, computed once, when it arrives: its deviation, its mass at zero
    and how far it moved over the ``static_window`` histograms before it.

    A run's layers are judged as of every step with a new histogram (the live path does so as they come,
    the catch-up must raise the same flags), and each judgement reads the figures up to its step: without
    the track, every judgement measured its newest and its first histogram again and copied the tag's list
    up to its step (linear in the run's length, so a catch-up was quadratic). The store's thinning or a
    restart (a new ``generation`` of the series) starts the track over.
    """

    __slots__ = ("ascending", "generation", "kind", "recent", "static_window", "stds", "steps", "zeros")

    def __init__(self, tag: str, generation: int, static_window: int) -> None:
        self.kind = layer_kind(tag)
        self.generation = generation
        self.static_window = static_window
        self.steps: list[int] = []
        self.stds: list[float] = []
        self.zeros: list[float | None] = []
        self.recent: list[float] = []
        """Distance from the histogram ``min(static_window, i)`` before, in the larger of its and the first's std."""
        self.ascending = True

    def extend(self, items: list[Histogram]) -> None:
        for i in range(len(self.steps), len(items)):
            histogram = items[i]
            _, std = mean_std(histogram)
            if self.steps and histogram.step < self.steps[-1]:
                self.ascending = False
            self.steps.append(histogram.step)
            self.stds.append(std)
            self.zeros.append(zero_fraction(histogram))
            window = min(self.static_window, i)
            scale = max(std, self.stds[0])
            if math.isnan(std) or math.isnan(self.stds[0]):
                self.recent.append(math.nan)  # a layer gone all NaN, now or at first: no movement to measure
            elif scale > 0:
                self.recent.append(wasserstein(items[i - window], histogram) / scale if window > 0 else 0.0)
            else:
                self.recent.append(0.0 if _same(items[0], histogram) else float("inf"))


def _track(
    tracks: dict[str, HistogramTrack], tag: str, series: HistogramSeries, thresholds: Thresholds
) -> HistogramTrack:
    track = tracks.get(tag)
    if track is None or track.generation != series.generation or track.static_window != thresholds.static_window:
        track = tracks[tag] = HistogramTrack(tag, series.generation, thresholds.static_window)
    track.extend(series.items)
    return track


class PercentSeen:
    """Where a sparsity curve first went above 1 (in percent, then), looked for in its new points only: a catch-up
    judges the layers at every step, and reading the curve up to each step again was quadratic. A new
    ``generation`` of the series (a restart, thinning) starts it over."""

    __slots__ = ("first", "generation", "read")

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.read = 0
        self.first: int | None = None

    def by(self, values: np.ndarray, end: int) -> bool:
        """Whether a value above 1 came among the first ``end``."""
        if self.first is None and end > self.read:
            above = np.flatnonzero(values[self.read : end] > 1.0)
            self.first = self.read + int(above[0]) if len(above) else None
            self.read = end
        return self.first is not None and self.first < end


def layer_reports(
    run: Run,
    thresholds: Thresholds,
    upto: int | None = None,
    shown: bool = True,
    tracks: dict[str, HistogramTrack] | None = None,
    scales: dict[str, PercentSeen] | None = None,
) -> list[LayerReport]:
    """One report per histogram tag of the run, plus sparsity scalars (as of step ``upto``, if given).

    Without ``shown`` (a step the engine passes through on its way to the newest), the change since the
    first histogram, which only the table and a static layer's reason show, is measured only for static
    layers (NaN otherwise): a long run's catch-up then costs one distance per layer and step, not two.
    ``tracks`` (tag -> HistogramTrack) keeps each histogram's figures from one call to the next, ``scales`` (tag ->
    PercentSeen) whether each sparsity scalar is in percent.
    """
    tracks = {} if tracks is None else tracks
    scales = {} if scales is None else scales
    reports = []
    for tag in sorted(run.histograms):
        report = _histogram_report(tag, run.histograms[tag], thresholds, upto, shown, tracks)
        if report is not None:
            reports.append(report)
    for tag in sorted(run.scalars):
        if any(w in SPARSITY_WORDS for w in words(tag)) and ("sparsity" in tag.lower() or "zero" in tag.lower()):
            series = run.scalars[tag]
            scale = scales.get(tag)
            if scale is None or scale.generation != series.generation:
                scale = scales[tag] = PercentSeen(series.generation)
            report = _sparsity_report(tag, series, thresholds, upto, scale)
            if report is not None:
                reports.append(report)
    return reports


def _histogram_report(
    tag: str,
    series: HistogramSeries,
    thresholds: Thresholds,
    upto: int | None,
    shown: bool,
    tracks: dict[str, HistogramTrack],
) -> LayerReport | None:
    """A histogram tag's report as of step ``upto`` (None: no histogram by then)."""
    items = series.items
    track = _track(tracks, tag, series, thresholds)
    if upto is None:
        end = len(items)
    elif track.ascending:
        end = bisect.bisect_right(track.steps, upto)
    else:  # steps out of order (rare): the histograms up to ``upto``, wherever they sit, measured afresh
        items = [h for h in items if h.step <= upto]
        track = HistogramTrack(tag, series.generation, thresholds.static_window)
        track.extend(items)
        end = len(items)
    if not end:
        return None
    kind = track.kind
    first, last = items[0], items[end - 1]
    std = track.stds[end - 1]
    scale = max(std, track.stds[0])
    window = min(thresholds.static_window, end - 1)
    recent = track.recent[end - 1]
    zeros = track.zeros[end - 1]
    static = kind == "weights" and end > thresholds.static_window and recent < thresholds.static_change
    if not (shown or static):
        total = float("nan")
    elif scale > 0:
        total = wasserstein(first, last) / scale
    else:
        total = recent
    dead = kind == "activations" and zeros is not None and zeros >= thresholds.dead_fraction
    steps_apart = last.step - items[end - 1 - window].step
    return LayerReport(
        tag=tag,
        kind=kind,
        step=last.step,
        steps=end,
        std=std,
        change_total=total,
        change_recent=recent,
        zero_fraction=zeros,
        static=static,
        dead=dead,
        static_reason=(
            f"{tag} moved {recent:.2g} std over the last {steps_apart:,} steps "
            f"({total:.2g} std since step {first.step:,})"
        ),
        dead_reason=f"{tag}: {percent(zeros or 0)} of activations are exactly zero at step {last.step:,}",
    )


PERCENT_WORDS = ("pct", "percent", "%")
"""A sparsity tag named with one of these is in percent whatever its values (``relu1/sparsity_pct``)."""


def _sparsity_report(
    tag: str, series: Series, thresholds: Thresholds, upto: int | None, scale: PercentSeen
) -> LayerReport | None:
    """A logged sparsity (a fraction or a percentage of zero units) as a report (None: no point by ``upto``)."""
    steps, values, _ = series.arrays()
    end = len(steps) if upto is None else int(np.searchsorted(steps, upto, side="right"))
    if end == 0:
        return None
    step, value = int(steps[end - 1]), float(values[end - 1])
    # In percent when its name says so or any value so far is above 1: a percent curve fallen to 0.94 % is 0.94 %
    in_percent = any(word in tag.lower() for word in PERCENT_WORDS) or scale.by(values, end)
    fraction = value / 100.0 if in_percent else value
    return LayerReport(
        tag=tag,
        kind="sparsity",
        step=step,
        steps=end,
        std=0.0,
        change_total=0.0,
        change_recent=0.0,
        zero_fraction=fraction,
        static=False,
        dead=fraction >= thresholds.dead_fraction,
        static_reason="",
        dead_reason=f"{tag}: {percent(fraction)} of units are zero at step {step:,}",
    )


def _same(a: Histogram, b: Histogram) -> bool:
    return np.array_equal(a.edges, b.edges) and np.array_equal(a.counts, b.counts)
