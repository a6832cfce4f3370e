"""Which checkpoint to keep: the one nearest the best validation step, named in the alert and the table.

Shared by the live monitor and ``replay`` so both say the same (the engine itself knows nothing of files).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from tui.judging.engine import Alert
from tui.sources.checkpoints import named_by_step


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
"""Steps after the best validation point a checkpoint named by its step may lie and be its model: Lightning validates
at the epoch's last batch and names the checkpoint by the step after it. A checkpoint named by its epoch (or a
Trainer's, saved at the step it evaluates) is the best's at that step only: the next epoch's is a later model."""


def _slack(path: str) -> int:
    return AT_THE_BEST if named_by_step(path) else 0


def keep_words(
    checkpoints: dict[int, str],
    best_step: int | None,
    printable: Callable[[str], str] = str,
    saved_by: int | None = None,
) -> str | None:
    """What to do with the checkpoint nearest the best validation step: keep it when it is the best model's;
    otherwise where it lies (Lightning keeps only the latest by default: epochs past the best, it is not).
    ``saved_by``: an alert's step, whose advice knows only of the checkpoints saved by then (the one named by the
    step after it too), not of those a run read whole shows saved later."""
    if saved_by is not None:
        checkpoints = {step: path for step, path in checkpoints.items() if step <= saved_by + _slack(path)}
    step = _nearest_step(checkpoints, best_step)
    if step is None or best_step is None:
        return None
    name = printable(checkpoint_name(checkpoints[step]))
    if best_step <= step <= best_step + _slack(checkpoints[step]):
        return f"keep {name}"
    apart = abs(step - best_step)
    where = f"{apart:,} step{'s' if apart != 1 else ''} {'after' if step > best_step else 'before'} it"
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
    best = alert.best_step if alert.best_step is not None else best_step
    words = keep_words(checkpoints, best, saved_by=alert.step)
    if words is None:
        return alert
    return replace(alert, reason=f"{alert.reason}; {words}")
