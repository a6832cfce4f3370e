"""The sweep view: a sweep's runs ranked at equal progress, their hyper-parameters, the runs to stop.

One table (rank, run, the swept hyper-parameters, best validation loss at the common point and
now, the behind-peers advice with the epochs and GPU hours stopping it would save), the runs'
validation curves overlaid, and the best validation loss against the swept value (log x when the
values span decades). ``n`` goes to the next sweep; escape, q or w goes back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual_plotext import PlotextPlot

from tui.app.chart import PALETTE
from tui.app.format import number
from tui.app.sweep_data import SweepRow, SweepView, sweep_names, sweep_view
from tui.live.group import MonitorGroup
from tui.live.monitor import Monitor
from tui.text import printable

BEHIND_COLOR = (110, 110, 110)
LEGEND_RUNS = 4
"""The best few runs get a legend entry; more would cover the curves."""


class _Plot(PlotextPlot):
    """A plot rebuilt only when its data key, size or theme changes."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.key: tuple | None = None
        self.painter: Callable[[Any], None] | None = None
        self._drawn: tuple | None = None
        self._text = None

    def render(self):
        key = (self.key, self.size.width, self.size.height, self.app.theme)
        if key != self._drawn or self._text is None:
            self.plt.clear_data()
            self.plt.clear_figure()
            if self.painter is not None:
                self.painter(self.plt)
            self._text = super().render()
            self._drawn = key
        return self._text


def saving_text(row: SweepRow) -> str:
    """'120 ep · 3.4 h' (what stopping it now saves), or why that is unknown."""
    saving = row.saving
    if saving is None:
        return ""
    if saving.epochs is None:
        return "–"
    parts = [f"{saving.epochs:,.0f} ep"]
    if saving.hours is not None and math.isfinite(saving.hours):
        parts.append(f"{saving.hours:,.2f} h" if saving.hours < 10 else f"{saving.hours:,.0f} h")
    return " · ".join(parts)


