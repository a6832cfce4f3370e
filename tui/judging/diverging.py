"""Something blowing up, and short excursions that come back.

* Diverging, at once: a non-finite loss (NaN, inf); a training loss that explodes, that is, lands
  ``explode_ranges`` ranges above its lowest point (a range being the progress made, at least
  ``explode_floor`` of the starting level while nothing was learned yet), or, for positive losses,
  above half its starting level and ``explode_ratio`` times its lowest point; a validation loss that
  explodes at two points in a row when training fell (one alone is a spike). A per-batch (or lone) training
  curve is read by its level: its start and its lows are medians of ``BATCH_LEVEL_POINTS`` points.
* Diverging, confirmed: both curves rising and back more than ``regress`` of the way from their best
  to their start (``Judge`` checks it at validation points; it calls ``enter``).
* No latch: a diverged run whose curves come back into their range is judged again, and a later
  blow-up rings again.
* Spike (a flag, no bell): a short excursion that comes back (``spikes``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tui.judging.blowups import SPREAD_WINDOWS, Blowup, exploded_words, returned_words
from tui.judging.growing import Growing
from tui.judging.kinds import Kind
from tui.judging.pairing import Pair, is_per_batch, is_per_epoch
from tui.judging.ranges import by_ranges, by_ratio, returned
from tui.judging.spikes import BATCH_LEVEL_POINTS, batch_spikes, spikes
from tui.judging.thresholds import Thresholds
from tui.judging.tracks import Block, Track
from tui.judging.verdict import Verdict, fmt
from tui.judging.windows import MEDIAN_SPREAD, median_rows, noise, rows, spread_rows

Raised = tuple[int, str, str, str]
"""(step, kind, tag, reason) of an alert before it gets the run's name and advice."""
Found = tuple[int, float, float, float, int, int, bool]
"""(index in its block, value, low, start, value's window, level's window, back above its start) of an exploded
point."""
Event = tuple[int, int, str, object]
"""(step, order among events of one step, kind, payload): what the engine processes in step order."""


@dataclass(frozen=True)
class Spike:
    """An excursion of one or two points that came back."""

    tag: str
    peak_step: int
    height: float


RERING_NOISE = 2.0
"""A later blow-up rings again only if the curve got lower by this many of its noise deviations (as it was
learning), or by ``flat_range`` of its progress if more: a noisy curve sets new lows by chance."""
SPIKE_SHOWN = 10
"""Judgements the spike flag stays beside the verdict after the spike came back."""
DENSE_TRAIN = 25
"""A training curve is read as per-batch, whatever its name (``train/loss`` logged at every step beside a validation
loss per epoch), from where this many of its points lie between two validation points (or before the first, or
after the last): single batches swing far enough to meet the ratio test of one point, a 0.49 among batches of 0.03
to 0.14. Per-batch logging puts tens to thousands of points there; a curve logged per epoch and validated every 8
or 10 epochs, or a Trainer logging every 50 steps and evaluating every 500, stays a curve of points, whose one
exploded point rings at once (read by 24-point medians, such blow-ups rang up to 20 epochs late). A name that says
epoch (``epoch_loss``, ``train_loss_epoch``) is never per-batch."""
BATCH_NOISE_Z = 30.0
"""A single per-batch point exploded by the ratio test counts only this far above the curve's lowest level in
its own noise (of the ``noise_window`` points before it): a batch of four at 1.9 over a level of 0.1 stands 3 to
5 noise deviations out, a blow-up of a calm curve hundreds."""
LONE_STUCK_ERRORS = 0.5
"""A training curve alone has sat at its level while within this many standard errors of its 24-point median of
where it stands (``lone_flat_share``). Its lowest median keeps creeping down by chance: within ``stuck_within`` of
its range alone 16 of the 55 stuck DeepOBS nets' per-step losses read stuck, at half an error 25 (healthy nets 5
and 7 of 315); at one or two errors a net that learned nearly all its range in its first tenth, then crept on
from 0.06 to 0.016, read stuck too (a corpus MLP trained in batches of four)."""
LEVEL_CHUNK = 1 << 16
"""Points whose 24-point windows are read at once (a million-point curve's windows in one matrix doubled its peak
memory)."""


