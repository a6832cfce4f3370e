"""The incremental TFRecord reader: appends, cut records, damage."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
from conftest import (
    REAL_BYTES,
    SPANS,
    TORCH,
    event_files,
    frame,
    read_records,
    scalar_event,
    write_records,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.sources.tensorboard.decode import EventDecoder
from tui.sources.tensorboard.records import HEADER_SIZE, RecordReader


def payloads(n: int) -> list[bytes]:
    return [scalar_event("loss", i, float(i)) for i in range(n)]


def test_reads_every_record_of_a_real_file():
    path = event_files(TORCH / "overfit-7")[0]
    reader = RecordReader(path)
    records = read_records(reader)
    assert len(records) == 1801
    assert reader.offset == path.stat().st_size
    assert not reader.damage


def test_second_read_without_appends_reads_nothing(tmp_path: Path):
    path = tmp_path / "events.out.tfevents.1"
    write_records(path, payloads(5))
    reader = RecordReader(path)
    assert len(read_records(reader)) == 5
    assert read_records(reader) == []


def test_append_while_reading_gives_every_record_once(tmp_path: Path):
    path = tmp_path / "events.out.tfevents.1"
    blob = b"".join(frame(p) for p in payloads(100))
    half = len(blob) // 2 + 7  # mid-record on purpose
    path.write_bytes(blob[:half])
    reader = RecordReader(path)
    first = read_records(reader)
    with open(path, "ab") as handle:
        handle.write(blob[half:])
    second = read_records(reader)
    assert first + second == payloads(100)
    assert 0 < len(first) < 100
    assert not reader.damage


@pytest.mark.parametrize("region", ["length", "length_crc", "data", "data_crc"])
def test_cut_anywhere_inside_a_record_loses_and_duplicates_nothing(tmp_path: Path, region: str):
    items = payloads(3)
    blob = b"".join(frame(p) for p in items)
    start = len(frame(items[0]))  # the second record
    data_len = len(items[1])
    spans = {
        "length": (0, 8),
        "length_crc": (8, 12),
        "data": (12, 12 + data_len),
        "data_crc": (12 + data_len, 16 + data_len),
    }
    lo, hi = spans[region]
    for cut in range(start + lo, start + hi):
        path = tmp_path / f"events.out.tfevents.{cut}"
        path.write_bytes(blob[:cut])
        reader = RecordReader(path)
        got = read_records(reader)
        assert got == items[:1], cut
        assert reader.incomplete == cut - start, cut  # the partial record is waited for, and counted
        with open(path, "ab") as handle:
            handle.write(blob[cut:])
        got += read_records(reader)
        assert got == items, cut
        assert not reader.damage, cut
        assert reader.incomplete == 0, cut


def test_bad_data_crc_skips_only_that_record(tmp_path: Path):
    items = payloads(10)
    blob = bytearray(b"".join(frame(p) for p in items))
    offset = sum(len(frame(p)) for p in items[:4]) + HEADER_SIZE + 3
    blob[offset] ^= 0xFF  # inside record 5's data
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(bytes(blob))
    reader = RecordReader(path)
    got = read_records(reader)
    assert got == items[:4] + items[5:]
    assert reader.damage.skipped_records == 1


def test_bad_length_crc_resyncs_to_the_next_record(tmp_path: Path):
    items = payloads(10)
    blob = bytearray(b"".join(frame(p) for p in items))
    offset = sum(len(frame(p)) for p in items[:4]) + 9
    blob[offset] ^= 0x01  # record 5's length CRC
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(bytes(blob))
    reader = RecordReader(path)
    assert read_records(reader) == items[:4] + items[5:]
    assert reader.damage.skipped_bytes == len(frame(items[4]))


def test_absurd_length_is_damage_not_an_allocation(tmp_path: Path):
    items = payloads(4)
    bogus = struct.pack("<Q", 2**62)
    blob = frame(items[0]) + frame(items[1])[:0] + bogus + b"\0" * 20 + frame(items[1]) + frame(items[2])
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(blob)
    reader = RecordReader(path)
    assert read_records(reader) == [items[0], items[1], items[2]]
    assert reader.damage.skipped_bytes == 28


def test_garbage_then_records_resumes_after_garbage(tmp_path: Path):
    items = payloads(3)
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(b"not an event file at all" + b"".join(frame(p) for p in items))
    reader = RecordReader(path)
    assert read_records(reader) == items
    assert reader.damage.skipped_bytes == len(b"not an event file at all")


def test_truncated_file_restarts_from_the_beginning(tmp_path: Path):
    path = tmp_path / "events.out.tfevents.1"
    write_records(path, payloads(5))
    reader = RecordReader(path)
    read_records(reader)
    write_records(path, payloads(2))  # rewritten shorter
    records = read_records(reader)
    assert reader.restarted
    assert records == payloads(2)


def test_replaced_file_restarts_from_the_beginning(tmp_path: Path):
    path = tmp_path / "events.out.tfevents.1"
    write_records(path, payloads(5))
    reader = RecordReader(path)
    read_records(reader)
    replacement = tmp_path / "new"
    write_records(replacement, payloads(7))
    replacement.replace(path)
    records = read_records(reader)
    assert reader.restarted and records == payloads(7)


def test_missing_file_raises_and_keeps_state(tmp_path: Path):
    path = tmp_path / "events.out.tfevents.1"
    write_records(path, payloads(3))
    reader = RecordReader(path)
    read_records(reader)
    offset = reader.offset
    path.unlink()
    with pytest.raises(FileNotFoundError):
        read_records(reader)
    assert reader.offset == offset


def points(records: list[bytes]) -> list[tuple[str, int, float]]:
    decoded = EventDecoder().decode(records)
    out = []
    for tag, (steps, _walls, values) in decoded.scalars.items():
        out += [(tag, s, v) for s, v in zip(steps.tolist(), values.tolist())]
    return sorted(out, key=lambda p: (p[0], p[1]))


def read_all(path: Path) -> tuple[list[bytes], RecordReader]:
    reader = RecordReader(path)
    return read_records(reader), reader


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=len(REAL_BYTES)))
def test_random_truncation_keeps_every_whole_record(tmp_path_factory, cut):
    path = tmp_path_factory.mktemp("t") / "events.out.tfevents.1"
    path.write_bytes(REAL_BYTES[:cut])
    records, reader = read_all(path)
    whole = [REAL_BYTES[a + 12 : b - 4] for a, b in SPANS if b <= cut]
    assert records == whole
    assert not reader.damage  # a cut is not damage: the rest may still come


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    record=st.integers(min_value=0, max_value=len(SPANS) - 1),
    where=st.integers(min_value=0),
    bit=st.integers(min_value=0, max_value=7),
)
def test_a_bit_flip_loses_only_the_record_it_hits(tmp_path_factory, record, where, bit):
    start, end = SPANS[record]
    offset = start + where % (end - start)
    blob = bytearray(REAL_BYTES)
    blob[offset] ^= 1 << bit
    path = tmp_path_factory.mktemp("f") / "events.out.tfevents.1"
    path.write_bytes(bytes(blob))
    records, reader = read_all(path)
    intact = [REAL_BYTES[a + 12 : b - 4] for i, (a, b) in enumerate(SPANS) if i != record]
    got = set(records)
    assert set(intact) <= got  # every intact record before and after the damage is read
    assert len(records) <= len(SPANS)
    assert reader.damage  # and the damage is reported
    assert reader.offset >= len(blob) - 11  # at most a would-be header's first bytes wait for more data


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(min_size=1, max_size=3000), position=st.integers(min_value=0, max_value=len(SPANS)))
def test_garbage_inserted_between_records_is_skipped(tmp_path_factory, garbage, position):
    at = SPANS[position][0] if position < len(SPANS) else len(REAL_BYTES)
    path = tmp_path_factory.mktemp("g") / "events.out.tfevents.1"
    path.write_bytes(REAL_BYTES[:at] + garbage + REAL_BYTES[at:])
    records, _reader = read_all(path)
    intact = [REAL_BYTES[a + 12 : b - 4] for a, b in SPANS]
    assert set(intact) <= set(records)


def test_absurd_length_and_zero_length_file(tmp_path: Path):
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(
        REAL_BYTES[: SPANS[3][0]] + (2**62).to_bytes(8, "little") + b"\x01\x02\x03\x04" + REAL_BYTES[SPANS[3][0] :]
    )
    records, reader = read_all(path)
    assert len(records) == len(SPANS) and reader.damage.skipped_bytes == 12
    empty = tmp_path / "events.out.tfevents.2"
    empty.write_bytes(b"")
    assert read_all(empty)[0] == []


def test_large_sparse_file_is_crossed_without_big_allocations(tmp_path: Path):
    path = tmp_path / "events.out.tfevents.1"
    with open(path, "wb") as handle:
        handle.write(REAL_BYTES[: SPANS[2][1]])
        handle.truncate(64 * 1024 * 1024)  # a hole of zeros, as after a crash on some file systems
        handle.seek(0, os.SEEK_END)
        handle.write(REAL_BYTES[SPANS[2][1] :])
    import tracemalloc

    tracemalloc.start()
    records, reader = read_all(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(records) == len(SPANS)
    assert reader.damage.skipped_bytes > 60 * 1024 * 1024
    assert peak < 8 * 1024 * 1024 * 8  # bounded by the read chunk, not the file (its speed: benchmarks/)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_tail_in_random_chunks_equals_a_full_read(tmp_path_factory, data):
    source = event_files(TORCH / "overfit-7")[0].read_bytes()
    cuts = sorted(set(data.draw(st.lists(st.integers(min_value=1, max_value=len(source) - 1), max_size=25))))
    path = tmp_path_factory.mktemp("tail") / "events.out.tfevents.1"
    path.write_bytes(b"")
    reader = RecordReader(path)
    got: list[bytes] = []
    previous = 0
    for cut in [*cuts, len(source)]:
        with open(path, "ab") as handle:
            handle.write(source[previous:cut])
        previous = cut
        if data.draw(st.booleans()):
            got += read_records(reader)
    got += read_records(reader)
    full = read_records(RecordReader(event_files(TORCH / "overfit-7")[0]))
    assert got == full  # nothing lost, nothing twice, same order
    assert points(got) == points(full)


def lying_header(length: int) -> bytes:
    """A record header whose length passes its checksum but is not the record's: damage no CRC catches."""
    claimed = struct.pack("<Q", length)
    from tui.sources.tensorboard.records import masked_crc

    return claimed + struct.pack("<I", masked_crc(claimed))


