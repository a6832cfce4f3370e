"""JSON-lines logs numbered by ``epoch`` alone, as a hand-written loop writes them (``{"epoch": 3, "train_loss": ...,
"val_loss": ...}``): the epoch is their step, as a Keras CSV log's ``epoch`` column is.

Only where that numbering holds: a log whose lines carry a step key places them at it (its ``epoch`` a curve, as the
Trainer's fractional one); a fractional epoch (a callback's ``logs`` every few batches) or a metric twice in one
epoch (a per-batch log keyed by its epoch) is no numbering by epoch, and taking it as one kept each epoch's first
batch and dropped the rest unsaid."""

from __future__ import annotations

import math
from collections.abc import Iterable

from tui.sources.columns import STEP_KEYS, TIME_KEYS
from tui.sources.jsontext import BAD

EPOCH_KEY = "epoch"
_STEPS = frozenset(STEP_KEYS)
_NOT_METRICS = frozenset((EPOCH_KEY, *TIME_KEYS))


def _whole_epoch(value: object) -> int | None:
    """A whole epoch number, else None (a fractional one, text, a bool, NaN, a negative number)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        return None
    return int(value) if float(value).is_integer() else None


def numbering(objects: Iterable[object]) -> bool | None:
    """Whether log objects are numbered by epoch alone: True when the objects that tell have a whole epoch and no
    step key, each metric once an epoch; False when one has a step key, an epoch that is not whole, or a metric
    again in its epoch; None when none tells (config lines)."""
    seen: dict[int, set[str]] = {}
    told = None
    for item in objects:
        if type(item) is not dict:
            continue
        if item.keys() & _STEPS:
            return False
        if EPOCH_KEY not in item:
            continue
        epoch = _whole_epoch(item[EPOCH_KEY])
        metrics = item.keys() - _NOT_METRICS
        if epoch is None or metrics & seen.get(epoch, set()):
            return False
        seen.setdefault(epoch, set()).update(metrics)
        told = True
    return told


class EpochSteps:
    """Places the objects of a log numbered by epoch at their epoch. A line that breaks the numbering after it was
    decided (an epoch not whole, a metric again in its epoch) is damaged: counted and said, not dropped unsaid."""

    def __init__(self) -> None:
        self.epoch: int | None = None
        self.metrics: set[str] = set()

    def placed(self, item: object) -> object:
        if type(item) is not dict or EPOCH_KEY not in item or item.keys() & _STEPS:
            return item
        epoch = _whole_epoch(item[EPOCH_KEY])
        metrics = item.keys() - _NOT_METRICS
        if epoch is None or (epoch == self.epoch and metrics & self.metrics):
            return BAD
        if epoch != self.epoch:
            self.epoch, self.metrics = epoch, set()
        self.metrics |= metrics
        return {"step": epoch, **{key: value for key, value in item.items() if key != EPOCH_KEY}}
