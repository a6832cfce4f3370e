"""What the judge reads at each judged validation point, computed at once for every point a read added.

``Moments`` keeps, from read to read, the curves judged beside validation aligned at its points (training loss
and the accuracies), the three-point means of training and the CUSUM, and turns a block of newly consumed
validation points into ``Moment``s (a training curve logged alone: ``lone_judgements``). Which points are judged
(``judged``) is a pure function of the index, so a run read at once and one read a point at a time judge the
same points with the same figures.
"""

from __future__ import annotations

import numpy as np

from tui.judging.cusum import Cusum
from tui.judging.diverging import Event
from tui.judging.features import accuracy_so_far, aligned, figures, first_finite, flat_share, jumps, means3
from tui.judging.moment import Moment
from tui.judging.pairing import Pair
from tui.judging.resolution import UNMOVED_POINTS, unmoved
from tui.judging.thresholds import LONE_TREND_WINDOW_MAX, Thresholds
from tui.judging.tracks import Block, Track
from tui.judging.windows import (
    largest_steps_up,
    median_rows,
    rows,
    settled_up,
    shift_up,
    slope_z,
    validation_noise,
)
from tui.store import Run

SLOPE_POINTS = 40
"""The slope since validation's best is measured on at most this many of the latest points."""
LASTING_POINTS = 5
"""Validation's latest points whose median is the level the overfitting bell is confirmed on (two may be a spike)."""
RATE_ROUNDING = 1e-4
"""A new largest learning rate counts when it passes the last by more than this share: a logged rate's wobble (float
rounding, a rate logged with jitter) is no warm-up. A linear warm-up's steps pass it for its first 10,000 steps."""
Rates = tuple[np.ndarray, np.ndarray, np.ndarray]
"""The logged learning rate's steps, values and largest so far (``Moments._rates``), read once per judging pass."""
JUDGE_EVERY_UNTIL = 400
"""Every validation point is judged up to this many; beyond, every 2nd, then every 4th... (1/200 of the curve)."""


def _stride(indices: np.ndarray) -> np.ndarray:
    """Every point is judged below 400; beyond, every 2**k-th, k growing with the index (about 200 per doubling)."""
    stride = np.ones(len(indices), dtype=np.int64)
    big = indices >= JUDGE_EVERY_UNTIL
    if big.any():
        stride[big] = 2 ** np.floor(np.log2(indices[big] / (JUDGE_EVERY_UNTIL / 2))).astype(np.int64)
    return stride


def judged(indices: np.ndarray) -> np.ndarray:
    """Which of these validation-point indices are judged (``_stride``).

    A pure function of the index, so a run read at once and one read a point at a time judge the same points.
    """
    return indices[indices % _stride(indices) == 0]


def latest_judged(indices: np.ndarray) -> np.ndarray:
    """For each validation-point index, the last judged index at or before it (itself below 400)."""
    return indices - indices % _stride(indices)


