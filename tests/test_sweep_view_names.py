"""The sweep view's run column: long names cut where the runs differ, no number cut so it reads as another; in a
narrow pane whole columns go, no number is cut at its edge."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sweep_fixtures import lr_sweep, write_run
from test_sweep_view import _app, _open

from tui.live.demo import DemoJobs

LONG = "an-extremely-long-experiment-name-for-testing"
RATES = [10 ** (-5 + k * 0.4) for k in range(12)]
"""Rates as ``repr`` writes them (a sweep's script naming its runs with an f-string): 0.00039810717055349735."""
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def _distinguishing(rate: str, others: list[str]) -> str:
    """The fewest first characters of ``rate`` no other rate starts with (all of it if it begins another)."""
    return next((rate[:k] for k in range(1, len(rate)) if not any(o.startswith(rate[:k]) for o in others)), rate)


def _cut_inside_numbers(shown: str, name: str, rate: str) -> list[str]:
    """Where the pieces of ``shown`` (joined by '…') start inside a number of ``name``, or end inside one other than
    the run's own rate (whose first digits, the ones telling it apart, may end a piece)."""
    spans = [match.span() for match in NUMBER.finditer(name)]
    rate_at = name.index(f"lr={rate}") + 3
    found, at = [], 0
    for piece in shown.split("…"):
        start = name.index(piece, at)
        at = end = start + len(piece)
        found += [f"{piece!r} starts in {name[a:b]}" for a, b in spans if piece and a < start < b]
        found += [f"{piece!r} ends in {name[a:b]}" for a, b in spans if piece and a < end < b and a != rate_at]
    return found


@pytest.mark.parametrize("width", [80, 60])
async def test_long_run_names_show_the_swept_value_that_tells_them_apart_and_cut_no_number(tmp_path: Path, width):
    """A reviewer's find: at 80 columns rows read '…,wd=1.23456789e-05' (the end every run shares) and
    '…39810717055349735,w…' (a rate cut at its start, reading as another number); at 60, '…3456789e-05'."""
    rates = [repr(rate) for rate in RATES]
    for rate, values in zip(rates, [*lr_sweep(1, nan_runs=0).values()] * 2, strict=True):
        write_run(tmp_path / LONG / f"lr={rate},wd=1.23456789e-05", values * 5000, steps_per_epoch=1000)
    app = _app(tmp_path)
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, f"{LONG}/lr={rates[0]},wd=1.23456789e-05")
        table = screen.query_one("#sweep-runs")
        shown = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
    assert len(shown) == len(rates) and sum("…" in text for text in shown) >= len(rates) // 2, shown
    for rate in rates:
        name = f"lr={rate},wd=1.23456789e-05"
        digits = _distinguishing(rate, [other for other in rates if other != rate])
        text = next((text for text in shown if re.search(rf"(^lr=|^…|…lr=){re.escape(digits)}", text)), None)
        assert text is not None, (rate, digits, shown)
        assert not _cut_inside_numbers(text, name, rate), (text, _cut_inside_numbers(text, name, rate))


@pytest.mark.parametrize(("width", "columns"), [(80, 7), (45, 4), (30, 3)])
async def test_a_narrow_pane_leaves_whole_columns_out_instead_of_cutting_their_numbers(tmp_path: Path, width, columns):
    """A hostile tester's find: at 45 columns the sweep's table ran past the pane's edge, '1.7' for 1.752 under
    'best @ 6,0', and at 30 columns 'lr' showed '0.' for 0.003. Whole columns go now, as in the runs table."""
    DemoJobs(str(tmp_path)).run_to_end()
    app = _app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, "lr-sweep/lr=0.3")
        await pilot.resize_terminal(width, 30)
        await pilot.pause(0.3)
        table = screen.query_one("#sweep-runs")
        assert len(table.columns) == columns
        assert table.virtual_size.width <= table.scrollable_content_region.width, "a column runs past the edge"
        headers = [str(column.label) for column in table.ordered_columns]
        assert headers[:3] == ["#", "run", "advice"]
        if columns > 3:  # the column the rows are ranked by stays while it fits, else the best now
            assert "best @ 6,000" in headers if width >= 80 else "best now" in headers
