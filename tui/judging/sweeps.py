"""Which runs of a sweep are behind their peers: the stop-early advice, from the past only.

A sweep's runs are judged together, in lockstep: every run, at each of its validation points
(at progress ``s``), is compared with where its peers stood at ``s / slower`` (by default half
its progress). It is *behind its peers* when its best validation loss so far is worse than the
peers' median there by more than twice its own noise: it is more than ``slower`` times slower
than the median peer, and not by luck. This is the median stopping rule (Golovin et al. 2017,
"Google Vizier") made safer, and tested on the DeepOBS sweeps (benchmarks/sweeps.py, README):

* equal progress, never the future: a peer counts only once it has reached the reference point,
  with its best up to there (a run ahead of the others waits for them; nothing is interpolated
  forward);
* the time-rescaled reference (``s / slower``) tolerates a run that is slower but may end lower
  (a smaller learning rate), where a plain median at the same step stops it;
* the pool is the peers in the race at the reference point: a run that diverged (NaN/inf) or
  never got below its first value (it blew up) does not set the bar, so a sweep whose larger
  learning rates all blow up is not judged against a median of infinities; a run already behind
  counts as it stood when told (left out, the pool would shrink to ever faster runs, and the next
  slowest would be behind in turn, down to a slow run that ends best); slow runs stay in: they
  keep the median honest for a run that is slow but may end best;
* the margin is the run's own noise (robust, from second differences of its recent points), so
  oscillating curves are not stopped on an unlucky epoch; everything is scale-free;
* a grace period: at least ``min_points`` validation points, and no verdict until most of the
  better half of the peers had slowed down by the reference point (the second half of their
  progress gained at most half what the first half did, beyond noise): while the leaders are
  still in their first descent, a run that is flat at first and blooms late (a warm-up, a plateau
  before a sudden drop) cannot be told from a hopeless one.

A run whose validation loss turns NaN/inf is behind at once (it cannot recover), for good; so is a run
behind whose loss turns NaN/inf. A run behind by its losses is judged on at each new point and *catches
up* when its best is no worse than the peers' median at the same reference (no noise margin) at
``confirm`` points in a row; it counts in the pool as it stands from then on, and is told again if it
stands behind at ``confirm`` points in a row. A run that is not written any more
cannot catch up, so following the advice changes nothing of what the others are told. The judge is pure
and incremental: ``update`` takes the curves as they stand and returns the runs newly behind
(``caught_up`` holds the runs that left ``behind``); feeding the same points in any grouping of rounds
gives the same advice as long as each run's points arrive in order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from tui.judging.sweep_advice import Behind, CaughtUp, Said
from tui.judging.thresholds import Thresholds
from tui.judging.windows import curve_noise

WHOLE_NOISE_POINTS = 256
"""The noise of a whole curve is measured on at most this many recent points (a long curve's tail is enough)."""


noise_sigma = curve_noise
"""The run's own noise (robust, white, from second differences): see ``windows.curve_noise``."""


THIN_AFTER = 1000
"""Past this many validation points, a run is judged only where its progress grew by THIN_GROWTH..."""
THIN_GROWTH = 1.005
"""...(0.5 %), so a 50,000-point curve costs about 1,400 judgements, not 50,000."""


@dataclass(frozen=True)
class SweepRules:
    """The knobs of the advice (settings ``sweep_slower``, ``sweep_z``, ``sweep_min_points``, ``sweep_bend``,
    ``sweep_confirm``)."""

    slower: float = 2.0
    """Behind = worse than the peers' median at 1/slower of the run's progress (2: half)."""
    z: float = 2.0
    """...by more than this many of the run's own noise sigmas."""
    min_points: int = 4
    """Validation points a run needs before it is judged (a NaN/inf is judged at once)."""
    bend: float = 0.5
    """Grace: no verdict until most of the better half of the peers had slowed down: the second half of
    their progress gained at most this share of what the first half did."""
    min_peers: int = 2
    """Peers (besides the run) in the race at the reference point, at least."""
    confirm: int = 3
    """A run behind catches up once it stood at or below the median at this many of its points in a row, and is
    told again once it stood behind at as many: neck and neck with the median, one point says nothing (on the
    DeepOBS sweeps, 5 of 7 runs told again were told 1 or 2 points after they caught up; with 3: none)."""


@dataclass
class _Run:
    """One run as the judge holds it: its points on the common axis, running best, noise cache."""

    progress: np.ndarray
    steps: np.ndarray
    values: np.ndarray
    best: np.ndarray
    """Running minimum of the finite values (inf before the first finite one)."""
    first: float
    judged: int = 0
    """Points already judged (the next decision is at this index or later)."""
    behind_at: float = math.inf
    """Progress at which it was found behind (inf: never)."""
    streak: int = 0
    """Points in a row that would change its advice (``confirm``): behind since it caught up, or caught up."""
    noise_cache: dict[int, float] = field(default_factory=dict)
    bent_cache: dict[int, bool] = field(default_factory=dict)
    """``bent`` by index: it reads the points up to there only, and a peer is asked at many references."""

    def index_at(self, progress: float) -> int:
        """Index of the last point at or before ``progress`` (-1: none)."""
        return int(np.searchsorted(self.progress, progress, side="right")) - 1

    def noise(self, index: int, min_points: int) -> float:
        """Robust noise of its recent half (at least ``min_points - 1`` points) up to ``index``."""
        cached = self.noise_cache.get(index)
        if cached is None:
            width = max(min_points - 1, index // 2)
            window = self.values[max(0, index - width + 1) : index + 1]
            cached = self.noise_cache[index] = noise_sigma(window)
        return cached

    def whole_noise(self, index: int) -> float:
        """Robust noise of its points up to ``index`` (the last WHOLE_NOISE_POINTS), cached apart."""
        key = -1 - index
        sigma = self.noise_cache.get(key)
        if sigma is None:
            sigma = self.noise_cache[key] = noise_sigma(self.values[max(0, index - WHOLE_NOISE_POINTS + 1) : index + 1])
        return sigma

    def bent(self, index: int, ratio: float, min_points: int) -> bool:
        """Its curve has slowed down by ``index``: the second half of its progress so far gained at most
        ``ratio`` times what the first half did, by more than its noise.

        Measured on the running best at the start, the middle (interpolated) and the end. A judge
        asks with its own rules only, so the cache is by index.
        """
        cached = self.bent_cache.get(index)
        if cached is None:
            cached = self.bent_cache[index] = self._bent(index, ratio, min_points)
        return cached

    def _bent(self, index: int, ratio: float, min_points: int) -> bool:
        middle = float(self.progress[index]) / 2.0
        at_middle = float(np.interp(middle, self.progress[: index + 1], self.best[: index + 1]))
        first_half, second_half = self.first - at_middle, at_middle - float(self.best[index])
        slack = max(self.noise(index, min_points), self.whole_noise(index))
        return first_half > 0 and second_half + slack <= ratio * first_half


class SweepJudge:
    """Stop-early advice for one sweep; ``update`` with the curves as they stand, get the runs newly behind."""

    def __init__(self, rules: SweepRules | None = None) -> None:
        self.rules = rules or SweepRules()
        self.runs: dict[str, _Run] = {}
        self.behind: dict[str, Behind] = {}
        self.caught_up: dict[str, CaughtUp] = {}
        """Runs once behind that caught up since (by name, the latest); a run behind again leaves it."""
        self.history: list[Behind | CaughtUp] = []
        """Every advice given and withdrawn, in the order decided (since the last start over)."""
        self._held: _Pool | None = None
        """The pool at the reference being judged (see ``_pool``)."""
        self._for_good: set[str] = set()
        """Runs behind whose validation loss turned NaN/inf since: they do not catch up."""

    def update(self, curves: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> list[Behind]:
        """Take each run's (progress, steps, values), in order, as they stand now; judge the new points.

        A curve that lost points (a restart) or whose axis changed makes the judge start over: its
        advice is recomputed, and it returns the advice standing then of the runs not behind before
        (``standing``). New points are judged in order of progress across runs, so a run's advice at
        ``s`` sees its peers' advice up to ``s``.
        """
        if any(self._rewritten(name, curve[0]) for name, curve in curves.items()):
            said = self.said()
            self.runs, self.behind, self.caught_up, self.history, self._for_good = {}, {}, {}, [], set()
            self._take(curves)
            self._judge_pending()
            return self.standing(said)
        self._take(curves)
        return self._judge_pending()

    def _rewritten(self, name: str, progress: np.ndarray) -> bool:
        run = self.runs.get(name)
        if run is None:
            return False
        held = len(run.progress)
        return len(progress) < held or (held > 0 and progress[held - 1] != run.progress[-1])

    def _take(self, curves: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        for name, (progress, steps, values) in curves.items():
            run = self.runs.get(name)
            if run is not None and len(progress) == len(run.progress):
                continue
            values = np.asarray(values, dtype=np.float64)
            finite = np.isfinite(values)
            best = np.minimum.accumulate(np.where(finite, values, np.inf)) if len(values) else values
            first = float(values[np.argmax(finite)]) if finite.any() else math.nan
            fresh = _Run(np.asarray(progress, dtype=np.float64), np.asarray(steps), values, best, first)
            if run is not None:
                fresh.judged, fresh.behind_at, fresh.noise_cache = run.judged, run.behind_at, run.noise_cache
                fresh.streak = run.streak
                fresh.bent_cache = run.bent_cache
            self.runs[name] = fresh

    def _judge_pending(self) -> list[Behind]:
        """Judge every new point in order of progress; the advice newly given, in order (a run told, caught up
        and told again among the new points is in it twice)."""
        self._held = None  # the curves changed
        pending = sorted(
            (float(run.progress[i]), name, i)
            for name, run in self.runs.items()
            if not self._diverged(name)
            for i in _decision_points(run.progress, run.values, run.judged)
        )
        found: list[Behind] = []
        for _, name, index in pending:
            run = self.runs[name]
            if self._diverged(name) or index < run.judged:
                continue
            run.judged = index + 1
            if name in self.behind:
                self._judge_catching_up(name, run, index)
                continue
            advice = self._judge(name, run, index)
            if advice is not None and name in self.caught_up and not advice.diverged:
                run.streak += 1  # behind again: told once it stood so at ``confirm`` points in a row
                if run.streak < self.rules.confirm:
                    continue
            elif advice is None:
                run.streak = 0
            if advice is not None:
                run.streak = 0
                run.behind_at = advice.progress
                if self._held is not None and advice.progress <= self._held.reference:
                    self._held = None  # the held pool counted it further on than it now stands
                self.behind[name] = advice
                found.append(advice)
                self.caught_up.pop(name, None)
                self.history.append(advice)
        return found

    def _diverged(self, name: str) -> bool:
        """Behind for good: its validation loss turned NaN/inf (judged no more)."""
        told = self.behind.get(name)
        return told is not None and (told.diverged or name in self._for_good)

    def said(self) -> Said:
        """What this judge has said: before it starts over, what a new judge need not say again (``standing``)."""
        told = frozenset((event.run, event.step) for event in self.history if isinstance(event, Behind))
        return Said(frozenset(self.behind), told)

    def standing(self, said: Said) -> list[Behind]:
        """What a judge that started over (a curve rewritten) has to tell: the advice standing now, in the order it
        was given, of the runs not behind before, and not as told before (what it decided again at the points
        judged before, told and caught up again, is no news)."""
        standing = [
            event for event in self.history if isinstance(event, Behind) and self.behind.get(event.run) is event
        ]
        return [a for a in standing if a.run not in said.behind and (a.run, a.step) not in said.told]

    def _judge_catching_up(self, name: str, run: _Run, index: int) -> None:
        """A run behind by its losses leaves ``behind`` once its best is no worse than the peers' median."""
        if not math.isfinite(run.values[index]):
            self._for_good.add(name)  # NaN/inf: behind for good, as a run that turns NaN before it is told
            return
        progress = float(run.progress[index])
        reference = progress / self.rules.slower
        pool = self._pool(reference)
        if pool.size(name) < self.rules.min_peers:
            return
        median, best = pool.median(name), float(run.best[index])
        if not best <= median:
            run.streak = 0
            return
        run.streak += 1  # caught up once it stood so at ``confirm`` points in a row
        if run.streak < self.rules.confirm:
            return
        run.streak = 0
        del self.behind[name]
        if self._held is not None and self._held.reference >= run.behind_at:
            self._held = None  # the held pool counted it as it stood when told
        run.behind_at = math.inf  # it counts as it stands from here on
        caught = CaughtUp(name, int(run.steps[index]), progress, best, median, reference, pool.size(name))
        self.caught_up[name] = caught
        self.history.append(caught)

    def _judge(self, name: str, run: _Run, index: int) -> Behind | None:
        rules = self.rules
        progress, value = float(run.progress[index]), float(run.values[index])
        step = int(run.steps[index])
        if not math.isfinite(value):
            return Behind(name, step, progress, value, diverged=True)
        if index + 1 < rules.min_points or not math.isfinite(run.first):
            return None
        reference = progress / rules.slower
        pool = self._pool(reference)
        if pool.size(name) < rules.min_peers or not pool.settled(name):
            return None
        median = pool.median(name)  # two values near the float limit: inf, as np.median
        with np.errstate(over="ignore", invalid="ignore"):
            recent = float(np.median(run.values[max(0, index - rules.min_points + 2) : index + 1]))
        best = float(run.best[index])
        noise = run.noise(index, rules.min_points)
        lost = recent - run.first > run.first - median
        if lost:
            noise = 0.0  # it went up from its start by more than its peers came down: lost, not noisy
        if best - median <= max(rules.z * noise, 1e-9 * abs(median)):
            return None
        return Behind(
            name, step, progress, best, False, median, reference, noise, pool.size(name), lost, recent, run.first
        )

    def _pool(self, reference: float) -> _Pool:
        """The pool at ``reference``, built once for all the runs judged against it.

        Decisions come in order of progress, so ``reference`` never goes back within a round and one
        pool is held: a lockstep sweep of N runs builds it once per validation point, not N times.
        A run found behind at or before the held reference makes it stale (it now counts as it stood when told).
        """
        if self._held is None or self._held.reference != reference:
            self._held = _Pool(reference, self._entrants(reference), self.rules)
        return self._held

    def _entrants(self, reference: float) -> list[tuple[str, _Run, int]]:
        """Runs in the race at ``reference``: reached it, finite there, below their start. A run told behind by
        then counts as it stood when told, whether it was stopped there or went on: its best can only have
        fallen since, so the median it helps set is never lower than the truth. Left out, each run told behind
        would leave a pool of faster runs, against which the next slowest is behind in turn, down to a slow run
        that ends best."""
        pool = []
        for name, peer in self.runs.items():
            told = peer.behind_at <= reference
            if not len(peer.progress) or (peer.progress[-1] < reference and not told):
                continue
            i = peer.index_at(peer.behind_at if told else reference)
            if i < 0 or not math.isfinite(peer.values[i]) or not math.isfinite(peer.first):
                continue
            if not peer.best[i] < peer.first:
                continue  # never got below its start (blew up, or has not moved): it does not set the bar
            pool.append((name, peer, i))
        return pool


class _Pool:
    """The runs in the race at one reference point, ranked by their best there, for every run but one.

    A run is judged against the pool without itself: the median and the grace period's better
    half of that reduced pool are read off the ranking (as ``np.median`` and a stable sort of the
    reduced pool would give them) in constant time, so a sweep of N runs costs N, not N squared.
    """

    def __init__(self, reference: float, entrants: list[tuple[str, _Run, int]], rules: SweepRules) -> None:
        self.reference = reference
        ranked = sorted(entrants, key=lambda entrant: entrant[1].best[entrant[2]])  # stable: ties in run order
        self.rank = {name: k for k, (name, _, _) in enumerate(ranked)}
        self.bests = [float(peer.best[i]) for _, peer, i in ranked]
        needed = min(len(ranked), math.ceil(len(ranked) / 2) + 1)  # the better half, with or without one run
        self.slowed = [0]
        for _, peer, i in ranked[:needed]:
            self.slowed.append(self.slowed[-1] + peer.bent(i, rules.bend, rules.min_points))

    def size(self, name: str) -> int:
        """Peers of ``name`` in the pool (itself left out)."""
        return len(self.bests) - (name in self.rank)

    def settled(self, name: str) -> bool:
        """The grace period: most of the better half of the peers had slowed down by the reference point.

        Until then the leading runs are still in their first descent, and a run that is flat at
        first (warming up, or stuck before a sudden drop) cannot be told from a hopeless one.
        """
        half = math.ceil(self.size(name) / 2)
        own = self.rank.get(name, len(self.bests))
        slowed = self.slowed[half]
        if own < half:  # the run is among the better half: the next one takes its place
            slowed = self.slowed[half + 1] - (self.slowed[own + 1] - self.slowed[own])
        return 2 * slowed >= half

    def median(self, name: str) -> float:
        """The peers' median best (the run left out), as ``np.median`` gives it."""
        count = self.size(name)
        if not count:
            return math.nan
        own = self.rank.get(name, len(self.bests))

        def at(k: int) -> float:
            return self.bests[k + (k >= own)]

        if count % 2:
            return at(count // 2)
        return (at(count // 2 - 1) + at(count // 2)) / 2.0


def rules_from(thresholds: Thresholds) -> SweepRules:
    """The advice's knobs as the user set them (losswatch.toml, --set)."""
    return SweepRules(
        slower=thresholds.sweep_slower,
        z=thresholds.sweep_z,
        min_points=thresholds.sweep_min_points,
        confirm=thresholds.sweep_confirm,
        bend=thresholds.sweep_bend,
    )


def _decision_points(progress: np.ndarray, values: np.ndarray, start: int) -> list[int]:
    """Indices from ``start`` on to judge: all of a run's first THIN_AFTER points, then one per 0.5 % of progress.

    Non-finite points are always judged (divergence is reported where it happens). The choice
    depends on the points alone, not on how they were grouped into rounds.
    """
    end = len(progress)
    if end <= THIN_AFTER:
        return list(range(start, end))
    indices = np.arange(start, end)
    keep = indices < THIN_AFTER
    late = indices[~keep]
    if len(late):
        with np.errstate(divide="ignore", invalid="ignore"):
            bucket = np.floor(np.log(np.maximum(progress, 1e-300)) / math.log(THIN_GROWTH))
        previous = bucket[late - 1]
        keep[~keep] = (bucket[late] != previous) | ~np.isfinite(values[late])
    return indices[keep].tolist()


def progress_axis(intervals: Mapping[str, tuple[float, float]]) -> str:
    """'step' or 'round': the axis on which a sweep's runs are compared.

    ``intervals`` maps each run to its median (step, wall-seconds) interval between validation
    points. Runs of one sweep usually count steps alike; when their step intervals differ
    many-fold (one logs epochs, another batches; or batch sizes differ) while validations come
    about as often in wall time, the validation round is the common clock.
    """
    steps = [s for s, _ in intervals.values() if s > 0]
    walls = [w for _, w in intervals.values() if w > 0]
    if len(steps) < 2 or max(steps) / min(steps) <= 4.0:
        return "step"
    step_spread = max(steps) / min(steps)
    wall_spread = max(walls) / min(walls) if len(walls) >= 2 else math.inf
    return "round" if wall_spread * 4.0 < step_spread else "step"
