"""The chart panel: plotext curves of the selected run, drawn only when something changed.

The title is a line of its own above the plot (``ChartTitle``), so it can be
coloured (the legend of the curves and of the vertical lines) and shortened to
fit: the run's name is never dropped, only cut with '…' as a last resort. The
curves' names go in the plot (plotext's legend, over its top left corner,
where a loss curve starts) only when the title has no room for them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np
from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tui.app.axes import canvas_rows, label_log_y_axis, label_y_axis, x_labels, x_ticks
from tui.app.downsample import minmax_downsample
from tui.columns import shortened
from tui.cuts import cut_text, distinct_cuts
from tui.text import printable, shown_name

TRAIN_COLOR, TRAIN_FAINT = (0, 175, 215), (40, 90, 110)
VAL_COLOR, VAL_FAINT = (255, 135, 0), (120, 80, 40)
PALETTE = [
    (255, 135, 0),
    (0, 175, 215),
    (135, 215, 0),
    (215, 95, 215),
    (255, 215, 0),
    (95, 135, 255),
    (255, 95, 95),
    (0, 215, 175),
]


@dataclass(frozen=True)
class Curve:
    """One line to draw; ``x`` must be sorted."""

    label: str
    x: np.ndarray
    y: np.ndarray
    color: tuple[int, int, int]


@dataclass(frozen=True)
class Marker:
    """A vertical line at ``x`` (best validation step, overfitting onset), named in the title's legend."""

    x: float
    color: str
    label: str = ""
    short: str = ""
    """A shorter label for narrow panes."""


@dataclass(frozen=True)
class ChartSpec:
    """Everything the chart shows, and a key that changes when any of it does."""

    key: tuple
    heading: str = ""
    """What is charted: the run's name (or the compare set); kept in the title whatever the width."""
    detail: str = ""
    """Secondary title text (tag, smoothing), dropped first when the pane is narrow."""
    xlabel: str = "step"
    curves: list[Curve] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    log_y: bool = False
    empty_message: str = "no data"
    integer_x: bool = True
    """Ticks at whole numbers (steps); time axes may tick at fractions of their unit."""

    @property
    def title(self) -> str:
        return " · ".join(part for part in (self.heading, self.detail) if part)

    @property
    def empty(self) -> bool:
        return not any(len(c.x) for c in self.curves)

    @property
    def blank(self) -> bool:
        """Curves with points, not one of them finite (a run that diverged from its first point): nothing to draw."""
        return not self.empty and not any(np.isfinite(c.y).any() for c in self.curves)


NOT_FINITE_COLOR = "rgb(175,95,255)"
"""The first NaN's line: violet, told apart from the onset's red (a theme maps ANSI red and magenta alike)."""


def _plotext_color(color: str) -> str | tuple[int, int, int]:
    """A marker's colour as plotext takes it: a name, or ``rgb(r,g,b)`` (the title's Rich style) as a tuple."""
    if color.startswith("rgb(") and color.endswith(")"):
        red, green, blue = (int(part) for part in color[4:-1].split(","))
        return red, green, blue
    return color


SEPARATOR = " · "
NAME_MIN = 8
LEGEND_MARK = "▬ "
TITLE_PADDING = 2
"""Cells the title line pads its text with (``ChartTitle``'s CSS), out of the chart's width above which it sits."""


def _curve_legend(spec: ChartSpec) -> list[tuple[str, str]]:
    """The named curves as the title shows them: a mark in the curve's colour, then its name."""
    named = [curve for curve in spec.curves if curve.label]
    names = legend_labels([curve.label for curve in named], filled=False)
    colors = ["rgb({},{},{})".format(*curve.color) for curve in named]
    return [(LEGEND_MARK + name, color) for name, color in zip(names, colors, strict=True)]


