"""A record cut short in the middle of an event file (a torn write, then the writer went on): only its own bytes
are lost, never the whole record written after it."""

from __future__ import annotations

from pathlib import Path

from conftest import frame, read_records, scalar_event
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tui.sources.tensorboard.records import RecordReader


def _file_with_a_cut_record(folder: Path, keep: float) -> tuple[Path, list[bytes]]:
    """300 records, the 101st cut to ``keep`` of its bytes; the records whole in it, in order."""
    items = [scalar_event("loss", step, float(step), 1000.0 + step) for step in range(300)]
    framed = [frame(item) for item in items]
    cut = framed[100][: max(1, int(len(framed[100]) * keep))]
    path = folder / "events.out.tfevents.1"
    path.write_bytes(b"".join(framed[:100]) + cut + b"".join(framed[101:]))
    return path, items[:100] + items[101:]


def test_the_record_after_a_cut_one_is_read(tmp_path: Path):
    """Record 100 cut in half: its claimed length ran into record 101, which was skipped with it (steps 100 and
    101 missing) though 101 is whole."""
    path, whole = _file_with_a_cut_record(tmp_path, 0.5)
    reader = RecordReader(path)
    assert read_records(reader) == whole
    assert reader.damage.skipped_bytes > 0 and reader.incomplete == 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keep=st.floats(min_value=0.05, max_value=0.95), cuts=st.lists(st.integers(1, 40_000), max_size=12))
@example(keep=0.75, cuts=[4240])  # read when the cut record's claim ended 11 bytes into the next: that one was lost
def test_read_as_it_grows_it_gives_the_same_records(tmp_path_factory, keep: float, cuts: list[int]):
    path, whole = _file_with_a_cut_record(tmp_path_factory.mktemp("cut"), keep)
    data = path.read_bytes()
    path.write_bytes(b"")
    reader = RecordReader(path)
    got: list[bytes] = []
    previous = 0
    for at in [*sorted(set(min(c, len(data)) for c in cuts)), len(data)]:
        with open(path, "ab") as handle:
            handle.write(data[previous:at])
        previous = at
        got += read_records(reader)
    assert got == whole


def test_a_run_of_damaged_records_is_crossed_once(tmp_path: Path, monkeypatch):
    """Each record whose data failed its checksum searched for the next whole record to the end of the 2 MB chunk,
    over every damaged record after it: 8,000 in a row took 36 s. Counted in header searches, not in seconds."""
    from tui.sources.tensorboard import records

    damaged = bytearray()
    for step in range(2000):
        framed = bytearray(frame(scalar_event("loss", step, float(step))))
        framed[-1] ^= 0xFF  # the data's checksum fails, the header's holds
        damaged += framed
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(bytes(damaged) + frame(scalar_event("loss", 2000, 1.0)))
    searches = 0
    real = records.next_header

    def counted(*args):
        nonlocal searches
        searches += 1
        return real(*args)

    monkeypatch.setattr(records, "next_header", counted)
    reader = RecordReader(path)
    assert read_records(reader) == [scalar_event("loss", 2000, 1.0)]
    assert reader.damage.skipped_records == 2000
    assert searches <= 3 * 2000
