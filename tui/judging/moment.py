"""What the judge knows at one judged validation point: the figures of both curves computed from points up to it."""

from __future__ import annotations

from dataclasses import dataclass

from tui.judging.features import Row


@dataclass(slots=True)
class Moment:
    """Everything known at one judged validation point."""

    index: int
    step: int
    val: Row | None
    """None for a training curve judged alone (no validation curve)."""
    train: Row
    best: float
    """Validation's best level so far: its lowest mean of three consecutive points."""
    best_index: int
    best_step: int
    """Step of validation's lowest point so far: the checkpoint to keep..."""
    best_point: float
    """...and its value (the table's best column)."""
    best_level_step: int
    """Step of the last of the three points of validation's best level (``best_index``): where a rise is counted
    from, which one low point elsewhere (``best_step``) may not be."""
    mean: float
    """Validation's mean of the last three points (equal to ``best`` when this point set a new best)."""
    lasting: float
    """Validation's median of the last five points: its level with any two of them left out (the bell's level,
    so a one- or two-point excursion that comes back is a spike, not a rise)."""
    rise_slope_z: float
    """Validation's slope since its best (points after it), in standard errors for its noise."""
    shift: float
    """Validation's mean since a recent change point above its mean from its best up to it, as a two-sample
    statistic before it is divided by the noise (``windows.shift_up``; NaN without one)..."""
    shift_points: int
    """...and how many points that mean is over."""
    settled: float
    """Validation's mean over its latest 40 points above its mean over the 20 from its best on, as a two-sample
    statistic before it is divided by the noise (``windows.settled_up``; NaN while they overlap)."""
    jump: float
    """Validation's largest step up among its five latest points (each above the highest of the three before it)..."""
    jump_base: float
    """...and the highest of the three points before that step: the level it jumped from."""
    cusum: float
    """Accumulated evidence of a rise above the best five-point level: the higher of the lowest five-point mean
    and the lowest five-point median (``cusum.Cusum``)."""
    cusum_best: float
    """The lowest five-point mean (the accumulated test asks the level to clear it by ``rise_range``)."""
    floor: float
    """The level the bell measures validation's rise from: the higher of its best (lowest three-point mean) and
    its lowest median of three consecutive points (``tracks.Track.median_low``): one lucky low point of heavy-tailed
    noise pulls a mean down, never a median; on plain noise the lowest median sits lower, and the mean stands."""
    val_first: float
    train_first: float
    train_best: float
    train_step_up: float
    """Training's largest rise from one point to the next so far (NaN when none): a climb carried by one step is
    a jump, not a steady climb (``ranges.out_of_range``)."""
    train_flat_share: float
    """Share of the run so far that training has spent within ``flat_range`` of its best (stuck early: near 1; NaN
    for a training curve judged alone, whose share the judge asks ``Divergence.lone_flat_share`` for)."""
    train_at_best: float
    """Training level when validation was at its best."""
    train_acc: float
    val_acc: float
    val_acc_first: float
    val_acc_best: float
    val_acc_points: int
    """Validation accuracy's first value, its best and its number of points so far (NaN, 0 without one)."""
    lr: tuple[float, float] | None
    """(learning rate now, largest so far) when the run logs one."""
    warmed_since_best: bool = False
    """The logged learning rate at validation's best was under ``lr_decayed`` of what it is now (a warm-up since, a
    restart, a rate raised): the net is disturbed, and a rise from that best is no overfitting while it is."""
    lr_restarted: bool = False
    """The logged rate went back up to twice the lowest it fell to under ``lr_decayed`` of its largest (a warm
    restart, at once or up a ramp): its annealed lows are a cycle's end, not the run's."""
    best_noise: float = float("nan")
    """Validation's noise around its best (blind to the bend, on the window that ends half a noise window after
    it): the scatter the best level was measured in; NaN where no rise is judged (a new best, or just after one)."""
    frozen: bool = False
    """Validation and training each stayed within a few float32 steps of one value over their latest points: the
    net is not changing (``resolution.unmoved``), so nothing is overfitting now."""

    def annealed(self, share: float) -> bool:
        """The logged learning rate is below ``share`` of its largest so far (``lr_annealed``): the net has all but
        stopped moving."""
        return self.lr is not None and self.lr[1] > 0 and self.lr[0] < share * self.lr[1]
