"""Bulk (NumPy) framing, CRC checks and decoding for the record shapes that make up most files.

Per-record Python work (a struct unpack, two CRC calls, a protobuf object) caps
a pure-Python reader at a few hundred thousand events per second. Here the
same work is done for all records of a buffer at once:

* **framing**: every offset whose 12 bytes look like a record header (length
  below the cap, header CRC valid, an ``Event`` tag byte after it) is a
  candidate; the candidates form the record chain when each one's end is the
  next one's start. Anything else (damage, an odd false candidate) makes the
  caller fall back to the careful sequential reader for that buffer;
* **CRC32C** of many equal-length byte strings with slicing-by-4 tables;
* **decoding** of the scalar shapes writers produce by the million, straight
  from the bytes: PyTorch/tensorboardX ``simple_value`` events
  (``09 wall | 10 step | 2a .. 0a .. 0a tag | 15 float``) and TF2 scalar tensors
  without metadata (``.. 42 .. 08 01 12 00 22 04 float``). Every other record
  goes to the full protobuf decoder.

When the compiled module ``tui._scan`` was built (``setup.py``; it needs a C
compiler at install time) framing and simple_value decoding run there instead,
about ten times faster again; this module's NumPy code is the fallback and the
reference. The results are the same either way and the same as the sequential
reader's: ``tests/test_fastpath.py`` checks it on every fixture and on random
and damaged records.
"""

from __future__ import annotations

import numpy as np

try:
    from tui import _scan
except ImportError:  # built without a C compiler: the NumPy path below does the work
    _scan = None

_POLY = 0x82F63B78
_MASK_DELTA = np.uint32(0xA282EAD8)
BATCH_ROWS = 1 << 15


def _tables() -> np.ndarray:
    t0 = np.zeros(256, dtype=np.uint32)
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        t0[i] = crc
    tables = [t0]
    for _ in range(3):
        prev = tables[-1]
        tables.append((prev >> np.uint32(8)) ^ t0[prev & np.uint32(0xFF)])
    return np.stack(tables)


_T = _tables()
_T0, _T1, _T2, _T3 = _T
_LOW16 = np.arange(1 << 16, dtype=np.uint32)
# Slicing-by-4 with 16-bit indices: two table look-ups per 4-byte word instead of four.
_TA = _T3[_LOW16 & 0xFF] ^ _T2[_LOW16 >> 8]
_TB = _T1[_LOW16 & 0xFF] ^ _T0[_LOW16 >> 8]


def crc32c_rows(rows: np.ndarray) -> np.ndarray:
    """CRC32C of each row of a (n, m) uint8 matrix."""
    n, m = rows.shape
    crc = np.full(n, 0xFFFFFFFF, dtype=np.uint32)
    words = m // 4
    if words:
        packed = np.ascontiguousarray(rows[:, : words * 4]).view("<u4")
        for j in range(words):
            w = crc ^ packed[:, j]
            crc = _TA[w & 0xFFFF] ^ _TB[w >> 16]
    for j in range(words * 4, m):
        crc = _T0[(crc ^ rows[:, j]) & 0xFF] ^ (crc >> 8)
    return crc ^ np.uint32(0xFFFFFFFF)


def masked(crc: np.ndarray) -> np.ndarray:
    return (((crc >> np.uint32(15)) | (crc << np.uint32(17))) + _MASK_DELTA).astype(np.uint32)


