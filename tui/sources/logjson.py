"""A ``trainer_state.json`` whose ``log_history`` holds only numbers, read without a Python object per value.

The compiled kernel (``tui/_logjson.c``) walks the history array into one table of numbers per key list;
the rest of the file (a few hyper-parameters) is parsed the general way, with the history cut out. Where the
kernel is not built, or the history holds anything but numbers (a string, a nested object, a boolean), or
the file is not whole, this gives None and the caller parses the whole text the general way: the reference
these tables are compared with (tests/test_logjson.py).
"""

from __future__ import annotations

import numpy as np

from tui.compiled import compiled_logjson
from tui.sources import jsontext

_KEY = b'"log_history":'

Tables = list[tuple[tuple, np.ndarray, "np.ndarray | None"]]
"""(keys, values with a row per entry, the entries' positions in the history or None for all), per key list
in order of first appearance."""


def read_state(data: bytes) -> tuple[dict, Tables] | None:
    """(the state without its ``log_history``, the history as tables), or None to parse the text the general way."""
    kernel = compiled_logjson()
    at = data.find(_KEY)
    if kernel is None or at < 0:
        return None
    start = at + len(_KEY)
    found = kernel.records(data, start)
    if found is None:
        return None
    end, shapes, shape_bytes, value_bytes = found
    # The history cut out, twice with a different stand-in: only the top level's log_history can change with it
    # (the first '"log_history":' in the text might be a nested one, or there might be two).
    try:
        state = jsontext.loads(data[:start] + b"[0]" + data[end:])
        again = jsontext.loads(data[:start] + b"[1]" + data[end:])
    except ValueError:
        return None
    if not isinstance(state, dict) or not isinstance(again, dict):
        return None
    if state.get("log_history") != [0] or again.get("log_history") != [1]:
        return None
    del state["log_history"]
    shape_of = np.frombuffer(shape_bytes, dtype=np.int32)
    values = np.frombuffer(value_bytes, dtype=np.float64)
    if len(shapes) == 1:
        return state, [(shapes[0], values.reshape(len(shape_of), len(shapes[0])), None)]
    widths = np.array([len(keys) for keys in shapes], dtype=np.int64)[shape_of]
    starts = np.cumsum(widths) - widths
    tables: Tables = []
    for number, keys in enumerate(shapes):
        rows = np.flatnonzero(shape_of == number)
        tables.append((keys, values[starts[rows, None] + np.arange(len(keys))], rows))
    return state, tables
