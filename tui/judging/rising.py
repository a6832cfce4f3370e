"""Validation rising since its best: the early warning (``val-rising``) and the overfitting bell, once per onset.

``Rise.at`` is called by the judge at each judged validation point, after any blow-up was ruled out. It keeps
the state that spans points: the alarms in a row, what was told of the current onset, and the level a new best
must beat before the alerts ring again. The bell's four tests (level, trend, shift, accumulated) are read at the
latest level into an ``Evidence``, which both decides and words the reason (a rise two points carry is read again
on the five-point median, where it must stand).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tui.judging.chance import best_bias_excess, wander_factor
from tui.judging.diverging import Raised
from tui.judging.features import all_finite, share_of
from tui.judging.kinds import Kind
from tui.judging.moment import Moment
from tui.judging.pairing import Pair
from tui.judging.thresholds import Thresholds
from tui.judging.verdict import Verdict, fmt
from tui.judging.windows import ROUNDING_NOISE, SETTLED_AFTER, SETTLED_BEFORE, SHIFT_BIAS_RATE
from tui.text import numbers_apart

TRAIN_SHARE = 0.25
"""Overfitting: training may rise by at most this share of validation's rise (each against its own range)."""
TRAIN_NOISE_ROOM = 2.0
"""Overfitting: training may stand this many of its noise deviations above its level at validation's best (a rise
its noise explains; the reason says "flat within its noise")."""
SPIKE_SHARE = 0.5
"""Overfitting: when two of the latest points carry more than this share of the rise, it must stand without them."""
BEST_NOISE_SHARE = 1 / 3
"""A rise is measured in at least this share of the noise around validation's best (``Moment.best_noise``): the
scatter the best was measured in. A curve calmed since (a learning rate cut by a hundred, batches grown) read its
settling 0.0013 above a best level of its noisy start, a quarter of the scatter there, as 197 deviations of the calm
tail's noise (ReduceLROnPlateau rang on 5 of 5 healthy runs). Only a curve three times calmer is: the fall before a
best read as noise makes it up to twice the scatter (``docs/verdict-measurements.md``), and at half, smooth
overfitting runs rang 1 to 3 points later."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """The bell's tests read at one level of validation, each against its bar (``Rise._bar``)."""

    risen: bool
    """Whether validation has risen: by ``rise_range`` of its range and by any of the four tests, or steadily (the
    trend test over ``steady_rise_points``, well past its bar) by ``steady_rise_range``."""
    trend: bool
    """Whether the trend test holds (its words: rising for so many points, so many standard errors)..."""
    shifted: bool
    """...and the shift test (its words: the latest points so many standard errors above those before)."""


