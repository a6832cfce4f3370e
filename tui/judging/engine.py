"""The online verdict engine: one per run, fed points as they arrive.

The engine only ever sees the past. Points of the run's paired training and
validation curves are consumed in step order; alerts carry the step at which
they would have been known. The same engine serves the TUI, ``check``,
``replay`` and ``watch --plain``. Method and thresholds are in the README.
"""

from __future__ import annotations

import bisect
import math
import time
from dataclasses import dataclass, field

import numpy as np

from tui.judging.kinds import ADVICE
from tui.judging.layers import LayerReport, layer_reports
from tui.judging.onset import Onset, OnsetDetector
from tui.judging.pairing import Pair, pair_tags
from tui.judging.smoothing import OnlineSmoother
from tui.judging.thresholds import Thresholds
from tui.judging.trends import linear_trend, noise_sigma, rolling_noise_sigma
from tui.store import Run


@dataclass(frozen=True)
class Alert:
    """Something the user should hear about, at the step it became known."""

    run: str
    step: int
    kind: str
    tag: str
    reason: str
    advice: str
    time: float = field(default_factory=time.time, compare=False)

    def as_dict(self) -> dict[str, object]:
        return {"run": self.run, "step": self.step, "kind": self.kind, "tag": self.tag, "reason": self.reason}


@dataclass
class Verdict:
    """What the engine thinks of a run now."""

    kind: str = "waiting"
    reason: str = "no paired loss curves yet"
    flags: dict[str, str] = field(default_factory=dict)
    """Flag (``noisy-val``, ``weights-static:<tag>``...) -> its reason."""
    train_tag: str | None = None
    val_tag: str | None = None
    step: int | None = None
    """Newest step of the paired loss curves (of any curve while none is paired)."""
    train: float | None = None
    """Smoothed training loss at the newest point."""
    val: float | None = None
    best_val: float | None = None
    best_step: int | None = None
    since_best: int | None = None
    """Validation points since the best one."""
    trend: str = ""
    """Validation trend arrow: ↑ ↓ →."""
    onset_step: int | None = None
    """Step at which overfitting was confirmed (None if not overfitting)."""
    layers: list[LayerReport] = field(default_factory=list)

    @property
    def advice(self) -> str:
        return ADVICE[self.kind]


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def _direction(values: np.ndarray, thresholds: Thresholds, sigma: float | None = None) -> str:
    """'falling', 'rising' or 'flat': a confident slope that also matters relative to the level."""
    values = values[np.isfinite(values)]
    if values.size < 3:
        return "flat"
    trend = linear_trend(values, sigma)
    scale = float(np.median(np.abs(values))) or 1.0
    change = trend.slope * (values.size - 1) / scale
    if trend.falling(thresholds.z) and change <= -thresholds.flat_tolerance:
        return "falling"
    if trend.rising(thresholds.z) and change >= thresholds.flat_tolerance:
        return "rising"
    return "flat"


REARM_FACTOR = 3
"""plateau / data-suspect re-arm after a different reading held this many times ``confirm`` judgements."""
BULK_POINTS = 256
"""New validation points in one update from which noise estimates are computed in bulk."""
TRAIN_DIRECTION_EVERY = 4
"""Validation points between two estimates of the training direction (at least)."""
CLASSIFY_IN_BULK = 50
"""In a big catch-up, the verdict is classified at most this many times (alerts keep their step)."""
TRAIN_DIRECTION_IN_BULK = 100
"""In a big catch-up, the training direction (a slow quantity) is refreshed at most this many times."""
WINDOW_CAP = 200
"""The longest trend window, in points (the engine keeps KEEP of them)."""
KEEP = 256
"""Recent points the engine keeps per curve; older ones live only in the store."""


