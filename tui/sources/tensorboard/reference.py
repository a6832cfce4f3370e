"""The reading kernels in plain sequential Python: the reference for ``tui/_scan.c``, and its fallback.

Same functions, same signatures, same results as the compiled module's reading kernels
(``frame``, ``next_header``, ``decode_scalars``, ``crc32c``), written to be read rather
than to be fast: one record after the other, CRC32C from google-crc32c. A machine
without a C compiler reads with these (several times slower on big log directories);
``tests/test_reference.py`` checks that both give the same answers on random and
damaged input. Change a kernel here and in ``_scan.c`` together.
"""

from __future__ import annotations

import re
import struct

import google_crc32c
import numpy as np

_MASK_DELTA = 0xA282EAD8
_MAX_TAGS = 4096
"""Distinct tags decoded in bulk per call; the records of any further tag go to the full decoder."""
_NONZERO = re.compile(rb"[^\x00]")
_u64 = struct.Struct("<Q")
_u32 = struct.Struct("<I")
_f64 = struct.Struct("<d")
_f32 = struct.Struct("<f")


def crc32c(data: bytes | memoryview, software: bool = False) -> int:
    """The plain (unmasked) CRC32C of ``data`` (``software`` is the compiled module's; ignored here)."""
    return google_crc32c.value(bytes(data))


def _masked(crc: int) -> int:
    """TFRecord's masked CRC: rotate right by 15 and add a constant."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def frame(buffer: bytes, start: int, max_record: int, offsets: np.ndarray, lengths: np.ndarray) -> tuple[int, int]:
    """The whole, CRC-valid records from ``start`` on, up to the first unusual thing; (count, end).

    Stops at a bad CRC, a zero or absurd length (above ``max_record`` or 2**24 bytes), a header
    whose CRC bytes are all zero, a record cut off at the end of ``buffer``, or when the output
    arrays are full. Each record's data offset and length go to ``offsets`` and ``lengths``.
    """
    view = memoryview(buffer)
    size = len(view)
    capacity = min(len(offsets), len(lengths))
    pos = max(start, 0)
    count = 0
    while size - pos >= 12:
        length = _u64.unpack_from(view, pos)[0]
        stored = _u32.unpack_from(view, pos + 8)[0]
        if length == 0 or length > max_record or length >> 24 or stored == 0:
            break
        if _masked(crc32c(view[pos : pos + 8])) != stored:
            break
        if size - pos < 16 + length:
            break  # cut: the rest is on its way
        data_end = pos + 12 + length
        if count >= capacity or _masked(crc32c(view[pos + 12 : data_end])) != _u32.unpack_from(view, data_end)[0]:
            break
        offsets[count] = pos + 12
        lengths[count] = length
        count += 1
        pos = data_end + 4
    return count, pos


def next_header(buffer: bytes, start: int, max_record: int) -> int:
    """The first offset at or after ``start`` with a valid record header (length within the cap,
    CRC right and not all zero bytes); -1 when there is none."""
    view = memoryview(buffer)
    pos = max(start, 0)
    while pos + 12 <= len(view):
        stored = _u32.unpack_from(view, pos + 8)[0]
        if stored == 0:  # cross a zero-filled region at once: to the first offset whose CRC bytes are not all 0
            nonzero = _NONZERO.search(buffer, pos + 8)
            if nonzero is None:
                return -1
            pos = max(pos + 1, nonzero.start() - 11)
            continue
        if _u64.unpack_from(view, pos)[0] <= max_record and _masked(crc32c(view[pos : pos + 8])) == stored:
            return pos
        pos += 1
    return -1


def decode_scalars(
    buffer: bytes,
    offsets: np.ndarray,
    lengths: np.ndarray,
    tag_ids: np.ndarray,
    steps: np.ndarray,
    walls: np.ndarray,
    values: np.ndarray,
) -> list[bytes]:
    """Decode each record that is one ``simple_value`` scalar event; return the distinct tags.

    The shape (what PyTorch and tensorboardX write, nothing else in the record)::

        09 wall_time:f64 | 10 step:varint | 2a L1 [ 0a L2 [ 0a T tag | 15 value:f32 ] ]

    with L1, L2 and T one byte each. For such a record: its tag's number (in order of first
    appearance), step, wall time and value; -1 as the tag number for every other record.
    """
    data = bytes(buffer)
    size = len(data)
    numbers: dict[bytes, int] = {}
    for i in range(len(offsets)):
        tag_ids[i] = -1
        off, length = int(offsets[i]), int(lengths[i])
        if off < 0 or length < 20 or off + length > size:
            continue
        end = off + length
        if data[off] != 0x09 or data[off + 9] != 0x10:
            continue
        step, q = _varint(data, off + 10, end)
        if q < 0 or step >> 63:
            continue
        if end - q < 6 or data[q] != 0x2A or data[q + 2] != 0x0A or data[q + 4] != 0x0A:
            continue
        outer, inner, tag_len = data[q + 1], data[q + 3], data[q + 5]
        if outer >= 0x80 or inner >= 0x80 or tag_len >= 0x80:
            continue
        value_at = q + 6 + tag_len
        if value_at + 5 != end or data[value_at] != 0x15:
            continue
        if outer != end - (q + 2) or inner != end - (q + 4):
            continue
        tag = data[q + 6 : value_at]
        number = numbers.get(tag)
        if number is None:
            if len(numbers) >= _MAX_TAGS:
                continue
            number = numbers[tag] = len(numbers)
        tag_ids[i] = number
        steps[i] = step
        walls[i] = _f64.unpack_from(data, off + 1)[0]
        values[i] = _f32.unpack_from(data, value_at + 1)[0]
    return list(numbers)


def _varint(data: bytes, at: int, end: int) -> tuple[int, int]:
    """(value, offset just past it) of the varint of at most 10 bytes at ``at``; offset -1 if none ends."""
    value = 0
    for k in range(10):
        if at + k >= end:
            break
        byte = data[at + k]
        value |= (byte & 0x7F) << (7 * k)
        if byte < 0x80:
            return value & 0xFFFFFFFFFFFFFFFF, at + k + 1
    return 0, -1
