"""One logged cell as a step or a value: what every reader of text, JSON and database rows takes a number as.

A step must be a whole number that fits 64 bits, exactly as written; a value any number (``"nan"`` and ``"inf"``
too: a diverging run's). Anything else is no step or no value there, which a reader counts as a bad row instead
of failing on it.
"""

from __future__ import annotations

import math

import numpy as np

STEP_LIMIT = 2.0**63
"""A step must fit a 64-bit integer; a bigger number in a step key counts as no step there."""


def integer_cell(cell: object) -> int | None:
    """A database cell or a field of text as a step (or a millisecond time): an integer, or a whole number
    (``12.0``, ``"12"``), that fits 64 bits; None for anything else (a fraction, text, a blob, NULL),
    which a reader counts as a bad row instead of failing on it."""
    if isinstance(cell, str):
        try:
            cell = int(cell)
        except ValueError:
            cell = number_cell(cell)
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell if abs(cell) < STEP_LIMIT else None
    if isinstance(cell, float) and abs(cell) < STEP_LIMIT and cell == math.floor(cell):  # NaN and infinities fail
        return int(cell)
    return None


def number_cell(cell: object) -> float | None:
    """A database cell or a field of text as a value: a number, or the text of one (``"nan"`` and ``"inf"``
    too: a diverging run's values); None for anything else (other text, a blob, NULL)."""
    if isinstance(cell, float):
        return cell
    if isinstance(cell, int) and not isinstance(cell, bool):
        return float_or_none(cell)
    if isinstance(cell, str):
        try:
            return float(cell)
        except ValueError:
            return None
    return None


def float_or_none(value: int | float) -> float | None:
    try:
        return float(value)
    except OverflowError:
        return None


EXACT_FLOAT = 2.0**53
"""Every integer below this size is exact as a float64; from it on, a float64 may be a step rounded."""
INT64_MIN = int(np.iinfo(np.int64).min)
"""Fits int64 but not ``STEP_LIMIT``'s rule (a size below 2**63)."""


def step_cells(cells: list) -> np.ndarray | None:
    """The cells as int64 steps in one NumPy conversion when every one is a step (``number_step``), else None.

    JSON integers parse to Python ints: read as int64 they stay exact up to 2**63 - 1, where a float64 rounds
    them from 2**53 on (two steps merged, one dropped as a repeat) and casts one past 2**63 - 512 to -2**63.
    Floats (or ints beside them) take the float64 way only below 2**53, where it is exact.
    """
    kinds = set(map(type, cells))
    if kinds == {int}:
        try:
            steps = np.fromiter(cells, dtype=np.int64, count=len(cells))
        except OverflowError:  # past 64 bits: the exact path says which cells are no steps
            return None
        return None if (steps < 0).any() else steps  # the exact path counts each such row as no step
    if not kinds <= {float, int}:
        return None
    try:
        values = np.fromiter(cells, dtype=np.float64, count=len(cells))
    except OverflowError:
        return None
    if ((values >= 0) & (values < EXACT_FLOAT)).all() and (values == np.floor(values)).all():  # NaN, inf fail
        return values.astype(np.int64)
    return None


def step_cell(cell: object) -> int | None:
    """A cell as a step: ``integer_cell``, and not below zero. No logger counts steps below zero: such a row is
    damaged, and taken for a step going back it would restart the run and purge its curves."""
    step = integer_cell(cell)
    return step if step is not None and step >= 0 else None


def number_step(value: object) -> int | None:
    """A JSON value as a step: an int, or a whole float, that fits 64 bits and is not negative (``step_cell``);
    text is none."""
    kind = type(value)
    return step_cell(value) if kind is int or kind is float else None
