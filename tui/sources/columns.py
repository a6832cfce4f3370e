"""Log objects as columnar points: a batch of ``{name: value}`` objects becomes one NumPy column per name.

JSON-lines logs, a ``trainer_state.json`` history, trackio's rows and W&B's history
records are all batches of objects that mostly share their keys. Read one value at a
time they cost a Python step per number; here the objects are grouped by their key set
and each key of a group becomes one column (a group whose values are all numbers, one
table) through a single NumPy conversion. Values that do not fit that path (a string where numbers were, a
nested object, a boolean) take the exact per-value path, with the same result.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator

import numpy as np

from tui.sources.cells import EXACT_FLOAT, float_or_none, number_cell, number_step, step_cells
from tui.sources.jsontext import collector_paused
from tui.sources.points import Decoded, StepFilter
from tui.sources.wall_clock import epoch_seconds

STEP_KEYS = ("step", "global_step", "_step", "iteration", "iter", "current_steps")
"""Keys that give a log object's step, in order of preference (the first that holds a finite number that fits
a 64-bit step)."""
TIME_KEYS = ("timestamp", "time", "_timestamp", "wall_time")


def _columns(rows: list[dict], keys: tuple) -> list[list]:
    """The values of ``keys`` in every row, a list per key."""
    return [[row[key] for row in rows] for key in keys]


def _number_table(rows: list[dict], width: int) -> np.ndarray | None:
    """Rows whose keys come in one order, as a (rows x keys) float64 table if every value is a plain number.

    The values are read in the order they sit in memory, row after row: a third of the time of a column at
    a time, which would jump between rows once per key.
    """
    flat = list(itertools.chain.from_iterable(map(dict.values, rows)))
    if len(flat) != len(rows) * width or not set(map(type, flat)) <= {float, int}:
        return None
    try:
        return np.fromiter(flat, dtype=np.float64, count=len(flat)).reshape(len(rows), width)
    except OverflowError:
        return None


def numbers(cells: list) -> np.ndarray | None:
    """The cells as float64 when every one is a plain int or float (a bool is not), else None."""
    kinds = set(map(type, cells))
    if kinds <= {float, int}:
        try:
            return np.fromiter(cells, dtype=np.float64, count=len(cells))
        except OverflowError:  # an integer too big for a double: the exact path says what it is
            return None
    return None


class Points:
    """Points of one batch gathered column by column, handed to a ``Decoded`` per tag in record order."""

    def __init__(self) -> None:
        self.parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = {}

    def add(self, tag: str, orders: np.ndarray, steps: np.ndarray, walls: np.ndarray, values: np.ndarray) -> None:
        if len(values):
            self.parts.setdefault(tag, []).append((orders, steps, walls, values))

    def flush(self, out: Decoded, repeated: StepFilter | None = None) -> None:
        """Add every tag's points to ``out``; with ``repeated``, a point at its tag's previous step is dropped."""
        for tag, parts in self.parts.items():
            if len(parts) == 1:
                orders, steps, walls, values = parts[0]
            else:
                orders, steps, walls, values = (np.concatenate(column) for column in zip(*parts))
                if np.any(np.diff(orders) < 0):
                    sort = np.argsort(orders, kind="stable")
                    orders, steps, walls, values = orders[sort], steps[sort], walls[sort], values[sort]
            if repeated is not None:
                keep = repeated.keep_mask(tag, steps)
                if not keep.any():
                    continue  # all read before (a step read again): the tag has nothing new
                if not keep.all():
                    orders, steps, walls, values = orders[keep], steps[keep], walls[keep], values[keep]
            out.add_arrays(tag, orders, steps, walls, values)
        self.parts = {}


class ObjectColumns:
    """How the values of one kind of log object become points.

    ``skip``: top-level keys that are not points (the step, the time); ``strings``: text
    that stands for a number (trackio's ``"NaN"``); ``nested``: objects inside objects give
    ``a/b`` tags (else they are left out); ``bools``: booleans as 0/1 points; ``unordered``: the
    writer puts an object's keys in no fixed order; ``numeric_text``: any text of a number is that number
    (``json.dumps(..., default=str)`` writes a NumPy float32 as ``"0.5"``).
    """

    def __init__(
        self,
        skip: frozenset[str] = frozenset(),
        strings: dict[str, float] | None = None,
        nested: bool = True,
        bools: bool = False,
        unordered: bool = False,
        numeric_text: bool = False,
    ) -> None:
        self.skip = skip
        self.strings = strings or {}
        self.numeric_text = numeric_text
        self.nested = nested
        self.bools = bools
        self.shape = frozenset if unordered else tuple

    def add(
        self,
        points: Points,
        objects: list[dict],
        orders: np.ndarray,
        steps: np.ndarray,
        walls: np.ndarray,
        prefix: str = "",
    ) -> None:
        """Every value of ``objects`` (dicts; ``orders``, ``steps``, ``walls`` one per object) as points."""
        with collector_paused():
            _walk(self._objects(points, objects, orders, steps, walls, prefix), self._objects)

    def add_group(
        self,
        points: Points,
        keys: tuple,
        rows: list[dict],
        orders: np.ndarray,
        steps: np.ndarray,
        walls: np.ndarray,
        prefix: str = "",
    ) -> None:
        """The values of objects that all have the same keys (in the same order, unless ``unordered``)."""
        _walk(self._group(points, keys, rows, orders, steps, walls, prefix), self._objects)

    def add_column(
        self, points: Points, tag: str, cells: list, orders: np.ndarray, steps: np.ndarray, walls: np.ndarray
    ) -> None:
        """One tag's values (one per object): as one array when they are all numbers, else one by one."""
        _walk(self._column(points, tag, cells, orders, steps, walls), self._objects)

    # The walk: each of these yields the objects nested in a value (with their rows' orders, steps, times and
    # their tags' prefix) where it would have called itself for them; ``_walk`` reads those at once, in that order.

    def _objects(
        self, points: Points, objects: list[dict], orders: np.ndarray, steps: np.ndarray, walls: np.ndarray, prefix: str
    ) -> Nested:
        for keys, rows, index in groups(objects, self.shape):
            if index is None:
                group_orders, group_steps, group_walls = orders, steps, walls
            else:
                group_orders, group_steps, group_walls = orders[index], steps[index], walls[index]
            yield from self._group(points, keys, rows, group_orders, group_steps, group_walls, prefix)

    def _group(
        self,
        points: Points,
        keys: tuple,
        rows: list[dict],
        orders: np.ndarray,
        steps: np.ndarray,
        walls: np.ndarray,
        prefix: str,
    ) -> Nested:
        wanted = [(index, key) for index, key in enumerate(keys) if prefix or key not in self.skip]
        if self.shape is tuple and rows:
            table = _number_table(rows, len(keys))
            if table is not None:  # every value a number: one conversion for the whole group
                for index, key in wanted:
                    points.add(prefix + str(key), orders, steps, walls, table[:, index])
                return
        wanted_keys = tuple(key for _, key in wanted)
        for key, cells in zip(wanted_keys, _columns(rows, wanted_keys)):
            yield from self._column(points, prefix + str(key), cells, orders, steps, walls)

    def _column(
        self, points: Points, tag: str, cells: list, orders: np.ndarray, steps: np.ndarray, walls: np.ndarray
    ) -> Nested:
        values = numbers(cells)
        if values is not None:
            points.add(tag, orders, steps, walls, values)
        else:
            yield from self._cells(points, tag, cells, orders, steps, walls)

    def _cells(
        self, points: Points, tag: str, cells: list, orders: np.ndarray, steps: np.ndarray, walls: np.ndarray
    ) -> Nested:
        """The exact path, one value at a time: numbers, known strings, booleans if asked, nested objects."""
        kept: list[int] = []
        values: list[float] = []
        inner: list[int] = []
        objects: list[dict] = []
        for index, cell in enumerate(cells):
            kind = type(cell)
            if kind is float or kind is int:
                number = float_or_none(cell)
            elif kind is str:
                number = self.strings.get(cell)
                if number is None and self.numeric_text:
                    number = number_cell(cell)
            elif kind is bool:
                number = float(cell) if self.bools else None
            elif kind is dict and self.nested:
                inner.append(index)
                objects.append(cell)
                continue
            else:
                continue
            if number is not None:
                kept.append(index)
                values.append(number)
        if kept:
            at = np.asarray(kept, dtype=np.int64)
            points.add(tag, orders[at], steps[at], walls[at], np.asarray(values, dtype=np.float64))
        if objects:
            at = np.asarray(inner, dtype=np.int64)
            yield (points, objects, orders[at], steps[at], walls[at], tag + "/")


Nested = Iterator[tuple[Points, list[dict], np.ndarray, np.ndarray, np.ndarray, str]]
"""What a step of the walk of nested objects yields: objects nested in a value, to be walked next."""


def _walk(start: Nested, walker: Callable[..., Nested]) -> None:
    """Every value of nested objects, however deep (orjson parses 1,024 levels; a call per level overflowed
    Python's stack at a few hundred): ``walker`` is started on each batch of nested objects that ``start``, or
    a walker started before, yields, and that batch walked before the one that yielded it goes on, as a call
    would have been, so tags come in the same order."""
    walking = [start]
    while walking:
        nested = next(walking[-1], None)
        if nested is None:
            walking.pop()
        else:
            walking.append(walker(*nested))


def groups(objects: list[dict], shape=tuple):
    """(keys, objects with exactly those keys, their positions or None for all), for each key set.

    ``shape`` says which objects are alike: ``tuple`` (the same keys in the same order, as one
    writer's lines are: cheap), or ``frozenset`` (W&B writes a record's items in no fixed order).
    """
    if not objects:
        return []
    shapes = list(map(shape, objects))
    first = shapes[0]
    if shapes.count(first) == len(shapes):
        return [(tuple(objects[0]), objects, None)]
    groups: dict[object, list[int]] = {}
    for position, key_set in enumerate(shapes):
        group = groups.get(key_set)
        if group is None:
            groups[key_set] = [position]
        else:
            group.append(position)
    return [
        (tuple(objects[positions[0]]), [objects[position] for position in positions], np.asarray(positions))
        for positions in groups.values()
    ]


def first_number(rows: list[dict], keys: tuple, candidates: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray] | None:
    """For objects sharing ``keys``: per object, the first of ``candidates`` holding a finite number.

    Returns (values, found mask), or None when no candidate key is there at all.
    """
    present = [key for key in candidates if key in keys]
    if not present:
        return None
    column = numbers([row[present[0]] for row in rows])
    if column is not None and np.isfinite(column).all():
        return column, np.ones(len(rows), dtype=bool)
    values = np.zeros(len(rows), dtype=np.float64)
    found = np.zeros(len(rows), dtype=bool)
    for position, row in enumerate(rows):
        for key in present:
            value = row[key]
            if type(value) in (int, float) and (number := float_or_none(value)) is not None and math.isfinite(number):
                values[position], found[position] = number, True
                break
    return values, found


def table_first_number(
    table: np.ndarray, keys: tuple, candidates: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray] | None:
    """``first_number`` for objects given as a table of numbers (a row per object, a column per key of ``keys``)."""
    present = [keys.index(key) for key in candidates if key in keys]
    if not present:
        return None
    column = table[:, present[0]]
    if np.isfinite(column).all():
        return column, np.ones(len(table), dtype=bool)
    values = np.zeros(len(table), dtype=np.float64)
    found = np.zeros(len(table), dtype=bool)
    for index in present:
        column = table[:, index]
        take = ~found & np.isfinite(column)
        values[take] = column[take]
        found |= take
    return values, found


def object_step(entry: dict, keys: tuple = STEP_KEYS) -> int | None:
    """The step a reader takes from one JSON object: the first of ``keys`` holding one (``number_step``)."""
    for key in keys:
        step = number_step(entry.get(key))
        if step is not None:
            return step
    return None


def first_step(rows: list[dict], keys: tuple) -> tuple[np.ndarray, np.ndarray] | None:
    """For objects sharing ``keys``: per object, the first of ``STEP_KEYS`` holding a step (``number_step``).

    Returns (int64 steps, found mask), or None when no step key is there at all.
    """
    present = tuple(key for key in STEP_KEYS if key in keys)
    if not present:
        return None
    column = step_cells([row[present[0]] for row in rows])
    if column is not None:
        return column, np.ones(len(rows), dtype=bool)
    steps = np.zeros(len(rows), dtype=np.int64)
    found = np.zeros(len(rows), dtype=bool)
    for position, row in enumerate(rows):
        step = object_step(row, present)
        if step is not None:
            steps[position], found[position] = step, True
    return steps, found


def table_first_step(table: np.ndarray, keys: tuple) -> tuple[np.ndarray, np.ndarray] | None:
    """``first_step`` for objects given as a float64 table, whose step columns ``exact_table_steps`` passed:
    a whole number below 2**53 there is the step written."""
    present = [keys.index(key) for key in STEP_KEYS if key in keys]
    if not present:
        return None
    steps = np.zeros(len(table), dtype=np.int64)
    found = np.zeros(len(table), dtype=bool)
    for index in present:
        column = table[:, index]
        take = ~found & (column >= 0) & (column < EXACT_FLOAT)  # NaN and infinities fail this too
        take[take] = column[take] == np.floor(column[take])
        steps[take] = column[take]
        found |= take
        if found.all():
            break
    return steps, found


def exact_table_steps(tables: list[tuple[tuple, np.ndarray, np.ndarray | None]]) -> bool:
    """Whether tables of float64 (the compiled reader's ``trainer_state.json`` history: keys, a row per entry,
    positions) hold their steps exactly. A step from 2**53 on may be rounded there: such a history is read
    the general way, where a JSON integer stays a Python int."""
    return not any(
        (np.abs(table[:, index]) >= EXACT_FLOAT).any()
        for keys, table, _ in tables
        for index, key in enumerate(keys)
        if key in STEP_KEYS
    )


class LogObjects:
    """Log objects that carry their own step (and maybe time): JSON lines, ``trainer_state.json`` entries."""

    def __init__(self, skip: frozenset[str]) -> None:
        self.columns = ObjectColumns(skip=skip, numeric_text=True)

    def add(
        self, points: Points, objects: list[object], first_order: int, default_wall: float, after: int | None = None
    ) -> tuple[int, int | None, int]:
        """Points of every object with a step (past ``after`` if given); returns (objects used, highest step,
        objects with a step key but no step in it: a number past 64 bits, a fraction, text, null)."""
        with collector_paused():
            return self._add(points, objects, first_order, default_wall, after)

    def _add(
        self, points: Points, objects: list[object], first_order: int, default_wall: float, after: int | None
    ) -> tuple[int, int | None, int]:
        dicts = [item for item in objects if type(item) is dict]
        used = 0
        highest: int | None = None
        placed, no_step = _placed_groups(_ROWS, groups(dicts), len(dicts), first_order, default_wall, after)
        for keys, rows, orders, steps, walls in placed:
            self.columns.add_group(points, keys, rows, orders, steps, walls)
            used += len(rows)
            top = int(steps.max())
            highest = top if highest is None else max(highest, top)
        return used, highest, no_step

    def add_tables(
        self,
        points: Points,
        tables: list[tuple[tuple, np.ndarray, np.ndarray | None]],
        first_order: int,
        default_wall: float,
        after: int | None = None,
    ) -> tuple[int, int | None, int]:
        """``add`` for objects whose values are all numbers, given per key list as (keys, a table with a row per
        object, the objects' positions or None for all), in order of first appearance: what ``add`` gives
        where ``exact_table_steps`` holds."""
        used = 0
        highest: int | None = None
        count = sum(len(table) for _, table, _ in tables)
        placed, no_step = _placed_groups(_TABLES, tables, count, first_order, default_wall, after)
        for keys, table, orders, steps, walls in placed:
            for column, key in enumerate(keys):
                if key not in self.columns.skip:
                    points.add(str(key), orders, steps, walls, table[:, column])
            used += len(table)
            top = int(steps.max())
            highest = top if highest is None else max(highest, top)
        return used, highest, no_step


_ROWS = (first_step, first_number)
_TABLES = (table_first_step, table_first_number)
"""How the step and the time of objects are read, as they are rows (dicts) or a table of numbers."""


def _placed_groups(readers, grouped, count: int, first_order: int, default_wall: float, after: int | None):
    """For each (keys, objects, positions or None) of ``grouped`` (``count`` objects in all, numbered from
    ``first_order``): (keys, the objects with a step past ``after``, their orders, steps, wall times), groups
    without a step key or without such an object left out; and how many objects had a step key but no step.
    The objects are rows (a list) or a table, ``readers`` ``_ROWS`` or ``_TABLES``."""
    orders_all = np.arange(first_order, first_order + count, dtype=np.int64)
    placed_groups = []
    no_step = 0
    for keys, objects, index in grouped:
        orders = orders_all if index is None else orders_all[index]
        placed = _placed(readers, objects, keys, len(objects), after, default_wall)
        if placed is None:
            continue
        steps, walls, at, missing = placed
        no_step += missing
        if at is not None:
            kept = objects[at] if isinstance(objects, np.ndarray) else [objects[position] for position in at]
            objects, orders, steps, walls = kept, orders[at], steps[at], walls[at]
        if len(objects):
            placed_groups.append((keys, objects, orders, steps, walls))
    return placed_groups, no_step


def _placed(
    readers, objects, keys: tuple, count: int, after: int | None, default_wall: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int] | None:
    """(steps, wall times, positions of the objects with a step past ``after`` or None for all, how many have
    no step) of ``count`` objects sharing ``keys``, None when they have no step key."""
    first_step_of, first_number_of = readers
    step_column = first_step_of(objects, keys)
    if step_column is None:
        return None
    steps, found = step_column
    missing = count - int(np.count_nonzero(found))
    if after is not None:
        found &= steps > after
    wall_column = first_number_of(objects, keys, TIME_KEYS)
    walls = np.full(count, default_wall, dtype=np.float64)
    if wall_column is not None:
        seconds, clock = epoch_seconds(*wall_column)  # Detectron2's ``time`` is an iteration's duration
        walls = np.where(clock, seconds, walls)
    return steps, walls, None if found.all() else np.flatnonzero(found), missing
