"""The online verdict engine: one per run, fed the run's points as they arrive.

The engine only ever sees the past. It consumes the run's paired curves in step order and judges
validation points (every one while a curve is short, then every few, see ``moments.judged``); alerts carry
the step at which they would have been known. It gives the same verdicts, flags and alerts whether a
finished run is read at once (``check``) or arrives a point at a time (``replay``, the live view).
How each verdict is decided is in the README; the thresholds are in ``thresholds.py``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

import numpy as np

from tui.judging.announced import Announcements
from tui.judging.diverging import Divergence, Event, Raised
from tui.judging.epoch_steps import EpochSteps
from tui.judging.holding import Holdback
from tui.judging.judge import Judge
from tui.judging.kinds import Kind, meaning
from tui.judging.layers import HistogramTrack, PercentSeen, layer_reports
from tui.judging.moment import Moment
from tui.judging.moments import Moments
from tui.judging.pairing import Pair, higher_is_better, option_miss, pair_schedule
from tui.judging.stalled import finished, stalled_reason, watched_interval
from tui.judging.thresholds import Thresholds
from tui.judging.tracks import Track
from tui.judging.verdict import Alert, Verdict
from tui.store import Run


class FinalVerdict:
    """A run's verdict as its engine left it, without the history behind it.

    What ``check``'s workers send back: the engine of a 50k-point run holds ~10 MB of curves, its
    verdict a few hundred bytes, and ``check`` reads each run once, so this judges nothing more.
    """

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict

    def update(self, run: Run, silent: bool = False, now: float | None = None) -> list[Alert]:
        """Nothing: a summary's verdict stands (``check`` does not read on)."""
        return []

    def held_due(self, now: float) -> bool:
        """Nothing waits: a summary judged its run whole."""
        return False

    def check_stalled(self, run: Run, now: float) -> list[Alert]:
        """Nothing: ``check`` does not watch a run long enough to see it stall."""
        return []


