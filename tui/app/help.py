"""The help screen: keys, and the verdict table with its advice and thresholds."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.judging.kinds import ADVICE, TABLE

KEYS = [
    ("↑ ↓ / click", "select a run"),
    ("enter", "focus the tags of the selected run"),
    ("s / click header", "sort (again: reverse)"),
    ("/", "filter runs by regex (escape clears)"),
    ("space", "mark a run for comparison"),
    ("c", "compare the validation curves of marked runs"),
    ("x", "x axis: step / relative wall time"),
    ("l", "log y axis"),
    ("[ ]", "less / more smoothing"),
    ("h", "weight and activation distributions of the selected run"),
    ("?", "this help"),
    ("q", "quit"),
]


def keys_table() -> Table:
    table = Table(title="Keys", expand=True, show_edge=False)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("does")
    for key, does in KEYS:
        table.add_row(key, does)
    return table


def verdict_table() -> Table:
    table = Table(title="Verdicts", expand=True, show_edge=False)
    table.add_column("train loss", no_wrap=True)
    table.add_column("val loss", no_wrap=True)
    table.add_column("verdict", style="bold", no_wrap=True)
    table.add_column("advice")
    for train, val, verdict in TABLE:
        table.add_row(train, val, verdict, ADVICE[verdict])
    for flag in ("noisy-val", "weights-static", "dead-units", "stalled", "gap"):
        table.add_row("", "", Text(flag, style="dim"), ADVICE[flag])
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and verdicts; any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "dismiss", "close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 96%; max-width: 110; height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(keys_table())
            yield Static(verdict_table())
            yield Static(
                Text(
                    "Thresholds and the method behind each verdict: see the README "
                    "(`losswatch.toml` or --set NAME=VALUE to tune them).",
                    style="dim",
                )
            )
