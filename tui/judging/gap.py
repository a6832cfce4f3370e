"""The ``gap`` flag: training accuracy leading validation's by a share of it and by enough points to matter."""

from __future__ import annotations

import math

from tui.judging.diverging import Raised
from tui.judging.features import or_zero
from tui.judging.kinds import Kind
from tui.judging.moment import Moment
from tui.judging.pairing import Pair, same_metric
from tui.judging.thresholds import Thresholds
from tui.judging.verdict import Verdict, fmt
from tui.text import percent


class Gap:
    """On when train accuracy leads by more than ``gap`` of it and ``gap_min`` points; off only below half the
    share (no flapping). Told once per time it comes on."""

    def __init__(self, thresholds: Thresholds, pair: Pair) -> None:
        self.t, self.pair = thresholds, pair
        self.on = False

    def at(self, m: Moment, verdict: Verdict) -> list[Raised]:
        """Sets or clears the flag on ``verdict`` (the run's, which the engine may have replaced since)."""
        finite = math.isfinite(m.train_acc) and math.isfinite(m.val_acc)
        if not (finite and m.train_acc > 0) or m.index + 1 < self.t.min_points:
            return []
        if not same_metric(self.pair.train_acc, self.pair.val_acc):  # train_acc against val_f1 is no gap
            return []
        lead = (m.train_acc - m.val_acc) / m.train_acc
        # Logged in percent once any value so far is above 1 (a percent curve fallen below 1 % is still percent).
        top = 100.0 if max(m.train_acc, m.val_acc, or_zero(m.val_acc_best), or_zero(m.val_acc_first)) > 1.0 else 1.0
        flags = verdict.flags
        reason = (  # the share is of the training accuracy (the bar's): "19% apart" read as 19 points of 100
            f"{self.pair.train_acc} {fmt(m.train_acc)} vs {self.pair.val_acc} {fmt(m.val_acc)}: "
            f"{fmt(m.train_acc - m.val_acc)} lower, {percent(lead, self.t.gap)} of {self.pair.train_acc}"
        )
        if lead > self.t.gap and m.train_acc - m.val_acc >= self.t.gap_min * top:
            flags[Kind.GAP] = reason
            if not self.on:
                self.on = True
                return [(m.step, Kind.GAP, self.pair.val_acc or "", reason)]
        elif lead <= 0.5 * self.t.gap:
            self.on = False
            flags.pop(Kind.GAP, None)
        elif self.on:
            flags[Kind.GAP] = reason
        return []