class _Curve:
    """The engine's running view of one curve: recent points, smoothed level, running minimum.

    Indices are absolute (0 = the curve's first point); only the last ``KEEP``
    points are held, so a million-point curve costs the engine nothing extra.
    """

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.values: list[float] = []
        self.smoothed: list[float] = []
        self.count = 0
        self.smoother = OnlineSmoother()
        self.first: float | None = None
        self.min_value = math.inf
        self.min_step: int | None = None
        self.min_index = -1

    def add(self, step: int, value: float) -> None:
        self.steps.append(step)
        self.values.append(value)
        smoothed = self.smoother.add(value)
        self.smoothed.append(smoothed)
        index = self.count
        self.count += 1
        if math.isfinite(value):
            if self.first is None:
                self.first = value
            if value < self.min_value:
                self.min_value, self.min_step, self.min_index = value, step, index
        if len(self.values) > 2 * KEEP:
            del self.steps[:KEEP], self.values[:KEEP], self.smoothed[:KEEP]

    def extend(self, steps: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``add`` for many points at once (a catch-up): the same state, without a Python step per point."""
        n = len(values)
        if n == 0:
            return np.empty(0)
        smoothed = self.smoother.extend(values)
        finite = np.isfinite(values)
        if finite.any():
            if self.first is None:
                self.first = float(values[np.argmax(finite)])
            lowest = int(np.argmin(np.where(finite, values, np.inf)))
            if values[lowest] < self.min_value:
                self.min_value, self.min_step, self.min_index = (
                    float(values[lowest]),
                    int(steps[lowest]),
                    self.count + lowest,
                )
        self.count += n
        tail = slice(max(0, n - 2 * KEEP), n)
        self.steps.extend(steps[tail].tolist())
        self.values.extend(values[tail].tolist())
        self.smoothed.extend(smoothed[tail].tolist())
        if len(self.values) > 2 * KEEP:
            cut = len(self.values) - KEEP
            del self.steps[:cut], self.values[:cut], self.smoothed[:cut]
        return smoothed

    @property
    def offset(self) -> int:
        """Absolute index of the oldest point still held."""
        return self.count - len(self.values)

    def array(self, start: int = 0) -> np.ndarray:
        """Values from absolute index ``start`` (or the oldest held) to the newest."""
        return np.asarray(self.values[max(start - self.offset, 0) :], dtype=np.float64)

    def step_at(self, index: int) -> int:
        return self.steps[max(index - self.offset, 0)]

    def __len__(self) -> int:
        return self.count


class _Batch:
    """What one ``update`` consumes: the new points of the paired curves, merged in step order."""

    def __init__(self, roles: list[tuple[str, _Curve]], new: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.tags = [tag for tag, _ in roles]
        self.curves = [curve for _, curve in roles]
        steps = [s for s, _ in new]
        self.steps = np.concatenate(steps) if steps else np.empty(0, dtype=np.int64)
        self.values = np.concatenate([v for _, v in new]) if new else np.empty(0)
        self.orders = (
            np.concatenate([np.full(len(s), order, dtype=np.int64) for order, s in enumerate(steps)])
            if steps
            else np.empty(0, dtype=np.int64)
        )
        sort = np.lexsort((self.orders, self.steps))  # by step, then role: training before validation
        self.steps, self.values, self.orders = self.steps[sort], self.values[sort], self.orders[sort]
        self.at = 0
        """Events before this position have been consumed."""
        self.seen = 0
        """Judged-curve events consumed so far."""
        self.judged_order = -1
        self.judged_total = 0
        self.stride = 1
        self.val_acc_order = -1


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
        """How many tags the run had when the pair was last chosen (a new tag may change the pair)."""
        self._reset(Pair())

    def _reset(self, pair: Pair) -> None:
        self.pair = pair
        self.train = _Curve()
        self.val = _Curve()
        self.train_acc = _Curve()
        self.val_acc = _Curve()
        self._consumed: dict[str, tuple[int, int]] = {}
        """tag -> (points consumed, series generation)."""
        self._active: set[str] = set()
        """Alert kinds (and flags) currently raised: an alert fires once per onset."""
        self.verdict = Verdict(train_tag=pair.train, val_tag=pair.val)
        t = self.thresholds
        self.onset = OnsetDetector(
            h=t.cusum_h,
            kappa=t.cusum_kappa,
            clip=t.cusum_clip,
            flat_factor=t.cusum_flat_factor,
            rise_min=t.rise_min,
            window=t.window,
        )
        self._streak_kind = ""
        self._streak = 0
        self._away: dict[str, int] = {}
        self._unstable_streak = 0
        self._train_dir = "flat"
        self._train_dir_every = TRAIN_DIRECTION_EVERY
        self._sigma_hints: tuple[int, np.ndarray] | None = None
        self._since_train_dir = TRAIN_DIRECTION_EVERY
        self._histograms_seen: dict[str, int] = {}

    # ---- feeding -------------------------------------------------------------------------

    def update(self, run: Run, silent: bool = False) -> list[Alert]:
        """Consume the run's new points; return the alerts they raise (none if ``silent``)."""
        if len(run.scalars) != self._tags_seen:
            self._tags_seen = len(run.scalars)
            pair = pair_tags(run.scalars, self.train_pattern, self.val_pattern)
            if pair != self.pair:
                self._reset(pair)
        if self._purged(run):
            self._reset(self.pair)
            self.update(run, silent=True)  # catch up on what is left, without alerting again
            return []
        roles = [
            (tag, curve)
            for tag, curve in (
                (self.pair.train, self.train),
                (self.pair.val, self.val),
                (self.pair.train_acc, self.train_acc),
                (self.pair.val_acc, self.val_acc),
            )
            if tag is not None and tag in run.scalars
        ]
        self._sigma_hints = None
        new: list[tuple[np.ndarray, np.ndarray]] = []
        for tag, curve in roles:
            series = run.scalars[tag]
            steps, values, _ = series.arrays()
            done, _generation = self._consumed.get(tag, (0, series.generation))
            if curve is self.val and len(steps) - done > BULK_POINTS:
                # A big catch-up: the onset detector's noise estimates, all at once (same numbers).
                width = self.onset.noise_width
                start = max(0, done - width + 1)
                self._sigma_hints = (start, rolling_noise_sigma(values[start:], width))
            new.append((steps[done:], values[done:]))
            self._consumed[tag] = (len(steps), series.generation)
        batch = _Batch(roles, new)
        judged = self.val if self.pair.val is not None and self.pair.val in run.scalars else self.train
        batch.judged_order = batch.curves.index(judged) if judged in batch.curves else -1
        batch.judged_total = len(new[batch.judged_order][0]) if batch.judged_order >= 0 else 0
        batch.val_acc_order = batch.curves.index(self.val_acc) if self.val_acc in batch.curves else -1
        # A big batch (a long run read at start-up) is classified at most CLASSIFY_IN_BULK times and the
        # training direction refreshed at most TRAIN_DIRECTION_IN_BULK times; alerts keep their step.
        batch.stride = max(1, batch.judged_total // CLASSIFY_IN_BULK)
        self._train_dir_every = max(TRAIN_DIRECTION_EVERY, batch.judged_total // TRAIN_DIRECTION_IN_BULK)
        alerts: list[Alert] = []
        if batch.judged_total > BULK_POINTS:
            alerts += self._catch_up(batch)
        alerts += self._feed(batch)
        alerts += self._check_histograms(run)
        self._refresh_numbers()
        self.verdict.step = run.last_step((self.pair.train, self.pair.val))
        return [] if silent else alerts

    def _feed(self, batch: _Batch) -> list[Alert]:
        """Consume the batch's events from ``batch.at`` on, one at a time (the live path)."""
        alerts: list[Alert] = []
        curves, tags = batch.curves, batch.tags
        steps, orders, values = batch.steps.tolist(), batch.orders.tolist(), batch.values.tolist()
        for position in range(batch.at, len(steps)):
            step, order, value = steps[position], orders[position], values[position]
            curve = curves[order]
            curve.add(step, value)
            if curve is self.train or curve is self.val:
                alerts += self._on_loss_point(tags[order], curve, step, value)
            if order == batch.judged_order:
                batch.seen += 1
                classify = batch.seen % batch.stride == 0 or batch.seen == batch.judged_total
                alerts += self._judge(step, classify)
            elif curve is self.val_acc:
                alerts += self._check_gap(step)
        batch.at = len(steps)
        return alerts

    def _catch_up(self, batch: _Batch) -> list[Alert]:
        """Consume a big batch without a Python step per point, up to the first sign of divergence.

        Between the points where the training direction is refreshed or the verdict classified,
        curves are extended in bulk and the onset detector runs over the block in one call (the
        compiled kernel when built); at those points the engine judges exactly as in ``_feed``.
        Divergence checks are per point, so from the first non-finite or exploding loss on,
        ``_feed`` takes over.
        """
        alerts: list[Alert] = []
        stop = self._first_divergence_candidate(batch)
        judged_positions = np.flatnonzero(batch.orders[:stop] == batch.judged_order)
        have_val = batch.curves[batch.judged_order] is self.val
        count = len(judged_positions)
        position = 0
        done = 0  # judged points of this catch-up consumed
        while done < count:
            # The next judged point that classifies or refreshes the training direction (as _judge counts).
            seen = batch.seen
            to_classify = batch.stride - seen % batch.stride
            if seen + to_classify > batch.judged_total:
                to_classify = batch.judged_total - seen
            to_refresh = max(1, self._train_dir_every - self._since_train_dir) if have_val else count + 1
            step_ahead = min(to_classify, to_refresh)
            if done + step_ahead > count:  # no such point before the divergence check takes over
                if have_val:
                    self._since_train_dir += count - done
                batch.seen += count - done
                done = count
                break
            if have_val:
                self._since_train_dir += step_ahead - 1
            done += step_ahead
            boundary = int(judged_positions[done - 1])
            alerts += self._extend_to(batch, position, boundary, have_val)
            batch.seen = seen + step_ahead
            classify = batch.seen % batch.stride == 0 or batch.seen == batch.judged_total
            alerts += self._feed_one(batch, boundary, classify)
            position = boundary + 1
        tail = int(judged_positions[-1]) + 1 if count else 0
        if tail > position:
            alerts += self._extend_to(batch, position, tail, have_val)
            position = tail
        batch.at = position
        return alerts

    def _extend_to(self, batch: _Batch, start: int, end: int, have_val: bool) -> list[Alert]:
        """Bulk-consume events [start, end): none of them classifies, diverges or refreshes the training direction."""
        alerts: list[Alert] = []
        if have_val:
            val_order = batch.judged_order
            val_positions = start + np.flatnonzero(batch.orders[start:end] == val_order)
            done = 0
            while done < len(val_positions):
                # The onset detector over the block; if it fires, the curves are brought to that point first,
                # so the validation curve always ends just before val_positions[done].
                values = batch.values[val_positions[done:]]
                used, onset = self.onset.add_many(values, self._train_dir, self._sigmas(len(self.val), len(values)))
                done += used
                if onset is None:
                    break
                at = int(val_positions[done - 1]) + 1
                self._extend_curves(batch, start, at)
                start = at
                alerts += self._report_onset(onset, int(batch.steps[at - 1]), self._train_dir)
        alerts += self._extend_curves(batch, start, end)
        return alerts

    def _extend_curves(self, batch: _Batch, start: int, end: int) -> list[Alert]:
        """Extend every curve with its events in [start, end); the gap flag follows validation accuracy."""
        orders = batch.orders[start:end]
        had_train_acc = len(self.train_acc) > 0
        train_acc_before = self.train_acc.smoothed[-1] if self.train_acc.smoothed else math.nan
        val_acc_count = len(self.val_acc)
        smoothed: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for order, curve in enumerate(batch.curves):
            mine = np.flatnonzero(orders == order) + start
            if len(mine):
                smoothed[order] = (mine, curve.extend(batch.steps[mine], batch.values[mine]))
        if batch.val_acc_order not in smoothed or self.pair.train_acc is None:
            return []
        acc_positions, acc_smoothed = smoothed[batch.val_acc_order]
        train_order = batch.curves.index(self.train_acc) if self.train_acc in batch.curves else -1
        train_positions, train_smoothed = smoothed.get(train_order, (np.empty(0, dtype=np.int64), np.empty(0)))
        # The training accuracy each validation-accuracy point saw: the last one logged before it.
        before = np.searchsorted(train_positions, acc_positions) - 1
        train_seen = np.where(
            before >= 0, train_smoothed[np.maximum(before, 0)] if len(train_smoothed) else math.nan, train_acc_before
        )
        known = (before >= 0) | had_train_acc  # live, the gap is not judged before training accuracy exists
        if not known.any():
            return []
        counts = val_acc_count + 1 + np.arange(len(acc_positions))
        return self._gap_events(
            batch.steps[acc_positions][known], train_seen[known], acc_smoothed[known], counts[known]
        )

    def _feed_one(self, batch: _Batch, position: int, classify: bool) -> list[Alert]:
        """The live path for one judged event inside a catch-up."""
        step, value = int(batch.steps[position]), float(batch.values[position])
        curve = batch.curves[batch.judged_order]
        curve.add(step, value)
        return self._judge(step, classify)

    def _sigmas(self, first: int, count: int) -> np.ndarray:
        """Noise estimates for validation points first..first+count-1, from the bulk hints ``update`` computed."""
        if self._sigma_hints is not None:
            start, hints = self._sigma_hints
            if start <= first and first + count <= start + len(hints):
                return hints[first - start : first - start + count]
        raise AssertionError("a catch-up always has its noise estimates")  # pragma: no cover

    def _first_divergence_candidate(self, batch: _Batch) -> int:
        """Position of the first loss event that is non-finite or could be an explosion (else the batch length)."""
        t = self.thresholds
        stop = len(batch.steps)
        for order, curve in enumerate(batch.curves):
            if curve is not self.train and curve is not self.val:
                continue
            mine = np.flatnonzero(batch.orders == order)
            values = batch.values[mine]
            finite = np.isfinite(values)
            bad = ~finite
            lowest = np.minimum.accumulate(np.where(finite, values, np.inf))
            lowest = np.minimum(lowest, curve.min_value)
            first = curve.first if curve.first is not None else (values[np.argmax(finite)] if finite.any() else None)
            if first is not None:
                with np.errstate(invalid="ignore"):
                    bad |= (lowest > 0) & (values > t.explode_ratio * lowest) & (values > 0.5 * first)
            if bad.any():
                stop = min(stop, int(mine[np.argmax(bad)]))
        return stop

    def _purged(self, run: Run) -> bool:
        for tag, (done, generation) in self._consumed.items():
            series = run.scalars.get(tag)
            if series is None or series.generation != generation or len(series) < done:
                return True
        return False

    # ---- alerts --------------------------------------------------------------------------

    def _raise(self, key: str, kind: str, step: int, tag: str, reason: str) -> list[Alert]:
        if key in self._active:
            return []
        self._active.add(key)
        return [Alert(self.run_name, step, kind, tag, reason, ADVICE[kind])]

    def _clear(self, key: str) -> None:
        self._active.discard(key)

    def _on_loss_point(self, tag: str, curve: _Curve, step: int, value: float) -> list[Alert]:
        """Immediate divergence checks: a non-finite value or an explosion."""
        t = self.thresholds
        if not math.isfinite(value):
            self.verdict.flags.pop("noisy-val", None)  # noise is not the story any more
            self.verdict.kind = "diverging"
            self.verdict.reason = f"{tag} is {value} at step {step:,}"
            return self._raise("diverging", "diverging", step, tag, self.verdict.reason)
        if (
            curve.min_value > 0
            and curve.first is not None
            and value > t.explode_ratio * curve.min_value
            and value > 0.5 * curve.first
        ):
            reason = (
                f"{tag} exploded to {_fmt(value)} at step {step:,}, "
                f"{value / curve.min_value:.0f}x its minimum {_fmt(curve.min_value)}"
            )
            self.verdict.flags.pop("noisy-val", None)
            self.verdict.kind = "diverging"
            self.verdict.reason = reason
            return self._raise("diverging", "diverging", step, tag, reason)
        return []

    # ---- judging -------------------------------------------------------------------------

    def _window_of_train(self, since_step: int) -> np.ndarray:
        """Training values logged at or after ``since_step`` (whatever their cadence)."""
        start = bisect.bisect_left(self.train.steps, since_step)
        return self.train.array(self.train.offset + start)

    def _window(self, n: int) -> int:
        """Points a trend is judged on: ``window``, or a tenth of a long curve (at most 200).

        With validation every step, 8 points span a moment; practitioners judge the recent trend.
        """
        return min(max(self.thresholds.window, n // 10), WINDOW_CAP)

    def _train_window(self, have_val: bool) -> np.ndarray:
        """Training values over the span of the recent validation window (or the last points)."""
        w = self._window(len(self.val) if have_val else len(self.train))
        if have_val:
            since = self.val.step_at(max(0, len(self.val) - w))
            window = self._window_of_train(since) if len(self.train) else np.empty(0)
            if window.size < 3 and len(self.train) >= 3:
                window = self.train.array(max(0, len(self.train) - w))
            return window
        return self.train.array(max(0, len(self.train) - w))

    def _judge(self, step: int, classify: bool = True) -> list[Alert]:
        t = self.thresholds
        v = self.verdict
        alerts: list[Alert] = []
        have_val = self.pair.val is not None and len(self.val) > 0
        if not have_val and not classify:
            return alerts
        self._since_train_dir += 1
        if classify or self._since_train_dir >= self._train_dir_every:
            # In a bulk catch-up the training direction (a slow quantity) is refreshed every few points.
            train_window = self._train_window(have_val)
            self._train_dir = _direction(train_window, t) if train_window.size >= 3 else "flat"
            self._since_train_dir = 0
        else:
            train_window = np.empty(0)
        train_dir = self._train_dir
        if have_val:
            # The onset detector sees every validation point, whatever the verdict of the moment.
            alerts += self._check_overfitting(step, train_dir)
        if not classify:
            return alerts
        if "diverging" in self._active and v.kind == "diverging":
            return alerts  # divergence sticks until the run is restarted (a purge resets the engine)
        primary = self.val if have_val else self.train
        needed = t.min_points if have_val else 2 * t.window  # a lone training curve is often per-batch noise
        if len(primary) < needed:
            if "overfitting" not in self._active:
                v.kind, v.reason = "waiting", f"{len(primary)} of {needed} points needed"
            return alerts
        n = len(primary)
        w = min(self._window(n), n)
        recent_primary = primary.array(n - w)
        val_sigma = noise_sigma(primary.array(max(0, n - 2 * t.window)))
        val_dir = _direction(recent_primary, t, sigma=val_sigma or None) if have_val else None

        # Unstable: training noise that dwarfs both its level and the progress made.
        if train_window.size >= 5 and self.train.first:
            train_sigma = noise_sigma(train_window)
            level = abs(float(np.median(train_window)))
            if (
                level > 0
                and train_sigma > t.unstable_ratio * level
                and train_sigma > t.unstable_progress * abs(self.train.first)
            ):
                self._unstable_streak += 1
                if self._unstable_streak >= t.confirm:
                    v.kind = "unstable"
                    v.reason = (
                        f"{self.pair.train} swings by ±{_fmt(train_sigma)} around {_fmt(level)} "
                        f"({train_sigma / level:.0%} of its level)"
                    )
                    return self._raise("unstable", "unstable", step, self.pair.train or "", v.reason)
            else:
                self._unstable_streak = 0
                self._clear("unstable")

        if have_val:
            if "overfitting" in self._active:
                return alerts
            if train_dir == "rising" and val_dir == "rising":
                v.kind = "diverging"
                v.reason = f"both {self.pair.train} and {self.pair.val} have risen over the last {w} points"
                return alerts + self._raise("diverging", "diverging", step, self.pair.val or "", v.reason)
            stalled_early = self._train_made_little_progress()
            kind = {
                ("falling", "falling"): "learning",
                ("falling", "flat"): "learning",
                ("flat", "falling"): "data-suspect" if stalled_early else "learning",
                ("flat", "flat"): "plateau",
                ("rising", "falling"): "learning",
                ("rising", "flat"): "plateau",
                ("falling", "rising"): "learning",
                ("flat", "rising"): "plateau",
            }[(train_dir, val_dir)]
            v.kind = kind
            v.reason = f"train {train_dir}, val {val_dir} over the last {w} validation points"
            self._flag_noisy(val_sigma, val_dir)
        else:
            kind = {"falling": "learning", "flat": "plateau", "rising": "diverging"}[train_dir]
            v.kind = kind
            v.reason = f"train {train_dir} over the last {w} points (no validation curve)"
            if kind == "diverging":
                return self._raise("diverging", "diverging", step, self.pair.train or "", v.reason)
        self._streak = self._streak + 1 if kind == self._streak_kind else 1
        self._streak_kind = kind
        if kind in ("plateau", "data-suspect") and self._streak >= t.confirm:
            alerts += self._raise(kind, kind, step, self.pair.val or self.pair.train or "", v.reason)
        for other in ("plateau", "data-suspect", "diverging"):
            if other == kind:
                self._away[other] = 0
            elif other in self._active:
                # Re-arm only after a clearly different reading, so a curve hovering at a
                # threshold does not ring again and again.
                self._away[other] = self._away.get(other, 0) + 1
                if self._away[other] >= t.confirm * REARM_FACTOR:
                    self._clear(other)
        return alerts

    def _train_made_little_progress(self) -> bool:
        """Training loss still above half its first value: it never really learned (data-suspect territory)."""
        first = self.train.first
        if first is None or first <= 0 or not self.train.smoothed:
            return True
        return self.train.smoothed[-1] > 0.5 * first

    def _check_overfitting(self, step: int, train_dir: str) -> list[Alert]:
        """Feed the onset detector the newest validation point; alert once per confirmed rise."""
        sigma = None
        if self._sigma_hints is not None:
            start, hints = self._sigma_hints
            index = len(self.val) - 1
            if start <= index < start + len(hints):
                sigma = float(hints[index - start])
        onset = self.onset.add(self.val.values[-1], train_dir, sigma)
        return self._report_onset(onset, step, train_dir)

    def _report_onset(self, onset: Onset | None, step: int, train_dir: str) -> list[Alert]:
        """Alert once per confirmed rise; re-arm when validation set a new best."""
        if not self.onset.fired:
            if "overfitting" in self._active:
                self._clear("overfitting")  # validation set a new best: re-armed
                self.verdict.onset_step = None
            return []
        if onset is None or "diverging" in self._active:
            return []  # a diverged run's rising validation is divergence, not overfitting
        best_step = self.val.min_step if self.val.min_step is not None else step
        reason = (
            f"val {_fmt(onset.best_value)} → {_fmt(onset.current)} ({onset.rise:+.0%}) since best at step "
            f"{best_step:,}; train {'still falling' if train_dir == 'falling' else 'flat'}"
        )
        self.verdict.kind = "overfitting"
        self.verdict.reason = reason
        self.verdict.onset_step = step
        return self._raise("overfitting", "overfitting", step, self.pair.val or "", reason)

    def _flag_noisy(self, sigma: float, val_dir: str | None) -> None:
        t = self.thresholds
        level = abs(self.val.smoothed[-1]) if self.val.smoothed else 0.0
        flags = self.verdict.flags
        if level > 0 and sigma > t.noisy_ratio * level and val_dir in ("falling", "flat"):
            flags["noisy-val"] = (
                f"{self.pair.val} fluctuates by ±{_fmt(sigma)} ({sigma / level:.0%} of its level) "
                f"around a {val_dir} trend: not a concern"
            )
        else:
            flags.pop("noisy-val", None)

    def _check_gap(self, step: int) -> list[Alert]:
        """gap: on when train accuracy leads by more than ``gap`` of it; off only below half that (no flapping)."""
        if not len(self.train_acc) or not len(self.val_acc):
            return []
        return self._gap_events(
            np.array([step]),
            np.array([self.train_acc.smoothed[-1]]),
            np.array([self.val_acc.smoothed[-1]]),
            np.array([len(self.val_acc)]),
        )

    def _gap_events(
        self, steps: np.ndarray, train_acc: np.ndarray, val_acc: np.ndarray, counts: np.ndarray
    ) -> list[Alert]:
        """The gap flag over a sequence of validation-accuracy points (one, live; or a block, in a catch-up)."""
        t = self.thresholds
        with np.errstate(invalid="ignore"):
            lead = (train_acc - val_acc) / np.where(train_acc > 0, train_acc, np.nan)
            usable = (counts >= t.min_points) & (train_acc > 0)
            high = usable & (lead > t.gap)
            low = ~usable | ~(lead > 0.5 * t.gap)
        was_on = "gap" in self._active
        decisive = np.where(high | low, np.arange(len(steps)), -1)
        last = np.maximum.accumulate(decisive)
        on = np.where(last >= 0, high[np.maximum(last, 0)], was_on)
        before = np.concatenate(([was_on], on[:-1]))
        alerts: list[Alert] = []
        for i in np.flatnonzero(high & ~before).tolist():
            self._clear("gap")
            alerts += self._raise(
                "gap", "gap", int(steps[i]), self.pair.val_acc or "", self._gap_reason(train_acc[i], val_acc[i])
            )
        flags = self.verdict.flags
        if on[-1]:
            flags["gap"] = self._gap_reason(train_acc[-1], val_acc[-1])
            self._active.add("gap")
        else:
            flags.pop("gap", None)
            self._clear("gap")
        return alerts

    def _gap_reason(self, train_acc: float, val_acc: float) -> str:
        return (
            f"{self.pair.train_acc} {_fmt(float(train_acc))} vs {self.pair.val_acc} {_fmt(float(val_acc))} "
            f"({(train_acc - val_acc) / train_acc:.0%} apart)"
        )

    def _check_histograms(self, run: Run) -> list[Alert]:
        counts = {tag: len(h) for tag, h in run.histograms.items()}
        if counts == self._histograms_seen:
            return []
        self._histograms_seen = counts
        self.verdict.layers = layer_reports(run, self.thresholds)
        alerts: list[Alert] = []
        flags = self.verdict.flags
        for report in self.verdict.layers:
            for kind, on, reason in (
                ("weights-static", report.static, report.static_reason),
                ("dead-units", report.dead, report.dead_reason),
            ):
                key = f"{kind}:{report.tag}"
                if on:
                    flags[key] = reason
                    alerts += self._raise(key, kind, report.step, report.tag, reason)
                else:
                    flags.pop(key, None)
                    self._clear(key)
        return alerts

    def check_stalled(self, run: Run, now: float) -> list[Alert]:
        """Time-based: flag a run whose writes stopped for much longer than usual."""
        t = self.thresholds
        flags = self.verdict.flags
        interval = _usual_interval(run)
        if run.last_seen is None or interval is None or run.gone or not run.live:
            return []  # only a job seen writing while we watched can stall; old runs are just finished
        quiet = now - run.last_seen
        limit = max(t.stall_factor * interval, t.stall_min_seconds)
        if quiet > limit:
            reason = f"no new events for {quiet / 60:.0f} min (usually every {_seconds(interval)})"
            flags["stalled"] = reason
            return self._raise("stalled", "stalled", self.verdict.step or 0, "", reason)
        flags.pop("stalled", None)
        self._clear("stalled")
        return []

    def _refresh_numbers(self) -> None:
        v = self.verdict
        v.train_tag, v.val_tag = self.pair.train, self.pair.val
        v.train = self.train.smoothed[-1] if self.train.smoothed else None
        v.val = self.val.smoothed[-1] if self.val.smoothed else None
        if self.val.min_step is not None:
            v.best_val = self.val.min_value
            v.best_step = self.val.min_step
            v.since_best = len(self.val) - 1 - self.val.min_index
        if len(self.val) >= 3:
            direction = _direction(self.val.array(max(0, len(self.val) - self.thresholds.window)), self.thresholds)
            v.trend = {"falling": "↓", "rising": "↑", "flat": "→"}[direction]


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.2g} s"


def _usual_interval(run: Run) -> float | None:
    """Median seconds between writes, from the wall times of the run's busiest curve."""
    if not run.scalars:
        return None
    series = max(run.scalars.values(), key=len)
    walls = series.walls[-50:]
    if walls.size < 3:
        return None
    gaps = np.diff(np.unique(walls))
    return float(np.median(gaps)) if gaps.size else None