@pytest.mark.parametrize(
    ("items", "before", "claimed"),
    [(payloads(8), 4, 60 * 1024 * 1024), ([bytes([k % 251]) * 1000 for k in range(3000)], 3, 8 * 1024 * 1024)],
    ids=["4kB-after-it", "megabytes-after-it"],
)
def test_a_wrong_length_with_a_valid_checksum_mid_file_is_damage_not_an_unfinished_record(
    tmp_path: Path, items: list[bytes], before: int, claimed: int
):
    """A length that passes its CRC but claims 60 MB in a 4 kB file, with whole records after it: the reader
    waited for the rest for good, dropped what followed, and the note called it an unfinished end. With more
    than one read chunk (2 MB) after it, only 3 of 2,956 records were read."""
    bogus = lying_header(claimed) + b"\0" * 16
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(b"".join(frame(p) for p in items[:before]) + bogus + b"".join(frame(p) for p in items[before:]))
    reader = RecordReader(path)
    assert read_records(reader) == items
    assert reader.damage.skipped_bytes == len(bogus) and reader.incomplete == 0


def test_a_record_still_being_written_at_the_end_is_waited_for(tmp_path: Path):
    items = payloads(3)
    whole = frame(items[2])
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(frame(items[0]) + frame(items[1]) + whole[:-7])
    reader = RecordReader(path)
    assert read_records(reader) == items[:2]
    assert reader.incomplete == len(whole) - 7 and reader.damage.skipped_bytes == 0
    with open(path, "ab") as handle:
        handle.write(whole[-7:])
    assert read_records(reader) == [items[2]]


def test_a_wrong_length_that_ends_inside_the_file_loses_only_its_own_bytes(tmp_path: Path):
    """A lying length (its checksum valid) that ends inside the file, over whole records: read from scratch,
    the records it covered were lost (710 of 1,005 read), while a reader that met the file as it grew got them
    all. Both now get every record; a record whose data alone is damaged is still skipped whole."""
    items = payloads(40)
    framed = [frame(p) for p in items]
    bogus = lying_header(sum(len(f) for f in framed[10:20]) - 30)  # ends inside record 19
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(b"".join(framed[:10]) + bogus + b"".join(framed[10:]))
    reader = RecordReader(path)
    assert read_records(reader) == items
    assert reader.damage.skipped_bytes == len(bogus) and reader.damage.skipped_records == 0
    flipped = bytearray(b"".join(framed))
    flipped[sum(len(f) for f in framed[:5]) + HEADER_SIZE + 2] ^= 0x10  # record 5's data
    path.write_bytes(bytes(flipped))
    again = RecordReader(path)
    assert read_records(again) == items[:5] + items[6:] and again.damage.skipped_records == 1
