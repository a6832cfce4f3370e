"""The runs table: one row per run, sortable, filterable, keeping the cursor on the same run.

Numbers are never cut: each column is as wide as its widest cell, the widths are
recomputed whenever a value widens (a step reaching 12,000), and when the pane
is too narrow whole columns are dropped, least important first. Only the run
name may be shortened (it then ends in '…').
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tui.app.format import age, best_at, name_text, number, steps, verdict_text
from tui.columns import Fitted, fit_columns, shortened
from tui.cuts import Cut, distinct_cuts
from tui.judging.engine import Verdict
from tui.judging.kinds import BELL, MEANINGS, VERDICT_STYLES, flag_names, severity, shown
from tui.patterns import UserPattern
from tui.store import Run
from tui.text import shown_name

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
"""Display order. ``↕``: direction of validation loss over the trend window; ``since``: validation points
since the best one."""
LABELS = dict(COLUMNS)
PRIORITY = ["mark", "run", "verdict", "val", "best", "step", "trend", "since", "train", "age", "flags"]
"""Which columns stay when the pane is narrow: the ones shown are always the first of this list (the name
shortens for the first six), so age goes first and best @ step, the checkpoint to keep, goes late; the
flags take what room is left."""
ESSENTIAL = 6
SORTABLE = [key for key, _ in COLUMNS if key not in ("mark", "trend", "flags")]
"""In screen order: the ``s`` key moves left to right through the header (then from the left again)."""
NAME_MIN = 10
ARROW_NAME_MIN = 8
"""The run's name may give up to two of its ``NAME_MIN`` cells to the sorted column's ▲ or ▼ (``_with_arrow``)."""
NAME_MAX = 40
"""The widest a run's name is while the columns are chosen; wider only into room left over (``_grown_name``)."""
AGE_WIDTH = 4
"""'59s', '23h', '120d', 'gone': ages are re-rendered every second without a new layout."""
ASCENDING, DESCENDING = "▲", "▼"
TROUBLE = " !"
"""After the name of a run whose files are damaged or unreadable, or that is gone: the flags column, which says
which (and the age column, 'gone'), are the first to go in a narrow pane."""


@dataclass(frozen=True)
class RunRow:
    """A run's figures, taken from the store once per refresh."""

    name: str
    step: int | None
    train: float | None
    """Newest raw training loss (what was logged, as ``best_val`` is)."""
    val: float | None
    """Newest raw validation loss."""
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
    unreadable: bool = False
    """A file or the folder could not be read (permission denied); a run whose folder or log files vanished is
    ``gone``."""

    @property
    def marker(self) -> bool:
        """Whether ``TROUBLE`` follows the name: damaged or unreadable files, or the run gone."""
        return self.trouble or self.gone

    @classmethod
    def of(cls, run: Run, v: Verdict | None, more_flags: tuple[str, ...] = ()) -> RunRow:
        """The run's row; ``more_flags`` are flags from outside its own verdict (its sweep's ``behind-peers``)."""
        return cls(
            name=run.name,
            step=v.step if v else run.last_step(),
            train=last_value(run, v.train_tag) if v else None,
            val=last_value(run, v.val_tag) if v else None,
            best_val=v.best_val if v else None,
            best_step=v.best_step if v else None,
            since=v.since_best if v else None,
            trend=v.trend if v else "",
            verdict=shown(v.kind, v.flags)[0] if v else "waiting",
            flags=(tuple(v.flags) if v else ()) + more_flags,
            last_write=run.last_write,
            gone=run.gone,
            trouble=run.troubled,
            unreadable=run.cannot_be_read,
        )


def last_value(run: Run, tag: str | None) -> float | None:
    """The newest raw value of a curve (None if the run has no such curve)."""
    series = run.scalars.get(tag) if tag else None
    last = series.last() if series is not None else None
    return last[1] if last is not None else None


def _grown_name(fitted: Fitted, whole: int, available: int, gap: int) -> Fitted:
    """The run's name wider than ``NAME_MAX``, up to ``whole``, into the room every column shown leaves (a wide
    pane): names are cut only when the pane is short of room."""
    widths = dict(fitted.widths)
    spare = available - sum(width + gap for width in widths.values())
    if "run" not in widths or spare <= 0 or widths["run"] >= whole:
        return fitted
    widths["run"] = min(whole, widths["run"] + spare)
    return Fitted(fitted.keys, tuple((key, widths[key]) for key in fitted.keys))


