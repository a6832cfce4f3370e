"""The sweep view: a sweep's runs ranked at equal progress, their hyper-parameters, the runs to stop.

One table (rank, run, the swept hyper-parameters, best validation loss at the common point and
now, the behind-peers advice with the epochs and GPU hours stopping it would save), the runs'
validation curves overlaid, and the best validation loss against the swept value (log x when the
values span decades). ``n`` goes to the next sweep; escape or w goes back (q quits, as everywhere).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual_plotext import PlotextPlot

from tui.app.axes import canvas_rows, label_log_x_axis, label_x_axis, label_y_axis
from tui.app.chart import PALETTE, ChartSpec, ChartTitle, Curve, legend_in_title, legend_labels, unfilled
from tui.app.format import number
from tui.app.sweep_data import NOT_SEEN_WRITING, SweepRow, SweepView, sweep_names, sweep_view
from tui.cuts import cut_text, distinct_cuts
from tui.live.group import MonitorGroup
from tui.live.monitor import Monitor
from tui.live.sweeps import Saving
from tui.text import printable, shown_name

BEHIND_COLOR = (110, 110, 110)
LEGEND_RUNS = 4
"""The best few runs get a legend entry; more would cover the curves."""
LEGEND_WIDTH = 24
"""Cells of a run's name in the legend of the curves (a sweep's names are cut where they differ)."""
RUN_MIN = 12
"""Fewest cells of a run's name in the sweep's table; below, the table scrolls sideways rather than cut it more."""
RUN_ROOMY = 24
"""Below this many cells for the run's name, the table leaves out its savings column."""
SCROLLBAR = 2
"""The table's vertical scrollbar, whose room is kept."""
NOTE_NAME = 30
"""Cells of a run's name in the note under the table (the selected run's and the peer its saving runs until)."""