def _title_parts(spec: ChartSpec, width: int) -> list[tuple[str, str]] | None:
    """What follows the name in a title of ``width`` cells with the whole name, the detail going first, then the
    markers' long names, then the curves' legend; None if even the markers' short names leave no room for it."""
    detail = [(printable(spec.detail), "dim")] if spec.detail else []
    long = [("│ " + m.label, m.color) for m in spec.markers if m.label]
    short = [("│ " + (m.short or m.label), m.color) for m in spec.markers if m.label]
    legend = _curve_legend(spec)
    options = (detail + legend + long, legend + long, legend + short) if legend else ()
    for parts in (*options, detail + long, long, short):
        if cell_len(printable(spec.heading)) + sum(cell_len(SEPARATOR) + cell_len(t) for t, _ in parts) <= width:
            return parts
    return None


def legend_in_title(spec: ChartSpec | None, width: int) -> bool:
    """Whether the title above a chart ``width`` cells wide names its curves (then the plot does not)."""
    if spec is None or spec.empty or spec.blank:
        return False
    parts = _title_parts(spec, width - TITLE_PADDING)
    return parts is not None and any(text.startswith(LEGEND_MARK) for text, _ in parts)


def title_text(spec: ChartSpec | None, width: int) -> Text:
    """The chart's title for ``width`` cells: name, legend, detail; the detail goes first, then the
    legend shortens, then the name is cut with '…'; the legend is dropped only if nothing else fits."""
    if spec is None:
        return Text("select a run", style="dim")
    if spec.empty:
        return _cut(Text(printable(spec.empty_message), style="dim"), width)
    if spec.blank:  # the reason first: a long name is cut, not it
        return _cut(Text(f"every value is NaN or infinite: nothing to draw · {printable(spec.heading)}", "dim"), width)
    heading = printable(spec.heading)
    parts = _title_parts(spec, width)
    if parts is not None:
        return _joined(heading, parts)
    short = [("│ " + (m.short or m.label), m.color) for m in spec.markers if m.label]
    room = width - sum(cell_len(SEPARATOR) + cell_len(t) for t, _ in short)
    if room >= min(NAME_MIN, cell_len(heading)):
        return _joined(shortened(Text(heading), room).plain, short)
    return shortened(Text(heading, style="bold"), max(width, 1))  # its start and its end, as in the runs table


def _joined(heading: str, parts: list[tuple[str, str]]) -> Text:
    text = Text(heading, style="bold")
    for part, style in parts:
        text.append(SEPARATOR, style="dim")
        text.append(part, style=style)
    return text


def _cut(text: Text, width: int) -> Text:
    text.truncate(max(width, 1), overflow="ellipsis")
    return text


