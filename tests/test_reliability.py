"""Damaged files, loss-free tailing, files changing under us, hostile names, non-finite values."""

from __future__ import annotations

import errno
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from conftest import TORCH, event_files, frame, read_records, scalar_event, scalar_run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.live.monitor import Monitor
from tui.sources.tensorboard.decode import EventDecoder
from tui.sources.tensorboard.records import RecordReader

REAL_FILE = event_files(TORCH / "noisy-7")[0]
REAL_BYTES = REAL_FILE.read_bytes()


def frames_of(blob: bytes) -> list[tuple[int, int]]:
    """(start, end) of each record in an intact event file."""
    spans, pos = [], 0
    while pos < len(blob):
        length = int.from_bytes(blob[pos : pos + 8], "little")
        spans.append((pos, pos + 16 + length))
        pos += 16 + length
    return spans


SPANS = frames_of(REAL_BYTES)


def points(records: list[bytes]) -> list[tuple[str, int, float]]:
    decoded = EventDecoder().decode(records)
    out = []
    for tag, (steps, _walls, values) in decoded.scalars.items():
        out += [(tag, s, v) for s, v in zip(steps.tolist(), values.tolist())]
    return sorted(out, key=lambda p: (p[0], p[1]))


def read_all(path: Path) -> tuple[list[bytes], RecordReader]:
    reader = RecordReader(path)
    return read_records(reader), reader


# ---- damaged files -------------------------------------------------------------------------------


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