class _Plot(PlotextPlot):
    """A plot rebuilt only when its data key, size or theme changes."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.key: tuple | None = None
        self.painter: Callable[[Any, int, int], None] | None = None
        """Draws on plotext's figure, given the plot's width and height in cells."""
        self._drawn: tuple | None = None
        self._text = None

    def render(self):
        key = (self.key, self.size.width, self.size.height, self.app.theme)
        if key != self._drawn or self._text is None:
            self.plt.clear_data()
            self.plt.clear_figure()
            if self.painter is not None:
                self.painter(self.plt, self.size.width, self.size.height)
            self._text = unfilled(super().render())  # the legend's wide characters: ``legend_labels``
            self._drawn = key
        return self._text


def _shown_hours(hours: float) -> float:
    """Hours as the table shows them: to the hundredth under ten, whole above."""
    return round(hours, 2) if hours < 10 else float(round(hours))


def _hours_figure(hours: float, saved: bool = False) -> str:
    """Hours written as the table writes them (``_shown_hours``), without the unit; ``saved``: some time is saved,
    under a hundredth of an hour ('<0.01', not '0.00', which reads as nothing)."""
    if saved and hours == 0:
        return "<0.01"
    return f"{hours:,.2f}" if hours < 10 else f"{hours:,.0f}"


def saving_text(row: SweepRow) -> str:
    """'120 ep · 3.4 h' (what stopping it now saves), or why that is unknown."""
    saving = row.saving
    if saving is None:
        return ""
    if row.stopped:
        return row.stopped
    if saving.epochs is None:
        return "–"
    parts = [f"{round(saving.epochs):,} ep"]
    if saving.hours is not None and math.isfinite(saving.hours):
        parts.append(f"{_hours_figure(_shown_hours(saving.hours), saving.hours > 0)} h")
    return " · ".join(parts)


def _until(saving: Saving) -> str:
    """The saving's horizon with the peer it names cut to ``NOTE_NAME`` cells: a long name folded over the note's
    lines and split a number in it ('…_lr=0.' / '005 went')."""
    return saving.naming(shown_name(saving.peer, NOTE_NAME))


SWEPT_DIGITS = 4
"""Significant digits of a swept float at least (as ``number`` writes every loss), unless it has fewer."""


def swept_texts(values: list[object]) -> list[str]:
    """One swept key's values, a text each, as the sweep's table writes them: a float to the fewest significant
    digits, ``SWEPT_DIGITS`` at least, that tell every two different values of the key apart, and never more than
    give it back (``add_hparams``' ``0.002511886431509582`` beside ``0.003981071705534973`` reads 0.002512 and
    0.003981; 0.001 stays 0.001, lr=1.001 … 1.004 are not all '1', 1.382e-05 is not '1.38e-05'); integers, booleans
    and text as they are."""
    texts: list[str] = []
    for digits in range(SWEPT_DIGITS, 18):
        texts = [_value(value, digits) for value in values]
        owners: dict[str, set[tuple[str, str]]] = {}
        for text, value in zip(texts, values, strict=True):
            owners.setdefault(text, set()).add(_identity(value))
        if all(len(ids) == 1 or all(kind != "float" for kind, _ in ids) for ids in owners.values()):
            break  # no text two values share, one of them a float (long names cut alike are another matter)
    return texts


def _identity(value: object) -> tuple[str, str]:
    """What tells two values apart (1 from True, 0.1 from 0.1000000001; a NaN is one value)."""
    return type(value).__name__, repr(value)


def _value(value: object, digits: int) -> str:
    """A hyper-parameter as the table writes it, a float to ``digits`` significant digits at most (its whole part
    always: 12345.678 is 12346, not 1.235e+04) and never more than read back as it."""
    if isinstance(value, bool) or value is None:
        return "–" if value is None else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        whole = math.floor(math.log10(abs(value))) + 1 if abs(value) >= 1 else 0
        return f"{value:.{min(max(digits, whole), _written_digits(value))}g}"
    return printable(str(value), 24)


def _written_digits(value: float) -> int:
    """The fewest significant digits that read back as ``value``."""
    return next(d for d in range(1, 18) if float(f"{value:.{d}g}") == value)


def _nothing_to_stop(stopped: str) -> str:
    """What the note says of a run behind its peers that is not being written."""
    return "nothing to stop unless it writes again" if stopped == NOT_SEEN_WRITING else "nothing left to stop"


class SweepScreen(Screen[None]):
    """One sweep at a time; ``n`` for the next one."""

    AUTO_FOCUS = "*"  # its first widget (the app focuses its runs table, which this screen has not)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,w", "app.pop_screen", "back"),
        Binding("n", "next_sweep", "next sweep"),
    ]
    DEFAULT_CSS = """
    SweepScreen #sweep-title { height: auto; padding: 0 1; }
    SweepScreen #sweep-runs { height: auto; max-height: 45%; }
    SweepScreen #sweep-plots { height: 1fr; min-height: 6; }
    SweepScreen #sweep-curves-pane { width: 1fr; }
    SweepScreen #sweep-curves { height: 1fr; }
    SweepScreen #sweep-against { width: 1fr; }
    SweepScreen #sweep-note { height: auto; padding: 0 1; }
    """

    def __init__(self, monitor: Monitor | MonitorGroup, name: str, run: str | None = None) -> None:
        super().__init__()
        self.monitor = monitor
        self.sweep = name
        self._start_on = run
        """The run selected when the view opened: the cursor starts on it."""
        self._shown_runs: list[str] = []
        """The runs in the table's order, as last shown (the cursor's run is found in them)."""
        self._shown: tuple | None = None
        self._laid_width = -1
        """The width the table was last laid out for."""

    def compose(self) -> ComposeResult:
        yield Static(id="sweep-title")
        yield DataTable(id="sweep-runs", cursor_type="row", zebra_stripes=True)
        yield Static(id="sweep-note")
        with Horizontal(id="sweep-plots"):
            with Vertical(id="sweep-curves-pane"):  # its title names the curves (plotext's legend hid their start)
                yield ChartTitle(id="sweep-curves-title")
                yield _Plot(id="sweep-curves")
            yield _Plot(id="sweep-against")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh_view)
        self.refresh_view()
        self.query_one("#sweep-runs", DataTable).focus()

    def action_next_sweep(self) -> None:
        names = sweep_names(self.monitor)
        if len(names) == 1 and self.sweep in names:  # said, not a key that seems to do nothing
            self.notify("n: this is the only sweep", timeout=3)
            return
        if names:
            self.sweep = names[(names.index(self.sweep) + 1) % len(names)] if self.sweep in names else names[0]
            self._shown = None
            self.refresh_view()

    def on_resize(self, event: events.Resize) -> None:
        """Lay the table out again for a new width: its run names are cut to what the width leaves them."""
        if self._content_width() != self._laid_width:
            self._shown = None
            self.call_after_refresh(self.refresh_view)

    def _content_width(self) -> int:
        """The screen's width less its own scrollbar's room, kept for the table whether the scrollbar shows or not:
        in a pane too short for the table, the note and the plots the screen scrolls, and a selected run whose note
        is longer brought the scrollbar and took two columns from a table laid out without it; laid out again, the
        table changed its columns as the cursor moved, and each time a frame showed 'best @ 2' for 'best @ 29'.
        (Kept for the whole screen, as ``scrollbar-gutter: stable`` does, it cost the plots' axes a tick.)"""
        return max(self.size.width - self.styles.scrollbar_size_vertical, 0)

    def refresh_view(self) -> None:
        view = sweep_view(self.monitor, self.sweep)
        if view is None:
            self.query_one("#sweep-title", Static).update(Text(f"{shown_name(self.sweep, 60)}: no longer a sweep"))
            return
        if view.key == self._shown:
            return
        self._shown = view.key
        self._title(view)
        self._table(view)
        self._plots(view)

    def _title(self, view: SweepView) -> None:
        behind = [row for row in view.rows if row.behind and not row.stopped]  # being written: to stop
        ended = sum(bool(row.behind and row.stopped) for row in view.rows)  # behind, but nothing to stop
        # The rows' figures as shown, added up: the total reads as the sum of the rows.
        savings = [row.saving for row in behind if row.saving and row.saving.epochs is not None]
        epochs = sum(round(saving.epochs or 0) for saving in savings)
        timed = [saving.hours for saving in savings if saving.hours is not None and math.isfinite(saving.hours)]
        hours = sum(_shown_hours(each) for each in timed)
        common = f"ranked at {view.axis_label} {view.common:,.0f}" if view.common is not None else "no points yet"
        text = Text(f"sweep {shown_name(view.name, 40)}", style="bold")
        text.append(f" · {len(view.rows):,} runs · {common}")
        if behind:
            text.append(f" · {len(behind)} to stop", style="yellow")
            if epochs:
                saved = _hours_figure(hours, any(each > 0 for each in timed))
                text.append(f" (saves {epochs:,} ep, {saved} GPU h)", style="yellow")
        if ended:
            text.append(f" · {ended} behind, not being written", style="dim")
        self.query_one("#sweep-title", Static).update(text)

    def _table(self, view: SweepView) -> None:
        table = self.query_one("#sweep-runs", DataTable)
        keep = table.cursor_row
        selected_run = self._shown_runs[keep] if 0 <= keep < len(self._shown_runs) else None
        # The advice beside the name: a pane too narrow for every swept value scrolls them, not the advice, away.
        headers = {"rank": "#", "run": "run", "advice": "advice"}
        headers |= {f"param:{key}": printable(key, 20) for key in view.swept}
        headers |= {
            "best_at": f"best @ {view.common:,.0f}" if view.common is not None else "best @",
            "best": "best now",
            "saves": "stopping saves",
        }
        texts = {key: swept_texts([row.params.get(key) for row in view.rows]) for key in view.swept}  # told apart
        rows = []
        for rank, row in enumerate(view.rows, start=1):
            advice = Text("diverged", style="bold red") if row.diverged else Text("")
            if row.behind and not row.diverged:
                advice = Text("behind-peers", style="yellow")
            cells = [Text(str(rank), justify="right"), Text(shown_name(row.label)), advice]
            cells += [Text(texts[key][rank - 1], justify="right") for key in view.swept]
            cells += [
                Text(number(row.best_at), justify="right"),
                Text(number(row.best), justify="right"),
                Text(saving_text(row), justify="right"),
            ]
            rows.append(cells)
        headers, rows, room = self._fitted(table, headers, rows)
        cuts = distinct_cuts({row[1].plain: max(room, RUN_MIN) for row in rows})
        for cells in rows:
            cells[1] = Text(cut_text(cells[1].plain, cuts.get(cells[1].plain)))
        table.clear(columns=True)
        # Each column's width is given, not measured by the table when it next idles: a frame drawn before that
        # (as during a resize, under load) laid every column out at its header's width and kept it.
        for (key, header), width in zip(headers.items(), _widths(headers, rows), strict=True):
            table.add_column(header, key=key, width=width)
        for row_view, cells in zip(view.rows, rows, strict=True):
            table.add_row(*cells, key=row_view.run)
        runs = [row.run for row in view.rows]
        if self._start_on in runs:
            keep, self._start_on = runs.index(self._start_on), None
        elif selected_run in runs:  # the selection stays on its run while the ranking changes
            keep = runs.index(selected_run)
        self._shown_runs = runs
        if view.rows:
            table.move_cursor(row=min(max(keep, 0), len(view.rows) - 1), animate=False)
        note = self.query_one("#sweep-note", Static)
        selected = view.rows[table.cursor_row] if view.rows and 0 <= table.cursor_row < len(view.rows) else None
        note.update(self._note(selected))

    def _fitted(
        self, table: DataTable, headers: dict[str, str], rows: list[list[Text]]
    ) -> tuple[dict[str, str], list[list[Text]], int]:
        """The columns that fit whole, their rows, and the room left for the run's name, which gives way (cut where
        a sweep's names differ) so that no number is cut at the pane's edge. In a narrow pane whole columns go: the
        savings first (the note below the table says them for the selected run), then the best now, the swept values
        (the names say them: ``lr=0.03``), then the best at the common step the rows are ranked by (the best now,
        narrower, in its place if it fits); the rank, the name and the advice stay."""
        pad = 2 * table.cell_padding
        keys = list(headers)
        widths = _widths(headers, rows)
        self._laid_width = self._content_width()
        width = (self._laid_width or 10_000) - pad - SCROLLBAR

        def room(shown: list[bool]) -> int:
            return width - sum(
                w + pad for key, w, keep in zip(keys, widths, shown, strict=True) if keep and key != "run"
            )

        params = [key for key in keys if key.startswith("param:")]
        drops = ["saves", "best", *reversed(params)]
        layouts = [drops[:count] for count in range(len(drops) + 1)]
        layouts += [["saves", *reversed(params), "best_at"], [*drops, "best_at"]]  # else the best now, else neither
        for dropped in layouts:
            shown = [key not in dropped for key in keys]
            need = min(RUN_ROOMY, widths[keys.index("run")]) if not dropped else RUN_MIN
            if room(shown) >= need or dropped is layouts[-1]:
                break
        headers = {key: header for (key, header), keep in zip(headers.items(), shown, strict=True) if keep}
        rows = [[cell for cell, keep in zip(cells, shown, strict=True) if keep] for cells in rows]
        return headers, rows, room(shown)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        view = sweep_view(self.monitor, self.sweep)
        if view is None or event.cursor_row >= len(view.rows):
            return
        self.query_one("#sweep-note", Static).update(self._note(view.rows[event.cursor_row]))

    @staticmethod
    def _note(row: SweepRow | None) -> Text:
        if row is None:
            return Text("")
        if row.behind:
            saving = f" · {_until(row.saving)}" if row.saving and not row.stopped else ""
            saving += f" · {row.stopped}: {_nothing_to_stop(row.stopped)}" if row.stopped else ""
            return Text(
                f"{shown_name(row.label, NOTE_NAME)}: {printable(row.behind)}{printable(saving)}", style="yellow"
            )
        if row.diverged:  # its row says so: "in the race" contradicted it
            return Text(f"{shown_name(row.label, NOTE_NAME)}: diverged, out of the race", style="red")
        return Text(f"{shown_name(row.label, NOTE_NAME)}: in the race", style="dim")

    def _plots(self, view: SweepView) -> None:
        curves_plot = self.query_one("#sweep-curves", _Plot)
        against_plot = self.query_one("#sweep-against", _Plot)

        clipped = f" (clipped at {number(view.ceiling)})" if view.ceiling is not None else ""
        named = [curve.label for i, curve in enumerate(view.curves) if i < LEGEND_RUNS and not curve.behind]
        cut = legend_labels(named, LEGEND_WIDTH, filled=False)  # cut where they differ
        legend = dict(zip(named, cut, strict=True))
        labels: list[str] = []  # each curve's legend entry, or "" (the runs behind their peers share one)
        grey_named = False
        for i, curve in enumerate(view.curves):
            grey = curve.behind and not grey_named and len(curve.x) > 0
            grey_named = grey_named or grey
            named_run = i < LEGEND_RUNS and not curve.behind
            labels.append(legend[curve.label] if named_run else "behind peers" if grey else "")
        colors = [BEHIND_COLOR if curve.behind else PALETTE[i % len(PALETTE)] for i, curve in enumerate(view.curves)]
        spec = ChartSpec(
            key=view.key,
            heading=f"val loss{clipped}",
            curves=[
                Curve(label, curve.x, curve.y, color)
                for curve, label, color in zip(view.curves, labels, colors, strict=True)
                if len(curve.x)
            ],
        )
        self.query_one("#sweep-curves-title", ChartTitle).show(spec)

        def paint_curves(plt, width: int, height: int) -> None:
            plt.xlabel(view.axis_label)
            in_title = legend_in_title(spec, width)
            # plotext's cells (``legend_labels``), where the names go in the plot
            filled = {} if in_title else dict(zip(named, legend_labels(named, LEGEND_WIDTH), strict=True))
            for curve, label, color in zip(view.curves, labels, colors, strict=True):
                if not len(curve.x):
                    continue
                shown = None if in_title or not label else filled.get(curve.label, label)
                plt.plot(curve.x.tolist(), curve.y.tolist(), color=color, label=shown, marker="hd")
            label_y_axis(plt, [curve.y for curve in view.curves], canvas_rows(height, xlabel=True))
            label_x_axis(plt, [curve.x for curve in view.curves], width, integer=True)  # steps or rounds

        def paint_against(plt, width: int, height: int) -> None:
            against = view.against()
            if against is None:
                plt.title(view.why_not_against())
                return
            key, x, y, log_x = against
            left_out = view.left_out(key)
            notes = (["log x"] if log_x else []) + ([f"{left_out} at inf or nan left out"] if left_out else [])
            plt.title(f"best val vs {printable(key, 20)}" + (f" ({', '.join(notes)})" if notes else ""))
            plt.xlabel(printable(key, 20))
            plt.plot(x.tolist(), y.tolist(), color=PALETTE[1], marker="hd")
            plt.scatter(x.tolist(), y.tolist(), color=PALETTE[0], marker="●")
            label_y_axis(plt, [y], canvas_rows(height, title=True, xlabel=True))
            if log_x:
                plt.xscale("log")
                label_log_x_axis(plt, float(min(x)), float(max(x)), width - 8)
            else:
                label_x_axis(plt, [x], width, integer=False)

        for plot, painter in ((curves_plot, paint_curves), (against_plot, paint_against)):
            plot.painter = painter
            if plot.key != view.key:
                plot.key = view.key
                plot.refresh()


def _widths(headers: dict[str, str], rows: list[list[Text]]) -> list[int]:
    """Each column's width: its widest cell, or its header."""
    return [max([cell_len(head)] + [row[k].cell_len for row in rows]) for k, head in enumerate(headers.values())]