class ChartTitle(Static):
    """One line above the plot naming what is charted; re-fitted when the pane's width changes."""

    DEFAULT_CSS = """
    ChartTitle { height: 1; width: 1fr; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.spec: ChartSpec | None = None

    def show(self, spec: ChartSpec | None) -> None:
        if spec is not self.spec:
            self.spec = spec
            self.refresh()

    def render(self) -> Text:
        return title_text(self.spec, self.size.width)


LABEL_MAX = 40
"""Cells a legend's name may take: longer ones are cut in their middle, where they differ (a sweep's runs)."""
FILLER = "\u2060"
"""Put after each wide character (CJK, emoji) of a legend's name: plotext gives every character one cell, so the
two cells a wide one takes on screen are two of plotext's too and the frame stays straight; then taken out of what
plotext drew (``unfilled``). A format character: never in a name, which ``printable`` escapes them in."""


def legend_labels(labels: list[str], width: int = LABEL_MAX, filled: bool = True) -> list[str]:
    """The legend's names, escaped and cut to ``width`` cells as the runs table cuts them (``distinct_cuts``: their
    start and their end, or where they differ), each wide character followed by a ``FILLER`` for plotext
    (``filled``)."""
    shown = [_one_cell_each(shown_name(label)) if filled else shown_name(label) for label in labels]
    cuts = distinct_cuts({text: width for text in shown})
    return [_filled(cut) if filled else cut for cut in (cut_text(text, cuts.get(text)) for text in shown)]


def _one_cell_each(text: str) -> str:
    """``text`` composed (``e`` and a combining accent: one ``é``), and each mark left that takes no cell of its own
    written out (``\\u0301``): plotext gives every character a cell, and a row with three such marks ended three
    cells short, its frame out of line."""
    if text.isascii():
        return text
    composed = unicodedata.normalize("NFC", text)
    return "".join(char if cell_len(char) else ascii(char)[1:-1] for char in composed)


def _filled(text: str) -> str:
    return text if text.isascii() else "".join(char + FILLER if cell_len(char) > 1 else char for char in text)


def unfilled(text: Text) -> Text:
    """What plotext drew, without the ``FILLER`` characters (styles kept)."""
    plain = text.plain
    if FILLER not in plain:
        return text
    pieces = text.divide(at for at, char in enumerate(plain) if char == FILLER)
    out = pieces[0]
    for piece in pieces[1:]:
        out.append_text(piece[1:])
    return out


class LossChart(PlotextPlot):
    """Draws a ChartSpec; rebuilds the plot only when the spec's key or the size changed."""

    DEFAULT_CSS = """
    LossChart { height: 1fr; min-height: 6; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._spec: ChartSpec | None = None
        self._cache_key: tuple | None = None
        self._cached: Text | None = None
        self.draws = 0
        """How many times the plot was actually built (tests check that idle means no redraw)."""

    @property
    def spec(self) -> ChartSpec | None:
        """What the chart shows (None before the first)."""
        return self._spec

    def show(self, spec: ChartSpec) -> None:
        if self._spec is not None and spec.key == self._spec.key:
            return
        self._spec = spec
        self.refresh()

    def render(self):
        spec = self._spec
        key = (spec.key if spec else None, self.size.width, self.size.height, self.app.theme)
        if key == self._cache_key and self._cached is not None:
            return self._cached
        self._draw(spec)
        try:
            self._cached = unfilled(super().render())
        except (ArithmeticError, TypeError, ValueError):  # plotext's ticks over a span past the float limit
            self._draw(None)
            self._cached = Text("these values are past what the chart can draw (see the table)", style="dim")
        self._cache_key = key
        self.draws += 1
        return self._cached

    def _draw(self, spec: ChartSpec | None) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        columns = max(self.size.width - 12, 10)
        if spec is None or spec.empty or spec.blank:
            return  # the title line says why
        plt.xlabel(spec.xlabel)
        low = min(float(c.x[0]) for c in spec.curves if len(c.x))
        high = max(float(c.x[-1]) for c in spec.curves if len(c.x))
        ticks = x_ticks(low, high, max(2, columns // 7), spec.integer_x)
        if ticks:
            plt.xticks(ticks, x_labels(ticks, spec.integer_x))
        drawn = 0
        in_title = legend_in_title(spec, self.size.width)
        labels = [""] * len(spec.curves) if in_title else legend_labels([curve.label for curve in spec.curves])
        for curve, label in zip(spec.curves, labels, strict=True):
            x, y = curve.x, curve.y
            if spec.log_y:
                positive = y > 0
                x, y = x[positive], y[positive]
            x, y = minmax_downsample(x, y, columns)
            if x.size:
                drawn += 1
                plt.plot(x.tolist(), y.tolist(), label=label or None, color=curve.color, marker="hd")
        for marker in spec.markers:
            plt.vline(marker.x, _plotext_color(marker.color))
        if spec.log_y and drawn:  # a log axis over nothing positive is plotext's crash, not an empty chart
            plt.yscale("log")
            label_log_y_axis(plt, [curve.y for curve in spec.curves], canvas_rows(self.size.height, xlabel=True))
        elif drawn:
            label_y_axis(plt, [curve.y for curve in spec.curves], canvas_rows(self.size.height, xlabel=True))
