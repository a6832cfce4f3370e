"""The bulk fast path gives exactly what the careful path gives: framing, CRCs, decoded scalars."""

from __future__ import annotations

import math
import os
import struct
import tempfile

import google_crc32c
import numpy as np
import pytest
from conftest import DATA, event_files
from hypothesis import given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2

from tui.sources.tensorboard import fastpath
from tui.sources.tensorboard.decode import EventDecoder
from tui.sources.tensorboard.fastpath import crc32c_rows, decode_simple_scalars, frame_records
from tui.sources.tensorboard.records import MAX_RECORD_BYTES, RecordReader, frame


@pytest.fixture(params=["compiled", "numpy"], autouse=True)
def implementation(request, monkeypatch):
    """Every test here runs on the compiled reader (tui._scan) and on the NumPy fallback."""
    if request.param == "numpy":
        monkeypatch.setattr(fastpath, "_scan", None)
    return request.param


def test_compiled_reader_is_built():
    """CI has a C compiler: a silent fallback to the slower NumPy path would hide a broken build."""
    from tui import _scan  # noqa: F401  (ImportError here means setup.py did not build it)


def test_compiled_crc_matches_google_crc32c_on_both_paths():
    from tui import _scan

    rng = np.random.default_rng(1)
    for length in [*list(range(40)), 255, 4096, 100003]:
        data = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
        expected = google_crc32c.value(data)
        assert _scan.crc32c(data) == expected
        assert _scan.crc32c(data, True) == expected


def assert_same_scalars(bulk, careful) -> None:
    """Same tags, and per tag the same steps, wall times and values, in the same order."""
    assert set(bulk.scalars) == set(careful.scalars)
    for tag in careful.scalars:
        for a, b in zip(bulk.scalars[tag], careful.scalars[tag]):
            np.testing.assert_array_equal(a, b)


def slow_frame(buffer: bytes):
    reader = RecordReader("unused")
    offsets, lengths = [], []
    consumed = reader._parse(buffer, offsets, lengths)
    return offsets, lengths, consumed


def test_crc_rows_match_google_crc32c():
    rng = np.random.default_rng(0)
    for width in (1, 3, 4, 7, 8, 45, 64):
        rows = rng.integers(0, 256, (50, width), dtype=np.uint8)
        assert crc32c_rows(rows).tolist() == [google_crc32c.value(r.tobytes()) for r in rows]


@pytest.mark.parametrize("path", event_files(DATA), ids=lambda p: str(p.relative_to(DATA)))
def test_framing_equals_sequential_on_fixtures(path):
    buffer = path.read_bytes()
    fast = frame_records(buffer, MAX_RECORD_BYTES)
    assert fast is not None, "a clean real file should take the fast path"
    offsets, lengths, consumed = slow_frame(buffer)
    assert fast[0].tolist() == offsets and fast[1].tolist() == lengths and fast[2] == consumed == len(buffer)


@pytest.mark.parametrize("path", event_files(DATA), ids=lambda p: str(p.relative_to(DATA)))
def test_bulk_decode_equals_protobuf_on_fixtures(path):
    buffer = path.read_bytes()
    offsets, lengths, _ = frame_records(buffer, MAX_RECORD_BYTES)
    bulk = EventDecoder().decode_frames(buffer, offsets, lengths)
    records = [buffer[o : o + n] for o, n in zip(offsets.tolist(), lengths.tolist())]
    assert_same_scalars(bulk, EventDecoder().decode(records))


def test_cut_or_damaged_buffers_fall_back(implementation):
    records = [frame(event_pb2.Event(wall_time=1.0, step=i).SerializeToString()) for i in range(1, 20)]
    blob = b"".join(records)
    assert frame_records(blob, MAX_RECORD_BYTES) is not None
    cut = frame_records(blob[:-7], MAX_RECORD_BYTES)
    assert cut is not None and cut[2] == len(blob) - len(records[-1])  # the cut record waits
    damaged = bytearray(blob)
    damaged[len(records[0]) + 15] ^= 0xFF  # data of record 2
    framed = frame_records(bytes(damaged), MAX_RECORD_BYTES)
    if implementation == "compiled":  # the records before the damage; the careful reader takes it from there
        assert framed is not None and framed[0].tolist() == [12] and framed[2] == len(records[0])
    else:
        assert framed is None
    assert frame_records(b"garbage" + blob, MAX_RECORD_BYTES) is None


@settings(max_examples=80, deadline=None)
@given(
    st.binary(max_size=64),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6),
    st.integers(0, 40),
)
def test_reader_gives_same_records_and_damage_on_both_paths(prefix, flips, cut):
    """Damaged, cut or prefixed files: the compiled and NumPy paths end with the same records and damage."""
    payloads = [event_pb2.Event(wall_time=1.0, step=i).SerializeToString() for i in range(30)]
    blob = bytearray(prefix + b"".join(frame(p) for p in payloads))
    for at, value in flips:
        blob[at % len(blob)] ^= value
    blob = bytes(blob[: len(blob) - cut])
    results = []
    for scan in (fastpath._scan, None):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(fastpath, "_scan", scan)
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "events.out.tfevents.1")
                with open(path, "wb") as handle:
                    handle.write(blob)
                reader = RecordReader(path)
                result = reader.read()
                results.append((result.records, reader.offset, reader.damage))
    assert results[0] == results[1]


tags = st.text(min_size=0, max_size=40)
values = st.floats(width=32, allow_nan=True, allow_infinity=True)
steps = st.integers(min_value=0, max_value=2**62)
walls = st.floats(min_value=0, max_value=4e9, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(tags, steps, walls, values, st.booleans()), min_size=1, max_size=40))
def test_random_records_bulk_equals_protobuf(items):
    payloads = []
    for tag, step, wall, value, odd in items:
        event = event_pb2.Event(wall_time=wall, step=step)
        summary_value = event.summary.value.add(tag=tag, simple_value=value)
        if odd:  # a shape the bulk decoder must leave to protobuf
            summary_value.node_name = "n"
        payloads.append(event.SerializeToString())
    blob = b"".join(frame(p) for p in payloads)
    framed = frame_records(blob, MAX_RECORD_BYTES)
    if framed is None:  # legal: the careful path then handles it
        offsets, lengths, _ = slow_frame(blob)
        framed = (np.asarray(offsets), np.asarray(lengths), len(blob))
    offsets, lengths, _ = framed
    assert_same_scalars(EventDecoder().decode_frames(blob, offsets, lengths), EventDecoder().decode(payloads))


def test_bulk_decoder_takes_the_common_shape():
    payloads = [event_pb2.Event(wall_time=1.5, step=i + 1) for i in range(100)]
    for i, event in enumerate(payloads):
        event.summary.value.add(tag=f"tag{i % 3}", simple_value=float(i))
    blob = b"".join(frame(e.SerializeToString()) for e in payloads)
    offsets, lengths, _ = frame_records(blob, MAX_RECORD_BYTES)
    done, out = decode_simple_scalars(blob, offsets, lengths)
    assert done.all()
    assert out["tag1"][1].tolist() == list(range(2, 101, 3))
    assert not math.isnan(out["tag0"][3][0])
    assert struct.pack("<f", out["tag2"][3][-1]) == struct.pack("<f", 98.0)
