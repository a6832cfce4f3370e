"""Sweeps, live: find them among the store's runs, judge each with its own SweepJudge after every round.

The Monitor calls ``SweepWatch.update`` once per round, after the runs' own verdicts: it groups
the runs (``judging.sweep_groups``), puts each sweep's validation curves on a common axis (steps,
or validation rounds when the runs count steps differently), feeds the sweep's judge and turns
the runs newly behind their peers into ``behind-peers`` alerts (no bell). It also says what
stopping a run now would save: the epochs and GPU hours until the sweep's furthest run (or the
planned length, when the runs log one as a hyper-parameter), at the run's own pace.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from tui.judging.engine import Alert, Verdict
from tui.judging.kinds import ADVICE
from tui.judging.stalled import planned_in
from tui.judging.sweep_advice import Behind, Said
from tui.judging.sweep_groups import Sweep, Value, find_sweeps, run_params, sweep_of
from tui.judging.sweeps import SweepJudge, progress_axis, rules_from
from tui.judging.thresholds import Thresholds
from tui.patterns import compile_pattern
from tui.store import Run, Store

KIND = "behind-peers"
AXIS_LABELS = {"step": "step", "round": "val round"}


@dataclass(frozen=True)
class Saving:
    """What stopping a run now would save, until the sweep's furthest run or its planned end."""

    epochs: float | None
    """Validation rounds still to come (an epoch each, when the run validates once per epoch)."""
    hours: float | None
    """Wall-clock hours at the run's own pace (GPU hours with one GPU per run)."""
    until: str
    """What the horizon is: 'the planned N epochs', 'run X at step N', or why it is unknown."""
    peer: str = ""
    """The run ``until`` names as the horizon ('' if none): the sweep view names it as its table does."""

    def naming(self, shown: str) -> str:
        """``until`` with its peer written as ``shown`` (its label, cut to a width): where the sentence names it,
        not wherever its letters occur."""
        before, found, after = self.until.rpartition(f" {self.peer} went")
        return f"{before} {shown} went{after}" if found and self.peer else self.until


@dataclass(frozen=True)
class SweepFlag:
    """A run behind its peers, with the numbers and how to say them."""

    sweep: str
    advice: Behind
    axis: str
    tag: str

    @property
    def reason(self) -> str:
        return self.advice.reason(AXIS_LABELS[self.axis])


@dataclass
class _Judged:
    judge: SweepJudge
    axis: str
    generations: dict[str, int]


