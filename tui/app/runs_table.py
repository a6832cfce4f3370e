"""The runs table: one row per run, sortable, filterable, keeping the cursor on the same run."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable

from tui.app.format import SEVERITY, age, name_text, number, verdict_text
from tui.judging.engine import Verdict
from tui.store import Run

COLUMNS = [
    ("mark", " "),
    ("run", "run"),
    ("verdict", "verdict"),
    ("trend", "↕"),
    ("val", "val"),
    ("best", "best @ step"),
    ("since", "since"),
    ("train", "train"),
    ("step", "step"),
    ("age", "age"),
    ("flags", "flags"),
]
"""Most important first, so an 80-column pane shows run, verdict and validation without scrolling."""
SORTABLE = ["verdict", "run", "step", "train", "val", "best", "since", "age"]


@dataclass(frozen=True)
class RunRow:
    """A run's figures, taken from the store once per refresh."""

    name: str
    step: int | None
    train: float | None
    val: float | None
    best_val: float | None
    best_step: int | None
    since: int | None
    trend: str
    verdict: str
    flags: tuple[str, ...]
    last_write: float | None
    """Wall time of the newest point, as the writer stamped it."""
    gone: bool
    trouble: bool
    """Damaged or unreadable files."""

    @classmethod
    def of(cls, run: Run, v: Verdict | None) -> RunRow:
        return cls(
            name=run.name,
            step=v.step if v else run.last_step(),
            train=v.train if v else None,
            val=v.val if v else None,
            best_val=v.best_val if v else None,
            best_step=v.best_step if v else None,
            since=v.since_best if v else None,
            trend=v.trend if v else "",
            verdict=v.kind if v else "waiting",
            flags=tuple(v.flags) if v else (),
            last_write=run.last_write,
            gone=run.gone,
            trouble=run.damaged or bool(run.errors),
        )


def _sort_value(row: RunRow, column: str):
    missing = math.inf
    if column == "verdict":
        return (SEVERITY.get(row.verdict, 9), row.name)
    if column == "run":
        return row.name
    if column == "age":
        return -(row.last_write or 0.0)
    value = {"step": row.step, "train": row.train, "val": row.val, "best": row.best_val, "since": row.since}[column]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return value


class RunsTable(DataTable):
    """Rows keyed by run name; ``show`` re-sorts and re-fills without losing the selection."""

    DEFAULT_CSS = """
    RunsTable { height: auto; max-height: 40%; min-height: 4; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.sort_column = "verdict"
        self.sort_reverse = False
        self.filter: re.Pattern[str] | None = None
        self.marked: set[str] = set()
        self._order: list[str] = []
        self._rows: dict[str, RunRow] = {}
        self._ages: dict[str, str] = {}
        self.follow_top = True
        """Until the user moves the cursor, keep it on the top row (the run most in need of attention)."""

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    @property
    def selected(self) -> str | None:
        if not self._order or self.cursor_row < 0 or self.cursor_row >= len(self._order):
            return None
        return self._order[self.cursor_row]

    def visible(self, rows: list[RunRow]) -> list[RunRow]:
        shown = [r for r in rows if self.filter is None or self.filter.search(r.name)]
        return sorted(shown, key=lambda r: _sort_value(r, self.sort_column), reverse=self.sort_reverse)

    def show(self, rows: list[RunRow], now: float) -> None:
        """Fill the table with ``rows`` (filtered and sorted), keeping the cursor on the same run."""
        keep = self.selected
        rows = self.visible(rows)
        order = [r.name for r in rows]
        if order == self._order:
            for row in rows:
                if self._rows.get(row.name) != row:
                    for key, cell in zip((k for k, _ in COLUMNS), self._cells(row, now)):
                        self.update_cell(row.name, key, cell)
            self.refresh_ages(now)
        else:
            self.clear()
            self._ages = {}
            for row in rows:
                self.add_row(*self._cells(row, now), key=row.name)
            self._order = order
            if self.follow_top and order:
                self.move_cursor(row=0, animate=False)
            elif keep in order:
                self.move_cursor(row=order.index(keep), animate=False)
        self._rows = {r.name: r for r in rows}

    def refresh_ages(self, now: float) -> None:
        """Update the age cells whose text changed (most change once a minute or less)."""
        for name in self._order:
            row = self._rows.get(name)
            if row is None:
                continue
            cell = self._age(row, now)
            if self._ages.get(name) != cell.plain:
                self._ages[name] = cell.plain
                self.update_cell(name, "age", cell)

    def _age(self, row: RunRow, now: float) -> Text:
        if row.gone:
            return Text("gone", style="dim")
        return Text(
            age(now - row.last_write if row.last_write else None), style="yellow" if "stalled" in row.flags else ""
        )

    def _cells(self, row: RunRow, now: float) -> list:
        best = "–" if row.best_step is None else f"{number(row.best_val)} @ {row.best_step:,}"
        extra = [f.split(":")[0] for f in row.flags]
        if row.trouble:
            extra.append("damaged")
        return [
            Text("●" if row.name in self.marked else " ", style="bold cyan"),
            name_text(row.name, 32, style="bold" if row.verdict in ("overfitting", "diverging") else ""),
            verdict_text(row.verdict),
            Text(row.trend, style={"↑": "red", "↓": "green"}.get(row.trend, "")),
            Text(number(row.val), justify="right"),
            Text(best),
            Text("–" if row.since is None else str(row.since), justify="right"),
            Text(number(row.train), justify="right"),
            Text("–" if row.step is None else f"{row.step:,}", justify="right"),
            self._age(row, now),
            Text(",".join(sorted(set(extra))), style="dim"),
        ]

    def on_key(self, event) -> None:
        if event.key in ("up", "down", "pageup", "pagedown", "home", "end"):
            self.follow_top = False

    def on_click(self, _event) -> None:
        self.follow_top = False

    def cycle_sort(self, column: str | None = None) -> None:
        """Sort by ``column`` (again: reverse), or by the next sortable column."""
        if column is None:
            column = SORTABLE[(SORTABLE.index(self.sort_column) + 1) % len(SORTABLE)]
            self.sort_reverse = False
        elif column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_reverse = False
        self.sort_column = column
        self._order = []  # force a rebuild in the new order