class Divergence:
    """The diverging state of one run, and the events that enter or leave it."""

    def __init__(self, thresholds: Thresholds, pair: Pair, train: Track, val: Track) -> None:
        self.thresholds = thresholds
        self.pair = pair
        self.verdict = Verdict()
        self.active = False
        """Diverged and not recovered: the verdict stays diverging."""
        self.reason = ""
        self.episodes: list[list[float]] = []
        """Each blow-up as [first step, step it came back at (inf while it lasts), the step of its curve's point
        before it (-inf: none)]: the reason of one that lasts says since when, and a re-read after the curves
        paired changed tells which blow-up an alert belongs to (``VerdictEngine``)."""
        self.spike_left = 0
        """Judgements the spike flag still shows for."""
        self.outs = 0
        """NaN and inf points seen: one since the last judgement holds recovery back (a NaN point's own judgement
        read the curve's level, which leaves it out, as back; an exploded point is in the level)."""
        self.batch_level = pair.val is None or (pair.train is not None and is_per_batch(pair.train))
        """Per-batch training losses (or a training curve alone, usually per step) swing by single batches: an
        explosion of one point is believed only when the next point is exploded too, and the ratio test reads a
        running median (``BATCH_LEVEL_POINTS``). Other training curves may be per-batch by their data
        (``per_batch``)."""
        self.per_epoch = pair.train is not None and is_per_epoch(pair.train)
        """A training curve whose name says epoch is never read as per-batch by its data."""
        self._level_done = 0
        """(Per-batch readings) the training points the level figures below were read through."""
        self._level_low = math.inf
        """(Per-batch or lone training curves) the lowest median of ``BATCH_LEVEL_POINTS`` points consumed so far."""
        self._level_first = math.nan
        """(The same) the median of its first ``BATCH_LEVEL_POINTS`` points, once it has them: its start."""
        self._long_low = math.inf
        self._long_done = 0
        """(A per-batch curve beside validation) the lowest median of ``SPREAD_WINDOWS`` level windows of points read,
        and the points read."""
        self._lone_lows = Growing()
        """(A training curve alone) that lowest median as it stood at each point: how long the curve has sat at its
        best (``lone_flat_share``)."""
        self._train_exploded_at = -2
        self._val_exploded_at = -2
        self._tracks = {name: track for name, track in ((pair.train, train), (pair.val, val)) if name}
        """The curves whose lowest points decide whether a later blow-up rings again."""
        self._rung_step: int | None = None
        """Step at which the diverging bell last rang (None: it never rang)."""

    # ---- events found in bulk ------------------------------------------------------------

    def train_events(
        self, track: Track, steps: np.ndarray, values: np.ndarray, upto: int, val_steps: np.ndarray | None = None
    ) -> tuple[Block, list[Event]]:
        """Consume the training curve's points up to ``upto``; non-finite and exploding ones become events.
        ``val_steps``: the validation curve's steps, which tell a training curve logged per batch by its data."""
        block = track.consume(steps, values, upto)
        return block, self._events(track, block, self.pair.train or "", "train", val_steps=val_steps)

    def val_events(self, track: Track, block: Block, train: Track) -> list[Event]:
        return self._events(track, block, self.pair.val or "", "val", train)

    def _events(
        self,
        track: Track,
        block: Block,
        tag: str,
        role: str,
        train: Track | None = None,
        val_steps: np.ndarray | None = None,
    ) -> list[Event]:
        if not len(block):
            return []
        new = track.values[block.start : block.end]
        events: list[Event] = []
        order = 0 if role == "train" else 1
        bad = ~np.isfinite(new)
        found: list[Found] = []
        batch = np.zeros(len(new), dtype=bool)
        if role == "train" and self.batch_level:  # single batches swing: read by its level
            batch = np.ones(len(new), dtype=bool)
        elif role == "train" and not self.per_epoch:
            batch = per_batch(track, block, val_steps)
        if batch.any():
            if self._level_done < block.start:  # read as per-batch from here on: its level read up to here first
                catch_up = Block(self._level_done, block.start)
                catch_up.low_before = np.full(len(catch_up), np.inf)
                self._level_found(track, catch_up)
            found += [f for f in self._level_found(track, block) if batch[f[0]]]
            self._level_done = block.end
        if not batch.all():
            t, before = self.thresholds, block.low_before
            exploded = (by_ranges(new, before, track.first, t) | by_ratio(new, before, track.first, t)) & ~bad & ~batch
            found += [
                (i, float(new[i]), float(before[i]), track.first, 1, 1, False)
                for i in np.flatnonzero(exploded).tolist()
            ]
            if role == "train":
                above = self._returned(track, block, new, ~bad & ~batch & ~exploded)
                found += [(i, float(new[i]), float(before[i]), track.first, 1, 1, True) for i in above.tolist()]
        found += [(i, float(new[i]), math.nan, track.first, 1, 1, False) for i in np.flatnonzero(bad).tolist()]
        for i, value, low, first, value_window, level_window, back_above in sorted(found):
            index = block.start + i
            kind = f"{'nonfinite' if bad[i] else 'explode'}-{role}"
            falling = train is not None and _fell_by(train, track.step_at(index))
            climb = (
                role == "val"
                and train is not None
                and _climbed_to(track, index, value)
                and _held_low(train, track.step_at(index), index + 1, self.thresholds)
            )
            blowup = Blowup(tag, index, value, low, first, falling, value_window, level_window, back_above, climb)
            events.append((track.step_at(index), order, kind, blowup))
        batches = batch & (not self.per_epoch)  # a lone curve named per epoch: its spikes are single points
        found_spikes = [] if batches.all() else spikes(track, block.start, block.end, self.thresholds, batches)
        if batches.any():  # in the order they came back, as ``spikes`` gives them (a block read at once or not)
            found_spikes += batch_spikes(track, block.start, block.end, self.thresholds, batches)
            found_spikes.sort(key=lambda spike: spike[1])
        for begin, back in found_spikes:
            peak = begin + int(np.argmax(track.values[begin:back]))  # the height told is this point's, at its step
            spike = Spike(tag, track.step_at(peak), float(track.values[peak]))
            events.append((track.step_at(back), order, "spike", spike))
        return events

    def _returned(self, track: Track, block: Block, new: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Indices in ``block`` of training points back above the curve's start after it learned clearly
        (``returned``): against its noise where it stood at its lowest before each, and in the points just before
        it, whichever is larger (a WRN under Adam at 0.04 swinging between 0.7 and 2.8 reached its start 2.78 at two
        points and came back: it had learned 2.1, under five of its swings of 0.46)."""
        at = np.flatnonzero(candidates & (new > track.first) & np.isfinite(block.low_before))
        if not len(at):
            return at
        width = self.thresholds.noise_window
        sigma = np.array([track.noise_at_low(track.step_at(block.start + i), width) for i in at.tolist()])
        sigma = np.fmax(sigma, noise(rows(track.values, block.start + at - 1, width)))
        return at[returned(new[at], block.low_before[at], track.first, sigma, self.thresholds)]

    def _level_found(self, track: Track, block: Block) -> list[Found]:
        """``_level_blowups`` over ``block``, ``LEVEL_CHUNK`` points at a time (its level figures move on alike)."""
        found: list[Found] = []
        for at in range(block.start, block.end, LEVEL_CHUNK):
            part = Block(at, min(at + LEVEL_CHUNK, block.end))
            part.low_before = block.low_before[at - block.start : part.end - block.start]
            new = track.values[part.start : part.end]
            offset = at - block.start
            for i, value, low, first, value_window, level_window, back_above in self._level_blowups(
                track, part, new, ~np.isfinite(new)
            ):
                found.append((i + offset, value, low, first, value_window, level_window, back_above))
        return found

    def _level_blowups(self, track: Track, block: Block, new: np.ndarray, bad: np.ndarray) -> list[Found]:
        """``Found`` for each exploded point of a per-batch curve: its start is the median of its first
        ``BATCH_LEVEL_POINTS`` points (a single batch may sit far below the curve), its lows those of full windows of
        as many; a point explodes by the ranges test from the lowest single point, by the ratio test on the level, or
        by the ratio test alone when it also stands ``BATCH_NOISE_Z`` of the curve's noise deviations above the
        lowest level; beside validation, a level back above the start counts too (``_levels_returned``)."""
        t, width = self.thresholds, BATCH_LEVEL_POINTS
        index = np.arange(block.start, block.end)
        medians = median_rows(rows(track.values, index, width))  # of the points so far, before a full window
        early = index < width - 1
        levels = np.where(early, np.nan, medians)  # only a full window is a level
        lows = np.fmin.accumulate(np.concatenate(([self._level_low], np.where(np.isfinite(levels), levels, np.inf))))
        level_low, self._level_low = lows[:-1], float(lows[-1])
        if self.pair.val is None:
            self._lone_lows.extend(lows[1:])
        # The start moves until its window is full, then stands: read once (a block may begin past it).
        if math.isnan(self._level_first) and index[-1] >= width - 1:
            full = width - 1 - block.start
            at = medians[full] if full >= 0 else median_rows(rows(track.values, np.array([width - 1]), width))[0]
            self._level_first = float(at)
        starts = np.where(early, medians, self._level_first)
        ranged = by_ranges(new, block.low_before, starts, t) & ~bad
        leveled = by_ratio(levels, level_low, starts, t) & ~bad & ~ranged
        # A level ``explode_ratio`` times the curve's very first point and ``spike_z`` noise deviations above it (out
        # of the noise, as a spike is): a blow-up in its first steps, which the start (the median of its first points)
        # sits in (a CIFAR-10 net at 3.6 before training, then 13,000; a language model's loss swinging 35 to 75).
        lifted = np.flatnonzero(
            by_ratio(levels, np.full(len(levels), track.first), starts, t) & ~bad & ~ranged & ~leveled
        )
        if len(lifted):
            sigma = noise(rows(track.values, block.start + lifted, t.noise_window))
            with np.errstate(invalid="ignore", over="ignore"):
                lifted = lifted[levels[lifted] - track.first >= t.spike_z * sigma]
        leaping = np.flatnonzero(by_ratio(new, level_low, starts, t) & ~bad & ~ranged & ~leveled)
        if len(leaping):
            sigma = noise(rows(track.values, block.start + leaping - 1, t.noise_window))
            with np.errstate(invalid="ignore", over="ignore"):
                leaping = leaping[new[leaping] - level_low[leaping] >= BATCH_NOISE_Z * sigma]
        found: list[Found] = []
        for i in np.flatnonzero(ranged).tolist():
            found.append((i, float(new[i]), float(block.low_before[i]), float(starts[i]), 1, width, False))
        for i in np.flatnonzero(leveled).tolist():
            found.append((i, float(levels[i]), float(level_low[i]), float(starts[i]), width, width, False))
        for i in leaping.tolist():
            found.append((i, float(new[i]), float(level_low[i]), float(starts[i]), 1, width, False))
        for i in lifted.tolist():
            found.append((i, float(levels[i]), track.first, track.first, width, 1, False))
        if self.pair.val is None:  # alone, its start may be a blow-up in its first steps (13.6 falling to 5, a CIFAR-10
            return found  # net labelled stuck): a level back at it, short of the ratio test, is a loss of progress
        taken = ranged | leveled
        taken[leaping] = taken[lifted] = True
        back, long_lows = self._levels_returned(track, block, levels, level_low, starts, ~bad & ~taken & ~early)
        for i in back.tolist():
            found.append((i, float(levels[i]), float(long_lows[i]), float(starts[i]), width, width, True))
        return found

    def _levels_returned(
        self,
        track: Track,
        block: Block,
        levels: np.ndarray,
        level_low: np.ndarray,
        starts: np.ndarray,
        candidates: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Indices in ``block`` of a per-batch curve's levels back above its start, the median of its first
        points, after they learned clearly (``returned``), and the lows they were read from. What it learned is read
        to the lowest median of ``SPREAD_WINDOWS`` times as many points (the lowest of many short medians is a lucky
        one: a loss swinging 15 % "learned" 2.7 to 1.7 where it never left 2.3), against its single points' spread
        before each."""
        long_lows = self._long_lows(track, block)
        with np.errstate(invalid="ignore"):
            at = np.flatnonzero(candidates & (levels > starts) & np.isfinite(level_low) & np.isfinite(long_lows))
        if not len(at):
            return at, long_lows
        # Their spread about their median, not the noise read on their differences: a loss held over an accumulation
        # window of 8 micro-steps has no point-to-point noise; over ``SPREAD_WINDOWS`` noise windows, as 24 such
        # points are 3 values, whose median deviation may be nil.
        windows = rows(track.values, block.start + at - 1, SPREAD_WINDOWS * self.thresholds.noise_window)
        sigma = spread_rows(windows)
        return at[returned(levels[at], long_lows[at], starts[at], sigma, self.thresholds)], long_lows

    def _long_lows(self, track: Track, block: Block) -> np.ndarray:
        """For each point of ``block``, the lowest median of ``SPREAD_WINDOWS * BATCH_LEVEL_POINTS`` points that ended
        before it, read at every ``BATCH_LEVEL_POINTS``-th point (inf before the first)."""
        width, long = BATCH_LEVEL_POINTS, SPREAD_WINDOWS * BATCH_LEVEL_POINTS
        begin = max(self._long_done, long - 1)
        ends = np.arange(begin + (-(begin + 1)) % width, block.end, width)  # points whose index + 1 is a multiple
        medians = median_rows(rows(track.values, ends, long)) if len(ends) else np.empty(0)
        running = np.fmin.accumulate(
            np.concatenate(([self._long_low], np.where(np.isfinite(medians), medians, np.inf)))
        )
        self._long_low, self._long_done = float(running[-1]), max(self._long_done, block.end)
        return running[np.searchsorted(ends, np.arange(block.start, block.end), side="left")]

    def lone_flat_share(self, index: int, noise: float) -> tuple[float, float]:
        """(A training curve alone) the share of the curve up to ``index`` spent since its level (the lowest median
        of ``BATCH_LEVEL_POINTS`` points) came within a tolerance of where that level stands now, and the tolerance:
        ``stuck_within`` of the progress made, or ``LONE_STUCK_ERRORS`` of such a median's standard error for the
        curve's ``noise``, whichever is larger. NaN before a full window."""
        lows = self._lone_lows.view[: index + 1]
        best = float(lows[-1]) if len(lows) else math.inf
        span = self._level_first - best
        if not (math.isfinite(best) and span > 0):
            return math.nan, math.nan
        error = MEDIAN_SPREAD * noise / math.sqrt(BATCH_LEVEL_POINTS) if math.isfinite(noise) else 0.0
        tolerance = max(self.thresholds.stuck_within * span, LONE_STUCK_ERRORS * error)
        reached = int(np.searchsorted(-lows, -(best + tolerance), side="left"))
        return (len(lows) - 1 - reached) / len(lows), tolerance

    # ---- processing, in step order -------------------------------------------------------

    def on_event(self, step: int, kind: str, payload: object, overfitting: bool = False) -> list[Raised]:
        """``overfitting``: validation's rise is confirmed (its bell rang): validation climbing on past ten times
        its best while training still falls, or holds near its best (``Blowup.overfit_climb``: an FMNIST CNN under
        Adam whose validation climbed 0.28 → 3.0 over 90 epochs beside training at 0.06), is that overfitting going
        on, not a blow-up (it rang a second, wrong-kind bell, advising a lower learning rate)."""
        if isinstance(payload, Spike):
            return self._spike(step, payload)
        assert isinstance(payload, Blowup)
        b = payload
        if kind.startswith("nonfinite"):
            self.outs += 1
            return self.enter(step, b.tag, f"{b.tag} is {b.value} at step {step:,}")
        if kind == "explode-val":
            previous, self._val_exploded_at = self._val_exploded_at, b.index
            if overfitting and b.overfit_climb:
                return []  # validation climbing on past ten times its best, training still near its own: overfitting
            if b.train_falling and (overfitting or previous != b.index - 1):
                return []  # training still fell: one point alone may be a glitch of the evaluation, wait
        if kind == "explode-train":
            previous, self._train_exploded_at = self._train_exploded_at, b.index
            if (b.returned or max(b.level_window, b.value_window) > 1) and previous != b.index - 1:
                return []  # one batch alone (a per-batch reading: its level's window is many points), or one point
                # back above its start (a spike may come back)
        reason = returned_words(b, step) if b.returned else exploded_words(b, step)
        return self.enter(step, b.tag, reason)

    def enter(self, step: int, tag: str, reason: str) -> list[Raised]:
        """Diverged: the verdict says so. The bell rings once per blow-up, and again for a later one only if the
        run learned in between: the curve blowing up now (``tag``) got lower than it was when the bell last rang
        (whichever curve rang it), by ``flat_range`` of its progress from its start or ``RERING_NOISE`` of its noise
        as it was learning, whichever is more. A run that keeps blowing up without learning is told once, and its
        verdict says the rest."""
        self.verdict.kind = Kind.DIVERGING
        self.verdict.flags.pop(Kind.NOISY_VAL, None)
        self.verdict.flags.pop(Kind.VAL_RISING, None)
        self.verdict.flags.pop(Kind.GAP, None)  # not judged while blown up: its numbers would stay from before
        if self.active:  # still blown up: the reason says since when, in the same words whichever curve a live read
            # met first (a curve whose file is flushed later may bring an earlier blow-up)
            episode = self.episodes[-1]
            began = episode[0]
            episode[0] = since = int(min(began, step))
            episode[2] = min(episode[2], self._point_before(tag, step))
            if step == began and tag != self.pair.train:
                return []  # both curves at the step it began: training's words, whichever file was read first
            self.verdict.reason = reason if step == since else f"{reason}; diverging since step {since:,}"
            return []
        self.verdict.reason = reason
        self.active, self.reason = True, reason
        self.episodes.append([step, math.inf, self._point_before(tag, step)])
        track = self._tracks.get(tag)
        if self._rung_step is not None and track is not None:
            # Both lows read from this curve now: it is read past the step the bell rang at, so the answer does not
            # depend on which file was read first (a curve behind the other when the bell rang).
            before, now = track.low_at(self._rung_step), track.low_at(step)
            margin = self.thresholds.flat_range * (track.first - before) if math.isfinite(track.first - before) else 0.0
            noisy = RERING_NOISE * track.noise_at_low(self._rung_step, self.thresholds.noise_window)
            if not now < before - max(margin, noisy if math.isfinite(noisy) else 0.0, 0.0):
                return []
        self._rung_step = step
        return [(step, Kind.DIVERGING, tag, reason)]

    def _point_before(self, tag: str, step: int) -> float:
        """The step of the curve's point before ``step`` (-inf: none): the blow-up began after it."""
        track = self._tracks.get(tag)
        at = int(np.searchsorted(track.steps[: track.count], step)) - 1 if track is not None else -1
        return float(track.steps[at]) if track is not None and at >= 0 else -math.inf

    def leave(self, step: int) -> None:
        """The curves came back into their range at ``step``: judged afresh; a new blow-up rings again."""
        self.active = False
        if self.episodes:
            self.episodes[-1][1] = step

    def _spike(self, step: int, spike: Spike) -> list[Raised]:
        if self.active:  # a blown-up curve's wobbles are not spikes of the curve it was
            return []
        reason = f"{spike.tag} jumped to {fmt(spike.height)} at step {spike.peak_step:,} and came back by step {step:,}"
        self.verdict.flags[Kind.SPIKE] = reason
        self.spike_left = SPIKE_SHOWN
        return [(step, Kind.SPIKE, spike.tag, reason)]


def per_batch(track: Track, block: Block, val_steps: np.ndarray | None) -> np.ndarray:
    """For each training point of ``block``: whether the curve is read as per-batch there, by its data. From the
    first validation interval that held ``DENSE_TRAIN`` training points on (or while the open one holds as many),
    it is, for good. Only validation points at or before each training point's step are read, so ``replay`` (fed
    a step at a time) and ``check`` (the whole run) read each point alike; a live read whose training file runs
    ``DENSE_TRAIN`` points ahead of its validation file may read a curve as per-batch earlier."""
    index = np.arange(block.start, block.end)
    steps = track.steps[: block.end]
    if val_steps is None or not len(val_steps):
        return index + 1 >= DENSE_TRAIN
    counted = np.searchsorted(steps, val_steps, side="right")  # training points at or before each validation's
    held = np.diff(counted, prepend=0) >= DENSE_TRAIN  # each interval, ending at a validation point, held so many
    once = np.logical_or.accumulate(held)
    seen = np.searchsorted(val_steps, steps[block.start : block.end], side="right")  # validation points so far
    closed = np.where(seen > 0, once[np.maximum(seen - 1, 0)], False)
    since = index + 1 - np.where(seen > 0, counted[np.maximum(seen - 1, 0)], 0)
    return closed | (since >= DENSE_TRAIN)


HELD_NOISE = 3.0
"""Training within this many of its noise deviations (as it was learning, at its lowest) above its best level, or
``flat_range`` of its progress, is held there (``_held_low``)."""


def _climbed_to(track: Track, index: int, value: float) -> bool:
    """Whether the point before ``index`` stood at half ``value`` or more: the curve climbed past the ratio test's
    line, step by step, where a blow-up jumps (0.7 to 40 at one evaluation)."""
    before = float(track.values[index - 1]) if index > 0 else math.nan
    return math.isfinite(before) and 2.0 * before >= value


def _held_low(train: Track, step: int, val_points: int, thresholds: Thresholds) -> bool:
    """Whether training's last point at or before ``step`` stands near its best level as it stood then: within
    ``HELD_NOISE`` of its noise at its lowest (read on ``noise_window`` points), or ``flat_range`` of its progress —
    a net still fitting its training set, whatever validation does. Only for a training curve logged no more often
    than validation (``val_points`` of them so far): one batch of a per-batch curve says nothing of its level."""
    end = int(np.searchsorted(train.steps[: train.count], step, side="right"))
    if not 0 < end <= val_points:
        return False
    last, best, first = float(train.values[end - 1]), float(train.bests[end - 1]), train.first
    if not (np.isfinite([last, best, first]).all() and first > best):
        return False
    noise_there = train.noise_at_low(step, thresholds.noise_window)
    room = max(thresholds.flat_range * (first - best), HELD_NOISE * noise_there if math.isfinite(noise_there) else 0.0)
    return last - best <= room


def _fell_by(train: Track, step: int) -> bool:
    """Whether training's last point at or before ``step`` is below the one before it."""
    end = int(np.searchsorted(train.steps[: train.count], step, side="right"))
    if end < 2:
        return False
    last, before = train.values[end - 1], train.values[end - 2]
    return bool(np.isfinite(last) and np.isfinite(before) and last < before)
