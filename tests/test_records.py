"""The incremental TFRecord reader: appends, cut records, damage."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from conftest import TORCH, event_files, frame, read_records, scalar_event, write_records

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
