"""What the engine says: the verdict of a run now, and the alerts it raised on the way."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from tui.judging.kinds import ADVICE, Kind, meaning
from tui.judging.layers import LayerReport
from tui.text import number


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
    """When losswatch learned of it (a run read at start tells its history's alerts at once)."""
    written: float | None = field(default=None, compare=False)
    """When the point it is about was written (its wall time), if known: what the alert log shows."""
    best_step: int | None = field(default=None, compare=False)
    """Validation's best step when the alert was raised: the checkpoint an overfitting alert's advice names, the best
    a bell's notification gives."""
    history: bool = field(default=False, compare=False)
    """Told of a run never seen writing whose files had not changed for an hour and more when it was read
    (``Monitor._history``): a run read at start that ended long ago tells its history, which rings no bell."""

    @property
    def bell(self) -> bool:
        """Whether this kind of alert rings the terminal bell."""
        return meaning(self.kind).bell

    @property
    def rings(self) -> bool:
        """Whether this alert rings the bell (and sends a desktop notification): a bell's kind, not history."""
        return self.bell and not self.history

    def as_dict(self) -> dict[str, object]:
        return {"run": self.run, "step": self.step, "kind": self.kind, "tag": self.tag, "reason": self.reason}


@dataclass
class Verdict:
    """What the engine thinks of a run now."""

    kind: str = Kind.WAITING
    reason: str = "no paired loss curves yet"
    flags: dict[str, str] = field(default_factory=dict)
    """Flag (``val-rising``, ``spike``, ``weights-static:<tag>``...) -> its reason, with the numbers behind it."""
    train_tag: str | None = None
    val_tag: str | None = None
    step: int | None = None
    """Newest step of the paired loss curves (of any curve while none is paired)."""
    train: float | None = None
    """TensorBoard-smoothed training loss at the newest point."""
    val: float | None = None
    """TensorBoard-smoothed validation loss at the newest point."""
    best_val: float | None = None
    """Lowest validation loss so far (raw)."""
    best_step: int | None = None
    """Its step: the checkpoint to keep."""
    since_best: int | None = None
    """Validation points since the best one."""
    trend: str = ""
    """Validation trend arrow: ↑ ↓ →."""
    onset_step: int | None = None
    """Step at which overfitting was confirmed (None if not overfitting)."""
    lr_tag: str | None = None
    layers: list[LayerReport] = field(default_factory=list)

    @property
    def advice(self) -> str:
        return ADVICE[self.kind]


def fmt(value: float) -> str:
    """A number in a reason, written as the table and check write it."""
    return number(value)


def fmt_apart(value: float, other: float) -> tuple[str, str]:
    """``value`` and ``other`` as ``fmt`` writes them, or with as many more digits as tell them apart where those
    read the same (2.2071 above 2.2068 read "2.207 above 2.207")."""
    for digits in (6, 8, 12, 17):
        if fmt(value) != fmt(other):
            break
        shown = (f"{value:.{digits}g}", f"{other:.{digits}g}")
        if shown[0] != shown[1]:
            return shown
    return fmt(value), fmt(other)


def progress_words(progress: float, level: float, first: float) -> str:
    """What a curve learned since its start, for a reason: "0.3953 of progress since its start 2.778"; with none, how
    far above its start it stands ("0 of progress" hid a loss sitting four times its start)."""
    if progress > 0 or not (math.isfinite(level) and math.isfinite(first)) or level <= first:
        return f"{fmt(progress)} of progress since its start {fmt(first)}"
    return f"no progress: {fmt(level - first)} above its start {fmt(first)}"


def now_said(value: float) -> str:
    """ ", now 0.1001" for a reason, or nothing where the latest value is not a number (an accuracy logged NaN)."""
    return f", now {fmt(value)}" if math.isfinite(value) else ""