def _u64_at(view: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Little-endian u64 at each (unaligned) offset."""
    return np.ascontiguousarray(np.lib.stride_tricks.sliding_window_view(view, 8)[offsets]).view("<u8").reshape(-1)


def _u32_at(view: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.lib.stride_tricks.sliding_window_view(view, 4)[offsets]).view("<u4").reshape(-1)


def frame_records(buffer: bytes, max_record: int) -> tuple[np.ndarray, np.ndarray, int] | None:
    """(data offsets, data lengths, bytes consumed) of the whole, CRC-valid records at the start of ``buffer``.

    Returns None when no clean chain of records starts the buffer (damage, garbage,
    anything unusual): the caller then reads it the careful way. The compiled path
    returns the records before the first unusual byte (the careful reader takes it
    from there); the NumPy path gives up on the whole buffer. Either way the caller
    ends with the same records and the same damage count.
    """
    if _scan is not None:
        return _frame_compiled(buffer, max_record)
    return frame_records_numpy(buffer, max_record)


def _frame_compiled(buffer: bytes, max_record: int) -> tuple[np.ndarray, np.ndarray, int] | None:
    capacity = len(buffer) // 16 + 1
    offsets = np.empty(capacity, dtype=np.int64)
    lengths = np.empty(capacity, dtype=np.int64)
    found = _scan.frame(buffer, max_record, offsets, lengths)
    if found is None:
        return None
    count, consumed = found
    return offsets[:count].copy(), lengths[:count].copy(), consumed


def frame_records_numpy(buffer: bytes, max_record: int) -> tuple[np.ndarray, np.ndarray, int] | None:
    """``frame_records`` in NumPy alone (the fallback, and the reference the compiled path is tested against)."""
    size = len(buffer)
    if size < 16:
        return None
    view = np.frombuffer(buffer, dtype=np.uint8)
    last = size - 12
    # A header: length's high bytes are zero (records are far below 2**24 bytes) and the Event's
    # first field follows (0x09 wall_time, or 0x10 step / 0x1a file_version ... for other events).
    zero = view == 0
    high_zero = zero[3 : last + 3].copy()
    for k in range(4, 8):
        high_zero &= zero[k : last + k]
    high_zero &= ~_all_zero_crc(zero, 0, high_zero.size)
    del zero
    candidates = np.flatnonzero(high_zero)
    del high_zero
    if candidates.size == 0 or candidates[0] != 0:
        return None
    lengths = _u64_at(view, candidates)
    ok = (lengths <= max_record) & (lengths > 0)
    candidates, lengths = candidates[ok], lengths[ok]
    header_rows = np.lib.stride_tricks.sliding_window_view(view, 8)[candidates]
    header_ok = masked(crc32c_rows(header_rows)) == _u32_at(view, candidates + 8)
    starts = candidates[header_ok]
    lengths = lengths[header_ok].astype(np.int64)
    if starts.size == 0 or starts[0] != 0:
        return None
    ends = starts + 16 + lengths
    # The chain: each record ends where the next begins. Any gap or overlap: not clean.
    complete = ends <= size
    if not np.array_equal(ends[:-1][complete[:-1]], starts[1:][complete[:-1]]):
        return None
    whole = np.flatnonzero(complete)
    if whole.size == 0:
        return None
    count = int(whole[-1]) + 1
    if count != whole.size:
        return None
    starts, lengths = starts[:count], lengths[:count]
    data_offsets = starts + 12
    if not _data_crcs_ok(view, data_offsets, lengths):
        return None
    return data_offsets, lengths, int(starts[-1] + 16 + lengths[-1])


def _all_zero_crc(zero: np.ndarray, start: int, count: int) -> np.ndarray:
    """For ``count`` offsets from ``start``: are the four CRC bytes of a header there all zero?

    Such an offset is never a header worth checking (it would only be right for
    one length in four billion), and zero-filled regions are skipped at once.
    """
    crc_zero = zero[start + 8 : start + 8 + count].copy()
    for k in range(9, 12):
        crc_zero &= zero[start + k : start + k + count]
    return crc_zero


def header_candidates(buffer: bytes, start: int, max_record: int) -> list[int]:
    """Offsets at or after ``start`` holding a valid record header (length within the cap, CRC right)."""
    view = np.frombuffer(buffer, dtype=np.uint8)
    last = len(buffer) - 12
    if last < start:
        return []
    cap_bytes = max((int(max_record).bit_length() + 7) // 8, 1)
    zero = view == 0
    plausible = np.ones(last - start + 1, dtype=bool)
    for k in range(cap_bytes, 8):  # the length's high bytes must be zero to stay under the cap
        plausible &= zero[start + k : last + k + 1]
    plausible &= ~_all_zero_crc(zero, start, plausible.size)
    del zero
    candidates = np.flatnonzero(plausible) + start
    if candidates.size == 0:
        return []
    lengths = _u64_at(view, candidates)
    candidates = candidates[lengths <= max_record]
    if candidates.size == 0:
        return []
    headers = np.lib.stride_tricks.sliding_window_view(view, 8)[candidates]
    valid = masked(crc32c_rows(headers)) == _u32_at(view, candidates + 8)
    return candidates[valid].tolist()


def _data_crcs_ok(view: np.ndarray, offsets: np.ndarray, lengths: np.ndarray) -> bool:
    stored = _u32_at(view, offsets + lengths)
    for length in np.unique(lengths).tolist():
        idx = np.flatnonzero(lengths == length)
        windows = np.lib.stride_tricks.sliding_window_view(view, length)
        for lo in range(0, idx.size, BATCH_ROWS):
            part = idx[lo : lo + BATCH_ROWS]
            if not np.array_equal(masked(crc32c_rows(windows[offsets[part]])), stored[part]):
                return False
    return True


def _varint_at(view: np.ndarray, offsets: np.ndarray, max_bytes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(values, byte lengths) of the varints at ``offsets``; length 0 where longer than ``max_bytes``."""
    values = np.zeros(offsets.size, dtype=np.uint64)
    sizes = np.zeros(offsets.size, dtype=np.int64)
    going = np.ones(offsets.size, dtype=bool)
    for k in range(max_bytes):
        byte = view[np.minimum(offsets + k, view.size - 1)].astype(np.uint64)
        values[going] |= (byte[going] & np.uint64(0x7F)) << np.uint64(7 * k)
        ends = going & (byte < 0x80)
        sizes[ends] = k + 1
        going &= byte >= 0x80
        if not going.any():
            break
    return values, sizes


def decode_simple_scalars(buffer: bytes, offsets: np.ndarray, lengths: np.ndarray):
    """Decode the records that are single ``simple_value`` scalar events, in bulk.

    Returns (mask of records decoded, {tag: (indices, steps, walls, values)}).
    """
    if _scan is not None:
        return _decode_compiled(buffer, offsets, lengths)
    return decode_simple_scalars_numpy(buffer, offsets, lengths)


def _decode_compiled(buffer: bytes, offsets: np.ndarray, lengths: np.ndarray):
    n = offsets.size
    tag_ids = np.empty(n, dtype=np.int32)
    steps = np.empty(n, dtype=np.int64)
    walls = np.empty(n, dtype=np.float64)
    values = np.empty(n, dtype=np.float64)
    tags = _scan.decode_scalars(
        buffer,
        np.ascontiguousarray(offsets, dtype=np.int64),
        np.ascontiguousarray(lengths, dtype=np.int64),
        tag_ids,
        steps,
        walls,
        values,
    )
    done = tag_ids >= 0
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
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


def decode_simple_scalars_numpy(buffer: bytes, offsets: np.ndarray, lengths: np.ndarray):
    """``decode_simple_scalars`` in NumPy alone (the fallback, and the reference for the compiled path)."""
    view = np.frombuffer(buffer, dtype=np.uint8)
    n = offsets.size
    done = np.zeros(n, dtype=bool)
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    if n == 0:
        return done, out
    safe = np.minimum(offsets, view.size - 1)
    shaped = (view[safe] == 0x09) & (lengths >= 20)
    cand = np.flatnonzero(shaped)
    if cand.size == 0:
        return done, out
    off = offsets[cand]
    size = lengths[cand]
    end = off + size
    ok = view[np.minimum(off + 9, view.size - 1)] == 0x10
    steps, step_len = _varint_at(view, off + 10)
    ok &= step_len > 0
    q = off + 10 + step_len  # summary field
    limit = view.size - 1

    def byte(at):
        return view[np.minimum(at, limit)].astype(np.int64)

    ok &= byte(q) == 0x2A
    l1 = byte(q + 1)
    ok &= (l1 < 0x80) & (byte(q + 2) == 0x0A)
    l2 = byte(q + 3)
    ok &= (l2 < 0x80) & (byte(q + 4) == 0x0A)
    tag_len = byte(q + 5)
    ok &= tag_len < 0x80
    tag_start = q + 6
    value_tag = tag_start + tag_len
    ok &= byte(value_tag) == 0x15
    ok &= value_tag + 5 == end
    ok &= l1 == end - (q + 2)
    ok &= l2 == end - (q + 4)
    ok &= (steps >> np.uint64(63)) == 0
    good = np.flatnonzero(ok)
    if good.size == 0:
        return done, out
    idx = cand[good]
    off, steps, tag_start, tag_len, value_tag = off[good], steps[good], tag_start[good], tag_len[good], value_tag[good]
    walls_f = _u64_at(view, off + 1).view("<f8")
    values_f = _u32_at(view, value_tag + 1).view("<f4").astype(np.float64)
    steps_i = steps.astype(np.int64)
    # Group by tag: a hash of the tag bytes per record, then one group per distinct hash, checked byte for byte.
    for length in np.unique(tag_len).tolist():
        sel = np.flatnonzero(tag_len == length)
        rows = np.lib.stride_tricks.sliding_window_view(view, max(length, 1))[tag_start[sel]][:, :length]
        keys = _row_hash(rows)
        distinct = np.unique(keys)
        groups = [sel[keys == key] for key in distinct.tolist()] if distinct.size <= 64 else _groups_sorted(sel, keys)
        for members in groups:
            first = rows[np.searchsorted(sel, members[0])]
            member_rows = rows[np.searchsorted(sel, members)]
            if not np.array_equal(member_rows, np.broadcast_to(first, member_rows.shape)):
                continue  # a hash collision: leave these records to the protobuf decoder
            try:
                tag = first.tobytes().decode("utf-8")
            except UnicodeDecodeError:
                continue  # let the protobuf decoder handle (and replace) odd bytes
            records = idx[members]
            done[records] = True
            part = (records, steps_i[members], walls_f[members], values_f[members])
            previous = out.get(tag)
            if previous is not None:
                part = tuple(np.concatenate((a, b)) for a, b in zip(previous, part))
            out[tag] = part
    return done, out


def _row_hash(rows: np.ndarray) -> np.ndarray:
    """A 64-bit FNV-style hash of each row of bytes (vectorized over rows)."""
    key = np.full(rows.shape[0], 0xCBF29CE484222325, dtype=np.uint64)
    prime = np.uint64(0x100000001B3)
    with np.errstate(over="ignore"):
        for j in range(rows.shape[1]):
            key = (key ^ rows[:, j].astype(np.uint64)) * prime
    return key


def _groups_sorted(sel: np.ndarray, keys: np.ndarray) -> list[np.ndarray]:
    """Members of each distinct key, in record order (for files with many distinct tags)."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    cuts = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    return [np.sort(sel[part]) for part in np.split(order, cuts)]