class Moments:
    """The figures of one pair of curves at their judged points, from read to read (one per pair: a new pair
    starts afresh)."""

    def __init__(self, thresholds: Thresholds, pair: Pair, train: Track, val: Track) -> None:
        self.thresholds = thresholds
        self.pair = pair
        self.train, self.val = train, val
        self.train_at_val = np.empty(0)
        """The training loss at each consumed validation point (``features.aligned``)."""
        self.train_acc_at_val = np.empty(0)
        self.val_acc_at_val = np.empty(0)
        self._train_means = np.empty(0)
        """Three-point means of ``train_at_val`` (its best level is their running minimum)."""
        self.cusum = Cusum(thresholds.cusum_kappa, thresholds.cusum_clip)
        self._anchors = np.empty(0, dtype=np.int64)
        self._anchor_noise = np.empty(0)
        """Every point validation's noise was read at so far (ascending), and its bend-blind noise there: the noise
        around a best is looked up, not read again (``_noise_around``)."""

    def judgements(self, run: Run, start: int, block: Block) -> list[Event]:
        """Figures of the newly consumed validation points that are judged, as events in step order."""
        val = self.val
        end = val.count
        train_series = run.scalars.get(self.pair.train) if self.pair.train else None
        if train_series is not None:
            t_steps, t_values, _ = train_series.arrays()
            new_train = aligned(t_steps, t_values, val.steps[:end], start)
        else:
            new_train = np.full(end - start, np.nan)
        self.train_at_val = np.concatenate((self.train_at_val, new_train))
        self.train_acc_at_val = np.concatenate((self.train_acc_at_val, self._at_val(run, self.pair.train_acc, start)))
        self.val_acc_at_val = np.concatenate((self.val_acc_at_val, self._at_val(run, self.pair.val_acc, start)))
        self._train_means = np.concatenate((self._train_means, means3(self.train_at_val, start)))
        all_new = np.arange(start, end)
        # Each point's excess is measured in the noise as of the last judged point: the same as its own
        # below 400 points, and on a long per-step curve a 28th of the work (the noise moves slowly).
        anchors, which = np.unique(latest_judged(all_new), return_inverse=True)
        sigmas, rhos, bends, wides = validation_noise(val.values, anchors, self.thresholds.noise_window)
        fresh = anchors > (self._anchors[-1] if len(self._anchors) else -1)
        self._anchors = np.concatenate((self._anchors, anchors[fresh]))
        self._anchor_noise = np.concatenate((self._anchor_noise, bends[fresh]))
        sums, levels5, _ = self.cusum.extend(val.values[start:end], sigmas[which], rhos[which])
        chosen = judged(all_new)
        if not len(chosen):
            return []
        counts = chosen + 1
        mine = np.searchsorted(anchors, chosen)  # every judged point is an anchor: its noise is read once
        noises = (sigmas[mine], rhos[mine], bends[mine], wides[mine])
        v = figures(val.values[:end], chosen, counts, self.thresholds, noises)
        t = figures(self.train_at_val, chosen, counts, self.thresholds)
        train_first = first_finite(self.train_at_val)
        train_best = np.fmin.accumulate(np.where(np.isnan(self._train_means), np.inf, self._train_means))
        flat_shares = flat_share(train_best, train_first, chosen, self.thresholds.stuck_within)
        at = chosen - start
        best_indices = block.best_index[at]
        since = np.where(best_indices >= 0, np.minimum(chosen - best_indices, SLOPE_POINTS), 0)
        rise_z = slope_z(val.values[:end], chosen, since, v.noise, self.thresholds.jump_z)
        with np.errstate(over="ignore"):  # --set shift_clip=1e300 on noise of 1e30: no clip (inf), not a warning
            floors, limits = block.floors(at), self.thresholds.shift_clip * v.level_noise
        shifts, shift_points = shift_up(val.values[:end], chosen, best_indices, floors, limits)
        settled = settled_up(val.values[:end], chosen, best_indices, floors, limits)
        train_at_best = median_rows(rows(self.train_at_val, np.maximum(best_indices, 0), 3))
        train_at_best[best_indices < 0] = np.nan
        steps_up, jump_bases = jumps(val.values[:end], chosen)
        acc_firsts, acc_bests, acc_points = accuracy_so_far(run, self.pair.val_acc, val.steps[chosen])
        rates = self._rates(run)  # read once for the three columns of the logged learning rate
        columns = {  # Moment's fields, one list per field: no NumPy scalar per number
            "index": chosen.tolist(),
            "step": val.steps[chosen].tolist(),
            "val": v.rows(),
            "train": t.rows(),
            "best": block.best[at].tolist(),
            "best_index": best_indices.tolist(),
            "best_step": val.steps[np.maximum(val.low_indices[chosen], 0)].tolist(),
            "best_point": val.values[np.maximum(val.low_indices[chosen], 0)].tolist(),
            "best_level_step": val.steps[np.maximum(best_indices, 0)].tolist(),
            "mean": block.means[at].tolist(),
            "lasting": median_rows(rows(val.values[:end], chosen, LASTING_POINTS)).tolist(),
            "rise_slope_z": rise_z.tolist(),
            "shift": shifts.tolist(),
            "shift_points": shift_points.tolist(),
            "settled": settled.tolist(),
            "jump": steps_up.tolist(),
            "jump_base": jump_bases.tolist(),
            "cusum": sums[at].tolist(),
            "cusum_best": levels5[at].tolist(),
            "floor": floors.tolist(),
            "train_best": train_best[chosen].tolist(),
            "train_step_up": largest_steps_up(self.train_at_val, chosen).tolist(),
            "train_flat_share": flat_shares.tolist(),
            "train_at_best": train_at_best.tolist(),
            "train_acc": self.train_acc_at_val[chosen].tolist(),
            "val_acc": self.val_acc_at_val[chosen].tolist(),
            "val_acc_first": acc_firsts.tolist(),
            "val_acc_best": acc_bests.tolist(),
            "val_acc_points": acc_points.tolist(),
            "lr": _lrs(rates, val.steps[chosen]),
            "best_noise": self._noise_around(best_indices, chosen).tolist(),
            "warmed_since_best": self._warmed(rates, val.steps[:end], chosen, np.maximum(best_indices, 0)),
            "lr_restarted": self._restarted(rates, val.steps[chosen]),
            "frozen": (
                unmoved(rows(val.values[:end], chosen, UNMOVED_POINTS))
                & unmoved(rows(self.train_at_val, chosen, UNMOVED_POINTS))
            ).tolist(),
        }
        events: list[Event] = []
        for values in zip(*columns.values(), strict=True):
            moment = Moment(**dict(zip(columns, values, strict=True)), val_first=val.first, train_first=train_first)
            events.append((moment.step, 2, "judge", moment))
        return events

    def lone_judgements(self, run: Run, block: Block) -> list[Event]:
        """A training curve without validation: judged on its own points (and its learning rate, when logged)."""
        train = self.train
        start, end = block.start, block.end
        chosen = judged(np.arange(start, end))
        if not len(chosen):
            return []
        t = figures(train.values[:end], chosen, chosen + 1, self.thresholds, longest=LONE_TREND_WINDOW_MAX)
        steps_up = largest_steps_up(train.values[:end], chosen)
        lrs = _lrs(self._rates(run), train.steps[chosen])
        nan = float("nan")
        events: list[Event] = []
        for k, index in enumerate(chosen.tolist()):
            moment = Moment(
                index=index,
                step=train.step_at(index),
                val=None,
                train=t.row(k),
                best=nan,
                best_index=-1,
                best_step=train.step_at(index),
                best_point=nan,
                best_level_step=train.step_at(index),
                mean=nan,
                lasting=nan,
                rise_slope_z=nan,
                shift=nan,
                shift_points=0,
                settled=nan,
                jump=nan,
                jump_base=nan,
                cusum=nan,
                cusum_best=nan,
                floor=nan,
                val_first=nan,
                train_first=train.first,
                train_best=float(block.best[index - start]),
                train_step_up=float(steps_up[k]),
                train_flat_share=nan,
                train_at_best=nan,
                train_acc=nan,
                val_acc=nan,
                val_acc_first=nan,
                val_acc_best=nan,
                val_acc_points=0,
                lr=lrs[k],
            )
            events.append((moment.step, 2, "judge", moment))
        return events

    def _warmed(
        self, rates: Rates | None, val_steps: np.ndarray, chosen: np.ndarray, best_indices: np.ndarray
    ) -> list[bool]:
        """At each judged point, whether the logged learning rate at validation's best was under ``lr_decayed`` of
        what it is now, and was last raised within the last ``2 * trend_window`` validation points
        (``Moment.warmed_since_best``): a warm-up, a restart or a raise, recent; a rate held high for long after
        (``constant_with_warmup``) is the run's rate, and a rise under it is judged. Raised: to a new largest so far
        (a warm-up, a raise), or at one logged step to twice what it was and more (``1 / lr_decayed``: a warm
        restart back to its first peak, ``CosineAnnealingWarmRestarts``). A rate's wobble is no raise, nor a
        cyclic schedule's slow climb back to the peak it had (each would excuse a rise for the rest of the run)."""
        if rates is None or not len(rates[0]):
            return [False] * len(chosen)
        steps, values, largest = rates
        with np.errstate(invalid="ignore"):  # a NaN rate: no raise
            new_largest = largest[1:] > largest[:-1] * (1 + RATE_ROUNDING)
            jumped = values[1:] * self.thresholds.lr_decayed >= values[:-1]
        raised = np.concatenate(([True], new_largest | (jumped & (values[1:] > 0))))  # from 0 too
        last_rise = np.maximum.accumulate(np.where(raised, np.arange(len(values)), 0))
        now = np.searchsorted(steps, val_steps[chosen], side="right") - 1
        best = np.searchsorted(steps, val_steps[best_indices], side="right") - 1
        rise_at = np.searchsorted(val_steps, steps[last_rise[np.maximum(now, 0)]])  # the validation point it came by
        recent = chosen - rise_at < 2 * self.thresholds.trend_window
        with np.errstate(invalid="ignore"):
            warmed = (now >= 0) & (best >= 0) & recent & (values[best] < self.thresholds.lr_decayed * values[now])
        return warmed.tolist()

    def _restarted(self, rates: Rates | None, at_steps: np.ndarray) -> list[bool]:
        """At each step, whether the logged rate was restarted by then (``Moment.lr_restarted``): back up to twice
        the lowest it fell to under ``lr_decayed`` of its largest, at once or up a warm-up ramp logged step by step
        (a restart's warm-up from a floor of 5e-6 never doubles in one step). A warm-up from the start climbs at its
        largest so far, never under it: no restart; nor a decay, however it wobbles."""
        if rates is None or len(rates[0]) < 2:
            return [False] * len(at_steps)
        steps, values, largest = rates
        decayed = self.thresholds.lr_decayed
        with np.errstate(invalid="ignore"):  # a NaN rate: neither fallen nor raised
            fallen = values < decayed * largest
            lows = np.fmin.accumulate(np.where(fallen, values, np.inf))  # the lowest since it first fell
            restart = (values[1:] * decayed >= lows[:-1]) & (values[1:] > 0)
        ever = np.logical_or.accumulate(np.concatenate(([False], restart)))
        now = np.searchsorted(steps, at_steps, side="right") - 1
        return ((now >= 0) & ever[np.maximum(now, 0)]).tolist()

    def _noise_around(self, best_indices: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """Validation's bend-blind noise around its best, at each judged point a rise may be judged at (three points
        or more after its best): as read at the last point its noise was read at by half a noise window after the
        best (or by the point itself)."""
        noise = np.full(len(chosen), np.nan)
        rising = np.flatnonzero((best_indices >= 0) & (chosen - best_indices >= self.thresholds.warn_after))
        if len(rising):
            around = np.minimum(best_indices[rising] + self.thresholds.noise_window // 2, chosen[rising])
            at = np.searchsorted(self._anchors, around, side="right") - 1
            noise[rising] = np.where(at >= 0, self._anchor_noise[np.maximum(at, 0)], np.nan)
        return noise

    def _at_val(self, run: Run, tag: str | None, start: int) -> np.ndarray:
        series = run.scalars.get(tag) if tag else None
        if series is None:
            return np.full(self.val.count - start, np.nan)
        steps, values, _ = series.arrays()
        return aligned(steps, values, self.val.steps[: self.val.count], start)

    def _rates(self, run: Run) -> Rates | None:
        """The logged learning rate's (steps, values, largest so far, -inf before a finite one), when there is one."""
        series = run.scalars.get(self.pair.learning_rate) if self.pair.learning_rate else None
        if series is None:
            return None
        steps, values, _ = series.arrays()
        largest = np.fmax.accumulate(np.where(np.isfinite(values), values, -np.inf)) if len(values) else values
        return steps, values, largest


def _lrs(rates: Rates | None, at_steps: np.ndarray) -> list[tuple[float, float] | None]:
    """(learning rate at each step, largest so far), when the run logs one."""
    if rates is None:
        return [None] * len(at_steps)
    steps, values, largest = rates
    ends = np.searchsorted(steps, at_steps, side="right")
    return [
        (float(values[end - 1]), float(largest[end - 1])) if end and largest[end - 1] > -np.inf else None
        for end in ends.tolist()
    ]
