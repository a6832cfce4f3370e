"""A run whose files hold nothing whole, and stay so: ``check`` says at once that it cannot be read (it reads once:
a file cut short and one being written look alike), and the live views waited for good, saying nothing (a hostile
tester's find, and an old note). They now wait as long as for a stalled job, then say what ``check`` says."""

from __future__ import annotations

import signal
from pathlib import Path

from children import spawn
from conftest import REAL_FILE_FOR_DAMAGE

from tui.app.runs_table import RunRow
from tui.cli.report import unreadable_reasons
from tui.judging.thresholds import Thresholds
from tui.live.monitor import Monitor


def _cut(tmp_path: Path, size: int = 30) -> Path:
    """A real event file cut inside its first record (a job killed as it flushed)."""
    path = tmp_path / "cut" / REAL_FILE_FOR_DAMAGE.name
    path.parent.mkdir(parents=True)
    path.write_bytes(REAL_FILE_FOR_DAMAGE.read_bytes()[:size])
    return path


def test_a_run_with_nothing_whole_for_as_long_as_a_stall_is_unreadable_in_the_live_views(tmp_path: Path):
    path = _cut(tmp_path)
    now = [1_000.0]
    monitor = Monitor(str(tmp_path), Thresholds(stall_min_seconds=120), clock=lambda: now[0])
    monitor.refresh()
    run = monitor.store.runs["cut"]
    assert not run.cannot_be_read and unreadable_reasons(run) == [] and not RunRow.of(run, None).unreadable
    now[0] += 119
    monitor.refresh()
    assert not run.cannot_be_read  # a TensorBoard writer flushes every 120 s: its record may come yet
    now[0] += 2
    monitor.refresh()
    assert run.cannot_be_read and RunRow.of(run, None).unreadable
    [(_what, why)] = unreadable_reasons(run)
    assert why == run.incomplete_note() and "30 byte(s)" in why
    path.write_bytes(REAL_FILE_FOR_DAMAGE.read_bytes())  # written whole after all: read, and no longer unreadable
    monitor.refresh()
    assert run.has_points and not run.cannot_be_read and unreadable_reasons(run) == []


def test_bytes_that_change_start_the_wait_again(tmp_path: Path):
    path = _cut(tmp_path)
    now = [1_000.0]
    monitor = Monitor(str(tmp_path), Thresholds(stall_min_seconds=120), clock=lambda: now[0])
    monitor.refresh()
    now[0] += 100
    path.write_bytes(REAL_FILE_FOR_DAMAGE.read_bytes()[:40])  # still within the first record: a job writing
    monitor.refresh()
    now[0] += 100
    monitor.refresh()
    assert not monitor.store.runs["cut"].cannot_be_read
    now[0] += 21
    monitor.refresh()
    assert monitor.store.runs["cut"].cannot_be_read


def test_watch_plain_says_a_run_cut_for_good_cannot_be_read(tmp_path: Path):
    _cut(tmp_path)
    with spawn("watch", str(tmp_path), "--plain", "--set", "stall_min_seconds=1") as child:
        child.wait_for_text("cut  unreadable: 30 byte(s) at the end of its event files are not a whole record")
        assert child.stop(signal.SIGTERM) == 0


async def test_the_tui_flags_a_run_cut_for_good_and_its_status_line_says_why(tmp_path: Path):
    """The count said '1 unreadable', but the selected run's note, kept for damaged and refused files, said
    nothing of bytes that never came whole (a review's find)."""
    from conftest import until

    from tui.app.app import LossWatchApp

    _cut(tmp_path)
    monitor = Monitor(str(tmp_path), Thresholds(stall_min_seconds=0))  # waited for long enough at the first look
    app = LossWatchApp(monitor, watch=False, bell=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await until(pilot, lambda: "cut" in app.table._rows, "the run")
        await until(pilot, lambda: "unreadable" in app.table.get_cell("cut", "flags").plain, "the flag")
        status = app.query_one("#status")
        await until(pilot, lambda: "30 byte(s) at the end of its event files" in str(status.render()), "the why")


def test_a_run_of_junk_ending_in_bytes_not_whole_stays_damaged_as_check_calls_it(tmp_path: Path):
    """A new user's find: an event file of junk whose last bytes are not whole was ``damaged`` in ``check`` and in
    the table at first, and ``unreadable`` two minutes later (the status line's counts moved with it)."""
    path = tmp_path / "junk" / REAL_FILE_FOR_DAMAGE.name
    path.parent.mkdir(parents=True)
    path.write_bytes(bytes(4085) + REAL_FILE_FOR_DAMAGE.read_bytes()[:11])
    now = [1_000.0]
    monitor = Monitor(str(tmp_path), Thresholds(stall_min_seconds=120), clock=lambda: now[0])
    monitor.refresh()
    run = monitor.store.runs["junk"]
    said = [what for what, _why in unreadable_reasons(run)]
    assert run.damaged and not run.cannot_be_read and said == ["damaged"]
    now[0] += 121
    monitor.refresh()
    assert run.cut_for_good and not run.cannot_be_read and not RunRow.of(run, None).unreadable
    assert [what for what, _why in unreadable_reasons(run)] == said  # said once, in the same words
