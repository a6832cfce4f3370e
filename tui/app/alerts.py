"""The alert log: bells (overfitting, diverging) on top, then notices, newest first.

A short pane holds two or three alerts; the ones that rang the bell must be
among them, so they come first, and a notice repeated for the same run (a flag
on several layers, a plateau that came back) takes one line with its count.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.app.format import name_text, steps
from tui.columns import shortened
from tui.cuts import Cut, distinct_cuts
from tui.judging.engine import Alert
from tui.judging.kinds import BELL, NOTICE_FLAGS, VERDICT_STYLES, meaning
from tui.judging.verdict import Verdict
from tui.text import printable

MAX_ALERTS = 50
RUN_WIDTH = 28
"""Cells of the run column at most, below ``RUN_SHARE`` of a wide pane..."""
RUN_SHARE = 5
"""...where it may take a fifth of the width (40 cells at 200 columns: names were cut with room to spare)."""
NARROW = 100
"""Below this width the clock column is left out, leaving the reason room to breathe."""
REASON_ROOM = 24
"""Cells the reason column needs beside the others; with less, each reason takes the lines under its alert
(a reason folded into a few cells cut its numbers in two)."""


@dataclass(frozen=True)
class Entry:
    """One line of the log: an alert, and how many like it (same run and kind) it stands for."""

    alert: Alert
    count: int = 1


def entries(alerts: list[Alert]) -> list[Entry]:
    """Bells newest first, then notices grouped by (run, kind), the group shown by its newest alert; newest by the
    time shown (``stamp``), then by arrival."""
    newest = sorted(reversed(alerts), key=stamp, reverse=True)  # stable: among equal times, the later told first
    bells = [Entry(a) for a in newest if a.kind in BELL]
    groups: dict[tuple[str, str], list[Alert]] = {}
    for alert in newest:
        if alert.kind not in BELL:
            groups.setdefault((alert.run, alert.kind), []).append(alert)
    notices = [Entry(group[0], len(group)) for group in groups.values()]
    return (bells + notices)[:MAX_ALERTS]


class FlagNotices:
    """``NOTICE_FLAGS`` (``epoch-steps``: validation at epoch numbers beside training's steps) as notices in the log,
    once per run from when the app first saw them: the bell such a run may ring needs its reason beside it. Not
    alerts of the engine's (no ``replay`` line; ``watch --plain`` says them likewise)."""

    def __init__(self) -> None:
        self._told: dict[tuple[str, str], Alert] = {}

    def of(self, verdicts: dict[str, Verdict], now: float) -> list[Alert]:
        """The notices so far, with any flag new since the last look stamped ``now`` at the run's newest step."""
        for run, verdict in verdicts.items():
            for kind in NOTICE_FLAGS:
                reason = verdict.flags.get(kind)
                if reason is not None and (run, kind) not in self._told:
                    advice = meaning(kind).advice
                    self._told[run, kind] = Alert(run, verdict.step or 0, kind, "", reason, advice, time=now)
        return list(self._told.values())


def stamp(alert: Alert) -> float:
    """The time the log shows: when the alert's point was written if known, else when losswatch learned of it."""
    return alert.written if alert.written is not None and math.isfinite(alert.written) else alert.time


class AlertLog(VerticalScroll):
    """Alerts as a table (time, run, kind, step, reason); rebuilt only when new ones arrive or the width changes."""

    DEFAULT_CSS = """
    AlertLog { height: 5; }
    AlertLog > Static { width: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[int, int, tuple[int, ...]] | None = None
        self._alerts: list[Alert] = []
        self._now: float | None = None
        self.body = Static()

    def compose(self):
        yield self.body

    def on_resize(self) -> None:
        self.show(self._alerts, self._now)

    def show(self, alerts: list[Alert], now: float | None = None) -> None:
        """``now``: the app's clock, which tells what is today (the time of day) from earlier days (their date)."""
        width = self.size.width
        shown_as = (len(alerts), width, tuple(time.localtime(now)[:3]))  # a new day shows yesterday's with its date
        if shown_as == self._shown:
            return
        self._shown = shown_as
        self._alerts, self._now = list(alerts), now
        if not alerts:
            self.body.update(Text("no alerts yet", style="dim"))
            return
        shown = entries(alerts)
        room = max(RUN_WIDTH, width // RUN_SHARE)
        cuts = distinct_cuts({name_text(entry.alert.run).plain: room for entry in shown})
        rows = [_cells(entry, cuts, room) for entry in shown]
        narrow = width < NARROW
        times = [when(entry.alert, now) for entry in shown]
        beside = sum(max(cell.cell_len for cell in column) + 2 for column in zip(*(row[:3] for row in rows)))
        beside += 0 if narrow else max(map(len, times)) + 2
        if width - beside - 2 < REASON_ROOM:
            self.body.update(Group(*(line for row in rows for line in _stacked(row))))
            return
        table = Table(expand=True, show_edge=False, box=None, padding=(0, 1), header_style="bold")
        if not narrow:
            table.add_column("time", style="dim", no_wrap=True)
        table.add_column("run", no_wrap=True, max_width=room, overflow="ellipsis")
        table.add_column("kind", no_wrap=True)
        table.add_column("step", justify="right", no_wrap=True)
        table.add_column("reason", ratio=1, overflow="fold")
        for shown_at, cells in zip(times, rows, strict=True):
            table.add_row(*([] if narrow else [shown_at]), *cells)
        self.body.update(table)


def when(alert: Alert, now: float | None = None) -> str:
    """When the alert's point was written (else when losswatch learned of it): the time of day if today, the day
    and minute if this year, else the date. The read time alone put a run's history, read at start, all at the
    minute losswatch started."""
    try:
        day, today = time.localtime(stamp(alert)), time.localtime(now)
    except (OverflowError, OSError, ValueError):  # a wall time past what the C library can read
        day, today = time.localtime(alert.time), time.localtime(now)
    if day[:3] == today[:3]:
        return time.strftime("%H:%M:%S", day)
    return time.strftime("%b %d %H:%M" if day[0] == today[0] else "%Y-%m-%d", day)


def _cells(entry: Entry, cuts: dict[str, Cut], room: int) -> tuple[Text, Text, Text, Text]:
    """Run (in ``room`` cells, cut where the runs differ), kind (with its count), step and reason of one line."""
    alert = entry.alert
    kind = Text(alert.kind, style=VERDICT_STYLES.get(alert.kind, "yellow"))
    if entry.count > 1:
        kind.append(f" ×{entry.count}", style="dim")
    run = name_text(alert.run)
    run = shortened(run, room, cuts.get(run.plain))
    return run, kind, Text(steps(alert.step)), Text(printable(alert.reason))


def _stacked(row: tuple[Text, Text, Text, Text]) -> list[RenderableType]:
    """A narrow pane's alert: run, kind and step on a line, the reason wrapped at its spaces under them."""
    run, kind, step, reason = row
    return [Text.assemble(run, "  ", kind, "  ", step), Padding(reason, (0, 0, 0, 2))]
