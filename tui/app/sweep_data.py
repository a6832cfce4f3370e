"""What the sweep view shows, taken from the store and the Monitor's sweep advice.

The runs are ranked by their best validation loss at the same point of progress (the furthest
point every run still in the race has reached), so a run that is further along is not favoured
over one that started later. The curves share the sweep's common axis (steps, or validation
rounds when the runs count steps differently).
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from typing import TypeGuard

import numpy as np

from tui.judging.kinds import Kind
from tui.judging.stalled import finished
from tui.judging.sweep_groups import IDENTIFIERS
from tui.judging.verdict import Verdict
from tui.live.group import MonitorGroup
from tui.live.monitor import Monitor
from tui.live.sweeps import AXIS_LABELS, Saving
from tui.store import Run
from tui.text import printable


@dataclass(frozen=True)
class SweepRow:
    """One run of the sweep, as the table shows it."""

    run: str
    label: str
    """The run's name inside the sweep's folder."""
    params: dict[str, object]
    best_at: float | None
    """Best validation loss up to the common point (None: the run has not reached it)."""
    best: float | None
    """Best validation loss so far."""
    reached: float
    """How far it got, on the sweep's axis."""
    behind: str | None = None
    """The behind-peers reason, if it is behind."""
    diverged: bool = False
    saving: Saving | None = None
    stopped: str | None = None
    """Why there is nothing to stop ('finished', 'stopped writing', 'gone', 'not seen writing'), None for a run
    being written while we watch: a run behind its peers that ended already saves nothing (the title counted the
    demo's diverged run, dead for minutes, among those 'to stop', and a fresh view of finished runs all of them)."""


@dataclass(frozen=True)
class SweepCurve:
    label: str
    x: np.ndarray
    y: np.ndarray
    behind: bool


@dataclass(frozen=True)
class SweepView:
    """Everything the sweep screen draws, and a key that changes when any of it does."""

    name: str
    axis: str
    common: float | None
    swept: tuple[str, ...]
    rows: list[SweepRow]
    curves: list[SweepCurve]
    ceiling: float | None
    """Curves are clipped here (the runs' starting loss), so an explosion does not flatten the rest."""
    key: tuple = field(default=())

    @property
    def axis_label(self) -> str:
        return AXIS_LABELS.get(self.axis, self.axis)

    def against(self) -> tuple[str, np.ndarray, np.ndarray, bool] | None:
        """(swept name, values, best losses, log x) for the best-vs-value plot; None without a swept value taking
        two finite numbers among runs with a finite best (a seed is none: best loss against the seed says nothing
        of the sweep). ``clip=inf``, the usual "no clipping", has no place on an axis: such runs are left out
        (``left_out`` counts them) and a swept value that keeps one number only is not plotted against."""
        for key in (key for key in self.swept if key.lower() not in IDENTIFIERS):
            pairs = [
                (float(value), row.best)
                for row in self.rows
                if _numeric(value := row.params.get(key)) and row.best is not None and math.isfinite(row.best)
            ]
            finite = sorted((x, y) for x, y in pairs if math.isfinite(x))
            if len({x for x, _ in finite}) >= 2:
                x = np.array([p[0] for p in finite])
                y = np.array([p[1] for p in finite])
                log_x = bool(np.all(x > 0) and x.max() / x.min() >= 100.0)
                return key, x, y, log_x
        return None

    def left_out(self, key: str) -> int:
        """Runs of the sweep whose ``key`` is a number with no place on the plot's axis: inf or NaN."""
        return sum(_numeric(value := row.params.get(key)) and not math.isfinite(value) for row in self.rows)

    def why_not_against(self) -> str:
        """Why ``against`` has nothing to plot: no numeric swept value, or too few runs with a finite best."""
        for key in (key for key in self.swept if key.lower() not in IDENTIFIERS):
            numeric = [row for row in self.rows if _numeric(row.params.get(key))]
            if len(numeric) >= 2:
                finite = sum(row.best is not None and math.isfinite(row.best) for row in numeric)
                if finite >= 2:
                    return f"{printable(key, 20)} takes fewer than two finite values among the runs with a best value"
                few = "no run" if not finite else "only one run"
                return f"{few} of this sweep has a finite best value to plot"
        return "no numeric swept value to plot against"