def _sort_value(row: RunRow, column: str):
    missing = math.inf
    if column == "verdict":
        return (severity(row.verdict), row.name)
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

    # DataTable's home and end scroll sideways; in a list of runs they go to the first and the last run.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First run", show=False),
        Binding("end", "scroll_bottom", "Last run", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.sort_column = "verdict"
        self.sort_reverse = False
        self.sort_chosen = False
        """Whether the user chose the order (``s``, a click): the first ``s`` moves on from the default one."""
        self.filter: UserPattern | None = None
        self.marked: set[str] = set()
        self._order: list[str] = []
        self._rows: dict[str, RunRow] = {}
        self._ages: dict[str, str] = {}
        self._layout: Fitted | None = None
        self._cuts: dict[str, Cut] = {}
        """Where long run names are cut (``distinct_cuts``), made when the table is laid out: a new run, a new order,
        width or filter, or a run's trouble marker come or gone (it takes two cells of its name's)."""
        self._cells_of: dict[str, tuple[tuple[RunRow, bool], dict[str, Text], dict[str, int]]] = {}
        """Run -> ((row, marked), cells, their widths): cells are made again only for rows that changed."""
        self._shown: tuple[list[RunRow], float] = ([], 0.0)
        self._stale = True
        """Lay out and fill again at the next ``show`` (new sort, filter or width); ``_order`` stays what is
        on screen until then, so the run under the cursor is still known."""
        self.follow_attention = True
        """Until the user moves the cursor, keep it on the run most in need of attention (the top row in the default
        order; sorted by another column, wherever that run stands)."""

    @property
    def order(self) -> tuple[str, ...]:
        """The runs shown, top to bottom."""
        return tuple(self._order)

    def set_filter(self, pattern: UserPattern | None) -> None:
        """Show only runs whose name matches ``pattern`` (None: all), from the next ``show`` on."""
        self.filter = pattern
        self._stale = True

    @property
    def selected(self) -> str | None:
        if not self._order or self.cursor_row < 0 or self.cursor_row >= len(self._order):
            return None
        return self._order[self.cursor_row]

    @property
    def shown_columns(self) -> tuple[str, ...]:
        return self._layout.keys if self._layout else ()

    def trouble_changed(self, trouble: dict[str, tuple[bool, bool, bool]]) -> bool:
        """Whether a row shows other trouble than the store's now: run -> (damaged or unreadable, unreadable, gone)."""
        return any(
            trouble.get(name, (False, False, False)) != (r.trouble, r.unreadable, r.gone)
            for name, r in self._rows.items()
        )

    def shown_rows(self, rows: list[RunRow]) -> list[RunRow]:
        """The rows the filter lets through, in the table's sort order."""
        # The name as the table shows it (control characters as escapes): what the user reads is what matches.
        shown = [r for r in rows if self.filter is None or self.filter.search(shown_name(r.name))]
        return sorted(shown, key=lambda r: _sort_value(r, self.sort_column), reverse=self.sort_reverse)

    def show(self, rows: list[RunRow], now: float) -> None:
        """Fill the table with ``rows`` (filtered and sorted), keeping the cursor on the same run."""
        self._shown = (rows, now)
        keep = self.selected
        rows = self.shown_rows(rows)
        self._cells_of = {row.name: self._cached_cells(row) for row in rows}
        cells = {name: cached[1] for name, cached in self._cells_of.items()}
        layout = self._fit(max((self._age(row, now).cell_len for row in rows), default=0))
        order = [r.name for r in rows]
        marked = any((old := self._rows.get(row.name)) is not None and old.marker != row.marker for row in rows)
        if not self._stale and order == self._order and layout == self._layout and not marked:
            for row in rows:
                if self._rows.get(row.name) != row:
                    for key in layout.keys:
                        if key != "age":
                            cell = self._fitted(key, cells[row.name][key], layout, row.marker, self._cuts)
                            self.update_cell(row.name, key, cell)
            self.refresh_ages(now)
        else:
            self._cuts = self._name_cuts(rows, cells, layout)
            self._rebuild(rows, cells, layout)
            self._order = order
            self._stale = False
            if not self.follow_attention and keep in order:
                self.move_cursor(row=order.index(keep), animate=False)
        if self.follow_attention and order:
            neediest = order.index(min(rows, key=lambda r: _sort_value(r, "verdict")).name)
            if self.cursor_row != neediest:
                self.move_cursor(row=neediest, animate=False)
        self._rows = {r.name: r for r in rows}

    def _rebuild(self, rows: list[RunRow], cells: dict[str, dict[str, Text]], layout: Fitted) -> None:
        self.clear(columns=True)
        self._layout = layout
        self._ages = {}
        for key in layout.keys:
            self.add_column(self._label(key), width=layout.width(key), key=key)
        now = self._shown[1]
        for row in rows:
            age_cell = self._age(row, now)
            row_cells = {**cells[row.name], "age": age_cell}
            shown = (self._fitted(key, row_cells[key], layout, row.marker, self._cuts) for key in layout.keys)
            self.add_row(*shown, key=row.name)
            self._ages[row.name] = age_cell.plain

    def _label(self, key: str) -> Text:
        label = LABELS[key]
        if key == self.sort_column:
            label += " " + (DESCENDING if self.sort_reverse else ASCENDING)
        return Text(label, style="bold" if key == self.sort_column else "")

    def _cached_cells(self, row: RunRow) -> tuple[tuple[RunRow, bool], dict[str, Text], dict[str, int]]:
        state = (row, row.name in self.marked)
        cached = self._cells_of.get(row.name)
        if cached is not None and cached[0] == state:
            return cached
        cells = self._cells(row)
        return state, cells, {key: cell.cell_len for key, cell in cells.items()}

    def _fit(self, age_width: int = 0) -> Fitted:
        """The columns' widths for the cells shown; ``age_width``: the widest age now (a run 1,000 days old)."""
        natural = {key: cell_len(LABELS[key]) for key, _ in COLUMNS}  # the sort arrow's room: ``_with_arrow``
        for _, _, widths in self._cells_of.values():
            for key, width in widths.items():
                if width > natural[key]:
                    natural[key] = width
        labels = [*VERDICT_STYLES, *(m.shown for m in MEANINGS.values() if m.shown)]
        natural["verdict"] = max(natural["verdict"], *(cell_len(label) for label in labels))
        natural["age"] = max(natural["age"], AGE_WIDTH, age_width)
        whole_name = natural["run"]
        natural["run"] = min(whole_name, NAME_MAX)  # while the columns are chosen: a long name pushes none out
        # The vertical scrollbar's room is always kept, so a row more never pushes a column out.
        available = self.size.width - self.styles.scrollbar_size_vertical if self.size.width else 10_000
        fitted = fit_columns(
            natural,
            [key for key, _ in COLUMNS],
            PRIORITY,
            available,
            gap=2 * self.cell_padding,
            essential=ESSENTIAL,
            elastic="run",
            elastic_min=NAME_MIN,
            tail="flags",
            tail_min=cell_len(LABELS["flags"]),  # what room is left, from a header's width: cut flags end in '…'
            in_order=True,
        )
        fitted = _grown_name(fitted, whole_name, available, 2 * self.cell_padding)
        return self._with_arrow(fitted, available, 2 * self.cell_padding)

    def _with_arrow(self, fitted: Fitted, available: int, gap: int) -> Fitted:
        """Room for the sorted column's ▲ or ▼, from the room left, else from the flags (down to their header's
        width: they take whatever room is left, and end in '…' when cut), else from the run's name: the columns
        shown do not change with the sort (sorting by ``since`` at 80 columns pushed ``since`` itself out), and a
        name that fits is not cut for an arrow while the flags have room to give."""
        widths = dict(fitted.widths)
        key = self.sort_column
        if key not in widths:
            return fitted
        more = cell_len(self._label(key).plain) - widths[key]
        if more <= 0:
            return fitted
        spare = available - sum(width + gap for width in widths.values())
        needed = max(more - max(spare, 0), 0)
        flags_give = widths["flags"] - cell_len(LABELS["flags"]) if "flags" in widths and key != "flags" else 0
        from_flags = min(needed, max(flags_give, 0))
        from_name = needed - from_flags
        if from_name and ("run" not in widths or key == "run" or widths["run"] - from_name < ARROW_NAME_MIN):
            return fitted  # no room at all (a pane a few cells wide): the status line names the sort
        widths[key] += more
        if from_flags:
            widths["flags"] -= from_flags
        if from_name:
            widths["run"] -= from_name
        return Fitted(fitted.keys, tuple((k, widths[k]) for k in fitted.keys))

    @staticmethod
    def _name_cuts(rows: list[RunRow], cells: dict[str, dict[str, Text]], layout: Fitted) -> dict[str, Cut]:
        """Where each run's name too long for its column is cut, no two alike (``distinct_cuts``)."""
        if "run" not in layout.keys:
            return {}
        width = layout.width("run")
        keeps = {row.name: len(TROUBLE) if row.marker else 0 for row in rows}
        names = {
            cells[name]["run"].plain[: len(cells[name]["run"]) - keep]: width - keep for name, keep in keeps.items()
        }
        return distinct_cuts(names)

    @staticmethod
    def _fitted(
        key: str, cell: Text, layout: Fitted, trouble: bool = False, cuts: dict[str, Cut] | None = None
    ) -> Text:
        """The cell as shown: only names (the run's, the flags') are ever shortened, with '…' (a run's in its middle,
        where ``cuts`` says); the ``TROUBLE`` marker of a run in ``trouble`` stays after its shortened name."""
        width = layout.width(key)
        if key not in ("run", "flags") or cell.cell_len <= width:
            return cell
        if key == "flags":  # a list: its first names are the ones to keep
            cell = cell.copy()
            cell.truncate(width, overflow="ellipsis")
            return cell
        keep = len(TROUBLE) if trouble else 0
        name = cell[: len(cell) - keep]
        name = shortened(name, width - keep, (cuts or {}).get(name.plain))  # cut where the runs differ
        return name + cell[len(cell) - keep :] if keep else name

    def on_resize(self, _event: events.Resize) -> None:
        rows, now = self._shown
        self._stale = True  # lay out again for the new width
        self.show(rows, now)

    def refresh_ages(self, now: float) -> None:
        """Update the age cells whose text changed (most change once a minute or less)."""
        if "age" not in self.shown_columns:
            return
        for name in self._order:
            row = self._rows.get(name)
            if row is None:
                continue
            cell = self._age(row, now)
            if self._ages.get(name) != cell.plain:
                self._ages[name] = cell.plain
                if cell.cell_len > self.columns[ColumnKey("age")].width:  # a run a thousand days old: lay out again
                    self._stale = True
                    self.show(*self._shown)
                    return
                self.update_cell(name, "age", cell)

    def _age(self, row: RunRow, now: float) -> Text:
        if row.gone:
            return Text("gone", style="dim")
        return Text(
            age(now - row.last_write if row.last_write else None), style="yellow" if "stalled" in row.flags else ""
        )

    def _cells(self, row: RunRow) -> dict[str, Text]:
        """Every cell but the age (which changes with the clock, in ``refresh_ages``)."""
        extra = list(row.flags)
        if row.trouble and not row.unreadable:
            extra.append("damaged")
        if row.gone:  # as check lists it; the age column says it too, but is the first a narrow pane drops
            extra.append("gone")
        if row.unreadable:
            extra.append("unreadable")
        return {
            "mark": Text("●" if row.name in self.marked else " ", style="bold cyan"),
            "run": name_text(row.name, style="bold" if row.verdict in BELL else "")
            + Text(TROUBLE if row.marker else "", style="bold yellow"),
            "verdict": verdict_text(row.verdict),
            "trend": Text(row.trend, style={"↑": "red", "↓": "green"}.get(row.trend, "")),
            "val": Text(number(row.val), justify="right"),
            "best": Text(best_at(row.best_val, row.best_step)),
            "since": Text("–" if row.since is None else str(row.since), justify="right"),
            "train": Text(number(row.train), justify="right"),
            "step": Text(steps(row.step), justify="right"),
            "flags": Text(",".join(flag_names(extra)), style="dim"),
        }

    def on_key(self, event) -> None:
        if event.key in ("up", "down", "pageup", "pagedown", "home", "end"):
            self.follow_attention = False

    def on_click(self, event) -> None:
        if self.show_header and event.y < self.header_height:
            return  # a header: it sorts (``s`` does too), the selection still follows the run most in need
        self.follow_attention = False

    def cycle_sort(self, column: str | None = None) -> None:
        """Sort by ``column`` (again: reverse); without one (the ``s`` key): reverse the current
        column if it is sorted ascending, else sort by the next column, ascending.

        The ``s`` key moves only through the columns on screen, so the header always shows the order
        (▲ ▼). The order the table starts in (attention first) was not chosen: the first ``s`` moves on.
        """
        if column is None:
            on_screen = self.sort_column in self.shown_columns or not self.shown_columns
            if on_screen and not self.sort_reverse and self.sort_chosen:
                self.sort_reverse = True
            else:
                self.sort_column = self._next_sortable()
                self.sort_reverse = False
        elif column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column = column
            self.sort_reverse = False
        self.sort_chosen = True
        self._stale = True  # a rebuild in the new order, with the new header

    def _next_sortable(self) -> str:
        """The sortable column after the current one that the pane shows (any, before the first layout)."""
        start = SORTABLE.index(self.sort_column)
        following = [SORTABLE[(start + step) % len(SORTABLE)] for step in range(1, len(SORTABLE) + 1)]
        return next((key for key in following if key in self.shown_columns), following[0])

    @property
    def hidden_sort(self) -> str | None:
        """'sorted by age ▼' when the sorted column is not on screen (the pane narrowed after the sort), else None."""
        if not self.shown_columns or self.sort_column in self.shown_columns:
            return None
        return f"sorted by {LABELS[self.sort_column]} {DESCENDING if self.sort_reverse else ASCENDING}"
