"""The reading kernels: the compiled ones (tui/_scan.c) give exactly what the Python reference gives,
on real files and on random and damaged input; both give what protobuf and the reader's damage rules say."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import google_crc32c
import numpy as np
import pytest
from conftest import DATA, decode_file, event_files, frame, read_records
from hypothesis import given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2

from tui.sources.tensorboard import kernels, reference
from tui.sources.tensorboard.decode import EventDecoder
from tui.sources.tensorboard.records import MAX_RECORD_BYTES, RecordReader

try:
    from tui import _scan
except ImportError:  # test_compiled_reader_is_built says so; the comparisons below are skipped
    _scan = None

needs_compiled = pytest.mark.skipif(_scan is None, reason="tui._scan was not built")


def test_compiled_reader_is_built():
    """CI has a C compiler: a silent fallback to the slower reference would hide a broken build."""
    from tui import _scan

    assert kernels.kernels is _scan


@pytest.fixture
def with_reference(monkeypatch):
    """The reader and the decoder run on the Python reference, as on a machine without a compiler."""
    monkeypatch.setattr(kernels, "kernels", reference)


# ---- CRC32C ---------------------------------------------------------------------------------------


@needs_compiled
@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_compiled_crc_equals_google_crc32c_hardware_and_software(data):
    expected = google_crc32c.value(data)
    assert _scan.crc32c(data) == expected
    assert _scan.crc32c(data, True) == expected
    assert reference.crc32c(data) == expected


# ---- framing --------------------------------------------------------------------------------------


def frame_both(buffer: bytes, start: int, cap: int = MAX_RECORD_BYTES):
    results = []
    for impl in (_scan, reference):
        capacity = max(len(buffer) - start, 0) // 16 + 1
        offsets = np.full(capacity, -7, dtype=np.int64)
        lengths = np.full(capacity, -7, dtype=np.int64)
        count, end = impl.frame(buffer, start, cap, offsets, lengths)
        results.append((count, end, offsets[:count].tolist(), lengths[:count].tolist()))
    return results


events = st.lists(st.integers(0, 2**40).map(lambda s: event_pb2.Event(wall_time=1.0, step=s)), max_size=12)
damage = st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), max_size=4)


def damaged_blob(payloads: list[bytes], prefix: bytes, flips: list[tuple[int, int]], cut: int) -> bytes:
    blob = bytearray(prefix + b"".join(frame(p) for p in payloads))
    for at, value in flips:
        if blob:
            blob[at % len(blob)] ^= value
    return bytes(blob[: max(len(blob) - cut, 0)])


@needs_compiled
@settings(max_examples=150, deadline=None)
@given(events, st.binary(max_size=40), damage, st.integers(0, 30), st.integers(0, 80), st.sampled_from([40, 10**6]))
def test_framing_compiled_equals_reference_on_damaged_input(items, prefix, flips, cut, start, cap):
    blob = damaged_blob([e.SerializeToString() for e in items], prefix, flips, cut)
    compiled, python = frame_both(blob, min(start, len(blob)), cap)
    assert compiled == python


@needs_compiled
@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.integers(0, 50))
def test_framing_and_resync_compiled_equal_reference_on_random_bytes(blob, start):
    compiled, python = frame_both(blob, start)
    assert compiled == python
    for cap in (0, 255, 2**32, MAX_RECORD_BYTES):
        assert _scan.next_header(blob, start, cap) == reference.next_header(blob, start, cap)


@needs_compiled
@settings(max_examples=100, deadline=None)
@given(events, st.binary(min_size=1, max_size=40), damage, st.integers(0, 200))
def test_next_header_compiled_equals_reference_on_damaged_input(items, prefix, flips, start):
    blob = damaged_blob([e.SerializeToString() for e in items], prefix, flips, 0)
    assert _scan.next_header(blob, start, MAX_RECORD_BYTES) == reference.next_header(blob, start, MAX_RECORD_BYTES)


def test_framing_stops_where_the_careful_reader_must_decide():
    records = [frame(event_pb2.Event(wall_time=1.0, step=i).SerializeToString()) for i in range(1, 20)]
    blob = b"".join(records)
    for impl in filter(None, (_scan, reference)):
        offsets = np.empty(len(blob) // 16 + 1, dtype=np.int64)
        lengths = np.empty_like(offsets)
        assert impl.frame(blob, 0, MAX_RECORD_BYTES, offsets, lengths) == (19, len(blob))
        assert impl.frame(blob[:-7], 0, MAX_RECORD_BYTES, offsets, lengths) == (18, len(blob) - len(records[-1]))
        damaged = bytearray(blob)
        damaged[len(records[0]) + 15] ^= 0xFF  # data of record 2
        assert impl.frame(bytes(damaged), 0, MAX_RECORD_BYTES, offsets, lengths) == (1, len(records[0]))
        assert impl.frame(b"garbage" + blob, 0, MAX_RECORD_BYTES, offsets, lengths) == (0, 0)
        assert impl.next_header(b"garbage" + blob, 0, MAX_RECORD_BYTES) == len(b"garbage")
        assert impl.next_header(bytes(4096), 0, MAX_RECORD_BYTES) == -1  # zeros are never a header


# ---- decoding -------------------------------------------------------------------------------------


def decode_both(buffer: bytes, offsets: list[int], lengths: list[int]):
    results = []
    for impl in (_scan, reference):
        n = len(offsets)
        out = [np.full(n, -1, np.int32), np.zeros(n, np.int64), np.zeros(n, np.float64), np.zeros(n, np.float64)]
        tags = impl.decode_scalars(buffer, np.asarray(offsets, np.int64), np.asarray(lengths, np.int64), *out)
        ids = out[0]
        took = ids >= 0
        results.append((tags, ids.tolist(), out[1][took].tolist(), out[2][took].tobytes(), out[3][took].tobytes()))
    return results


tags = st.text(min_size=0, max_size=40)
values = st.floats(width=32, allow_nan=True, allow_infinity=True)
steps = st.integers(min_value=0, max_value=2**63 - 1)
walls = st.floats(allow_nan=True, allow_infinity=True)


@needs_compiled
@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(tags, steps, walls, values, st.booleans()), max_size=30), damage)
def test_scalar_decoding_compiled_equals_reference(items, flips):
    payloads = []
    for tag, step, wall, value, odd in items:
        event = event_pb2.Event(wall_time=wall, step=step)
        summary_value = event.summary.value.add(tag=tag, simple_value=value)
        if odd:  # a shape the bulk decoder must leave to protobuf
            summary_value.node_name = "n"
        payloads.append(event.SerializeToString())
    blob = bytearray(b"".join(payloads))
    for at, value in flips:  # damaged bytes inside records: shapes that almost match
        if blob:
            blob[at % len(blob)] ^= value
    offsets = np.cumsum([0] + [len(p) for p in payloads[:-1]]).tolist() if payloads else []
    compiled, python = decode_both(bytes(blob), offsets, [len(p) for p in payloads])
    assert compiled == python


@needs_compiled
@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=60), max_size=20))
def test_scalar_decoding_compiled_equals_reference_on_random_records(records):
    blob = b"".join(records)
    offsets = np.cumsum([0] + [len(r) for r in records[:-1]]).tolist() if records else []
    compiled, python = decode_both(blob, offsets, [len(r) for r in records])
    assert compiled == python


def assert_same_scalars(bulk, careful) -> None:
    """Same tags, and per tag the same steps, wall times and values, in the same order."""
    assert set(bulk.scalars) == set(careful.scalars)
    for tag in careful.scalars:
        for a, b in zip(bulk.scalars[tag], careful.scalars[tag]):
            np.testing.assert_array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(tags, st.integers(0, 2**62), st.floats(0, 4e9), values, st.booleans()), max_size=40))
def test_bulk_decoding_equals_protobuf(items):
    payloads = []
    for tag, step, wall, value, odd in items:
        event = event_pb2.Event(wall_time=wall, step=step)
        summary_value = event.summary.value.add(tag=tag, simple_value=value)
        if odd:
            summary_value.node_name = "n"
        payloads.append(event.SerializeToString())
    offsets = np.cumsum([0] + [len(p) for p in payloads[:-1]]).astype(np.int64) if payloads else np.empty(0, np.int64)
    lengths = np.asarray([len(p) for p in payloads], dtype=np.int64)
    bulk = EventDecoder().decode_frames(b"".join(payloads), offsets, lengths)
    assert_same_scalars(bulk, EventDecoder().decode(payloads))


def test_bulk_decoder_takes_the_common_shape():
    payloads = [event_pb2.Event(wall_time=1.5, step=i + 1) for i in range(100)]
    for i, event in enumerate(payloads):
        event.summary.value.add(tag=f"tag{i % 3}", simple_value=float(i))
    blob = b"".join(frame(e.SerializeToString()) for e in payloads)
    offsets, lengths, end = kernels.frame_records(blob, 0, MAX_RECORD_BYTES)
    assert end == len(blob)
    done, out = kernels.decode_simple_scalars(blob, offsets, lengths)
    assert done.all()
    assert out["tag1"][1].tolist() == list(range(2, 101, 3))
    assert not math.isnan(out["tag0"][3][0])
    assert struct.pack("<f", out["tag2"][3][-1]) == struct.pack("<f", 98.0)


# ---- the whole reader on both ------------------------------------------------------------------


def read_and_decode(path: Path):
    reader = RecordReader(path)
    return read_records(reader), reader.offset, reader.damage, reader.incomplete, decode_file(path)


@needs_compiled
@pytest.mark.parametrize("path", event_files(DATA), ids=lambda p: str(p.relative_to(DATA)))
def test_reader_on_every_fixture_equals_on_both(path, monkeypatch):
    compiled = read_and_decode(path)
    monkeypatch.setattr(kernels, "kernels", reference)
    python = read_and_decode(path)
    assert compiled[:4] == python[:4]
    assert not compiled[2] and compiled[3] == 0
    assert_same_scalars(compiled[4], python[4])


@needs_compiled
@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=64), damage, st.integers(0, 40))
def test_reader_gives_same_records_and_damage_on_both(tmp_path_factory, prefix, flips, cut):
    """Damaged, cut or prefixed files: the compiled kernels and the reference end with the same records
    and the same damage count."""
    payloads = [event_pb2.Event(wall_time=1.0, step=i).SerializeToString() for i in range(30)]
    path = tmp_path_factory.mktemp("damaged") / "events.out.tfevents.1"
    path.write_bytes(damaged_blob(payloads, prefix, flips, cut))
    results = []
    for impl in (_scan, reference):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(kernels, "kernels", impl)
            reader = RecordReader(path)
            results.append((read_records(reader), reader.offset, reader.damage, reader.incomplete))
    assert results[0] == results[1]
    assert all(record in payloads for record in results[0][0])  # damage never makes up a record


def test_reference_reader_skips_and_counts_damage(tmp_path, with_reference):
    payloads = [event_pb2.Event(wall_time=1.0, step=i).SerializeToString() for i in range(10)]
    blob = bytearray(b"garbage!" + b"".join(frame(p) for p in payloads))
    blob[8 + sum(len(frame(p)) for p in payloads[:3]) + 14] ^= 0xFF  # data of record 4
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(bytes(blob))
    reader = RecordReader(path)
    assert read_records(reader) == payloads[:3] + payloads[4:]
    assert (reader.damage.skipped_records, reader.damage.skipped_bytes) == (1, 8)
