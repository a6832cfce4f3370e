"""Run names in the chart: the title and the compare legend cut them as the runs table does (start, '…', end), and
wide characters (CJK, emoji) take two cells without bending the plot's frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import scalar_run, until
from rich.cells import cell_len
from test_screen import is_cut_of, screen_lines

from tui.app.app import LossWatchApp
from tui.app.chart import ChartSpec, Curve, Marker, legend_labels, title_text
from tui.live.monitor import Monitor

SWEEP = [
    "a-very-long-ascii-run-name-for-testing-the-chart,lr=0.001",
    "a-very-long-ascii-run-name-for-testing-the-chart,lr=0.0001",
]
WIDE = "实验-données-🚀-x,lr=0.001"


def test_the_title_keeps_a_long_names_end_and_fits_wide_characters_in_cells():
    """The title cut names at their end (a sweep's runs read alike) and counted a wide character as one cell."""
    markers = [Marker(1, "green", "best val", "best")]
    for heading in (*SWEEP, WIDE * 3):
        spec = ChartSpec(key=(), heading=heading, curves=[Curve("val", np.arange(3.0), np.arange(3.0), (0, 0, 0))])
        for width in (100, 40, 25, 12):
            for spec_ in (spec, ChartSpec(**{**spec.__dict__, "markers": markers})):
                text = title_text(spec_, width)
                assert text.cell_len <= width, (heading, width, text.plain)
                name = text.plain.split(" · ")[0]
                assert is_cut_of(name, heading) and name.endswith(heading[-3:]), (width, text.plain)


def test_legend_names_are_cut_where_they_differ_and_measured_in_cells():
    labels = legend_labels([*SWEEP, WIDE * 3])
    shown = [label.replace("\u2060", "") for label in labels]
    assert shown[0].endswith("lr=0.001") and shown[1].endswith("lr=0.0001") and shown[0] != shown[1]
    assert all(cell_len(label) <= 40 for label in shown)
    assert all(is_cut_of(label, name) for label, name in zip(shown, [*SWEEP, WIDE * 3], strict=True))
    assert len(labels[2]) == cell_len(shown[2])  # a character per cell, as plotext counts them


def test_legend_names_with_combining_marks_take_a_cell_per_character():
    """A hostile tester's find: a run named with three combining accents on one letter ended its legend row three
    cells short, the frame out of line (plotext gives every character a cell). Composed where they compose, the
    rest written out."""
    names = ["combining-e\u0301\u0301\u0301-run", "cafe\u0301-lr=0.1"]
    labels = legend_labels(names)
    assert labels[1] == "café-lr=0.1"
    assert labels[0].startswith("combining-é") and "\\u0301" in labels[0]
    assert all(len(label) == cell_len(label) for label in labels)


def cells(line: str) -> list[str]:
    """A row as the terminal lays it out: a wide character takes two cells (the second one blank here)."""
    out = []
    for char in line:
        out += [char, ""] if cell_len(char) > 1 else [char]
    return out


def frame_is_straight(lines: list[str]) -> bool:
    """The first plot's right border is in the same cell on every row from its ┐ to its ┘."""
    top = next(i for i, line in enumerate(lines) if "┐" in line)
    bottom = next(i for i, line in enumerate(lines) if "┘" in line)
    edge = cells(lines[top]).index("┐")
    return all(len(row := cells(line)) > edge and row[edge] in "│┤┘" for line in lines[top + 1 : bottom + 1])


async def test_a_sweeps_legend_of_wide_names_keeps_the_frame_straight(tmp_path):
    from sweep_fixtures import lr_sweep, write_run

    from tui.app.sweep_view import SweepScreen

    for name, values in lr_sweep(1).items():
        write_run(tmp_path / "sweep" / f"实验🚀,{name}", values)
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 8, "the runs")
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, SweepScreen), "the sweep")
        await pilot.pause(0.3)
        lines = screen_lines(app)
        assert any("▞▞ 实验🚀,lr=" in line for line in lines), lines
        assert frame_is_straight(lines), lines


async def test_a_compare_legend_of_wide_names_keeps_the_frame_straight(tmp_path):
    """A legend line with CJK and an emoji ran two cells past the frame: the border bent, the next row wrapped."""
    names = [*SWEEP, WIDE]
    for i, name in enumerate(names):
        values = [1.0 / (step + 1 + i) for step in range(30)]
        scalar_run(tmp_path / name, {"loss": values, "val_loss": [v + 0.1 for v in values]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 3, "the runs")
        for _ in names:
            await pilot.press("space", "down")
        await pilot.press("c")
        await until(pilot, lambda: app.view.mode == "compare", "compare")
        await pilot.pause(0.3)
        lines = screen_lines(app)
        assert frame_is_straight(lines), lines
        top = next(i for i, line in enumerate(lines) if "┐" in line)
        legend = "\n".join(lines[top : top + 4])
        assert "lr=0.0001" in legend and "lr=0.001 " in legend and WIDE in legend


async def test_names_that_differ_show_apart_in_the_table_the_chart_title_and_the_legend(tmp_path: Path):
    """A folder holding an escape character and one named ``a\\x1b`` in letters, ``trail`` and ``trail ``, were
    two identical rows each (and one chart title)."""
    names = ["a\x1b", "a\\x1b", "trail", "trail "]
    for name in names:
        scalar_run(tmp_path / name, {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        shown = {name: app.table.get_cell(name, "run").plain.rstrip() for name in names}
        assert shown == {"a\x1b": "a\\x1b", "a\\x1b": "a\\\\x1b", "trail": "trail", "trail ": "trail\\x20"}
        titles = set()
        for name in names:
            app.table.move_cursor(row=app.table.get_row_index(name))
            await until(pilot, lambda name=name: app.selected == name, f"{name!r} selected")
            await pilot.pause(0.2)
            titles.add(str(app.chart_title.render()))
        assert len(titles) == len(names), titles
    assert len(set(legend_labels(names))) == len(names)
