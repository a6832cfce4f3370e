"""Which checkpoint to keep: the one nearest the best validation step, named in the alert and the table.

Shared by the live monitor and ``replay`` so both say the same (the engine itself knows nothing of files).
"""

from __future__ import annotations

from dataclasses import replace

from tui.judging.engine import Alert


def nearest_checkpoint(checkpoints: dict[int, str], best_step: int | None) -> str | None:
    """The checkpoint whose step is nearest ``best_step`` (the earlier on a tie), or None."""
    if best_step is None or not checkpoints:
        return None
    step = min(checkpoints, key=lambda s: (abs(s - best_step), s))
    return checkpoints[step]


def checkpoint_name(path: str) -> str:
    """What the user calls it: its own name (``checkpoint-1700/``, ``epoch=3-step=400.ckpt``)."""
    folder = path.endswith("/")
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name + ("/" if folder else "")


def with_checkpoint(alert: Alert, checkpoints: dict[int, str], best_step: int | None) -> Alert:
    """An overfitting alert whose reason ends by naming the checkpoint to keep (when there is one)."""
    if alert.kind != "overfitting":
        return alert
    path = nearest_checkpoint(checkpoints, best_step)
    if path is None:
        return alert
    return replace(alert, reason=f"{alert.reason}; keep {checkpoint_name(path)}")