def test_large_sparse_file_is_crossed_quickly_without_big_allocations(tmp_path: Path):
    path = tmp_path / "events.out.tfevents.1"
    with open(path, "wb") as handle:
        handle.write(REAL_BYTES[: SPANS[2][1]])
        handle.truncate(64 * 1024 * 1024)  # a hole of zeros, as after a crash on some file systems
        handle.seek(0, os.SEEK_END)
        handle.write(REAL_BYTES[SPANS[2][1] :])
    import tracemalloc

    tracemalloc.start()
    started = time.monotonic()
    records, reader = read_all(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(records) == len(SPANS)
    assert reader.damage.skipped_bytes > 60 * 1024 * 1024
    assert peak < 8 * 1024 * 1024 * 8  # bounded by the read chunk, not the file
    assert time.monotonic() - started < 60  # no hang (a generous bound; see benchmarks for speed)


def test_damage_is_reported_by_check_table_and_json(tmp_path: Path):
    run = tmp_path / "hurt"
    run.mkdir()
    blob = bytearray(REAL_BYTES)
    blob[SPANS[10][0] + 20] ^= 0xFF
    (run / REAL_FILE.name).write_bytes(bytes(blob))
    result = subprocess.run(
        [sys.executable, "-m", "tui", "check", str(tmp_path), "--json"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
    record = json.loads(result.stdout)[0]
    assert record["damaged"] is True and record["skipped_records"] == 1
    assert {"name": "damaged", "reason": "skipped 1 damaged record(s); everything else was read"} in record["flags"]
    table = subprocess.run(
        [sys.executable, "-m", "tui", "check", str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert "skipped 1 damaged record" in table.stdout


def test_check_says_when_a_file_ends_in_part_of_a_record(tmp_path: Path):
    run = tmp_path / "cut"
    run.mkdir()
    cut = SPANS[-1][0] + 5  # five bytes into the last record
    (run / REAL_FILE.name).write_bytes(REAL_BYTES[:cut])
    table = subprocess.run(
        [sys.executable, "-m", "tui", "check", str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in table.stderr
    assert "cut: 5 byte(s) at the end of its event files are not a whole record" in table.stdout
    assert "damaged" not in table.stdout  # a record still being written is not damage
    result = subprocess.run(
        [sys.executable, "-m", "tui", "check", str(tmp_path), "--json"], capture_output=True, text=True, timeout=120
    )
    assert json.loads(result.stdout)[0]["incomplete_bytes"] == 5


def test_check_says_when_a_file_named_like_an_event_file_holds_nothing_readable(tmp_path: Path):
    run = tmp_path / "junk"
    run.mkdir()
    (run / "events.out.tfevents.1.junk").write_bytes(random.Random(0).randbytes(5000))
    table = subprocess.run(
        [sys.executable, "-m", "tui", "check", str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in table.stderr
    assert "no data could be read: not a TensorBoard event file" in table.stdout
    assert "0 damaged" not in table.stdout and "everything else was read" not in table.stdout


# ---- loss-free live tail ---------------------------------------------------------------------------


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


# ---- files changing under us --------------------------------------------------------------------------


def test_truncated_or_replaced_file_is_reread_without_duplicates(tmp_path: Path):
    path = scalar_run(tmp_path / "r", {"loss": [3.0, 2.0, 1.0]})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    replacement = tmp_path / "replacement"
    replacement.write_bytes(path.read_bytes())
    os.replace(replacement, path)  # same content, new inode
    monitor.refresh()
    assert monitor.store.runs["r"].scalars["loss"].values.tolist() == [3.0, 2.0, 1.0]
    with open(path, "r+b") as handle:
        handle.truncate(0)
    scalar_run(tmp_path / "r", {"loss": [9.0, 8.0]})  # rewritten shorter (same name: same timestamp)
    monitor.refresh()
    assert monitor.store.runs["r"].scalars["loss"].values.tolist() == [9.0, 8.0]


def test_logdir_deleted_and_recreated_resumes_watching(tmp_path: Path):
    from tui.live.watcher import Watcher

    logdir = tmp_path / "logs"
    scalar_run(logdir / "a", {"loss": [1.0]})
    monitor = Monitor(str(logdir))
    seen: list[str] = []
    watcher = Watcher(monitor, lambda new, changes, alerts: seen.extend(n.run for n in new))
    watcher.start()
    try:
        deadline = time.monotonic() + 10
        while "a" not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(logdir)
        deadline = time.monotonic() + 10
        while not monitor.logdir_missing and time.monotonic() < deadline:
            time.sleep(0.1)
        assert monitor.logdir_missing and monitor.store.runs["a"].gone
        scalar_run(logdir / "b", {"loss": [1.0]})
        deadline = time.monotonic() + 15
        while "b" not in seen and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "b" in seen
    finally:
        watcher.stop()


def test_permission_denied_on_one_run_keeps_the_others(tmp_path: Path, monkeypatch):
    scalar_run(tmp_path / "good", {"loss": [1.0, 0.5]})
    locked = scalar_run(tmp_path / "locked", {"loss": [1.0, 0.5]})
    if os.geteuid() == 0:
        # root reads any file, so the refusal the OS would give another user is simulated for that one file
        import builtins

        real_open = builtins.open

        def guarded(path, *args, **kwargs):
            if os.fspath(path) == str(locked):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr("tui.sources.roots.local.open", guarded, raising=False)
    else:
        locked.chmod(0)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert len(monitor.store.runs["good"].scalars["loss"]) == 2
    assert monitor.store.runs["locked"].errors == ["permission denied"]
    result_json = __import__("tui.cli.report", fromlist=["run_record"]).run_record(
        monitor.store.runs["locked"], monitor.verdict("locked")
    )
    assert {"name": "unreadable", "reason": "permission denied"} in result_json["flags"]


def test_inotify_limit_falls_back_to_polling_with_a_note(tmp_path: Path, monkeypatch):
    from tui.live import watcher as watcher_module

    def refuse(self):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watcher_module.Observer, "start", refuse)
    path = scalar_run(tmp_path / "r", {"loss": [1.0]})
    monitor = Monitor(str(tmp_path))
    changes_seen = []
    w = watcher_module.Watcher(monitor, lambda new, changes, alerts: changes_seen.extend(changes))
    w.start()
    try:
        assert w.mode == "polling" and "polling" in (w.note or "")
        assert any("inotify" in note for note in monitor.store.notes)
        time.sleep(0.3)
        with open(path, "ab") as handle:
            handle.write(frame(scalar_event("loss", 1, 0.5, 1001.0)))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(monitor.store.runs.get("r").scalars["loss"]) < 2:
            time.sleep(0.1)
        assert len(monitor.store.runs["r"].scalars["loss"]) == 2
    finally:
        w.stop()


# ---- non-finite values and hostile names --------------------------------------------------------------


def test_nan_and_inf_everywhere_never_crash(tmp_path: Path):
    scalar_run(tmp_path / "r", {"loss": [math.nan, math.inf, -math.inf, 1.0], "val_loss": [math.inf] * 4})
    for args in (
        ["check", str(tmp_path), "--json"],
        ["check", str(tmp_path)],
        ["replay", str(tmp_path), "--json"],
        ["export", str(tmp_path), "-o", str(tmp_path / "x.csv")],
    ):
        result = subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=120)
        assert result.returncode in (0, 1), (args, result.stderr)
        assert "Traceback" not in result.stderr
    record = json.loads(
        subprocess.run(
            [sys.executable, "-m", "tui", "check", str(tmp_path), "--json"], capture_output=True, text=True, timeout=120
        ).stdout
    )[0]
    assert record["verdict"] == "diverging"


HOSTILE = ["\x1b[31mred\x1b[0m", "[bold]x[/]", "[@click=app.quit]q", "new\nline", "x" * 250]


def test_hostile_names_are_inert_in_check_output(tmp_path: Path):
    for i, name in enumerate(HOSTILE):
        scalar_run(tmp_path / name, {"loss": [1.0, 0.5], f"[red]tag{i}\x1b[2J": [1.0, 0.5]})
    raw = os.fsencode(tmp_path) + b"/bad\xff\xfename"
    os.makedirs(raw)
    scalar_run(Path(os.fsdecode(raw)), {"loss": [1.0]})
    for extra in ([], ["--json"]):
        result = subprocess.run(
            [sys.executable, "-m", "tui", "check", str(tmp_path), *extra], capture_output=True, timeout=120
        )
        out = result.stdout.decode("utf-8")
        assert result.returncode in (0, 1) and b"Traceback" not in result.stderr
        assert "\x1b" not in out  # no escape sequence reaches the terminal
        assert "\\x1b[31m" in out or "\\\\x1b[31m" in out
        assert "bad\\xff\\xfename" in out or "bad\\\\xff\\\\xfename" in out
    records = json.loads(
        subprocess.run(
            [sys.executable, "-m", "tui", "check", str(tmp_path), "--json"], capture_output=True, text=True, timeout=120
        ).stdout
    )
    assert "[bold]x[/]" in {r["run"] for r in records}
    assert "new\\nline" in {r["run"] for r in records}


def test_tui_shows_non_finite_and_damaged_runs(tmp_path: Path):
    import asyncio

    from tui.app.app import LossWatchApp

    scalar_run(tmp_path / "nan", {"loss": [1.0, math.nan], "val_loss": [math.inf, 1.0]})

    async def go():
        app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.3)
            assert app.table._rows["nan"].verdict == "diverging"

    asyncio.run(go())
