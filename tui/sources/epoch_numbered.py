"""JSON-lines logs numbered by ``epoch`` alone, as a hand-written loop writes them (``{"epoch": 3, "train_loss": ...,
"val_loss": ...}``): the epoch is their step, as a Keras CSV log's ``epoch`` column is.

Only where that numbering holds, read on its first lines (``HEAD_LINES``) by discovery: a log whose lines carry a
step key places them at it (its ``epoch`` a curve, as the Trainer's fractional one); a
fractional epoch (a callback's ``logs`` every few batches) or a metric again in its epoch with another value (a
per-batch log keyed by its epoch) is no numbering by epoch: taken as one, each epoch's first batch was kept and
the rest dropped unsaid. Validation's line after training's at the same epoch, both with the learning rate, is."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tui.sources.cells import number_step
from tui.sources.columns import STEP_KEYS, TIME_KEYS, object_step
from tui.sources.jsontext import BAD

EPOCH_KEY = "epoch"
HEAD_LINES = 5
"""Lines of a JSON-lines file looked at for an object with a step (the first may be a config or a header)."""
_STEPS = frozenset(STEP_KEYS)
_NOT_METRICS = frozenset((EPOCH_KEY, *TIME_KEYS))


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _points(item: dict, prefix: str = "", depth: int = 0) -> dict[str, object]:
    """The numbers of a log object by their names (nested as ``a/b``), the epoch and times left out: what a line
    logs, for telling a second line of its epoch (validation's after training's, or the same learning rate again)
    from a batch's (a metric again with another value)."""
    out: dict[str, object] = {}
    for key, value in item.items():
        if not prefix and key in _NOT_METRICS:
            continue
        if isinstance(value, dict) and depth < 8:
            out.update(_points(value, f"{prefix}{key}/", depth + 1))
        elif _number(value):
            out[prefix + str(key)] = value
    return out


def _same(first: object, second: object) -> bool:
    return first == second or (first != first and second != second)  # NaN, logged twice


class _Epochs:
    """The epoch of the latest line and what its lines logged: a metric again with another value is a batch."""

    def __init__(self) -> None:
        self.epoch: int | None = None
        self.logged: dict[str, object] = {}

    def add(self, epoch: int, points: dict[str, object]) -> bool:
        """Take a line of ``epoch``; False when it logs a metric of its epoch again with another value."""
        if epoch != self.epoch:  # the next epoch, or one before it (a run resumed from a checkpoint)
            self.epoch, self.logged = epoch, dict(points)
            return True
        if any(key in self.logged and not _same(self.logged[key], value) for key, value in points.items()):
            return False
        self.logged.update(points)
        return True


def numbering(objects: Iterable[object], full: bool = False) -> bool | None:
    """Whether a log's first lines are numbered by epoch alone: True when two or more have a whole epoch and no
    step key (one, when they are all there is to look at: ``full``, after config lines), and no metric comes
    again in its epoch with another value; False when a line has a step key, an epoch that is not whole, or a
    metric again (per batch); None when too few lines tell (config lines, one epoch)."""
    epochs = _Epochs()
    told = 0
    for epoch, item in _told_epochs(objects):
        if epoch is None or not epochs.add(epoch, _points(item)):
            return False
        told += 1
    return True if told >= 2 or (told and full) else None


def _told_epochs(objects: Iterable[object]) -> Iterator[tuple[int | None, dict]]:
    """Each line that tells how a log is numbered, with its whole epoch; None (and nothing after it) for one that
    says it is not numbered by epoch alone: a step key, or an epoch that is not whole."""
    for item in objects:
        if type(item) is not dict or not (item.keys() & _STEPS or _number(item.get(EPOCH_KEY))):
            continue
        epoch = None if item.keys() & _STEPS else number_step(item[EPOCH_KEY])
        yield epoch, item
        if epoch is None:
            return


def first_told(objects: list[object]) -> bool | None:
    """For a stream whose log discovery listed: whether it is numbered by epoch, told by its first lines as they
    come (the stream holds them back while this says None). A line with a step key: no (a step-keyed log that
    opens with an evaluation at epoch 0 put validation at epoch numbers beside training's steps). A second epoch
    with no step line between, or ``HEAD_LINES`` lines of epochs and none with a step, as discovery reads them:
    yes. An epoch that is not whole: no. Later lines that break the numbering are damaged (``EpochSteps``)."""
    first = None
    for epoch, _item in _told_epochs(objects):
        if epoch is None:
            return False
        if first is not None and epoch != first:
            return True
        first = epoch
    if len(objects) >= HEAD_LINES:
        return first is not None
    return None


class EpochSteps:
    """Places the lines of a log numbered by epoch at their epoch. A line that breaks the numbering after it was
    decided (an epoch not whole, a metric again in its epoch with another value) is damaged: counted and said, not
    dropped unsaid."""

    def __init__(self) -> None:
        self.epochs = _Epochs()

    def placed(self, item: object) -> object:
        if type(item) is not dict or EPOCH_KEY not in item or item.keys() & _STEPS:
            return item
        epoch = number_step(item[EPOCH_KEY]) if _number(item[EPOCH_KEY]) else None  # text, null: no epoch
        if epoch is None or not self.epochs.add(epoch, _points(item)):
            return BAD
        return {"step": epoch, **{key: value for key, value in item.items() if key != EPOCH_KEY}}


class StepCarrier:
    """In a log numbered by step: a line with an epoch but no step (validation's line after an epoch's batches,
    ``{"epoch": 3, "val_loss": ...}``) is placed at the step of the line before it, where its epoch ended (step 0
    before any, for epoch 0 only: an evaluation before training, not a config line that names the epochs). Without
    a step it was dropped without a word, and a loop's validation curve was never read. Such lines that log a metric
    again in their epoch with another value are batches, no epoch's line: damaged, not piled on one step."""

    def __init__(self) -> None:
        self.step: int | None = None
        self.epochs = _Epochs()

    def placed_all(self, objects: list[object]) -> list[object]:
        """``placed`` of each line; a chunk with no line to place (every line of a log written by step, the usual
        case) only moves the step on: a call per line cost a 100,000-line log a third of its read."""
        if any(type(item) is dict and EPOCH_KEY in item and not item.keys() & _STEPS for item in objects):
            return [self.placed(item) for item in objects]
        for item in reversed(objects):
            if type(item) is dict and item.keys() & _STEPS and (step := object_step(item)) is not None:
                self.step = step
                break
        return objects

    def placed(self, item: object) -> object:
        if type(item) is not dict:
            return item
        if item.keys() & _STEPS:
            step = object_step(item)
            self.step = self.step if step is None else step
            return item
        if EPOCH_KEY not in item:
            return item  # a config line
        epoch = number_step(item[EPOCH_KEY])
        if epoch is None and self.step is not None:
            return BAD  # an epoch's line whose epoch is text, null or a fraction: placed nowhere, counted
        if epoch is None or (self.step is None and epoch != 0):
            return item
        if not self.epochs.add(epoch, _points(item)):
            return BAD
        return {"step": self.step or 0, **item}