def _value(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return "–" if value is None else str(value)
    if isinstance(value, float):
        return f"{value:.3g}"
    return printable(str(value), 24)


class SweepScreen(Screen[None]):
    """One sweep at a time; ``n`` for the next one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,w", "app.pop_screen", "back"),
        Binding("n", "next_sweep", "next sweep"),
    ]
    DEFAULT_CSS = """
    SweepScreen #sweep-title { height: auto; padding: 0 1; }
    SweepScreen #sweep-runs { height: auto; max-height: 45%; }
    SweepScreen #sweep-plots { height: 1fr; min-height: 6; }
    SweepScreen #sweep-curves { width: 1fr; }
    SweepScreen #sweep-against { width: 1fr; }
    SweepScreen #sweep-note { height: auto; padding: 0 1; }
    """

    def __init__(self, monitor: Monitor | MonitorGroup, name: str, run: str | None = None) -> None:
        super().__init__()
        self.monitor = monitor
        self.sweep = name
        self._start_on = run
        """The run selected when the view opened: the cursor starts on it."""
        self._shown: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="sweep-title")
        yield DataTable(id="sweep-runs", cursor_type="row", zebra_stripes=True)
        yield Static(id="sweep-note")
        with Horizontal(id="sweep-plots"):
            yield _Plot(id="sweep-curves")
            yield _Plot(id="sweep-against")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh_view)
        self.refresh_view()
        self.query_one("#sweep-runs", DataTable).focus()

    def action_next_sweep(self) -> None:
        names = sweep_names(self.monitor)
        if names:
            self.sweep = names[(names.index(self.sweep) + 1) % len(names)] if self.sweep in names else names[0]
            self._shown = None
            self.refresh_view()

    def refresh_view(self) -> None:
        view = sweep_view(self.monitor, self.sweep)
        if view is None:
            self.query_one("#sweep-title", Static).update(Text(f"{printable(self.sweep, 60)}: no longer a sweep"))
            return
        if view.key == self._shown:
            return
        self._shown = view.key
        self._title(view)
        self._table(view)
        self._plots(view)

    def _title(self, view: SweepView) -> None:
        behind = [row for row in view.rows if row.behind]
        epochs = sum(row.saving.epochs for row in behind if row.saving and row.saving.epochs is not None)
        hours = sum(row.saving.hours for row in behind if row.saving and row.saving.hours is not None)
        common = f"ranked at {view.axis_label} {view.common:,.0f}" if view.common is not None else "no points yet"
        text = Text(f"sweep {printable(view.name, 40)}", style="bold")
        text.append(f" · {len(view.rows)} runs · {common}")
        if behind:
            text.append(f" · {len(behind)} to stop", style="yellow")
            if epochs:
                text.append(f" (saves {epochs:,.0f} ep, {hours:,.1f} GPU h)", style="yellow")
        self.query_one("#sweep-title", Static).update(text)

    def _table(self, view: SweepView) -> None:
        table = self.query_one("#sweep-runs", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_column("#", key="rank")
        table.add_column("run", key="run")
        for key in view.swept:
            table.add_column(printable(key, 20), key=f"param:{key}")
        table.add_column(f"best @ {view.common:,.0f}" if view.common is not None else "best @", key="best_at")
        table.add_column("best now", key="best")
        table.add_column("advice", key="advice")
        table.add_column("stopping saves", key="saves")
        for rank, row in enumerate(view.rows, start=1):
            advice = Text("diverged", style="bold red") if row.diverged else Text("")
            if row.behind and not row.diverged:
                advice = Text("behind-peers", style="yellow")
            cells = [Text(str(rank), justify="right"), Text(printable(row.label, 40))]
            cells += [Text(_value(row.params.get(key)), justify="right") for key in view.swept]
            cells += [
                Text(number(row.best_at), justify="right"),
                Text(number(row.best), justify="right"),
                advice,
                Text(saving_text(row), justify="right"),
            ]
            table.add_row(*cells, key=row.run)
        runs = [row.run for row in view.rows]
        if self._start_on in runs:
            keep, self._start_on = runs.index(self._start_on), None
        if view.rows:
            table.move_cursor(row=min(max(keep, 0), len(view.rows) - 1), animate=False)
        note = self.query_one("#sweep-note", Static)
        selected = view.rows[table.cursor_row] if view.rows and 0 <= table.cursor_row < len(view.rows) else None
        note.update(self._note(selected))

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
            saving = f" · {row.saving.until}" if row.saving else ""
            return Text(f"{printable(row.label, 30)}: {printable(row.behind)}{printable(saving)}", style="yellow")
        return Text(f"{printable(row.label, 30)}: in the race", style="dim")

    def _plots(self, view: SweepView) -> None:
        curves_plot = self.query_one("#sweep-curves", _Plot)
        against_plot = self.query_one("#sweep-against", _Plot)

        def paint_curves(plt) -> None:
            clipped = f" (clipped at {number(view.ceiling)})" if view.ceiling is not None else ""
            plt.title(f"val loss{clipped}")
            plt.xlabel(view.axis_label)
            for i, curve in enumerate(view.curves):
                if not len(curve.x):
                    continue
                color = BEHIND_COLOR if curve.behind else PALETTE[i % len(PALETTE)]
                label = printable(curve.label, 24) if i < LEGEND_RUNS and not curve.behind else None
                plt.plot(curve.x.tolist(), curve.y.tolist(), color=color, label=label, marker="hd")

        def paint_against(plt) -> None:
            against = view.against()
            if against is None:
                plt.title("no numeric swept value to plot against")
                return
            key, x, y, log_x = against
            plt.title(f"best val vs {printable(key, 20)}" + (" (log x)" if log_x else ""))
            plt.xlabel(printable(key, 20))
            plt.plot(x.tolist(), y.tolist(), color=PALETTE[1], marker="hd")
            plt.scatter(x.tolist(), y.tolist(), color=PALETTE[0], marker="●")
            if log_x:
                plt.xscale("log")

        for plot, painter in ((curves_plot, paint_curves), (against_plot, paint_against)):
            plot.painter = painter
            if plot.key != view.key:
                plot.key = view.key
                plot.refresh()