def _numeric(value: object) -> TypeGuard[int | float]:
    """A number to plot against (a bool is an int to Python, not to a sweep)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def sweep_names(monitor: Monitor | MonitorGroup) -> list[str]:
    return [sweep.name for sweep in monitor.sweeps.sweeps]


def sweep_of_run(monitor: Monitor | MonitorGroup, run: str | None) -> str | None:
    """The sweep of ``run``, else None (another sweep would be read as the run's)."""
    sweep = monitor.sweeps.of_run.get(run) if run else None
    return sweep.name if sweep is not None else None


def sweep_view(monitor: Monitor | MonitorGroup, name: str) -> SweepView | None:
    """The view of sweep ``name`` now (None if there is no such sweep any more)."""
    watch = monitor.sweeps
    sweep = next((s for s in watch.sweeps if s.name == name), None)
    if sweep is None:
        return None
    axis = watch.axes.get(name, "step")
    store = monitor.store
    verdicts = monitor.verdicts
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    with store.lock:
        for run_name in sweep.runs:
            run = store.runs.get(run_name)
            verdict = verdicts.get(run_name)
            if run is None or verdict is None or verdict.val_tag not in run.scalars:
                continue
            steps, values, _ = run.scalars[verdict.val_tag].arrays()
            x = np.arange(len(steps), dtype=np.float64) if axis == "round" else steps.astype(np.float64)
            curves[run_name] = (x, values)
    in_race = [c[0][-1] for n, c in curves.items() if len(c[0]) and n not in watch.flags]
    reached_all = [c[0][-1] for c in curves.values() if len(c[0])]
    common = float(min(in_race or reached_all)) if reached_all else None
    folder = os.path.commonpath(list(sweep.runs)) if len(sweep.runs) > 1 else ""
    labels = {run_name: os.path.relpath(run_name, folder) if folder else run_name for run_name in sweep.runs}
    rows = []
    for run_name in sweep.runs:
        x, y = curves.get(run_name, (np.empty(0), np.empty(0)))
        finite = np.where(np.isfinite(y), y, np.inf)
        best = float(finite.min()) if finite.size and np.isfinite(finite.min()) else None
        upto = finite[x <= common] if common is not None else finite[:0]
        best_at = float(upto.min()) if upto.size and np.isfinite(upto.min()) and x[-1] >= common else None
        flag = watch.flags.get(run_name)
        rows.append(
            SweepRow(
                run=run_name,
                label=labels[run_name],
                params=dict(sweep.params.get(run_name, {})),
                best_at=best_at,
                best=best,
                reached=float(x[-1]) if len(x) else 0.0,
                behind=flag.reason if flag else None,
                diverged=bool(flag and flag.advice.diverged) or _diverging(verdicts.get(run_name)),
                saving=_as_labelled(watch.saving(run_name, store, verdicts), labels) if flag else None,
                stopped=_stopped(store.runs.get(run_name), verdicts.get(run_name)),
            )
        )
    rows.sort(key=_rank)
    starts = [float(c[1][np.argmax(np.isfinite(c[1]))]) for c in curves.values() if np.isfinite(c[1]).any()]
    ceiling = float(np.median(starts)) if starts else None
    drawn = []
    for row in rows:
        if row.run not in curves:
            continue
        x, y = curves[row.run]
        keep = np.isfinite(y)
        y = np.minimum(y[keep], ceiling) if ceiling is not None else y[keep]
        drawn.append(SweepCurve(row.label, x[keep], y, row.behind is not None))
    key = (name, axis, common, tuple((r.run, r.best, r.reached, r.behind, r.diverged, r.stopped) for r in rows))
    return SweepView(name, axis, common, sweep.swept, rows, drawn, ceiling, key)


def _diverging(verdict: Verdict | None) -> bool:
    """The engine's verdict: a run blown up to 7.9e17 (finite, so still in the sweep's pool) showed no advice."""
    return verdict is not None and verdict.kind == Kind.DIVERGING


NOT_SEEN_WRITING = "not seen writing"
"""A run whose files have not grown since they were first read: as the engine has it (``stalled`` needs a job seen
writing), a run written before the watch began is finished, not running; it counts once it writes again."""


def _stopped(run: Run | None, verdict: Verdict | None) -> str | None:
    """Why the run cannot be stopped (any more): its folder gone, its planned end reached, its job quiet for much
    longer than it writes (the ``stalled`` flag), or never seen writing (``Run.live``: its files were whole when
    first read and nothing was added since); None for a job being written while we watch."""
    if run is None or run.gone:
        return "gone"
    if verdict is not None and finished(run, verdict.val_tag):
        return "finished"
    if verdict is not None and Kind.STALLED in verdict.flags:
        return "stopped writing"
    if not run.live:
        return NOT_SEEN_WRITING
    return None


def _as_labelled(saving: Saving, labels: dict[str, str]) -> Saving:
    """The saving with the peer it runs until named as the table names it ('lr=0.2', not 'box1:sweep/lr=0.2')."""
    if saving.peer not in labels:
        return saving
    label = labels[saving.peer]
    return dataclasses.replace(saving, until=saving.naming(label), peer=label)


def _rank(row: SweepRow) -> tuple:
    """Best at the common point first; runs that have not reached it, then diverged ones, last."""
    if row.best_at is not None:
        return (0, row.best_at, row.run)
    if row.best is not None:
        return (1, row.best, row.run)
    return (2, 0.0, row.run)
