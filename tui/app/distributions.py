"""Weights and activations over time: TensorBoard's distributions, in the terminal.

For the chosen histogram tag: percentile bands over steps (0/7/16/31/50/69/84/93/100,
TensorBoard's bands), the newest histogram against the first one, and a per-layer
table with the same figures that raise the ``weights-static`` and ``dead-units``
flags, so what is shown explains the flag.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option
from textual_plotext import PlotextPlot

from tui.app.axes import nice_ticks, tick_label
from tui.app.paged_options import PagedOptionList
from tui.columns import Column, fitted_table
from tui.judging.layers import PERCENTILES, LayerReport, bucket_counts, finite_edges, not_finite, percentiles
from tui.live.group import MonitorGroup
from tui.live.monitor import Monitor
from tui.store import Store
from tui.text import percent, printable, shown_name

BAND_COLORS = [
    (60, 60, 140),
    (70, 90, 170),
    (90, 120, 200),
    (120, 160, 230),
    (255, 175, 0),
    (120, 160, 230),
    (90, 120, 200),
    (70, 90, 170),
    (60, 60, 140),
]


class _CachedPlot(PlotextPlot):
    """A plot rebuilt only when its data key or size changes."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.key: tuple | None = None
        self._drawn: tuple | None = None
        self._text = None
        self.painter: Callable[[Any, int], None] | None = None
        """Draws on the plotext figure (given it and the width); None: nothing to draw."""

    def render(self):
        key = (self.key, self.size.width, self.size.height, self.app.theme)
        if key != self._drawn or self._text is None:
            self.plt.clear_figure()
            if self.painter is not None:
                self.painter(self.plt, self.size.width)
            self._text = super().render()
            self._drawn = key
        return self._text


LAYER_COLUMNS = [
    Column("layer", "layer"),
    Column("kind", "kind"),
    Column("hists", "hists", "right"),
    Column("std", "std", "right"),
    Column("total", "moved, total", "right"),
    Column("recent", "moved, recent", "right"),
    Column("zero", "at zero", "right"),
    Column("flag", "flag"),
]
LAYER_PRIORITY = ["layer", "flag", "zero", "recent", "total", "kind", "std", "hists"]
"""Narrow panes keep the layer's name whole and the figures behind the flags; counts go first."""


def layer_table(reports: list[LayerReport], chosen: str | None, width: int = 200, bar: float | None = None) -> Table:
    """``bar``: the share at zero that flags dead units, which a share shown beside it is told from."""
    rows = []
    for r in reports:
        flag = Text("")
        if r.static:
            flag = Text("weights-static", style="bold yellow")
        elif r.dead:
            flag = Text("dead-units", style="bold red")
        sparsity = r.kind == "sparsity"
        rows.append(
            {
                "layer": Text(printable(r.tag), style="reverse" if r.tag == chosen else ""),
                "kind": Text(r.kind),
                "hists": Text(str(r.steps)),
                "std": Text("–" if sparsity else f"{r.std:.3g}"),
                "total": Text("–" if sparsity else f"{r.change_total:.3g} σ"),
                "recent": Text("–" if sparsity else f"{r.change_recent:.3g} σ"),
                "zero": Text("–" if r.zero_fraction is None else percent(r.zero_fraction, bar)),
                "flag": flag,
            }
        )
    return fitted_table(
        LAYER_COLUMNS, rows, width, LAYER_PRIORITY, essential=2, elastic="layer", elastic_min=16, header_style="bold"
    )


