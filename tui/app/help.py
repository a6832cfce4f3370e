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

from tui.judging.kinds import ADVICE, FLAGS, TABLE, VERDICT_STYLES, VERDICTS

KEYS = [
    ("↑ ↓ / click", "select a run (until then the top one: the run most in need of attention)"),
    ("home end", "select the first / last run"),
    ("enter", "focus the tags of the selected run (escape: back to the runs)"),
    ("s", "sort by the next column to the right (▲); again: reverse it (▼); again: the next column"),
    ("click a header", "sort by that column; again: reverse (↕ and flags have no order)"),
    ("/", "filter runs by regex (escape clears; a bad one is named in red)"),
    ("space", "mark a run for comparison"),
    ("c", "compare the validation curves of marked runs"),
    ("x", "x axis: step / time since the run's start"),
    ("l", "log y axis"),
    ("[ ]", "less / more smoothing"),
    ("h", "weight and activation distributions of the selected run"),
    ("w", "sweep view: the selected run's sweep ranked, the runs to stop (n: next sweep)"),
    ("?", "this help (escape or ? closes it)"),
    ("q, ctrl+c", "quit, from every view (escape goes back)"),
]

COLUMN_LEGEND = [
    ("run", "the run's name; a yellow ! after it: damaged or unreadable files, or the run gone (the flags say which)"),
    ("val, train", "the newest validation and training loss, as logged (not smoothed)"),
    ("best @ step", "the lowest validation loss and its step: the checkpoint to keep"),
    ("since", "validation points since the best one"),
    ("↕", "validation loss over the trend window: ↓ falling, → flat, ↑ rising, ~ unclear (noise hides it)"),
    ("step", "the newest step of the loss curves"),
    ("age", "time since the newest point was written; 'gone' when its folder or its log files vanished"),
    ("flags", "see below; 'damaged' or 'unreadable' when files could not be read whole"),
]


def keys_table() -> Table:
    table = Table(title="Keys", expand=True, show_edge=False)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("does", overflow="fold")
    for key, does in KEYS:
        table.add_row(key, does)
    return table


def columns_table() -> Table:
    table = Table(title="Columns", expand=True, show_edge=False)
    table.add_column("column", style="bold cyan", no_wrap=True)
    table.add_column("shows", overflow="fold")
    for column, shows in COLUMN_LEGEND:
        table.add_row(column, shows)
    return table


def verdict_table() -> Table:
    """The practitioners' table, then any other verdict: all read from ``kinds``. Every column may wrap (a
    word too long for its column is folded), so no text is cut at 80 columns."""
    table = Table(title="Verdicts", expand=True, show_edge=False)
    table.add_column("train loss", ratio=2, overflow="fold")
    table.add_column("val loss", overflow="fold")
    table.add_column("verdict", style="bold", overflow="fold")
    table.add_column("advice", ratio=3, overflow="fold")
    for train, val, verdict in TABLE:
        table.add_row(train, val, Text(verdict, style=VERDICT_STYLES.get(verdict, "")), ADVICE[verdict])
    in_table = {str(kind) for _, _, kind in TABLE}
    for other in map(str, VERDICTS):
        if other not in in_table:
            table.add_row("", "", Text(other, style=VERDICT_STYLES.get(other, "")), ADVICE[other])
    return table


def flags_table() -> Table:
    """The flags shown beside a verdict, in a table of their own: no empty loss columns to narrow the advice."""
    table = Table(title="Flags", expand=True, show_edge=False)
    table.add_column("flag", no_wrap=True)
    table.add_column("advice", overflow="fold")
    for flag in map(str, FLAGS):
        table.add_row(Text(flag, style=VERDICT_STYLES.get(flag, "dim")), ADVICE[flag])
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and verdicts; escape or ? closes it, q quits as everywhere."""

    AUTO_FOCUS = "*"  # its first widget (the app focuses its runs table, which this screen has not)

    # A modal screen hides the app's bindings but its priority ones: q is bound here again.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark", "dismiss", "close"),
        Binding("q", "app.quit", "quit"),
    ]
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
            yield Static(columns_table())
            yield Static(verdict_table())
            yield Static(flags_table())
            yield Static(
                Text(
                    "Thresholds and the method behind each verdict: see the README "
                    "(`losswatch.toml` or --set NAME=VALUE to tune them).",
                    style="dim",
                )
            )