class SweepWatch:
    """Every sweep of one log directory and its stop-early advice; fed by the Monitor after each round."""

    def __init__(self, thresholds: Thresholds | None = None, pattern: str | None = None) -> None:
        self.rules = rules_from(thresholds or Thresholds())
        self.pattern = compile_pattern(pattern) if pattern else None
        self.sweeps: list[Sweep] = []
        self.of_run: dict[str, Sweep] = {}
        self.flags: dict[str, SweepFlag] = {}
        self.axes: dict[str, str] = {}
        self._judged: dict[str, _Judged] = {}
        self._signature: tuple = ()
        self._reported: set[tuple[str, int]] = set()
        """(run, step) of each behind-peers alert given: told again only after it caught up."""

    def update(
        self,
        store: Store,
        verdicts: Mapping[str, Verdict],
        owns: Callable[[str], bool] | None = None,
        seen_as: Callable[[str], str] | None = None,
        named: Callable[[str], str] | None = None,
    ) -> list[Alert]:
        """Regroup if runs or hyper-parameters changed, judge every sweep's new points; the new alerts.

        ``owns`` picks this root's runs in a store several roots share (a sweep lies within one root); ``seen_as``
        names a run as under its root alone, for ``--sweep`` (so that '^exp/' matches with one root or several);
        ``named`` names a sweep as its root's runs are named among several roots (two roots' top-level sweeps were
        both '.').
        """
        with store.lock:
            runs = {name: run for name, run in store.runs.items() if owns is None or owns(name)}
            self._regroup(runs, seen_as, named)
            alerts: list[Alert] = []
            for sweep in self.sweeps:
                alerts += self._judge(sweep, runs, verdicts)
        return alerts

    def _regroup(
        self,
        runs: Mapping[str, Run],
        seen_as: Callable[[str], str] | None = None,
        named: Callable[[str], str] | None = None,
    ) -> None:
        signature = tuple((name, len(run.hparams)) for name, run in sorted(runs.items()))
        if signature == self._signature:
            return
        self._signature = signature
        self.sweeps = find_sweeps({name: run.hparams for name, run in runs.items()}, self.pattern, seen_as)
        if named is not None:  # among several roots, after its root's name, as its runs are
            self.sweeps = [dataclasses.replace(s, name=named(s.name)) for s in self.sweeps]
        self.of_run = sweep_of(self.sweeps)
        names = {s.name for s in self.sweeps}
        self._judged = {name: judged for name, judged in self._judged.items() if name in names}
        self.flags = {run: flag for run, flag in self.flags.items() if flag.sweep in names and run in self.of_run}

    def _judge(self, sweep: Sweep, runs: Mapping[str, Run], verdicts: Mapping[str, Verdict]) -> list[Alert]:
        curves = {name: _val_curve(runs.get(name), verdicts.get(name)) for name in sweep.runs}
        present = {name: curve for name, curve in curves.items() if curve is not None and len(curve[0])}
        if not present:
            return []
        axis = progress_axis({name: _intervals(steps, walls) for name, (steps, _, walls, _) in present.items()})
        self.axes[sweep.name] = axis
        generations = {name: curve[3] for name, curve in present.items()}
        judged = self._judged.get(sweep.name)
        said: Said | None = None
        if (
            judged is None
            or judged.axis != axis
            or any(judged.generations.get(name, generation) != generation for name, generation in generations.items())
        ):
            said = judged.judge.said() if judged is not None else None  # a restart: the judge starts over
            judged = self._judged[sweep.name] = _Judged(SweepJudge(self.rules), axis, generations)
        judged.generations.update(generations)
        found = judged.judge.update(
            {name: (_progress(steps, axis), steps, values) for name, (steps, values, _, _) in present.items()}
        )
        if said is not None:  # what the new judge decided again at the points judged before is no news
            found = judged.judge.standing(said)
        alerts = []
        for advice in found:
            if (advice.run, advice.step) in self._reported:
                continue  # told there already
            self._reported.add((advice.run, advice.step))
            flag = self._flag(sweep.name, advice, axis, verdicts)
            alerts.append(Alert(advice.run, advice.step, KIND, flag.tag, flag.reason, ADVICE[KIND]))
        for name in list(self.flags):  # the flags are the judge's advice as it stands (a run told may catch up)
            if self.flags[name].sweep == sweep.name and name not in judged.judge.behind:
                del self.flags[name]
        for name, advice in judged.judge.behind.items():
            if name not in self.flags or self.flags[name].advice is not advice:
                self.flags[name] = self._flag(sweep.name, advice, axis, verdicts)
        return alerts

    @staticmethod
    def _flag(sweep: str, advice: Behind, axis: str, verdicts: Mapping[str, Verdict]) -> SweepFlag:
        verdict = verdicts.get(advice.run)
        return SweepFlag(sweep, advice, axis, verdict.val_tag if verdict and verdict.val_tag else "")

    def params(self, run: Run) -> dict[str, Value]:
        """The run's hyper-parameters (its sweep's view of them when it has one)."""
        sweep = self.of_run.get(run.name)
        if sweep is not None and run.name in sweep.params:
            return dict(sweep.params[run.name])
        return run_params(run.name, run.hparams)

    def saving(self, run_name: str, store: Store, verdicts: Mapping[str, Verdict]) -> Saving:
        """Epochs and hours stopping ``run_name`` now would save (None where they cannot be known)."""
        sweep = self.of_run.get(run_name)
        axis = self.axes.get(sweep.name, "step") if sweep else "step"
        with store.lock:
            curves = {n: _val_curve(store.runs.get(n), verdicts.get(n)) for n in (sweep.runs if sweep else (run_name,))}
            run = store.runs.get(run_name)
            own = curves.get(run_name)
            if run is None or own is None or len(own[0]) < 2:
                return Saving(None, None, "not enough validation points to tell its pace")
            steps, _, walls, _ = own
            planned = self._planned(run)
        step_interval, wall_interval = _intervals(steps, walls)
        if planned is not None:
            unit, end, until = planned
            if unit == "round":  # N epochs are N validation points, whichever axis the sweep is on
                rounds = max(end - len(steps), 0.0)
                return Saving(rounds, rounds * wall_interval / 3600.0, until)
            if step_interval > 0:
                rounds = max(end - float(steps[-1]), 0.0) / step_interval
                return Saving(rounds, rounds * wall_interval / 3600.0, until)
        here = float(_progress(steps, axis)[-1])
        horizon, until, peer = self._furthest_peer(curves, axis, run_name)
        if horizon is None or horizon <= here:
            return Saving(None, None, until, peer)
        remaining = horizon - here
        epochs = remaining if axis == "round" else remaining / step_interval if step_interval else None
        per_unit = wall_interval if axis == "round" else wall_interval / step_interval if step_interval else math.nan
        hours = remaining * per_unit / 3600.0 if math.isfinite(per_unit) else None
        return Saving(epochs, hours, until, peer)

    @staticmethod
    def _furthest_peer(curves: Mapping, axis: str, run_name: str) -> tuple[float | None, str, str]:
        """Where the sweep's furthest other run is, for a run without a planned end."""
        furthest: tuple[float, str] | None = None
        for name, curve in curves.items():
            if name != run_name and curve is not None and len(curve[0]):
                end = float(_progress(curve[0], axis)[-1])
                if furthest is None or end > furthest[0]:
                    furthest = (end, name)
        if furthest is None:
            return None, "no peer has gone further yet", ""
        return furthest[0], f"until {AXIS_LABELS[axis]} {furthest[0]:,.0f}, as far as {furthest[1]} went", furthest[1]

    def _planned(self, run: Run) -> tuple[str, float, str] | None:
        """The run's planned end from an epochs- or steps-like hyper-parameter: ('round', epochs, words) or
        ('step', steps, words).

        Epochs are counted as validation points (one validation per epoch): a finished run saves none, and one
        that also validated before training is said to save an epoch less than it does, never more.
        """
        planned = planned_in(self.params(run))
        if planned is None:
            return None
        unit, end, key = planned
        return unit, end, f"until its planned {key} = {end:g}"


