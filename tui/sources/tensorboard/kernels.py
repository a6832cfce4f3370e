"""The reading kernels behind one interface: compiled (``tui/_scan.c``) where it was built, else the reference.

Per-record Python work (a struct unpack, two CRC calls, a protobuf object) caps a
Python reader at a few hundred thousand events per second; the compiled kernels
walk the bytes instead. ``setup.py`` builds them where the machine has a C compiler;
elsewhere ``reference.py`` does the same in plain Python, slower. What they do:

* ``frame_records``: the whole, CRC-valid records of a buffer, up to the first
  unusual byte (``records.py`` decides what it is: damage, or a record being written);
* ``next_header``: where a valid record header starts again after damage;
* ``decode_simple_scalars``: the ``simple_value`` scalar events writers produce by
  the million, straight from the bytes; every other record goes to protobuf.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from tui.compiled import compiled
from tui.sources.tensorboard import reference

COMPILED = compiled()
"""The compiled module, or None where it was not built."""
kernels: ModuleType = COMPILED if COMPILED is not None else reference
"""The implementation in use (tests swap it for the other)."""

ScalarColumns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""(record indices, steps, wall times, values) of one tag."""


def frame_records(buffer: bytes, start: int, max_record: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(data offsets, data lengths, end) of the whole, CRC-valid records from ``start`` up to the first
    unusual byte, which is at ``end`` (``end == start``: the record there is unusual or not whole)."""
    capacity = (len(buffer) - start) // 16 + 1
    offsets = np.empty(capacity, dtype=np.int64)
    lengths = np.empty(capacity, dtype=np.int64)
    count, end = kernels.frame(buffer, start, max_record, offsets, lengths)
    return offsets[:count].copy(), lengths[:count].copy(), end


def next_header(buffer: bytes, start: int, max_record: int) -> int | None:
    """The first offset at or after ``start`` holding a valid record header, or None."""
    found = kernels.next_header(buffer, start, max_record)
    return None if found < 0 else found


def decode_simple_scalars(
    buffer: bytes, offsets: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, dict[str, ScalarColumns]]:
    """Decode the records that are single ``simple_value`` scalar events, in bulk.

    Returns (mask of the records decoded, {tag: (record indices, steps, walls, values)}).
    """
    n = offsets.size
    tag_ids = np.empty(n, dtype=np.int32)
    steps = np.empty(n, dtype=np.int64)
    walls = np.empty(n, dtype=np.float64)
    values = np.empty(n, dtype=np.float64)
    tags = kernels.decode_scalars(
        buffer,
        np.ascontiguousarray(offsets, dtype=np.int64),
        np.ascontiguousarray(lengths, dtype=np.int64),
        tag_ids,
        steps,
        walls,
        values,
    )
    done = tag_ids >= 0
    out: dict[str, ScalarColumns] = {}
    if not tags:
        return done, out
    if len(tags) == 1:
        groups = [np.flatnonzero(done)]
    elif len(tags) <= 64:  # the usual handful of tags: one comparison pass each beats a sort
        groups = [np.flatnonzero(tag_ids == k) for k in range(len(tags))]
    else:
        order = np.argsort(tag_ids, kind="stable")
        order = order[tag_ids[order] >= 0]
        groups = np.split(order, np.flatnonzero(np.diff(tag_ids[order])) + 1)
    for raw, records in zip(tags, groups):
        try:
            tag = raw.decode("utf-8")
        except UnicodeDecodeError:
            done[records] = False  # let the protobuf decoder handle (and replace) odd bytes
            continue
        out[tag] = (records, steps[records], walls[records], values[records])
    return done, out