class Rise:
    """Judges validation's rise since its best, point after point; sets the verdict's overfitting kind, its reason
    and the ``val-rising`` flag, and returns the alerts to raise."""

    def __init__(self, thresholds: Thresholds, pair: Pair, verdict: Verdict) -> None:
        self.t = thresholds
        self.pair = pair
        self.verdict = verdict
        self._has_train = pair.train is not None
        """False for validation logged alone: it recovers on its own, and its rise warns but never rings."""
        self.overfitting = False
        """Validation's rise is confirmed now: the verdict is overfitting."""
        self.warned = False
        """val-rising was announced for this onset."""
        self._rang = False
        """The overfitting bell rang for this onset."""
        self._rearm_below = math.inf
        """Validation must set a best below this level before the alerts ring again (a real improvement)."""
        self._rise_streak = 0

    def at(self, m: Moment, ranges: tuple[float, float], parked: bool, rising: bool = True) -> list[Raised]:
        """val-rising, then overfitting, once per onset; a new best level re-arms both. ``ranges``: validation's
        and training's progress; ``parked``: the run sits at its start (``Judge._parked``); ``rising``: validation
        reads rising over its trend window."""
        val_range, train_range = ranges
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
        # ...in the scatter around the best, where that was larger (a curve that calmed since its best).
        calmed = BEST_NOISE_SHARE * m.best_noise
        calm = unit / calmed if calmed > unit else 1.0  # for the statistics read in the noise of their points
        unit, wide = max(unit, calmed), max(wide, calmed)
        # A net whose rate has all but stopped it (annealed) settles: a rise then is validation still rising, far
        # above its best for its noise (the level test), not a trend or a sum of tiny steps, nor a level it settled
        # at (ReduceLROnPlateau settled 0.0011 above its best level, its rate at 0.07 % of its start: it rang).
        annealed = m.annealed(t.lr_annealed)
        # No overfitting for a net that learned nothing: validation's best within ``learned_enough`` noise deviations
        # of its start and training not ``flat_range`` of its start below it (dead units at chance: a plateau).
        learned_little = not (val_range > 0 and val_range >= t.learned_enough * unit)  # no range to measure against
        # ...nor for a run parked at its start (both curves within ``parked_within`` of it): a net that fits nothing.
        learned_nothing = parked or (learned_little and not train_range >= t.flat_range * abs(m.train_first))
        # A net that stopped changing (both curves within a few float32 steps) is not overfitting now: what it rose
        # by, it rose before it froze (a dead net's loss settling a few steps above its best); a rise told stands.
        frozen = m.frozen and not self.overfitting
        # Nor is a net whose learning rate was warmed up (or raised) since the best, while that is recent: a rise then
        # is the net disturbed (a fine-tune's validation up 25 % during its warm-up, back down after).
        disturbed = (m.warmed_since_best or (annealed and not rising)) and not self.overfitting
        if not (all_finite(rise, sigma) and sigma >= 0 and rise > 0) or learned_nothing or frozen or disturbed:
            self._no_rise()  # back at its best level (or nothing learned to rise from): no overfitting now
            return []
        train_held = self._train_held(m, train_range, share_of(rise, val_range))
        out: list[Raised] = []
        # The warning asks only that the points since the best trend upward (on a curve without noise, any rise).
        trending = m.rise_slope_z * calm >= t.warn_slope_z if math.isfinite(m.rise_slope_z) else sigma == 0
        # ...and stand ``warn_z`` noise deviations up, in the noise and from the level its reason shows.
        above = m.val.level - (floor if m.val.level > floor else m.best)
        risen = rise >= t.warn_range * val_range and above >= t.warn_z * wide
        warn = since >= t.warn_after and trending and risen and train_held and self._train_falling(m, train_range)
        warn = warn and not annealed
        slope = m.rise_slope_z * sigma / unit if unit > 0 and math.isfinite(m.rise_slope_z) else math.nan
        trend_z = slope / wander_factor(m.val.rho)  # noise that wanders holds fewer independent points
        bar = self._bar(m, train_range)
        # The shift test (``thresholds.shift_z``), once the noise and how it wanders were read on a full window;
        # training must stay at its level of validation's best (a learning rate ramped too far lifts both first).
        full = wide > 0 and m.index + 1 >= t.noise_window
        shift_z = m.shift / (wide * wander_factor(m.val.rho)) if full else math.nan
        shift_bar = (t.shift_z + SHIFT_BIAS_RATE * best_bias_excess(m.index + 1, m.val.rho)) * bar
        train_level_held = not self._has_train or m.train.level <= m.train_at_best + t.flat_range * train_range
        stepped_up = shift_z >= shift_bar and trend_z >= t.shift_trend * bar and train_level_held
        # A rise that settled long ago has no trend since the best and no change point among the latest points:
        # the same bar, read on the latest points against those from the best on (``windows.settled_up``).
        settled_z = m.settled / (wide * wander_factor(m.val.rho)) if full else math.nan
        settled = not stepped_up and settled_z >= shift_bar and train_level_held
        units, trends = (
            (unit, wide, 0.0 if annealed else calm),
            (math.nan, False) if annealed else (trend_z, stepped_up or settled),
        )
        seen = self._evidence(m, m.val.level, floor, units, trends, val_range, bar)
        # NaN slope (too few points, no noise): nothing says it falls.
        alarm = since >= t.warn_after and train_held and not slope < t.rise_slope_z and seen.risen
        spiky = m.val.level - m.lasting > SPIKE_SHARE * (m.val.level - floor)  # two points carry most of the rise
        jumped = self._jumped(m, floor, (unit, wide), val_range, train_range, bar)
        lasting = (
            alarm
            and not jumped
            and (not spiky or self._stands_without_spike(m, floor, units, val_range, train_range, bar))
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
        # The tests named are those read at the level shown (a spiky rise stands on the level or accumulated test).
        trend_test = not spiky and seen.trend
        noisy = unit > ROUNDING_NOISE * max(abs(level), val_range)  # rounding's scatter is no noise to count in
        stepped = not (spiky or trend_test) and seen.shifted
        step_words = (
            f", its last {SETTLED_AFTER} points {settled_z:.1f} standard errors above"
            f" {SETTLED_BEFORE} from its best level"
            if settled
            else f", its last {m.shift_points} points {shift_z:.1f} standard errors above those before"
        )
        shown_z = settled_z if settled else shift_z
        lowered = bar < 1 and (
            (trend_test and noisy and trend_z < t.rise_trend_z)
            or (stepped and noisy and shown_z < shift_bar / bar)  # a test shown below its full bar
        )
        shown_text, level_text, best_text = numbers_apart(shown, level, m.best_point)  # a rise never 3.2 → 3.2
        reason = (
            f"{self.pair.val} {shown_text} → {level_text} since its best level at step {m.best_level_step:,} "
            f"(best point {best_text} @ {m.best_step:,}): "
            f"{self._start_words(m, val_range) if learned_little else f'+{shown_rise / val_range:.1%} of its range'}, "
            f"{f'{shown_rise / wide:.1f}x its noise {fmt(wide)}' if noisy else 'on a curve without noise'}"
            f"{f', rising for {since} points ({trend_z:.1f} standard errors)' if trend_test and noisy else ''}"
            f"{step_words if stepped and noisy else ''}; "
            f"{self._train_words(m, train_range)}"
            # The bars lowered while training memorises: '2.9 standard errors' then passes a bar of 3 (at 2.4).
            f"{f', the bars at {bar:g} of themselves while it does' if lowered else ''}"
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

    def _jumped(
        self, m: Moment, floor: float, units: tuple[float, float], val_range: float, train_range: float, bar: float
    ) -> bool:
        """A rise carried by one step of ``jump_z`` noise deviations or more that the level still stands on: it may
        be a few bad evaluations (spoiled batch-norm statistics) that come back, so the bell waits until it stood
        nine points (once the level is back, the excursion is the spike rule's). A step from a level that already
        stood the level test, training held beside that rise, continues a rise (a net overfitting fast): it does
        not spoil a calm curve, and waits for nothing."""
        assert m.val is not None
        unit, wide = units
        return (
            m.jump > max(self.t.jump_z * unit, SPIKE_SHARE * (m.val.level - floor))
            and m.val.level - m.jump_base > SPIKE_SHARE * m.jump
            and not (  # read only where a step is there to excuse: most points have none
                self._stands_level_test(m, m.jump_base, floor, wide, val_range, bar)
                and self._train_held(m, train_range, share_of(m.jump_base - m.best, val_range))
            )
        )

    def _stands_without_spike(
        self,
        m: Moment,
        floor: float,
        units: tuple[float, float, float],
        val_range: float,
        train_range: float,
        bar: float,
    ) -> bool:
        """A two-point excursion passes the three-point median twice in a row, and it is a spike: when two of the
        latest points carry most of the rise (``spiky``), the judgement that would confirm the bell needs the
        evidence to stand on the five-point median, by the level or the accumulated test (the slope over the few
        points since the best is theirs too), training held beside that smaller rise."""
        return self._train_held(m, train_range, share_of(m.lasting - m.best, val_range)) and (
            self._evidence(m, m.lasting, floor, units, (math.nan, False), val_range, bar).risen
        )

    def _evidence(
        self,
        m: Moment,
        level: float,
        floor: float,
        units: tuple[float, float, float],
        trends: tuple[float, bool],
        val_range: float,
        bar: float,
    ) -> Evidence:
        """The bell's evidence that validation at ``level`` has risen: far above its floor for its noise, or
        trending up since its best, or stepped up since a recent change, or (slow rises) accumulated point by point,
        against bars at ``bar`` of themselves (``_bar``); by ``rise_range`` (``steady_rise_range`` for a steady
        rise). ``units``: the noise of the trend test and of the level and shift tests (the larger over the long
        window: read low by chance on 24 points); ``trends``: the trend in standard errors (NaN: not asked) and
        whether the shift test's statistic passed; ``units`` last: how much calmer the curve is than around its best
        (the accumulated test, summed in each point's noise, is read in the larger)."""
        assert m.val is not None
        t, rise = self.t, level - m.best
        (unit, wide, calm), (trend_z, stepped_up) = units, trends
        shifted = stepped_up and level - floor >= t.shift_level * wide
        level_test = self._stands_level_test(m, level, floor, wide, 0.0, bar)
        trend_test = trend_z >= t.rise_trend_z * bar and rise >= t.rise_trend_level * unit
        accumulated = m.cusum * calm > t.cusum_h * bar and level - m.cusum_best >= t.rise_range * val_range
        # A steady rise (the trend test, well past its bar, over several points) needs a smaller share of the range.
        steady = (
            trend_test
            and trend_z >= t.steady_rise_z * bar
            and m.index - m.best_index >= t.steady_rise_points
            and rise >= t.steady_rise_range * val_range
        )
        risen = steady or (rise >= t.rise_range * val_range and (level_test or trend_test or shifted or accumulated))
        return Evidence(risen, trend_test, shifted)

    def _stands_level_test(
        self, m: Moment, level: float, floor: float, wide: float, val_range: float, bar: float
    ) -> bool:
        """``level`` is far above the floor for its noise (the level test, its bar grown by how low the best of
        many looks sits by chance), and ``rise_range`` of ``val_range`` above the best."""
        assert m.val is not None
        far = level - floor >= (self.t.rise_z * bar + best_bias_excess(m.index + 1, m.val.rho)) * wide
        return far and level - m.best >= self.t.rise_range * val_range

    def _bar(self, m: Moment, train_range: float) -> float:
        """How high the bell's bars stand: lower (``memorising_bar``) while training keeps falling fast since
        validation's best. Overfitting is validation rising while the net goes on fitting its training set;
        with training settled too, a rise is as likely a plateau's wander, and the full bars apply."""
        if not (train_range > 0 and all_finite(m.train_at_best, m.train.level)):
            return 1.0
        fallen = (m.train_at_best - m.train.level) / train_range
        return self.t.memorising_bar if fallen >= self.t.memorising_drop else 1.0

    def told(self) -> tuple[float, bool, bool]:
        """What was told of the current onset (the level a new best must beat to re-arm, warned, rang)."""
        return self._rearm_below, self.warned, self._rang

    def carry(self, told: tuple[float, bool, bool]) -> None:
        """Take over what an earlier judgement of the same job told (``told``): a resumed job's onset where it was
        rings no second bell; a best below the level held re-arms it, as within one job."""
        self._rearm_below, self.warned, self._rang = told

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
        if not all_finite(m.train.level, m.train_at_best):
            return False
        risen = m.train.level - m.train_at_best
        if risen <= 0:
            return True
        if not train_range > 0:
            return False
        noise = TRAIN_NOISE_ROOM * m.train.noise / train_range if math.isfinite(m.train.noise) else 0.0
        # Its noise may hide a small rise, but training never rises by half as much as validation did
        # (nor by a quarter of its range: validation undoing more than its progress is no licence).
        share = min(val_share, 1.0)
        return risen / train_range <= min(max(TRAIN_SHARE * share, noise), 0.5 * share)

    def _train_falling(self, m: Moment, train_range: float) -> bool:
        """Training has gone on falling since validation's best: by ``warn_train_z`` of its noise (a fall the
        noise does not explain; near zero a tiny share of the range) or by ``warn_train_drop`` of its range."""
        if not all_finite(m.train.level, m.train_at_best, train_range):
            return False
        drop = self.t.warn_train_drop * train_range
        if math.isfinite(m.train.noise):
            drop = min(drop, self.t.warn_train_z * m.train.noise)
        return m.train.level < m.train_at_best - drop

    @staticmethod
    def _start_words(m: Moment, val_range: float) -> str:
        """A best that is no clear progress, with the start it did not get clearly below: a best 26 % below its start
        read "never clearly below its start" without the number; the noise shown next says why it is not clear."""
        if not (val_range > 0 and math.isfinite(m.val_first)):
            return "never clearly below its start"
        return f"never clearly below its start {fmt(m.val_first)}"

    def _train_words(self, m: Moment, train_range: float) -> str:
        if not self._has_train:
            return "no training curve (no bell without one)"
        if not all_finite(m.train.level, m.train_at_best):
            return "no training curve"
        moved = self.t.flat_range * train_range
        if m.train.level < m.train_at_best - moved:
            return "train still falling ({} → {})".format(*numbers_apart(m.train_at_best, m.train.level))
        if m.train.level > m.train_at_best + moved:  # training rose too: not the picture of memorising alone
            before, now = numbers_apart(m.train_at_best, m.train.level)
            if m.train.level - m.train_at_best <= TRAIN_NOISE_ROOM * m.train.noise:  # as ``_train_held`` allows
                return f"train flat within its noise ({before} → {now}, ±{fmt(m.train.noise)})"
            return f"train rising too ({before} → {now})"
        return f"train flat ({fmt(m.train.level)})"
