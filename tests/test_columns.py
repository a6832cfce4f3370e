"""Fitting columns to a width: whole columns go, least important first; only names shorten."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from tui.columns import Column, fit_columns, fitted_table

NATURAL = {"name": 30, "verdict": 12, "val": 9, "step": 6, "train": 9, "flags": 25}
ORDER = ["name", "verdict", "val", "train", "step", "flags"]
PRIORITY = ["name", "verdict", "val", "step", "train", "flags"]


def fit(width: int):
    return fit_columns(NATURAL, ORDER, PRIORITY, width, gap=2, essential=4, elastic="name", elastic_min=8, tail="flags")


def test_everything_fits_when_there_is_room():
    layout = fit(200)
    assert layout.keys == tuple(ORDER) and dict(layout.widths) == NATURAL


def test_narrow_drops_whole_columns_by_priority_and_keeps_numbers_whole():
    layout = fit(90)
    assert layout.keys == ("name", "verdict", "val", "train", "step", "flags")
    assert all(layout.width(k) == NATURAL[k] for k in ("name", "verdict", "val", "train", "step"))
    assert layout.width("flags") == 90 - 76 - 2  # the tail takes what is left
    layout = fit(60)
    assert layout.keys == ("name", "verdict", "val", "step")
    assert all(layout.width(k) == NATURAL[k] for k in ("verdict", "val", "step"))
    assert sum(w + 2 for _, w in layout.widths) <= 60


def test_the_name_shrinks_only_to_make_room_for_the_essential_columns():
    layout = fit(50)
    assert layout.keys == ("name", "verdict", "val", "step")
    assert layout.width("name") == 50 - (12 + 9 + 6 + 8)
    tiny = fit(20)  # not even the essentials fit: whole columns go, the name keeps its minimum
    assert tiny.width("name") >= 8 and sum(w + 2 for _, w in tiny.widths) <= 20
    assert all(tiny.width(k) == NATURAL[k] for k in tiny.keys if k != "name")


def test_a_fitted_rich_table_never_wraps_or_cuts_a_number():
    columns = [Column("name", "run"), Column("val", "val", "right"), Column("best", "best @ step", "right")]
    rows = [{"name": Text("x" * 40), "val": Text("12,345.67"), "best": Text("0.5425 @ 12,000")}]
    for width in (80, 40, 30):
        console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
        console.print(fitted_table(columns, rows, width, ["name", "val", "best"], essential=3, elastic="name"))
        lines = console.export_text().splitlines()
        assert len(lines) == 2 and all(len(line) <= width for line in lines)
        assert "12,345.67" in lines[1]
        assert "0.5425 @ 12,000" in lines[1] or "0.5425" not in lines[1]  # whole, or left out
        assert lines[1].startswith("x" * 40) or "…" in lines[1]
        if width >= 40:
            assert "0.5425 @ 12,000" in lines[1]


def test_a_skippable_column_too_wide_does_not_end_an_ordered_choice():
    """check's flags (gap,noisy-val,spike,damaged) too wide at 80 columns took step, since and train with them."""
    natural = {"run": 10, "val": 6, "flags": 40, "step": 5, "since": 5}
    order = ["run", "val", "flags", "step", "since"]
    kept = fit_columns(natural, order, order, 50, gap=1, in_order=True, skippable=("flags",))
    assert kept.keys == ("run", "val", "step", "since")
    ended = fit_columns(natural, order, order, 50, gap=1, in_order=True)
    assert ended.keys == ("run", "val")


def test_a_width_below_the_names_floor_shortens_the_name_to_it_with_a_mark():
    """``check`` at ten columns cut names at the edge without a '…' (the names' floor, 24, was wider)."""
    columns = [Column("name", "run"), Column("val", "val")]
    rows = [
        {"name": Text("keras/k-healthy"), "val": Text("0.1566")},
        {"name": Text("torch/overfit-7"), "val": Text("1")},
    ]
    console = Console(width=10, record=True)
    console.print(fitted_table(columns, rows, 10, ["name", "val"], essential=2, elastic="name", elastic_min=24))
    lines = console.export_text().splitlines()
    assert all(len(line.rstrip()) <= 10 for line in lines)
    assert [line.strip() for line in lines[1:]] == ["keras…lthy", "torch…it-7"]
