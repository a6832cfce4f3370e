"""The judgement at one validation point: overfitting, directions, plateau or converged, and the flags.

``Judge.at`` is called for each judged validation point in step order with that point's ``Moment``
(figures computed from points up to it only). It keeps the state that spans points: streaks, the
raised alerts (each rings once per onset) and the verdict.
"""

from __future__ import annotations

import math

from tui.judging.chance import best_bias_excess, wander_factor
from tui.judging.diverging import Divergence, Raised, climbed, how_far_back, out_of_range, still_out
from tui.judging.features import at_chance, direction, movement, or_zero, share_of, trend_width
from tui.judging.gap import Gap
from tui.judging.kinds import Kind
from tui.judging.moment import Moment
from tui.judging.pairing import Pair
from tui.judging.thresholds import Thresholds
from tui.judging.verdict import Verdict, fmt
from tui.judging.windows import ROUNDING_NOISE, SHIFT_BIAS_RATE

TRAIN_SHARE = 0.25
"""Overfitting: training may rise by at most this share of validation's rise (each against its own range)."""
SPIKE_SHARE = 0.5
"""Overfitting: when two of the latest points carry more than this share of the rise, it must stand without them."""
REARM = 3
"""plateau / data-suspect / unstable ring again only after a different reading held this many times ``confirm``."""
CONFIRMED = frozenset((Kind.PLATEAU, Kind.DATA_SUSPECT, Kind.UNSTABLE))
"""Readings that alert (and become the verdict) only after ``confirm`` of them in a row."""
SETTLED = frozenset((Kind.LEARNING, Kind.CONVERGED, *CONFIRMED))
"""Verdicts that stand while another reading waits for its confirmation."""


def _finite(*values: float) -> bool:
    return all(map(math.isfinite, values))  # ~10 calls per judgement: map, not a generator, costs half