class VerdictEngine:
    """Judges one run online; ``update`` consumes whatever the store added since the last call."""

    def __init__(
        self,
        run_name: str,
        thresholds: Thresholds | None = None,
        train_pattern: str | None = None,
        val_pattern: str | None = None,
    ) -> None:
        self.run_name = run_name
        self.thresholds = thresholds or Thresholds()
        self.train_pattern = train_pattern
        self.val_pattern = val_pattern
        self._tags_seen = 0
        self._histogram_steps: dict[str, int] = {}
        self._histogram_tracks: dict[str, HistogramTrack] = {}
        """Each histogram tag's figures so far (``layers.HistogramTrack``): measured once, read at every step."""
        self._sparsity_scales: dict[str, PercentSeen] = {}
        """Each sparsity scalar's reading in percent or not (``layers.PercentSeen``): its points read once."""
        self._schedule: list[tuple[int, Pair]] = [(0, Pair())]
        self._firsts: dict[str, int] = {}
        """First step of each tag with points, read once (``pair_schedule``)."""
        self._unstarted: list[str] = []
        """Tags that had no point yet when they were seen: read again when the tags grow."""
        self._restarts_seen = 0
        self._announced = Announcements()
        """Every alert raised: judged afresh after a restart, or a file read again, only the others are told."""
        self._last_write = -math.inf
        self._reached = -1
        """Step up to which the pair schedule's earlier segments were judged."""
        self._reread: tuple[int, dict[str, int]] = (-1, {})
        """When the pair changed: the new pair's first step, and the last step of each curve the earlier pair had
        judged. The new pair reads its curves from their start; what it finds before its first step, or on a
        curve the earlier pair had judged that far, was judged already and is not announced (again, or late)."""
        self._rang_without_train = False  # the earlier pair judged validation alone (``_judged_already``)
        self.verdict = Verdict()
        self._now: float | None = None
        self._best_at: dict[tuple[int, str], int] = {}
        """(step, kind) of an alert -> validation's best step when it was raised: the checkpoint an overfitting
        alert's advice names and the best a bell's notification gives are that best's, not one set after it (a run
        read whole knows those too)."""
        self._carried: tuple[str, tuple[float, bool, bool]] | None = None
        """A resumed job's validation curve and what its earlier judgement told of the onset it was in (``Rise.told``):
        given to every judge of that curve until the next restart (the pair may change while it is judged afresh)."""
        self._reset(Pair())

    def _reset(self, pair: Pair) -> None:
        self.pair = pair
        self.train, self.val = Track(), Track()
        self.moments = Moments(self.thresholds, pair, self.train, self.val)
        """What the judge reads at each judged point, and the curves aligned at validation's points behind it."""
        self.judge = Judge(self.thresholds, pair)
        if self._carried is not None and pair.val == self._carried[0]:  # judged afresh, by whichever pair comes
            self.judge.rise.carry(self._carried[1])
        self.divergence = Divergence(self.thresholds, pair, self.train, self.val)
        flags = {k: v for k, v in self.verdict.flags.items() if ":" in k or k in (Kind.STALLED,)}
        self.verdict = Verdict(train_tag=pair.train, val_tag=pair.val, lr_tag=pair.learning_rate, flags=flags)
        self.judge.verdict = self.divergence.verdict = self.verdict
        self.holdback = Holdback()
        """Validation points of a live run that wait for their step's training value (``holding``)."""
        self.epoch_steps = EpochSteps(pair.train, pair.val)

    # ---- feeding -------------------------------------------------------------------------

    def update(self, run: Run, silent: bool = False, now: float | None = None) -> list[Alert]:
        """Consume the run's new points; return the alerts they raise (none if ``silent``).

        ``now`` (the live view's clock) lets a run seen writing hold back validation points whose step's
        training value has not been read yet (``holding``); without it every point is judged at once.
        """
        self._now = now if run.live else None
        restarted = run.restarts != self._restarts_seen
        purged = run.purges[self._restarts_seen :] if restarted else []
        if restarted:  # a restart may have emptied tags: read every tag again
            self._restarts_seen, self._tags_seen = run.restarts, 0
            self._firsts, self._unstarted = {}, []
        if len(run.scalars) != self._tags_seen or self._started_since(run):
            # Tags are only ever added: read the first steps of the new ones (and of any still without points).
            arrived = [*self._unstarted, *itertools.islice(run.scalars, self._tags_seen, None)]
            self._tags_seen = len(run.scalars)
            started = first_steps(run, arrived)
            self._unstarted = [tag for tag in arrived if tag not in started]
            self._firsts.update(started)
            self._schedule = pair_schedule(self._firsts, self.train_pattern, self.val_pattern)
        if restarted and self._judged_any():  # the store purged (its only way to drop points): judge afresh
            # Kept and judged before: below the purge step and up to each curve's last point judged (a poll may
            # bring points never judged beside the restart: a lagging curve's, a curve new to the pair).
            kept_below = {tag: min([*purged, last + 1]) for tag, last in self._judged_steps().items()}
            self._announced.restarted(kept_below, self._last_write)
            # A job resumed from a checkpoint (validation points kept below the purge) reaches again the onset it
            # had rung for: the same one, told once (a fresh start from the first step is judged as new).
            resumed = self.val.count > 0 and int(self.val.steps[0]) < min(purged, default=-math.inf)
            self._carried = (self.pair.val, self.judge.rise.told()) if resumed and self.pair.val else None
            self._reset(self.pair)
            self._reached, self._reread, self._rang_without_train = -1, (-1, {}), False
            return self.update(run, silent=silent, now=now)  # a new job's NaN, read with the restart, rings
        raised: list[Raised] = []
        # The pairs this update judges afresh because the curves paired changed: their blow-ups tell which one an
        # alert belongs to (``_not_told_blow_ups``).
        rejudging: list[Divergence] = []
        changed_at = 0  # how many alerts this update had raised when the pair first changed
        # The pair a live reader had at each step: a curve that starts later (the first validation point
        # after a per-batch training curve) changes the pair from its first step on, in bulk as live.
        for k, (begins, pair) in enumerate(self._schedule):
            ends = self._schedule[k + 1][0] if k + 1 < len(self._schedule) else None
            if ends is not None and ends <= self._reached:
                continue  # a segment already judged
            if pair != self.pair:
                judged = self._judged_steps()
                self._rang_without_train = self.pair.train is None and self.pair.val is not None
                self._reset(pair)
                self._reread = (begins, judged)
                if judged:
                    if not rejudging:
                        changed_at = len(raised)
                    rejudging.append(self.divergence)
            # The new pair reads its curves from their start; what the earlier pair judged there (a blow-up in
            # the first epoch, before the first validation point) is not announced again, nor late.
            raised += [r for r in self._consume(run, ends, last=ends is None) if not self._judged_already(r)]
            if ends is None:
                break
            self._reached = ends
        if rejudging:
            # What the pair before raised in this update (a file read whole) was told before what the new one raises.
            episodes = [episode for d in rejudging for episode in d.episodes]
            before, after = raised[:changed_at], raised[changed_at:]
            told_here = {r[0] for r in before if r[1] == Kind.DIVERGING}
            not_told = self._announced.not_told_blow_ups
            raised = not_told(before, episodes) + not_told(after, episodes, told_here)
        raised += self._layers(run)
        self._refresh_numbers(run)
        self._flag_epoch_steps(run)
        # Never the same alert twice: judged afresh after a restart, a file read again from its start raises
        # what it raised before, whichever polls its bytes came in; a new job's log, its own.
        raised = [r for r in raised if self._announced.new(run, r)]
        self._last_write = run.last_write if run.last_write is not None else self._last_write
        return [] if silent else [self._alert(*r) for r in raised]

    def _started_since(self, run: Run) -> bool:
        """Whether a tag seen without points has points now (a curve emptied by a restart, written again)."""
        return any(run.scalars[tag].last() is not None for tag in self._unstarted if tag in run.scalars)

    def _judged_steps(self) -> dict[str, int]:
        """The last step of each paired curve consumed so far (one may have been read ahead of the other)."""
        tracks = ((self.pair.train, self.train), (self.pair.val, self.val))
        return {tag: int(track.steps[track.count - 1]) for tag, track in tracks if tag and track.count}

    def _judged_already(self, raised: Raised) -> bool:
        """Whether an earlier pair had judged this alert's step: before the pair's first step, or on its curve.
        Overfitting that a pair without a training curve could not ring is not, while it lasts: its bell rings once
        training is read (as ``check`` rings it, reading both at once); an onset validation has since come back
        from stays unannounced, as any other judged already."""
        if raised[1] == Kind.OVERFITTING and self._rang_without_train:
            return not (self.judge.overfitting and raised[0] == self.verdict.onset_step)
        begins, judged = self._reread
        return raised[0] < begins or raised[0] <= judged.get(raised[2], -1)

    def held_due(self, now: float) -> bool:
        """Whether validation points wait and have waited long enough to be judged as they are."""
        return self.holdback.due(now)

    def _consume(self, run: Run, before: int | None, last: bool = True) -> list[Raised]:
        """Judge the paired curves' new points (those at steps below ``before``, if given), in step order.

        In the ``last`` pair segment a live run's validation points may wait for their step (``holding``).
        """
        events: list[Event] = []
        train = run.scalars.get(self.pair.train) if self.pair.train else None
        val = run.scalars.get(self.pair.val) if self.pair.val else None
        train_block = None
        if train is not None:
            steps, values, _ = train.arrays()
            val_steps = val.arrays()[0] if val is not None else None
            train_block, found = self.divergence.train_events(
                self.train, steps, values, _upto(steps, before), val_steps
            )
            events += found
        if val is not None:
            steps, values, _ = val.arrays()
            start = self.val.count
            end = _upto(steps, before)
            if last:  # a whole read (no clock) holds nothing: its companions are not looked up
                companions = self._companions(run) if self._now is not None else {}
                end = self.holdback.free(steps, values, start, end, companions, self._now)
            block = self.val.consume(steps, values, end)
            events += self.divergence.val_events(self.val, block, self.train)
            if len(block):
                events += self.moments.judgements(run, start, block)
        elif train_block is not None and len(train_block):
            events += self.moments.lone_judgements(run, train_block)
        events.sort(key=lambda event: (event[0], event[1]))
        raised: list[Raised] = []
        best = self.verdict.best_step  # validation's best as each event comes (a validation point may move it)
        for step, _order, _kind, payload in events:
            if isinstance(payload, Moment):
                best = payload.best_step if payload.val is not None else best
                news = self.judge.at(payload, self.divergence)
            else:
                news = self.divergence.on_event(step, _kind, payload, self.judge.overfitting)
            self._best_at.update(((r[0], r[1]), best) for r in news if best is not None)
            raised += news
        return raised

    def _layers(self, run: Run) -> list[Raised]:
        raised: list[Raised] = []
        events = self._layer_events(run)
        for k, (step, _order, _kind, _payload) in enumerate(events):
            raised += self._judge_layers(run, step, shown=k == len(events) - 1)
        return raised

    def _companions(self, run: Run) -> dict[str, np.ndarray]:
        """Steps of the curves judged beside validation at its points: training loss and the accuracies."""
        tags = (self.pair.train, self.pair.train_acc, self.pair.val_acc)
        return {tag: run.scalars[tag].steps for tag in tags if tag and tag in run.scalars}

    def _judged_any(self) -> bool:
        return bool(self.train.count or self.val.count)

    # ---- flags from histograms -----------------------------------------------------------

    def _layer_events(self, run: Run) -> list[Event]:
        """One event per step with a new histogram (or sparsity scalar): the layers are judged as of that step."""
        steps: set[int] = set()
        for tag, hseries in run.histograms.items():
            done = self._histogram_steps.get(tag, 0)
            steps.update(h.step for h in hseries.items[done:])
            self._histogram_steps[tag] = len(hseries.items)
        for tag in run.scalars:
            if "sparsity" in tag.lower():
                series_steps = run.scalars[tag].steps
                done = self._histogram_steps.get(tag, 0)
                steps.update(series_steps[done:].tolist())
                self._histogram_steps[tag] = len(series_steps)
        return [(step, 3, "layers", step) for step in sorted(steps)]

    def _judge_layers(self, run: Run, step: int, shown: bool) -> list[Raised]:
        self.verdict.layers = layer_reports(
            run, self.thresholds, upto=step, shown=shown, tracks=self._histogram_tracks, scales=self._sparsity_scales
        )
        raised: list[Raised] = []
        flags = self.verdict.flags
        for report in self.verdict.layers:
            for kind, on, reason in (
                (Kind.WEIGHTS_STATIC, report.static, report.static_reason),
                (Kind.DEAD_UNITS, report.dead, report.dead_reason),
            ):
                key = f"{kind}:{report.tag}"
                if on and key not in flags:
                    raised.append((report.step, kind, report.tag, reason))
                if on:
                    flags[key] = reason
                else:
                    flags.pop(key, None)
        return raised

    def _flag_epoch_steps(self, run: Run) -> None:
        """``epoch-steps`` on the curves as they stand (no alert: live, a file flushed late tells it late)."""
        reason = self.epoch_steps.reason(run)
        if reason is None:
            self.verdict.flags.pop(Kind.EPOCH_STEPS, None)
        else:
            self.verdict.flags[Kind.EPOCH_STEPS] = reason

    # ---- stalled -------------------------------------------------------------------------

    def check_stalled(self, run: Run, now: float) -> list[Alert]:
        """Time-based: flag a run whose writes stopped for much longer than usual (``stalled``)."""
        flags = self.verdict.flags
        interval = watched_interval(run)
        if interval is None:
            return []
        reason = stalled_reason(run, now, interval, self.thresholds)
        if reason is not None and finished(run, self.verdict.val_tag):  # asked only of a quiet run: every round
            reason = None
        if reason is None:
            flags.pop(Kind.STALLED, None)
            return []
        fresh = Kind.STALLED not in flags
        flags[Kind.STALLED] = reason
        return [self._alert(self.verdict.step or 0, Kind.STALLED, "", reason)] if fresh else []

    # ---- output --------------------------------------------------------------------------

    def _alert(self, step: int, kind: str, tag: str, reason: str) -> Alert:
        best = self._best_at.get((step, kind))
        return Alert(self.run_name, step, str(kind), tag, reason, meaning(kind).advice, best_step=best)

    def _refresh_numbers(self, run: Run) -> None:
        v = self.verdict
        v.train_tag, v.val_tag, v.lr_tag = self.pair.train, self.pair.val, self.pair.learning_rate
        v.train = self.train.smoothed if self.train.count else None
        v.val = self.val.smoothed if self.val.count else None
        if self.val.low_index >= 0:
            v.best_val = self.val.low
            v.best_step = self.val.step_at(self.val.low_index)
            v.since_best = self.val.count - 1 - self.val.low_index
        v.step = run.last_step((self.pair.train, self.pair.val))
        newest = float(self.val.values[self.val.count - 1]) if self.val.count else math.nan
        arrows = {"falling": "↓", "rising": "↑", "flat": "→", "unclear": "~"}
        v.trend = arrows.get(self.judge.val_direction, "") if math.isfinite(newest) else ""  # NaN: no direction
        if self.pair.train is None and self.pair.val is None and self._firsts and v.kind == Kind.WAITING:
            # Curves, but none a loss (accuracies only): 'no paired loss curves yet' read as points still to come.
            v.reason = _no_loss_reason(sorted(self._firsts), (self.train_pattern, self.val_pattern))