class LayerTable(Static):
    """The per-layer figures, laid out again when the pane's width changes."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.reports: list[LayerReport] = []
        self.chosen: str | None = None
        self.bar: float | None = None

    def show(self, reports: list[LayerReport], chosen: str | None, bar: float) -> None:
        self.reports, self.chosen, self.bar = reports, chosen, bar
        self._lay_out()

    def on_resize(self) -> None:
        self._lay_out()

    def _lay_out(self) -> None:
        self.update(layer_table(self.reports, self.chosen, self.size.width or self.app.size.width, self.bar))


class DistributionScreen(Screen[None]):
    """Distributions of one run's histogram tags; escape or h goes back (q quits, as everywhere)."""

    AUTO_FOCUS = "*"  # its first widget (the app focuses its runs table, which this screen has not)

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,h", "app.pop_screen", "back")]
    DEFAULT_CSS = """
    DistributionScreen #dist-top { height: 1fr; }
    DistributionScreen #hist-tags { width: 24; }
    DistributionScreen #bands { width: 2fr; }
    DistributionScreen #latest { width: 1fr; }
    DistributionScreen #layers { height: auto; max-height: 40%; }
    DistributionScreen #dist-title { height: 1; padding: 0 1; }
    """

    def __init__(self, store: Store, monitor: Monitor | MonitorGroup, run_name: str) -> None:
        super().__init__()
        self.store = store
        self.monitor = monitor
        self.run_name = run_name
        self.tag: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="dist-title")
        with Horizontal(id="dist-top"):
            yield PagedOptionList(id="hist-tags")
            with Vertical(), Horizontal():
                yield _CachedPlot(id="bands")
                yield _CachedPlot(id="latest")
        yield LayerTable(id="layers")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        run = self.store.runs[self.run_name]
        options = self.query_one("#hist-tags", OptionList)
        for tag in sorted(run.histograms):
            options.add_option(Option(Text(printable(tag, 60)), id=tag))
        self.tag = min(run.histograms) if run.histograms else None
        options.highlighted = 0
        self.set_interval(1.0, self._refresh)
        self._refresh()

    @on(OptionList.OptionHighlighted, "#hist-tags")
    def _chosen(self, event: OptionList.OptionHighlighted) -> None:
        self.tag = event.option.id
        self._refresh()

    def _refresh(self) -> None:
        run = self.store.runs.get(self.run_name)
        if run is None or self.tag not in run.histograms:
            return
        with self.store.lock:
            items = list(run.histograms[self.tag].items)
            verdict = self.monitor.verdict(self.run_name)
            reports = list(verdict.layers) if verdict else []
        beyond = sum(not_finite(h) for h in items)
        self.query_one("#dist-title", Static).update(
            Text(
                f"{shown_name(self.run_name, 50)} · {printable(self.tag, 60)} · {len(items)} histograms"
                + (f" · {beyond} with inf or NaN values, drawn at their finite ends" if beyond else ""),
                style="bold",
            )
        )
        steps = np.array([h.step for h in items], dtype=np.float64)
        bands = np.array([percentiles(h) for h in items]) if items else np.empty((0, len(PERCENTILES)))
        measured = np.isfinite(bands).all(axis=1)  # a histogram of no finite mass has no percentiles to draw
        steps, bands = steps[measured], bands[measured]
        key = (self.tag, len(items), items[-1].step if items else None)

        def paint_bands(plt, _width):
            plt.title("percentiles over steps (0 7 16 31 50 69 84 93 100)")
            plt.xlabel("step")
            ticks = nice_ticks(float(steps[0]), float(steps[-1]), max(3, (_width - 8) // 7), integer=True)
            plt.xticks(ticks, [tick_label(t) for t in ticks])
            for i, _q in enumerate(PERCENTILES):
                plt.plot(steps.tolist(), bands[:, i].tolist(), color=BAND_COLORS[i], marker="hd")

        def paint_latest(plt, _width):
            first, last = items[0], items[-1]
            plt.title(f"step {first.step:,} vs {last.step:,}")
            for h, color, label in (
                (first, (110, 110, 110), f"first ({first.step:,})"),
                (last, (255, 175, 0), f"newest ({last.step:,})"),
            ):
                edges = finite_edges(h)
                centers = (edges[:-1] + edges[1:]) / 2
                counts = bucket_counts(h)
                total = counts.sum() or 1.0
                plt.plot(centers.tolist(), (counts / total).tolist(), color=color, label=label, marker="hd")

        for widget_id, painter, drawn in (("#bands", paint_bands, len(steps)), ("#latest", paint_latest, len(items))):
            plot = self.query_one(widget_id, _CachedPlot)
            plot.painter = painter if drawn else None
            if plot.key != key:
                plot.key = key
                plot.refresh()
        self.query_one("#layers", LayerTable).show(reports, self.tag, self.monitor.thresholds.dead_fraction)
