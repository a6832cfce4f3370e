"""The judgement at one validation point: slow blow-ups, overfitting (``rising.py``), directions, plateau or
converged, and the flags.

``Judge.at`` is called for each judged validation point in step order with that point's ``Moment``
(figures computed from points up to it only). It keeps the state that spans points: streaks, the
raised alerts (each rings once per onset) and the verdict.
"""

from __future__ import annotations

import math

from tui.judging.diverging import Divergence, Raised
from tui.judging.features import all_finite, at_chance, direction, movement, or_zero, span, trend_width
from tui.judging.gap import Gap
from tui.judging.kinds import Kind
from tui.judging.moment import Moment
from tui.judging.pairing import Pair
from tui.judging.ranges import (
    climbed,
    how_far_back,
    lost_progress,
    lost_words,
    out_of_range,
    parked_at_start,
    still_out,
)
from tui.judging.rising import Rise
from tui.judging.thresholds import LONE_TREND_WINDOW_MAX, TREND_WINDOW_MAX, Thresholds
from tui.judging.verdict import Verdict, fmt, now_said, progress_words

Back = tuple[str, float, float, float]
"""A curve back from its best: its tag, level, best and start."""

NO_TROUBLE = "no trouble seen: "
"""How a ``learning`` reason starts when neither curve moves clearly (nothing is wrong that a test can tell)."""

REARM = 3
"""plateau / data-suspect / unstable ring again only after a different reading held this many times ``confirm``."""
CONFIRMED = frozenset((Kind.PLATEAU, Kind.DATA_SUSPECT, Kind.UNSTABLE))
"""Readings that alert (and become the verdict) only after ``confirm`` of them in a row."""
SETTLED = frozenset((Kind.LEARNING, Kind.CONVERGED, *CONFIRMED))
"""Verdicts that stand while another reading waits for its confirmation."""


