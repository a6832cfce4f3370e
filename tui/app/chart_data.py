"""Turn what the store holds into a ChartSpec: raw and smoothed curves, markers, axis choice.

Smoothing a long curve is one pass; the cache keeps each curve's smoothed
values and extends them as points arrive, so a redraw after a new point only
smooths that point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from tui.app.chart import (
    NOT_FINITE_COLOR,
    PALETTE,
    TRAIN_COLOR,
    TRAIN_FAINT,
    VAL_COLOR,
    VAL_FAINT,
    ChartSpec,
    Curve,
    Marker,
)
from tui.app.format import trouble
from tui.judging.engine import Verdict
from tui.judging.smoothing import Smoothed
from tui.store import Run, Store
from tui.store.series import Series
from tui.text import shown_name


@dataclass(frozen=True)
class View:
    """What the user asked to see."""

    mode: str = "pair"
    """'pair' (train + val loss), 'tag' (one chosen tag) or 'compare' (val of marked runs)."""
    tag: str | None = None
    weight: float = 0.6
    x_axis: str = "step"
    """'step' or 'time' (since the run's first point, in seconds, minutes, hours or days as the span fits)."""
    log_y: bool = False


class SmoothingCache:
    """Smoothed curves by (run, tag, weight), extended incrementally."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, float], tuple[int, Smoothed]] = {}

    def get(self, run: str, tag: str, series: Series, weight: float) -> np.ndarray:
        key = (run, tag, weight)
        values = series.values
        cached = self._cache.get(key)
        if cached is None or cached[0] != series.generation or len(cached[1].values) > len(values):
            cached = (series.generation, Smoothed(weight))
        cached[1].extend(values)
        self._cache[key] = cached
        return cached[1].values

    def forget(self, run: str) -> None:
        for key in [k for k in self._cache if k[0] == run]:
            del self._cache[key]


TIME_UNITS = (("seconds", 1.0, 120.0), ("minutes", 60.0, 2 * 3600.0), ("hours", 3600.0, 2 * 86400.0))
"""(unit, seconds in it, longest span shown in it); longer spans are shown in days."""


def time_unit(span_seconds: float) -> tuple[str, float]:
    """The unit a time axis of this span reads best in: seconds, minutes, hours or days."""
    for unit, size, longest in TIME_UNITS:
        if span_seconds < longest:
            return unit, size
    return "days", 86400.0


def _x(series: Series, x_axis: str, origin: float | None) -> np.ndarray:
    steps, _, walls = series.arrays()
    if x_axis == "time" and walls.size:
        return walls - (origin if origin is not None else walls[0])
    return steps.astype(np.float64)


def _in_time_unit(curves: list[Curve], markers: list[Marker]) -> tuple[list[Curve], list[Marker], str]:
    """Curves and markers with x in seconds, rescaled to the unit their span fits, and the axis label."""
    span = max((float(c.x[-1]) for c in curves if len(c.x)), default=0.0)
    unit, size = time_unit(span)
    curves = [replace(c, x=c.x / size) for c in curves]
    markers = [replace(m, x=m.x / size) for m in markers]
    return curves, markers, f"{unit} since start"


NO_TIMES = "x: steps, its log holds no times"


def _timeless(run: Run) -> bool:
    """Every point of the run carries one and the same time: a log without a time column read at once takes its
    file's modification time (CSV, a Trainer's state), and a time axis drew each curve as one bar at 0."""
    walls = [series.walls for series in run.scalars.values() if len(series)]
    spread = any(len(w) > 1 for w in walls)  # a single point has no time span to show either way
    return spread and all(float(np.ptp(w)) == 0.0 for w in walls) and len({float(w[0]) for w in walls}) == 1


def _with_steps_if_timeless(view: View, runs: list[Run]) -> tuple[View, str]:
    """The view to chart with, and what to say: steps on x, said, where the time axis has no times to show for
    one of the runs (compared runs share one axis)."""
    if view.x_axis == "time" and any(_timeless(run) for run in runs):
        return replace(view, x_axis="step"), NO_TIMES
    return view, ""


def _origin(run: Run) -> float | None:
    firsts = [s.walls[0] for s in run.scalars.values() if len(s)]
    return min(firsts) if firsts else None


def _sorted(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.size > 1 and np.any(np.diff(x) < 0):
        order = np.argsort(x, kind="stable")
        return x[order], y[order]
    return x, y


def _raw_and_smooth(
    run: Run, tag: str, label: str, faint, bold, view: View, cache: SmoothingCache, origin: float | None
) -> list[Curve]:
    series = run.scalars[tag]
    x = _x(series, view.x_axis, origin)
    raw = series.values
    smoothed = cache.get(run.name, tag, series, view.weight)
    curves = [Curve("", *_sorted(x, raw), faint)]
    if view.weight > 0:
        curves.append(Curve(label, *_sorted(x, smoothed), bold))
    else:
        curves[0] = Curve(label, *_sorted(x, raw), bold)
    return curves


def _step_to_x(run: Run, tag: str | None, step: int | None, view: View, origin: float | None) -> float | None:
    if step is None or tag is None or tag not in run.scalars:
        return None
    if view.x_axis == "step":
        return float(step)
    series = run.scalars[tag]
    steps, _, walls = series.arrays()
    index = int(np.searchsorted(steps, step))
    if index >= len(walls):
        return None
    return float(walls[index] - (origin or walls[0]))


def _not_finite_marker(run: Run, tags: list[str | None], view: View, origin: float | None) -> list[Marker]:
    """A line at the first NaN or infinite value of the charted curves, which the curves cannot draw: a diverged
    run's line just stopped, its blow-up said only in the verdict's reason."""
    firsts = []
    for tag in tags:
        if tag in run.scalars:
            steps, values, _ = run.scalars[tag].arrays()
            bad = np.flatnonzero(~np.isfinite(values))
            if len(bad):
                firsts.append((int(steps[bad[0]]), tag))
    if not firsts:
        return []
    step, tag = min(firsts)
    x = _step_to_x(run, tag, step, view, origin)
    return [] if x is None else [Marker(x, NOT_FINITE_COLOR, f"NaN/inf at step {step:,}", f"NaN@{step:,}")]


def chart_spec(
    store: Store,
    verdicts: Mapping[str, Verdict],
    run_name: str | None,
    view: View,
    cache: SmoothingCache,
    marked: list[str] | None = None,
) -> ChartSpec:
    """The spec for the chart panel; its key changes exactly when what it shows changes."""
    with store.lock:
        if view.mode == "compare":
            return _compare_spec(store, verdicts, marked or [], view, cache)
        run = store.runs.get(run_name) if run_name else None
        if run is None:
            return ChartSpec(key=("none",), empty_message="no run selected")
        view, no_times = _with_steps_if_timeless(view, [run])
        origin = _origin(run) if view.x_axis == "time" else None
        verdict = verdicts.get(run.name)
        lengths = tuple((t, len(s), s.generation) for t, s in sorted(run.scalars.items()))
        empty = f"{run.name}: {_nothing_read(run) if not run.scalars else _no_pair(verdict)}"
        key = (run.name, view, lengths, verdict.onset_step if verdict else None, empty, no_times)
        smoothing = " · ".join(part for part in (f"smoothing {view.weight:.2f}", no_times) if part)
        if view.mode == "tag" and view.tag in run.scalars:
            curves = _raw_and_smooth(run, view.tag, view.tag, TRAIN_FAINT, TRAIN_COLOR, view, cache, origin)
            heading = f"{shown_name(run.name)} · {view.tag}"
            nan = _not_finite_marker(run, [view.tag], view, origin)
            spec = ChartSpec(key=key, heading=heading, detail=smoothing, curves=curves, markers=nan)
            return _on_axis(spec, view)
        curves = []
        train_tag = verdict.train_tag if verdict else None
        val_tag = verdict.val_tag if verdict else None
        if train_tag in run.scalars:
            curves += _raw_and_smooth(run, train_tag, "train", TRAIN_FAINT, TRAIN_COLOR, view, cache, origin)
        if val_tag in run.scalars:
            curves += _raw_and_smooth(run, val_tag, "val", VAL_FAINT, VAL_COLOR, view, cache, origin)
        markers = []
        best = _step_to_x(run, val_tag, verdict.best_step if verdict else None, view, origin)
        if best is not None:
            markers.append(Marker(best, "green", "best val", "best"))
        onset = _step_to_x(run, val_tag, verdict.onset_step if verdict else None, view, origin)
        if onset is not None:
            markers.append(Marker(onset, "red", "overfitting onset", "onset"))
        markers += _not_finite_marker(run, [train_tag, val_tag], view, origin)
        return _on_axis(
            ChartSpec(
                key=key,
                heading=shown_name(run.name),
                detail=smoothing,
                curves=curves,
                markers=markers,
                empty_message=empty,
            ),
            view,
        )


def _nothing_read(run: Run) -> str:
    """Why a run has no curve to chart: what refused or damaged its files, that it logs histograms alone, or that
    nothing came yet (choosing a tag cannot help: there is none)."""
    if run.errors or run.damaged or run.cut_short:
        return trouble(run)
    return "no scalar curves, only distributions (h shows them)" if run.histograms else "no points read yet"


def _no_pair(verdict: Verdict | None) -> str:
    """Why a run with curves charts none of them as its losses: the engine's reason where it says it (no loss among
    them, or --train-tag / --val-tag picked none), else the way to choose one."""
    if verdict is not None and verdict.reason and not (verdict.train_tag or verdict.val_tag):
        return f"choose a tag: {verdict.reason}"  # the way out first: a narrow title cuts the end
    return "no loss curves found (choose a tag)"


def _on_axis(spec: ChartSpec, view: View) -> ChartSpec:
    """The spec with the view's axes: x in steps or in the time unit that fits, log y or not. A curve with a value
    at or below zero (a Gaussian NLL, a flow's loss) keeps the axis linear, and the title says why: on a log axis
    those points vanished, and plotext drew what was left on an axis upside down."""
    log_y = view.log_y
    if log_y and any(bool(np.any(curve.y[np.isfinite(curve.y)] <= 0)) for curve in spec.curves):
        log_y = False
        spec = replace(spec, detail=" · ".join(part for part in (spec.detail, NO_LOG_Y) if part))
    if view.x_axis != "time":
        return replace(spec, xlabel="step", log_y=log_y)
    curves, markers, xlabel = _in_time_unit(spec.curves, spec.markers)
    return replace(spec, curves=curves, markers=markers, xlabel=xlabel, log_y=log_y, integer_x=False)


NO_LOG_Y = "log y off: values ≤ 0"


def _compare_spec(
    store: Store, verdicts: Mapping[str, Verdict], marked: list[str], view: View, cache: SmoothingCache
) -> ChartSpec:
    curves: list[Curve] = []
    lengths = []
    view, no_times = _with_steps_if_timeless(view, [store.runs[name] for name in marked if name in store.runs])
    for i, name in enumerate(marked):
        run = store.runs.get(name)
        verdict = verdicts.get(name)
        if run is None or verdict is None or verdict.val_tag not in run.scalars:
            continue
        tag = verdict.val_tag
        series = run.scalars[tag]
        origin = _origin(run) if view.x_axis == "time" else None
        y = cache.get(name, tag, series, view.weight) if view.weight > 0 else series.values
        curves.append(Curve(name, *_sorted(_x(series, view.x_axis, origin), y), PALETTE[i % len(PALETTE)]))
        lengths.append((name, len(series), series.generation))
    key = ("compare", tuple(marked), view, tuple(lengths), no_times)
    spec = ChartSpec(
        key=key,
        heading=f"validation loss of {len(curves):,} marked run{'' if len(curves) == 1 else 's'}",
        detail=" · ".join(part for part in (f"smoothing {view.weight:.2f}", no_times) if part),
        curves=curves,
        empty_message="mark runs with space, then press c to compare",
    )
    return _on_axis(spec, view)
