"""The chart panel: plotext curves of the selected run, drawn only when something changed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from rich.text import Text
from textual_plotext import PlotextPlot

from tui.app.downsample import minmax_downsample
from tui.text import printable

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
    """A vertical line at ``x`` (best validation step, overfitting onset)."""

    x: float
    color: str


@dataclass(frozen=True)
class ChartSpec:
    """Everything the chart shows, and a key that changes when any of it does."""

    key: tuple
    title: str = ""
    xlabel: str = "step"
    curves: list[Curve] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    log_y: bool = False
    empty_message: str = "no data"


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
        self._cached = super().render()
        self._cache_key = key
        self.draws += 1
        return self._cached

    def _draw(self, spec: ChartSpec | None) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        columns = max(self.size.width - 12, 10)
        if spec is None or not any(len(c.x) for c in spec.curves):
            plt.title(printable(spec.empty_message if spec else "select a run"))
            return
        plt.title(printable(spec.title, 120))
        plt.xlabel(spec.xlabel)
        for curve in spec.curves:
            x, y = curve.x, curve.y
            if spec.log_y:
                positive = y > 0
                x, y = x[positive], y[positive]
            x, y = minmax_downsample(x, y, columns)
            if x.size:
                plt.plot(
                    x.tolist(), y.tolist(), label=printable(curve.label, 40) or None, color=curve.color, marker="hd"
                )
        for marker in spec.markers:
            plt.vline(marker.x, marker.color)
        if spec.log_y:
            plt.yscale("log")