class Judge:
    """Judges validation points one after another; writes the verdict's kind, reason and flags (with its ``Rise``,
    which holds the verdict and the overfitting state)."""

    def __init__(self, thresholds: Thresholds, pair: Pair) -> None:
        self.t = thresholds
        self.pair = pair
        self._has_train = pair.train is not None
        """False for validation logged alone: it recovers on its own, and its rise warns but never rings."""
        self.rise = Rise(thresholds, pair, Verdict())
        """Overfitting and its early warning (``rising.py``), on the same verdict."""
        self.val_direction = ""
        self._slow_streak = 0
        self._recovered = 0
        self._blown: tuple[int, int] | None = None
        """(index recovered at, step blown up at) of the last divergence left: the noise read over points before
        that index holds the blow-up, which an ``unstable`` reason then says."""
        self._outs_seen = 0
        self._streak_kind = ""
        self._streak = 0
        self._raised: set[str] = set()
        self._told_last = ""
        """The latest of plateau, data-suspect and unstable told: one told before it is told again when it returns."""
        self._away: dict[str, int] = {}
        self._lost_since: int | None = None
        """Step of the first judgement of the run's latest stretch lost (``_lost_curves``): a checkpoint before it
        holds what it had learned."""
        self._plateau_lost = False
        """The plateau alert standing was told of a run that lost its progress (``_lost_curves``): one told before
        the run lost ground is told again once it has."""
        self.gap = Gap(thresholds, pair)
        """The train/val accuracy gap flag (on the same verdict)."""

    @property
    def verdict(self) -> Verdict:
        """The verdict this judge and its rise both write (the engine may hand it a fresh one)."""
        return self.rise.verdict

    @verdict.setter
    def verdict(self, verdict: Verdict) -> None:
        self.rise.verdict = verdict

    @property
    def overfitting(self) -> bool:
        """Validation's rise is confirmed now: the verdict is overfitting."""
        return self.rise.overfitting

    # ---- the entry point -----------------------------------------------------------------

    def at(self, m: Moment, divergence: Divergence) -> list[Raised]:
        t, v = self.t, self.verdict
        v.flags.pop(Kind.BOTH_RISING, None)  # said again below while it holds (``_flag_both_rising``)
        v.flags.pop(Kind.NO_NEW_BEST, None)  # and this (``_flag_no_new_best``)
        if divergence.spike_left > 0:
            divergence.spike_left -= 1
            if divergence.spike_left == 0:
                v.flags.pop(Kind.SPIKE, None)
        train_range = max(m.train_first - m.train_best, 0.0) if all_finite(m.train_first, m.train_best) else 0.0
        train_dir = direction(
            m.train.change, m.train.spread, span(train_range, m.train.level, m.train_first), t, m.train.level
        )
        if m.val is None:
            return self._lone(m, train_dir, train_range, divergence)
        val_range = max(m.val_first - m.best, 0.0) if all_finite(m.val_first, m.best) else 0.0
        val_dir = direction(m.val.change, m.val.spread, span(val_range, m.val.level, m.val_first), t, m.val.level)
        self.val_direction = val_dir if all_finite(m.val.change, m.val.spread) else ""  # too few points: none shown
        out: list[Raised] = []
        if divergence.active and not self._recovering(m, divergence):
            return out
        parked = self._parked(m)
        out += self._slow_divergence(m, (train_dir, val_dir), parked, divergence)
        if divergence.active:
            return out
        out += self.rise.at(m, (val_range, train_range), parked, val_dir == "rising")
        out += self.gap.at(m, self.verdict)
        if m.index + 1 < t.min_points:
            if not self.overfitting:
                v.kind, v.reason = Kind.WAITING, f"{m.index + 1} of {t.min_points} validation points needed"
            return out
        self._flag_noisy(m, val_range, val_dir)
        if self.overfitting:
            return out
        lost = self._lost_curves(m, train_range, val_range)
        self._lost_since = (self._lost_since if self._lost_since is not None else m.step) if lost else None
        if lost and Kind.PLATEAU in self._raised and not self._plateau_lost:  # a plateau told before it lost ground
            self._raised.discard(Kind.PLATEAU)
        kind, reason = self._classify(m, (train_dir, val_dir), (train_range, val_range), lost, parked)
        # While the run stays that far back, rising or falling toward its best, its plateau is not told again.
        settled = self._settle(kind, m.step, reason, decisive=not (lost and kind == Kind.LEARNING))
        if any(raised[1] == Kind.PLATEAU for raised in settled):
            self._plateau_lost = bool(lost)
        out += settled
        if v.kind == Kind.UNSTABLE:  # "not a concern" beside a run told its learning rate is too high: no
            v.flags.pop(Kind.NOISY_VAL, None)
        self._flag_both_rising(m, train_dir, val_dir)
        self._flag_no_new_best(m)
        if Kind.VAL_RISING in v.flags or Kind.NO_NEW_BEST in v.flags:  # trouble flagged: not "no trouble seen"
            v.reason = v.reason.removeprefix(NO_TROUBLE)
        return out

    def _flag_no_new_best(self, m: Moment) -> None:
        """Validation has set no new best level for ``2 * trend_window`` points and half the run while the verdict is
        still ``learning``: its direction hidden by its noise read "no trouble seen: keep training" beside a CIFAR-10
        net flat at 1.8 for 70 epochs. A fact about the curve, not a test of it: no alert, no bell; "not a concern"
        and "no trouble seen" are not said beside it."""
        assert m.val is not None
        since = m.index - m.best_index
        v = self.verdict
        if v.kind != Kind.LEARNING or m.best_index < 0 or since < max(2 * self.t.trend_window, (m.index + 1) // 2):
            return
        v.flags.pop(Kind.NOISY_VAL, None)  # and "no trouble seen" goes with any flag of trouble (``at``)
        v.flags[Kind.NO_NEW_BEST] = (
            f"{self.pair.val} has set no new best level for {since:,} of its {m.index + 1:,} points: its best level "
            f"{fmt(m.best)} at step {m.best_level_step:,}, {fmt(m.val.level)} now"
        )

    def _flag_both_rising(self, m: Moment, train_dir: str, val_dir: str) -> None:
        """Both curves rising while the verdict is still ``learning``: short of a divergence (back half-way toward
        the start, confirmed), which momentum's overshoot also reaches and leaves, so a warning, not a bell; but
        never "keep training" without a word beside a reason that says both rise."""
        assert m.val is not None
        if not (self.verdict.kind == Kind.LEARNING and train_dir == val_dir == "rising"):
            return
        level, best, first = m.val.level, m.best, m.val_first
        where = (
            f"{(level - best) / (first - best):.0%} of the way back from its best {fmt(best)} to its start {fmt(first)}"
            if all_finite(level, best, first) and first > best
            else f"its best {fmt(best)}, its start {fmt(first)}"
        )
        self.verdict.flags[Kind.BOTH_RISING] = (
            f"{movement('train', train_dir, m.train)}, {movement('val', val_dir, m.val)} over the last "
            f"{self._width(m)} validation points; {self.pair.val} at {fmt(level)}, {where}"
        )

    # ---- diverging: slow, and recovery ---------------------------------------------------

    def _recovering(self, m: Moment, divergence: Divergence) -> bool:
        """A diverged run is judged again once its curves are finite and back in their range for a while (a run
        that logs validation alone on validation alone: no training curve holds it back)."""
        none_out = self._none_out_since(divergence)
        back = (
            m.val is not None
            and none_out
            and (not self._has_train or not still_out(m.train.level, m.train_best, m.train_first, self.t))
            and not still_out(m.val.level, m.best, m.val_first, self.t)
        )
        self._recovered = self._recovered + 1 if back else 0
        if self._recovered >= self.t.confirm:
            divergence.leave(m.step)
            self._recovered, self._blown = 0, (m.index, int(divergence.episodes[-1][0]))
            return True
        return False

    def _none_out_since(self, divergence: Divergence) -> bool:
        """No NaN or inf point since the last judgement (a curve's level leaves them out)."""
        none, self._outs_seen = divergence.outs == self._outs_seen, divergence.outs
        return none

    def _slow_divergence(self, m: Moment, ways: tuple[str, str], parked: bool, divergence: Divergence) -> list[Raised]:
        """Both curves rising and out of their range (``out_of_range``) twice in a row; never while the run is
        ``parked`` at its start (``_parked``: a stuck net's wander; one climbing on leaves the band first)."""
        assert m.val is not None
        t = self.t
        train_dir, val_dir = ways
        points = m.index + 1
        steady = out_of_range(m.train.level, m.train_best, m.train_first, t, m.train_step_up, points)
        back = steady and out_of_range(m.val.level, m.best, m.val_first, t, points=points)
        self._slow_streak = self._slow_streak + 1 if back and train_dir == val_dir == "rising" else 0
        # Counted while parked, told once out of the band: a climb out of it rings as soon as it would have.
        if self._slow_streak < 2 or parked:
            return []
        where = how_far_back(m.val.level, m.best, m.val_first, t)
        reason = (
            f"{self.pair.train} and {self.pair.val} both rising: {self.pair.val} back to {fmt(m.val.level)} at step "
            f"{m.step:,}, {where}"
        )
        return divergence.enter(m.step, self.pair.val or "", reason)

    # ---- the table -----------------------------------------------------------------------

    def _classify(
        self, m: Moment, ways: tuple[str, str], ranges: tuple[float, float], lost: list[Back], parked: bool
    ) -> tuple[str, str]:
        """The verdict table: the reading of training's and validation's directions (``ways``) beside their progress
        (``ranges``); ``lost``: the curves when the run lost its progress (``_lost_curves``); ``parked``: the run
        sits at its start (``_parked``)."""
        assert m.val is not None
        train_dir, val_dir = ways
        train_range, val_range = ranges
        t = self.t
        w = f"over the last {self._width(m)} validation points"
        if self._swinging(m, train_range) and train_dir != "rising":
            return Kind.UNSTABLE, (
                f"{self.pair.train} swings by ±{fmt(m.train.noise)} around {fmt(m.train.level)}, against "
                f"{progress_words(train_range, m.train.level, m.train_first)}{self._blown_within(m)}"
            )
        both = f"{movement('train', train_dir, m.train)}, {movement('val', val_dir, m.val)} {w}"
        if not self._has_train:
            both = f"{movement('val', val_dir, m.val)} {w} (no training curve)"
        if at_chance(m.val_acc_first, m.val_acc_best, m.val_acc_points, self.pair.val_acc, t):  # whatever losses do
            return Kind.PLATEAU, (
                f"{both}; {self.pair.val_acc} never rose {t.acc_learned:.0%} above its first {fmt(m.val_acc_first)} "
                f"(best {fmt(m.val_acc_best)}{now_said(m.val_acc)}): the predictions did not get better (a learning"
                " rate too low to move the net or so high it blew up, or dead units)"
            )
        if val_dir == "falling" and self._never_learned(m, train_dir, train_range) and self._learned(m, val_range):
            return Kind.DATA_SUSPECT, (
                f"{self._unmoved(m, train_range)}, while {self.pair.val} learned {fmt(val_range)} from its start "
                f"{fmt(m.val_first)}: {movement('val', val_dir, m.val)} {w}"
            )
        # Read flat (a learning rate of 1e-5 takes DeepOBS nets 12 epochs to fall 1 %: falling, they learn), from a
        # trend window on; rising, the divergence rules have it once out of the band.
        if parked and train_dir in ("flat", "unclear") and m.index + 1 >= t.trend_window:
            # A best level (a three-point mean) at or above the first point is no best to show.
            best = f"best level {fmt(m.train_best)}, " if m.train_best < m.train_first else ""
            return Kind.PLATEAU, (
                f"{self.pair.train} never {t.parked_within * 100:g}% below its start {fmt(m.train_first)} ({best}now "
                f"{fmt(m.train.level)}), {self.pair.val} never that far below its start {fmt(m.val_first)}: the net "
                f"has learned nothing; {both}"
            )
        if lost and "falling" not in ways and val_dir != "rising":  # a rise is both-rising's (momentum comes back)
            return Kind.PLATEAU, f"{lost_words(lost, self._lost_since, t)}; {both}"
        if train_dir == "flat" and val_dir == "flat":
            kind, reason = self._plateau_or_converged(m, both, train_range)
            if kind == Kind.PLATEAU and Kind.VAL_RISING in self.verdict.flags:  # its rise since the best is the
                return Kind.LEARNING, both  # news (the warning beside it), not a rate to lower; nor "no trouble"
            return kind, reason
        quiet = {train_dir, val_dir} <= {"flat", "unclear"}  # learning is the verdict when nothing is wrong
        done = val_dir in ("flat", "unclear") and train_dir != "rising" and not m.lr_restarted  # a cosine's end
        if (quiet or done) and m.lr is not None and m.annealed(t.lr_annealed):  # noise read from before it stopped
            return Kind.CONVERGED, f"{both}; learning rate annealed to {fmt(m.lr[0])} (from {fmt(m.lr[1])})"
        return Kind.LEARNING, f"{NO_TROUBLE if quiet else ''}{both}"

    def _lost_curves(self, m: Moment, train_range: float, val_range: float) -> list[Back]:
        """Both curves (tag, level, best, start) when each is back ``lost_share`` of the way from its best to its
        start and ``learned_enough`` of its noise deviations above it, both having learned: a run that got worse at
        a jump or a slide, short of a divergence (a character LSTM at a learning rate too high: 1.40 and 1.44 at
        their best, then 2.6 for the last 150 epochs, was "no trouble seen: keep training"); [] when not."""
        assert m.val is not None
        if not (self._has_train and self._learned(m, val_range) and self._train_lost(m, train_range)):
            return []
        if not lost_progress(m.val.level, m.best, m.val_first, m.val.noise, self.t):
            return []
        curves = ((self.pair.train, m.train, m.train_best, m.train_first), (self.pair.val, m.val, m.best, m.val_first))
        return [(tag or "", row.level, best, first) for tag, row, best, first in curves]

    def _train_lost(self, m: Moment, train_range: float) -> bool:
        """Training learned more than ``learned_enough`` of its noise deviations, and lost it (``lost_progress``)."""
        t = self.t
        learned = train_range > t.learned_enough * or_zero(m.train.noise)
        return learned and lost_progress(m.train.level, m.train_best, m.train_first, m.train.noise, t)

    def _parked(self, m: Moment) -> bool:
        """Both curves parked at their start (``parked_at_start``, within ``parked_within``): the net learned
        nothing, and its curves' wander against their tiny range is no divergence and no overfitting (VAEs at 68
        moving in the third decimal; one fell 0.001 in five epochs, "train still falling", and rang overfitting for
        67.94878 → 67.94926). Validation must stay parked too: a net whose validation blows up is not stuck."""
        if not self._has_train or m.val is None:
            return False
        share = self.t.parked_within
        return parked_at_start(m.train.level, m.train_best, m.train_first, share) and parked_at_start(
            m.val.level, m.best, m.val_first, share
        )

    def _never_learned(self, m: Moment, train_dir: str, train_range: float) -> bool:
        """Training has not moved from its start: its progress within ``learned_enough`` of its noise deviations and
        under ``flat_range`` of its start (the rise's test of a net that learned nothing), and not moving now.
        Its own range cannot say "flat" then (``direction`` reads a curve against its progress, and it made
        none): its noise and its start are the scales left."""
        if not self._has_train or train_dir in ("falling", "rising"):
            return False
        if not (math.isfinite(m.train_first) and math.isfinite(m.train.noise)):
            return False
        t = self.t
        return train_range <= t.learned_enough * m.train.noise and train_range < t.flat_range * abs(m.train_first)

    def _learned(self, m: Moment, val_range: float) -> bool:
        """Validation made progress: more than ``learned_enough`` of its noise deviations and ``flat_range`` of its
        start below it (a net at its start whose validation moves a little is stuck, not suspect)."""
        assert m.val is not None
        t = self.t
        noise = m.val.noise if math.isfinite(m.val.noise) else math.inf
        return val_range > t.learned_enough * noise and val_range >= t.flat_range * abs(m.val_first)

    def _unmoved(self, m: Moment, train_range: float) -> str:
        """A training curve that never learned, with the numbers behind it."""
        return (
            f"{self.pair.train} never learned: at {fmt(m.train.level)}, at best {fmt(train_range)} below its start "
            f"{fmt(m.train_first)} (its noise ±{fmt(m.train.noise)})"
        )

    def _plateau_or_converged(
        self, m: Moment, flat: str, train_range: float, lone: tuple[float, float] | None = None
    ) -> tuple[str, str]:
        """Flat at its first learning rate or since early on: plateau. Flat after learning, rate decayed: done.
        ``flat`` says how flat, with its numbers; ``lone``: for a training curve alone, the share of the run it has
        sat near its best and how near (``Divergence.lone_flat_share``; None: the moment's share, within
        ``stuck_within`` of its range)."""
        t = self.t
        if train_range < t.learned_enough * or_zero(m.train.noise) or train_range <= 0:
            return Kind.PLATEAU, f"{flat}, before training learned anything ({fmt(train_range)} of progress)"
        if m.lr is not None:
            now, largest = m.lr
            if largest > 0 and now <= t.lr_decayed * largest:
                return Kind.CONVERGED, f"{flat}; learning rate decayed to {fmt(now)} (from {fmt(largest)})"
            return Kind.PLATEAU, f"{flat}; learning rate still {fmt(now)}"
        share, within = lone if lone is not None else (m.train_flat_share, None)
        if math.isfinite(share) and share >= t.stuck_share:
            by = f"{t.stuck_within * 100:g}% of its range" if within is None else fmt(within)
            # Not "within ... of its best": the share counts from the best's last gain, where the level stands now.
            return (
                Kind.PLATEAU,
                f"{flat}; training has not bettered its best by {by} for the last {share:.0%} of the run",
            )
        return Kind.CONVERGED, f"{flat}, after learning {fmt(train_range)} from its start {fmt(m.train_first)}"

    def _blown_within(self, m: Moment) -> str:
        """Said beside a swing read over points that hold the blow-up the run recovered from (a DeepOBS quadratic
        at Adam's lr 10, smooth again at 117, "swings by ±700": its blow-up to 12,700 was among the points)."""
        # Back in range at the last ``confirm`` readings up to its recovery: the blown-up points lie before them.
        if self._blown is None or m.index - self.t.noise_window >= self._blown[0] - self.t.confirm:
            return ""
        points = min(self.t.noise_window, m.index + 1)
        return f" (its last {points} points, which its noise is read on, hold its blow-up from step {self._blown[1]:,})"

    def _swinging(self, m: Moment, train_range: float) -> bool:
        """Training noise large against the progress made (at least ``explode_floor`` of the start, early on)."""
        noise = m.train.noise
        scale = max(train_range, self.t.explode_floor * abs(m.train_first)) if math.isfinite(m.train_first) else 0.0
        return math.isfinite(noise) and scale > 0 and noise > self.t.unstable_swing * scale

    def _width(self, m: Moment) -> int:
        """Points the directions were judged on: the trend window, or the whole curve while it is shorter (longer
        for a training curve judged alone, ``LONE_TREND_WINDOW_MAX``)."""
        longest = LONE_TREND_WINDOW_MAX if m.val is None else TREND_WINDOW_MAX
        return min(trend_width(m.index + 1, self.t, longest), m.index + 1)

    def _settle(self, kind: str, step: int, reason: str, decisive: bool = True, rearm: int = 1) -> list[Raised]:
        """The reading becomes the verdict, but plateau, data-suspect and unstable only once confirmed, as their
        alerts are (or once their alert was told and stands): a single reading made ``check`` say (and exit 1 on)
        a plateau no alert ever told. Until then a trend verdict stays; after waiting, overfitting or diverging
        the run is waiting for the confirmation."""
        raised = self._confirmed(kind, step, reason, decisive, rearm)
        v = self.verdict
        told = kind in self._raised and kind == self._told_last  # told, and no other told since
        if kind not in CONFIRMED or self._streak >= self.t.confirm or told:
            v.kind, v.reason = kind, reason
        elif v.kind not in SETTLED:
            readings = f"{self._streak} of {self.t.confirm} readings in a row"
            v.kind, v.reason = Kind.WAITING, f"{kind} to be confirmed ({readings}): {reason}"
        return raised

    def _confirmed(self, kind: str, step: int, reason: str, decisive: bool = True, rearm: int = 1) -> list[Raised]:
        """plateau, data-suspect and unstable alert after ``confirm`` readings in a row; re-arm after a change.
        ``decisive``: False for a reading whose direction the noise hides, which is no change; ``rearm``: how many
        times ``REARM`` readings the change must last (a training curve alone is read at every step it logs, not
        at every epoch: it hovers between flat, falling and hidden; its plateau alert came back up to seven times)."""
        t = self.t
        self._streak = self._streak + 1 if kind == self._streak_kind else 1
        self._streak_kind = kind
        out: list[Raised] = []
        alerting = kind in CONFIRMED and self._streak >= t.confirm
        if alerting and (kind not in self._raised or kind != self._told_last):  # not told, or another told since
            self._raised.add(kind)
            self._told_last = kind
            out.append((step, kind, self.pair.val or self.pair.train or "", reason))
        for other in list(self._raised):
            if other == kind:
                self._away[other] = 0
            elif decisive:
                self._away[other] = self._away.get(other, 0) + 1
                if self._away[other] >= t.confirm * REARM * rearm:
                    self._raised.discard(other)
        return out

    # ---- flags ---------------------------------------------------------------------------

    def _flag_noisy(self, m: Moment, val_range: float, val_dir: str) -> None:
        assert m.val is not None
        flags, sigma = self.verdict.flags, m.val.noise
        if self.overfitting or Kind.VAL_RISING in flags:  # its rise is the news; "not a concern" would contradict it
            flags.pop(Kind.NOISY_VAL, None)
            return
        large = val_range > 0 and math.isfinite(sigma) and sigma > self.t.noisy_ratio * val_range
        if (large or val_dir == "unclear") and val_dir != "rising" and math.isfinite(sigma) and val_range > 0:
            trend = "a trend its noise hides" if val_dir == "unclear" else f"a {val_dir} trend"
            flags[Kind.NOISY_VAL] = (
                f"{self.pair.val} fluctuates by ±{fmt(sigma)} ({sigma / val_range:.1%} of its range) "
                f"around {trend}: not a concern"
            )
        else:
            flags.pop(Kind.NOISY_VAL, None)

    # ---- a training curve alone ----------------------------------------------------------

    def _lone(self, m: Moment, train_dir: str, train_range: float, divergence: Divergence) -> list[Raised]:
        """No validation curve: learning, unstable or plateau from training alone; no bell for a trend but a steady
        climb from its start (``_lone_divergence``). Unstable only for a curve named per epoch: a training curve
        alone is most often logged per batch (a first epoch before validation, a language model's loss per step),
        and its swings are its batches' (every real per-batch run of the corpus was told "unstable" in its first
        epoch)."""
        v, t = self.verdict, self.t
        kind: str
        reason: str
        if divergence.active:
            back = self._none_out_since(divergence) and not still_out(m.train.level, m.train_best, m.train_first, t)
            self._recovered = self._recovered + 1 if back else 0
            if self._recovered < t.confirm:
                return []
            divergence.leave(m.step)
            self._recovered, self._blown = 0, (m.index, int(divergence.episodes[-1][0]))
        needed = 2 * t.trend_window  # a lone training curve is often per-batch noise: judge it on more points
        if m.index + 1 < needed:
            v.kind, v.reason = Kind.WAITING, f"{m.index + 1} of {needed} training points needed (no validation curve)"
            return []
        out = self._lone_divergence(m, train_dir, divergence)
        if divergence.active:
            return out
        went = train_dir != "falling" and self._train_lost(m, train_range)
        self._lost_since = (self._lost_since if self._lost_since is not None else m.step) if went else None
        # Told once it reads flat there, not while it rises or its direction is hidden by its noise: single batches of
        # a deep quadratic swing over decades, and their level, rising off a lucky low, read "back a quarter of the
        # way" on 15 healthy runs of the lone suite.
        back = went and train_dir == "flat"
        if self._swinging(m, train_range) and train_dir != "rising" and divergence.per_epoch:
            kind, reason = Kind.UNSTABLE, f"{self.pair.train} swings by ±{fmt(m.train.noise)} (no validation curve)"
        else:
            alone = movement("train", train_dir, m.train)
            alone += f" over the last {self._width(m)} points (no validation curve)"
            if back:  # a jump back that stays (a lone loss read "converged" at 60 % of the way to its start)
                backs = [(self.pair.train or "", m.train.level, m.train_best, m.train_first)]
                kind, reason = Kind.PLATEAU, f"{lost_words(backs, self._lost_since, t)}; {alone}"
            elif train_dir == "flat":
                lone = divergence.lone_flat_share(m.index, m.train.noise)
                kind, reason = self._plateau_or_converged(m, alone, train_range, lone)
            else:
                kind, reason = Kind.LEARNING, alone
        # Re-armed after as many readings as a curve of epochs, per trend window's worth of its points.
        rearm = max(1, self._width(m) // t.trend_window)
        return out + self._settle(kind, m.step, reason, decisive=train_dir != "unclear", rearm=rearm)

    def _lone_divergence(self, m: Moment, train_dir: str, divergence: Divergence) -> list[Raised]:
        """A lone training curve in a steady climb from its start (``climbed``) twice in a row. Not back half-way
        from a best below its start: alone, its best and its first point are apart by noise (flat curves did)."""
        back = climbed(m.train.level, m.train_best, m.train_first, self.t, m.train_step_up, m.index + 1)
        self._slow_streak = self._slow_streak + 1 if back and train_dir == "rising" else 0
        if self._slow_streak < 2:
            return []
        where = how_far_back(m.train.level, m.train_best, m.train_first, self.t)
        reason = (
            f"{self.pair.train} rising: back to {fmt(m.train.level)} at step {m.step:,}, {where} (no validation curve)"
        )
        return divergence.enter(m.step, self.pair.train or "", reason)
