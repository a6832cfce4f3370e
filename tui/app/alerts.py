"""The alert log: newest first, one entry per alert, reasons wrapped to the pane's width."""

from __future__ import annotations

import time

from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.app.format import name_text
from tui.judging.engine import Alert
from tui.judging.kinds import VERDICT_STYLES
from tui.text import printable

MAX_ALERTS = 50


class AlertLog(VerticalScroll):
    """Alerts as a table (time, run, kind, step, reason), newest on top; rebuilt only when new ones arrive."""

    DEFAULT_CSS = """
    AlertLog { height: 5; }
    AlertLog > Static { width: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown = -1
        self.body = Static()

    def compose(self):
        yield self.body

    def show(self, alerts: list[Alert]) -> None:
        if len(alerts) == self._shown:
            return
        self._shown = len(alerts)
        table = Table(expand=True, show_edge=False, box=None, padding=(0, 1), header_style="bold")
        table.add_column("time", style="dim", no_wrap=True)
        table.add_column("run", no_wrap=True, max_width=28, overflow="ellipsis")
        table.add_column("kind", no_wrap=True)
        table.add_column("step", justify="right", no_wrap=True)
        table.add_column("reason", ratio=1, overflow="fold")
        for alert in reversed(alerts[-MAX_ALERTS:]):
            table.add_row(
                time.strftime("%H:%M:%S", time.localtime(alert.time)),
                name_text(alert.run),
                Text(alert.kind, style=VERDICT_STYLES.get(alert.kind, "yellow")),
                f"{alert.step:,}",
                Text(printable(alert.reason)),
            )
        if not alerts:
            self.body.update(Text("no alerts yet", style="dim"))
        else:
            self.body.update(table)
