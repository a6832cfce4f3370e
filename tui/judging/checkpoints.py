"""Which checkpoint to keep: the one nearest the best validation step, named in the alert and the table.

Shared by the live monitor and ``replay`` so both say the same (the engine itself knows nothing of files).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from tui.judging.engine import Alert


def nearest_checkpoint(checkpoints: dict[int, str], best_step: int | None) -> str | None:
    """The checkpoint whose step is nearest ``best_step`` (the later on a tie: a checkpoint is saved after the
    validation it follows), or None."""
    step = _nearest_step(checkpoints, best_step)
    return None if step is None else checkpoints[step]


def _nearest_step(checkpoints: dict[int, str], best_step: int | None) -> int | None:
    if best_step is None or not checkpoints:
        return None
    return min(checkpoints, key=lambda s: (abs(s - best_step), -s))


AT_THE_BEST = 1
"""Steps a checkpoint may lie from the best validation point and be its model: Lightning validates at the
epoch's last batch and names the checkpoint by the step after it."""


def keep_words(checkpoints: dict[int, str], best_step: int | None, printable: Callable[[str], str] = str) -> str | None:
    """What to do with the checkpoint nearest the best validation step: keep it when it is the best model's;
    otherwise where it lies (Lightning keeps only the latest by default: epochs past the best, it is not)."""
    step = _nearest_step(checkpoints, best_step)
    if step is None or best_step is None:
        return None
    name = printable(checkpoint_name(checkpoints[step]))
    if abs(step - best_step) <= AT_THE_BEST:
        return f"keep {name}"
    where = f"{abs(step - best_step):,} steps {'after' if step > best_step else 'before'} it"
    return f"no checkpoint at the best step {best_step:,}; the nearest, {name}, is {where}"


def checkpoint_name(path: str) -> str:
    """What the user calls it: its own name (``checkpoint-1700/``, ``epoch=3-step=400.ckpt``)."""
    folder = path.endswith("/")
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name + ("/" if folder else "")


def with_checkpoint(alert: Alert, checkpoints: dict[int, str], best_step: int | None) -> Alert:
    """An overfitting alert whose reason ends by naming the checkpoint to keep (when there is one): the one of
    validation's best when it was raised (``Alert.best_step``), else ``best_step``."""
    if alert.kind != "overfitting":
        return alert
    words = keep_words(checkpoints, alert.best_step if alert.best_step is not None else best_step)
    if words is None:
        return alert
    return replace(alert, reason=f"{alert.reason}; {words}")
