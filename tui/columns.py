"""Fit a table's columns to a width without ever cutting a value.

Every table losswatch prints (the live runs table, `check`, the layer table)
has numbers that must be shown whole. When the width is short, whole columns
are dropped, least important first; only one *elastic* column (a name) may be
narrowed, and its cells then end in '…'.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from tui.cuts import Cut, cut_text, distinct_cuts, middle_cut


@dataclass(frozen=True)
class Fitted:
    """The columns to show (in display order) and the width of each one's content."""

    keys: tuple[str, ...]
    widths: tuple[tuple[str, int], ...]

    def width(self, key: str) -> int:
        return dict(self.widths)[key]


def fit_columns(
    natural: Mapping[str, int],
    order: Sequence[str],
    priority: Sequence[str],
    available: int,
    gap: int,
    essential: int = 1,
    elastic: str | None = None,
    elastic_min: int = 8,
    tail: str | None = None,
    tail_min: int = 10,
    in_order: bool = False,
    skippable: Collection[str] = (),
) -> Fitted:
    """Choose columns for ``available`` cells.

    ``natural`` is each column's content width (its widest cell or header); ``gap`` the cells a
    column adds around its content (padding, separator). Columns are taken in ``priority`` order
    while they fit (a column that does not fit is skipped, a narrower one after it may still fit).
    To make room for the first ``essential`` columns of ``priority`` the ``elastic`` column shrinks,
    down to ``elastic_min``; a column that does not fit even so is left out, never cut (only the first
    column of ``priority`` is always shown). With ``in_order`` the first column that does not fit ends
    the choice (unless it is one of ``skippable``), so the columns shown are always the first of ``priority`` and
    they go in a fixed order.
    A ``tail`` column (a list of names) that does not fit whole takes the room left, if that is at least
    ``tail_min`` and the first ``essential`` columns are shown (a pane too narrow for a run's verdict showed its
    flags instead).
    """
    widths = dict(natural)
    if elastic is not None and elastic in widths:
        room = available - sum(widths[k] + gap for k in priority[:essential] if k != elastic) - gap
        floor = min(elastic_min, widths[elastic], max(available - gap, 1))  # a pane narrower than the floor: its width
        widths[elastic] = max(min(widths[elastic], room), floor)
    shown: list[str] = []
    used = 0
    for index, key in enumerate(priority):
        need = widths[key] + gap
        if index == 0 or used + need <= available:
            shown.append(key)
            used += need
        elif in_order and key != tail and key not in skippable:
            break
    if elastic is not None and elastic in shown and widths[elastic] < natural[elastic] and used < available:
        grown = min(natural[elastic], widths[elastic] + available - used)
        used += grown - widths[elastic]
        widths[elastic] = grown
    essentials_shown = all(key in shown for key in priority[:essential] if key != tail)
    if (
        tail is not None
        and tail not in shown
        and essentials_shown
        and available - used - gap >= min(tail_min, widths[tail])
    ):
        shown.append(tail)
        widths[tail] = min(widths[tail], available - used - gap)
    keys = tuple(k for k in order if k in shown)
    return Fitted(keys, tuple((k, widths[k]) for k in keys))


@dataclass(frozen=True)
class Column:
    """A column of a Rich table laid out by ``fitted_table``."""

    key: str
    header: str
    justify: str = "left"


def fitted_table(
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Text]],
    width: int,
    priority: Sequence[str],
    essential: int = 1,
    elastic: str | None = None,
    elastic_min: int = 8,
    in_order: bool = False,
    skippable: Collection[str] = (),
    **table_options: object,
) -> Table:
    """A borderless Rich table of ``rows`` in ``width`` cells: no cell wraps or is cut, columns that do not fit
    are left out (least important first; with ``in_order`` those after the first left out too, as ``fit_columns``),
    and only the ``elastic`` column's cells may end in '…'."""
    natural = {c.key: cell_len(c.header) for c in columns}
    for row in rows:
        for key, cell in row.items():
            natural[key] = max(natural[key], cell.cell_len)
    layout = fit_columns(
        natural,
        [c.key for c in columns],
        priority,
        width + 1,  # the last column needs no separator after it
        gap=1,
        essential=essential,
        elastic=elastic,
        elastic_min=elastic_min,
        in_order=in_order,
        skippable=skippable,
    )
    table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), **table_options)  # type: ignore[arg-type]
    by_key = {c.key: c for c in columns}
    for key in layout.keys:
        size = layout.width(key)
        table.add_column(
            by_key[key].header,
            justify=by_key[key].justify,  # type: ignore[arg-type]
            no_wrap=True,
            min_width=size,
            max_width=size,
            overflow="ellipsis" if key == elastic else "crop",
        )
    cuts = {}
    if elastic in layout.keys:
        names = {row[elastic].plain: layout.width(elastic) for row in rows if elastic in row}
        cuts = distinct_cuts(names)  # two runs never shown alike
    for row in rows:
        cells = [row.get(key, Text("")) for key in layout.keys]
        if elastic in layout.keys:
            at = layout.keys.index(elastic)
            cells[at] = shortened(cells[at], layout.width(elastic), cuts.get(cells[at].plain))
        table.add_row(*cells)
    return table


def shortened(cell: Text, width: int, cut: Cut | None = None) -> Text:
    """``cell`` in ``width`` cells: whole if it fits, else its start, '…' and its end (``middle_cut``), or the
    pieces ``cut`` keeps (``distinct_cuts``) when they fit."""
    if cell.cell_len <= width:
        return cell
    if cut is None or cell_len(cut_text(cell.plain, cut)) > width:
        head, tail = middle_cut(cell.plain, width)
        cut = ((0, head), (tail, len(cell.plain)))
    return Text("…", style=cell.style).join(cell[start:end] for start, end in cut)