class SweepViews:
    """Several roots' sweeps read as one (what the app and ``check`` ask of ``monitor.sweeps``)."""

    def __init__(self, watches: list[SweepWatch]) -> None:
        self.watches = watches
        self.sweeps = sorted((s for w in watches for s in w.sweeps), key=lambda s: s.name)
        self.of_run = {run: sweep for w in watches for run, sweep in w.of_run.items()}
        self.flags = {run: flag for w in watches for run, flag in w.flags.items()}
        self.axes = {name: axis for w in watches for name, axis in w.axes.items()}

    def _owner(self, run_name: str) -> SweepWatch:
        return next((w for w in self.watches if run_name in w.of_run), self.watches[0])

    def params(self, run: Run) -> dict[str, Value]:
        return self._owner(run.name).params(run)

    def saving(self, run_name: str, store: Store, verdicts: Mapping[str, Verdict]) -> Saving:
        return self._owner(run_name).saving(run_name, store, verdicts)


def _val_curve(run: Run | None, verdict: Verdict | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
    """(steps, values, wall times, generation) of the run's validation loss, as the engine paired it."""
    if run is None or verdict is None or not verdict.val_tag or verdict.val_tag not in run.scalars:
        return None
    series = run.scalars[verdict.val_tag]
    steps, values, walls = series.arrays()
    return steps, values, walls, series.generation


def _progress(steps: np.ndarray, axis: str) -> np.ndarray:
    return np.arange(len(steps), dtype=np.float64) if axis == "round" else steps.astype(np.float64)


def _intervals(steps: np.ndarray, walls: np.ndarray) -> tuple[float, float]:
    """Median (step, wall-second) interval between validation points (0 with fewer than two)."""
    if len(steps) < 2:
        return 0.0, 0.0
    return float(np.median(np.diff(steps))), float(np.median(np.diff(walls)))