def _no_loss_reason(names: list[str], patterns: tuple[str | None, str | None]) -> str:
    """Why a run with curves judges none: no loss among them, and the options (if given) picked none of them, or only
    accuracies, which are never judged as losses (``pairing.higher_is_better``)."""
    curves = f"{len(names)} curve{'s' if len(names) > 1 else ''} ({_first_three(names)})"
    options_given = zip(("--train-tag", "--val-tag"), patterns, strict=True)
    given = [(option, pattern) for option, pattern in options_given if pattern]
    if not given:
        choose = "--train-tag and --val-tag choose one logged under another name"
        return f"none of its {curves} is a loss to judge (yet): {choose}"
    options = " and ".join(option for option, _ in given)
    picks = "pick" if len(given) > 1 else "picks"
    matched = {tag for _, pattern in given for tag in option_miss(pattern, names)[1]}
    passed = sorted(filter(higher_is_better, matched))
    if passed:
        higher = f"higher-is-better curves ({_first_three(passed)})"
        return f"{options} {picks} only {higher}, and no curve of it is a loss: a loss is judged, lower is better"
    return f"{options} {picks} none of its {curves}, and none of them is a loss"


def _first_three(names: list[str]) -> str:
    return f"{', '.join(names[:3])}{', …' * (len(names) > 3)}"


def first_steps(run: Run, tags: Iterable[str] | None = None) -> dict[str, int]:
    """The first step of each of the run's curves (of ``tags`` only, if given) that has points."""
    chosen = run.scalars if tags is None else {tag: run.scalars[tag] for tag in tags}
    return {tag: int(series.steps[0]) for tag, series in chosen.items() if series.last() is not None}


def _upto(steps: np.ndarray, before: int | None) -> int:
    """How many points come before step ``before`` (all of them without a limit)."""
    return len(steps) if before is None else int(np.searchsorted(steps, before, side="left"))
