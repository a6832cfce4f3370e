"""Small formatting helpers shared by the widgets (numbers, ages, safe names)."""

from __future__ import annotations

import math

from rich.text import Text

from tui.judging.kinds import VERDICT_STYLES, shown
from tui.store import Run
from tui.text import number, shown_name

__all__ = ["age", "best_at", "name_text", "number", "steps", "trouble", "verdict_text"]


def steps(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def best_at(best: float | None, step: int | None) -> str:
    """'0.5425 @ 1,600': the best validation value and the step of the checkpoint to keep."""
    return "–" if step is None else f"{number(best)} @ {step:,}"


def age(seconds: float | None) -> str:
    """'12s', '5m', '3h', '2d' - compact enough for a narrow column."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def name_text(name: str, limit: int | None = None, style: str = "") -> Text:
    """A run or tag name as inert text: escapes made visible, markup never parsed."""
    return Text(shown_name(name, limit), style=style)


def verdict_text(kind: str) -> Text:
    """A verdict (or the table's ``overfitting?``) in its style."""
    label, style, _ = shown(kind)
    return Text(label, style=style or VERDICT_STYLES.get(kind, ""))


def trouble(run: Run) -> str:
    """What is wrong with a run's files, in its own words: what refused them, their damage, or the bytes not whole
    yet (the status line's note on the selected run, and a chart with no curve to draw)."""
    if run.errors:
        return run.errors[-1]
    return run.damage_note() if run.damaged else run.incomplete_note()