class Judge:
    """Judges validation points one after another; owns the verdict's kind, reason and flags."""

    def __init__(self, thresholds: Thresholds, pair: Pair) -> None:
        self.t = thresholds
        self.pair = pair
        self._has_train = pair.train is not None
        """False for validation logged alone: it recovers on its own, and its rise warns but never rings."""
        self.verdict = Verdict()
        self.val_direction = ""
        self.overfitting = False
        """Validation's rise is confirmed now: the verdict is overfitting."""
        self.warned = False
        """val-rising was announced for this onset."""
        self._rang = False
        """The overfitting bell rang for this onset."""
        self._rearm_below = math.inf
        """Validation must set a best below this level before the alerts ring again (a real improvement)."""
        self._rise_streak = 0
        self._slow_streak = 0
        self._recovered = 0
        self._streak_kind = ""
        self._streak = 0
        self._raised: set[str] = set()
        self._away: dict[str, int] = {}
        self.gap = Gap(thresholds, pair)
        """The train/val accuracy gap flag (on the same verdict)."""

    # ---- the entry point -----------------------------------------------------------------

    def at(self, m: Moment, divergence: Divergence) -> list[Raised]:
        t, v = self.t, self.verdict
        if divergence.spike_left > 0:
            divergence.spike_left -= 1
            if divergence.spike_left == 0:
                v.flags.pop(Kind.SPIKE, None)
        train_range = max(m.train_first - m.train_best, 0.0) if _finite(m.train_first, m.train_best) else 0.0
        train_dir = direction(m.train.change, m.train.spread, train_range, t)
        if m.val is None:
            return self._lone(m, train_dir, train_range, divergence)
        val_range = max(m.val_first - m.best, 0.0) if _finite(m.val_first, m.best) else 0.0
        val_dir = direction(m.val.change, m.val.spread, val_range, t)
        self.val_direction = val_dir
        out: list[Raised] = []
        if divergence.active and not self._recovering(m, divergence):
            return out
        out += self._slow_divergence(m, train_dir, val_dir, divergence)
        if divergence.active:
            return out
        out += self._rise(m, val_range, train_range)
        out += self.gap.at(m, self.verdict)
        if m.index + 1 < t.min_points:
            if not self.overfitting:
                v.kind, v.reason = Kind.WAITING, f"{m.index + 1} of {t.min_points} validation points needed"
            return out
        self._flag_noisy(m, val_range, val_dir)
        if self.overfitting:
            return out
        kind, reason = self._classify(m, train_dir, val_dir, train_range)
        return out + self._settle(kind, m.step, reason)

    # ---- diverging: slow, and recovery ---------------------------------------------------

    def _recovering(self, m: Moment, divergence: Divergence) -> bool:
        """A diverged run is judged again once its curves are finite and back in their range for a while (a run
        that logs validation alone on validation alone: no training curve holds it back)."""
        back = (
            m.val is not None
            and (not self._has_train or not still_out(m.train.level, m.train_best, m.train_first, self.t))
            and not still_out(m.val.level, m.best, m.val_first, self.t)
        )
        self._recovered = self._recovered + 1 if back else 0
        if self._recovered >= self.t.confirm:
            divergence.leave(m.step)
            self._recovered = 0
            return True
        return False

    def _slow_divergence(self, m: Moment, train_dir: str, val_dir: str, divergence: Divergence) -> list[Raised]:
        """Both curves rising and out of their range (``out_of_range``) twice in a row."""
        assert m.val is not None
        t = self.t
        points = m.index + 1
        steady = out_of_range(m.train.level, m.train_best, m.train_first, t, m.train_step_up, points)
        back = steady and out_of_range(m.val.level, m.best, m.val_first, t, points=points)
        self._slow_streak = self._slow_streak + 1 if back and train_dir == val_dir == "rising" else 0
        if self._slow_streak < 2:
            return []
        where = how_far_back(m.val.level, m.best, m.val_first, t)
        reason = (
            f"{self.pair.train} and {self.pair.val} both rising: {self.pair.val} back to {fmt(m.val.level)} at step "
            f"{m.step:,}, {where}"
        )
        return divergence.enter(m.step, self.pair.val or "", reason)

    # ---- overfitting and its early warning -----------------------------------------------

    def _rise(self, m: Moment, val_range: float, train_range: float) -> list[Raised]:
        """val-rising, then overfitting, once per onset; a new best level re-arms both."""
        assert m.val is not None
        t, flags = self.t, self.verdict.flags
        if m.best_index == m.index:  # a new best: whatever rose has come down again
            self._new_best(m.best)
            return []
        since = m.index - m.best_index
        rise = m.val.level - m.best
        sigma = m.val.noise
        # The bell measures the rise in noise blind to the bend (a smooth minimum's bend is not scatter): the trend
        # test's unit, and the level and shift tests' (``Row.level_noise``); from the floor (``Moment.floor``).
        unit, wide, floor = m.val.bend_noise, m.val.level_noise, m.floor
        # No overfitting for a net that learned nothing: validation's best within ``learned_enough`` noise deviations
        # of its start and training not ``flat_range`` of its start below it (dead units at chance: a plateau).
        learned_little = not (val_range > 0 and val_range >= t.learned_enough * unit)  # no range to measure against
        learned_nothing = learned_little and not train_range >= t.flat_range * abs(m.train_first)
        if not (_finite(rise, sigma) and sigma >= 0 and rise > 0) or learned_nothing:
            self._no_rise()  # back at its best level (or nothing learned to rise from): no overfitting now
            return []
        train_held = self._train_held(m, train_range, share_of(rise, val_range))
        out: list[Raised] = []
        # The warning asks only that the points since the best trend upward (on a curve without noise, any rise).
        trending = m.rise_slope_z >= t.warn_slope_z if math.isfinite(m.rise_slope_z) else sigma == 0
        risen = rise >= t.warn_range * val_range and rise >= t.warn_z * sigma
        warn = since >= t.warn_after and trending and risen and train_held and self._train_falling(m, train_range)
        slope = m.rise_slope_z * sigma / unit if unit > 0 and math.isfinite(m.rise_slope_z) else math.nan
        trend_z = slope / wander_factor(m.val.rho)  # noise that wanders holds fewer independent points
        bar = self._bar(m, train_range)
        # The shift test (``thresholds.shift_z``), once the noise and how it wanders were read on a full window;
        # training must stay at its level of validation's best (a learning rate ramped too far lifts both first).
        full = wide > 0 and m.index + 1 >= t.noise_window
        shift_z = m.shift / (wide * wander_factor(m.val.rho)) if full else math.nan
        stepped_up = (
            shift_z >= (t.shift_z + SHIFT_BIAS_RATE * best_bias_excess(m.index + 1, m.val.rho)) * bar
            and trend_z >= t.shift_trend * bar
            and (not self._has_train or m.train.level <= m.train_at_best + t.flat_range * train_range)
        )
        alarm = (
            since >= t.warn_after
            and train_held
            and not slope < t.rise_slope_z  # NaN (too few points, no noise): nothing says it falls
            and self._risen(m, m.val.level, floor, (unit, wide), (trend_z, stepped_up), val_range, bar)
        )
        # A two-point excursion passes the three-point median twice in a row, and it is a spike: when two of the
        # latest points carry most of the rise, the judgement that would confirm the bell needs the evidence to
        # stand on the five-point median, by the level or the accumulated test (the slope over the few points
        # since the best is theirs too), training held beside that smaller rise.
        spiky = m.val.level - m.lasting > SPIKE_SHARE * (m.val.level - floor)
        # A rise carried by one step of ``jump_z`` noise deviations or more that the level still stands on
        # is a jump: it may be a few bad evaluations (spoiled batch-norm statistics) that come back; the bell waits
        # until it stood nine points. Once the level is back, the excursion is the spike rule's (above).
        jumped = (
            m.jump > max(t.jump_z * unit, SPIKE_SHARE * (m.val.level - floor))
            and m.val.level - m.jump_base > SPIKE_SHARE * m.jump
        )
        lasting = (
            alarm
            and not jumped
            and (
                not spiky
                or (
                    self._train_held(m, train_range, share_of(m.lasting - m.best, val_range))
                    and self._risen(m, m.lasting, floor, (unit, wide), (math.nan, False), val_range, bar)
                )
            )
        )
        warn = warn or alarm  # the bell's evidence, before it is confirmed, is a warning at the least
        self._rise_streak = self._rise_streak + 1 if alarm else 0
        # Confirmed, standing at the latest, and no earlier than any trend verdict (``--set min_points``).
        ringing = self._rise_streak >= t.rise_confirm and lasting and m.index + 1 >= t.min_points
        if not warn:
            flags.pop(Kind.VAL_RISING, None)  # the evidence is gone: no amber mark (it alerts again only on re-arm)
        if not (self._rise_streak >= t.rise_confirm or self.overfitting or warn):
            return out  # nothing to say (most judgements of a long run: the reason is not even worded)
        # The rise shown is measured from the floor the level test stands on (not from a best mean one lucky
        # low point pulled down), unless validation is not above that floor; to the level the bell stands on.
        level = m.lasting if spiky and (ringing or self.overfitting) else m.val.level
        shown = floor if level > floor else m.best
        shown_rise = level - shown
        trend_test = not spiky and trend_z >= t.rise_trend_z * bar and level - m.best >= t.rise_trend_level * unit
        noisy = unit > ROUNDING_NOISE * max(abs(level), val_range)  # rounding's scatter is no noise to count in
        stepped = not (spiky or trend_test) and stepped_up and level - floor >= t.shift_level * wide
        step_words = f", its last {m.shift_points} points {shift_z:.1f} standard errors above those before"
        reason = (
            f"{self.pair.val} {fmt(shown)} → {fmt(level)} since its best at step {m.best_step:,}: "
            f"{'never clearly below its start' if learned_little else f'+{shown_rise / val_range:.1%} of its range'}, "
            f"{f'{shown_rise / wide:.1f}x its noise {fmt(wide)}' if noisy else 'on a curve without noise'}"
            f"{f', rising for {since} points ({trend_z:.1f} standard errors)' if trend_test and noisy else ''}"
            f"{step_words if stepped and noisy else ''}; "
            f"{self._train_words(m, train_range)}"
        )
        if ringing and not self.overfitting:
            self.overfitting = True
            flags.pop(Kind.VAL_RISING, None)
            self.verdict.kind, self.verdict.reason, self.verdict.onset_step = Kind.OVERFITTING, reason, m.step
            # Validation alone is judged overfitting but never rings (with their training left out, 16 of 476
            # healthy and stuck benchmark runs would): its warning came a judgement before.
            if not self._rang and self._has_train:
                self._rang = True
                self._hold(m.best - max(sigma, t.warn_range * val_range))
                out.append((m.step, Kind.OVERFITTING, self.pair.val or "", reason))
            elif not self._has_train and not self.warned:  # confirmed at its first judgement (rise_confirm = 1)
                self.warned = True
                self._hold(m.best - max(sigma, t.warn_range * val_range))
                out.append((m.step, Kind.VAL_RISING, self.pair.val or "", reason))
        elif self.overfitting:  # the kind too: a blow-up the run came back from had taken the verdict
            self.verdict.kind, self.verdict.reason = Kind.OVERFITTING, reason
        elif warn:
            flags[Kind.VAL_RISING] = reason
            if not self.warned:
                self.warned = True
                self._hold(m.best - max(sigma, t.warn_range * val_range))
                out.append((m.step, Kind.VAL_RISING, self.pair.val or "", reason))
        return out

    def _risen(
        self,
        m: Moment,
        level: float,
        floor: float,
        units: tuple[float, float],
        trends: tuple[float, bool],
        val_range: float,
        bar: float,
    ) -> bool:
        """The bell's evidence that validation at ``level`` has risen: far above its floor for its noise, or
        trending up since its best, or stepped up since a recent change, or (slow rises) accumulated point by point,
        against bars at ``bar`` of themselves (``_bar``); always by ``rise_range``. ``units``: the noise of the trend
        test and of the level and shift tests (the larger over the long window: read low by chance on 24 points);
        ``trends``: the trend in standard errors (NaN: not asked) and whether the shift test's statistic passed."""
        assert m.val is not None
        t, rise = self.t, level - m.best
        if not rise >= t.rise_range * val_range:
            return False
        (unit, wide), (trend_z, stepped_up) = units, trends
        shifted = stepped_up and level - floor >= t.shift_level * wide
        level_test = level - floor >= (t.rise_z * bar + best_bias_excess(m.index + 1, m.val.rho)) * wide
        trend_test = trend_z >= t.rise_trend_z * bar and rise >= t.rise_trend_level * unit
        accumulated = m.cusum > t.cusum_h * bar and level - m.cusum_best >= t.rise_range * val_range
        return level_test or trend_test or shifted or accumulated

    def _bar(self, m: Moment, train_range: float) -> float:
        """How high the bell's bars stand: lower (``memorising_bar``) while training keeps falling fast since
        validation's best. Overfitting is validation rising while the net goes on fitting its training set;
        with training settled too, a rise is as likely a plateau's wander, and the full bars apply."""
        if not (train_range > 0 and _finite(m.train_at_best, m.train.level)):
            return 1.0
        fallen = (m.train_at_best - m.train.level) / train_range
        return self.t.memorising_bar if fallen >= self.t.memorising_drop else 1.0

    def _hold(self, level: float) -> None:
        """After an alert, ring again only once validation has improved on its best by its noise."""
        self._rearm_below = min(self._rearm_below, level) if self._rearm_below < math.inf else level

    def _no_rise(self) -> None:
        """No rise now: no overfitting verdict or warning; the alerts stay quiet until a new best re-arms them."""
        self.overfitting = False
        self._rise_streak = 0
        self.verdict.onset_step = None
        self.verdict.flags.pop(Kind.VAL_RISING, None)

    def _new_best(self, best: float) -> None:
        """Validation set a new best level: not overfitting now; the alerts re-arm if the improvement is real."""
        self._no_rise()
        if best < self._rearm_below:
            self._rearm_below = math.inf
            self.warned = self._rang = False

    def _train_held(self, m: Moment, train_range: float, val_share: float) -> bool:
        """Training has not risen with validation since validation's best (rising together is the optimisation going
        wrong, not overfitting): by its noise, or a quarter of validation's rise (shares of their ranges), at most."""
        if not self._has_train:
            return True  # validation logged alone: its own rise is all there is to judge, for a warning
        if not _finite(m.train.level, m.train_at_best):
            return False
        risen = m.train.level - m.train_at_best
        if risen <= 0:
            return True
        if not train_range > 0:
            return False
        noise = 2.0 * m.train.noise / train_range if math.isfinite(m.train.noise) else 0.0
        # Its noise may hide a small rise, but training never rises by half as much as validation did
        # (nor by a quarter of its range: validation undoing more than its progress is no licence).
        share = min(val_share, 1.0)
        return risen / train_range <= min(max(TRAIN_SHARE * share, noise), 0.5 * share)

    def _train_falling(self, m: Moment, train_range: float) -> bool:
        """Training has gone on falling since validation's best: by ``warn_train_z`` of its noise (a fall the
        noise does not explain; near zero a tiny share of the range) or by ``warn_train_drop`` of its range."""
        if not _finite(m.train.level, m.train_at_best, train_range):
            return False
        drop = self.t.warn_train_drop * train_range
        if math.isfinite(m.train.noise):
            drop = min(drop, self.t.warn_train_z * m.train.noise)
        return m.train.level < m.train_at_best - drop

    def _train_words(self, m: Moment, train_range: float) -> str:
        if not self._has_train:
            return "no training curve (no bell without one)"
        if not _finite(m.train.level, m.train_at_best):
            return "no training curve"
        if m.train.level < m.train_at_best - self.t.flat_range * train_range:
            return f"train still falling ({fmt(m.train_at_best)} → {fmt(m.train.level)})"
        return f"train flat ({fmt(m.train.level)})"

    # ---- the table -----------------------------------------------------------------------

    def _classify(self, m: Moment, train_dir: str, val_dir: str, train_range: float) -> tuple[str, str]:
        assert m.val is not None
        t = self.t
        w = f"over the last {self._width(m)} validation points"
        if self._swinging(m, train_range) and train_dir != "rising":
            return Kind.UNSTABLE, (
                f"{self.pair.train} swings by ±{fmt(m.train.noise)} around {fmt(m.train.level)}, against "
                f"{fmt(train_range)} of progress since its start {fmt(m.train_first)}"
            )
        if train_dir == "flat" and val_dir == "falling" and train_range < t.learned_enough * or_zero(m.train.noise):
            return Kind.DATA_SUSPECT, (
                f"train flat (it barely learned: {fmt(train_range)}), {movement('val', val_dir, m.val)} {w}"
            )
        both = f"{movement('train', train_dir, m.train)}, {movement('val', val_dir, m.val)} {w}"
        if not self._has_train:
            both = f"{movement('val', val_dir, m.val)} {w} (no training curve)"
        if at_chance(m.val_acc_first, m.val_acc_best, m.val_acc_points, self.pair.val_acc, t):  # whatever losses do
            return Kind.PLATEAU, (
                f"{both}; {self.pair.val_acc} stayed near its first {fmt(m.val_acc_first)} "
                f"(best {fmt(m.val_acc_best)}): the loss moved, the predictions did not (a learning rate too low to"
                " move the net or so high it blew up, or dead units)"
            )
        if train_dir == "flat" and val_dir == "flat":
            return self._plateau_or_converged(m, both, train_range)
        quiet = {train_dir, val_dir} <= {"flat", "unclear"}  # learning is the verdict when nothing is wrong
        return Kind.LEARNING, f"{'no trouble seen: ' if quiet else ''}{both}"

    def _plateau_or_converged(self, m: Moment, flat: str, train_range: float) -> tuple[str, str]:
        """Flat at its first learning rate or since early on: plateau. Flat after learning, rate decayed: done.
        ``flat`` says how flat, with its numbers."""
        t = self.t
        if train_range < t.learned_enough * or_zero(m.train.noise) or train_range <= 0:
            return Kind.PLATEAU, f"{flat}, before training learned anything ({fmt(train_range)} of progress)"
        if m.lr is not None:
            now, largest = m.lr
            if largest > 0 and now <= t.lr_decayed * largest:
                return Kind.CONVERGED, f"{flat}; learning rate decayed to {fmt(now)} (from {fmt(largest)})"
            return Kind.PLATEAU, f"{flat}; learning rate still {fmt(now)}"
        share = m.train_flat_share
        if math.isfinite(share) and share >= t.stuck_share:
            return Kind.PLATEAU, (
                f"{flat}; training has been within {t.stuck_within:.1%} of its range from its best for "
                f"{share:.0%} of the run"
            )
        return Kind.CONVERGED, f"{flat}, after learning {fmt(train_range)} from its start {fmt(m.train_first)}"

    def _swinging(self, m: Moment, train_range: float) -> bool:
        """Training noise large against the progress made (at least ``explode_floor`` of the start, early on)."""
        noise = m.train.noise
        scale = max(train_range, self.t.explode_floor * abs(m.train_first)) if math.isfinite(m.train_first) else 0.0
        return math.isfinite(noise) and scale > 0 and noise > self.t.unstable_swing * scale

    def _width(self, m: Moment) -> int:
        """Points the directions were judged on: the trend window, or the whole curve while it is shorter."""
        return min(trend_width(m.index + 1, self.t), m.index + 1)

    def _settle(self, kind: str, step: int, reason: str) -> list[Raised]:
        """The reading becomes the verdict, but plateau, data-suspect and unstable only once confirmed, as their
        alerts are (or once their alert was told and stands): a single reading made ``check`` say (and exit 1 on)
        a plateau no alert ever told. Until then a trend verdict stays; after waiting, overfitting or diverging
        the run is waiting for the confirmation."""
        raised = self._confirmed(kind, step, reason)
        v = self.verdict
        if kind not in CONFIRMED or self._streak >= self.t.confirm or kind in self._raised:  # raised: told already
            v.kind, v.reason = kind, reason
        elif v.kind not in SETTLED:
            readings = f"{self._streak} of {self.t.confirm} readings in a row"
            v.kind, v.reason = Kind.WAITING, f"{kind} to be confirmed ({readings}): {reason}"
        return raised

    def _confirmed(self, kind: str, step: int, reason: str) -> list[Raised]:
        """plateau, data-suspect and unstable alert after ``confirm`` readings in a row; re-arm after a change."""
        t = self.t
        self._streak = self._streak + 1 if kind == self._streak_kind else 1
        self._streak_kind = kind
        out: list[Raised] = []
        alerting = kind in CONFIRMED and self._streak >= t.confirm
        if alerting and kind not in self._raised:
            self._raised.add(kind)
            out.append((step, kind, self.pair.val or self.pair.train or "", reason))
        for other in list(self._raised):
            if other == kind:
                self._away[other] = 0
            else:
                self._away[other] = self._away.get(other, 0) + 1
                if self._away[other] >= t.confirm * REARM:
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
        climb from its start (``_lone_divergence``)."""
        v, t = self.verdict, self.t
        kind: str
        reason: str
        if divergence.active:
            back = not still_out(m.train.level, m.train_best, m.train_first, t)
            self._recovered = self._recovered + 1 if back else 0
            if self._recovered < t.confirm:
                return []
            divergence.leave(m.step)
            self._recovered = 0
        needed = 2 * t.trend_window  # a lone training curve is often per-batch noise: judge it on more points
        if m.index + 1 < needed:
            v.kind, v.reason = Kind.WAITING, f"{m.index + 1} of {needed} training points needed (no validation curve)"
            return []
        out = self._lone_divergence(m, train_dir, divergence)
        if divergence.active:
            return out
        if self._swinging(m, train_range) and train_dir != "rising":
            kind, reason = Kind.UNSTABLE, f"{self.pair.train} swings by ±{fmt(m.train.noise)} (no validation curve)"
        else:
            alone = movement("train", train_dir, m.train)
            alone += f" over the last {self._width(m)} points (no validation curve)"
            if train_dir == "flat":
                kind, reason = self._plateau_or_converged(m, alone, train_range)
            else:
                kind, reason = Kind.LEARNING, alone
        return out + self._settle(kind, m.step, reason)

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
