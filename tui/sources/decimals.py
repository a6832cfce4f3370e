"""Numbers written with a decimal comma (``0,4521``), as a spreadsheet saves a log in a European locale, with ``;``
or a tab between cells (where a comma separates cells it is never a decimal point).

A log's decimal point is told by its cells: a decimal-point fraction (``0.45``) says ``.``; a decimal-comma number
in a row with no decimal-point one says ``,``, as does one with its thousands grouped by points (``1.234,5``);
``2.000`` (a fraction, or two thousand) says nothing. Whole numbers, ``NA`` and text tell nothing, so a log whose first
rows hold only those is asked again at its next rows, and meanwhile a cell that can only be a decimal-comma number
is read as one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tui.sources.cells import number_cell

_DECIMAL_COMMA = re.compile(r"^ *[+-]?[0-9]+,[0-9]+(?:[eE][+-]?[0-9]+)? *$")
_DECIMAL_POINT = re.compile(r"^ *[+-]?[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)? *$")
_GROUPED = re.compile(r"^ *[+-]?[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)? *$")
"""A decimal-comma number with its thousands grouped by points (``1.234,5``)."""


def decimal_point(cells: Iterable[str]) -> str | None:
    """What a row's cells say of the log's decimal point: ``.``, ``,``, or None (they tell nothing)."""
    comma = False
    for cell in cells:
        if _GROUPED.match(cell):
            if "," in cell:
                return ","
            continue  # 2.000: a fraction, or two thousand
        if _DECIMAL_POINT.match(cell):
            return "."
        comma = comma or _DECIMAL_COMMA.match(cell) is not None
    return "," if comma else None


def comma_number(cell: str, decided: bool) -> float | None:
    """A cell of a log whose numbers may be written with a decimal comma: a decimal-comma number, or with
    ``decided`` (the log's cells said so) one with its thousands grouped by points; else as any cell is read."""
    if _DECIMAL_COMMA.match(cell):
        return float(cell.replace(",", "."))
    if decided and _GROUPED.match(cell):
        return float(cell.replace(".", "").replace(",", "."))
    return number_cell(cell)
