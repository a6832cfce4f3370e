"""A Trainer output folder whose newest trainer_state.json is cut short or empty: what is read in its place, and
what check, the status line and ``watch --plain`` say of it (a log's unfinished tail is not said)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from children import spawn
from conftest import REAL_FILE_FOR_DAMAGE
from logger_runs import FIXTURES, curve_of
from test_formats import _hf_output

from tui.cli.main import main
from tui.cli.report import cut_left_note
from tui.judging.thresholds import Thresholds
from tui.live.monitor import Monitor


def test_the_bytes_waited_for_are_the_newest_states_when_an_older_one_is_cut_too(tmp_path: Path):
    """The newest state and the checkpoint's before it both cut short, an older one read: the note said the
    newest's bytes were the two files' together (8,000 + 9,000 read as "17,000 byte(s)")."""
    whole = (FIXTURES / "runs" / "hf-out" / "checkpoint-3000" / "trainer_state.json").read_bytes()
    logdir = _hf_output(tmp_path, whole[:1000])
    older = logdir / "out" / "checkpoint-2500" / "trainer_state.json"
    older.write_bytes(older.read_bytes()[:1500])
    monitor = Monitor(str(logdir))
    monitor.refresh()
    run = monitor.store.runs["out"]
    assert curve_of(run, "eval_loss")[0][-1] == 2000  # checkpoint-2000's history
    assert run.incomplete_bytes == 1000
    assert run.incomplete_note().startswith("its newest trainer_state.json is not a whole document (1,000 byte(s)")


def test_an_empty_newest_state_is_noted_while_an_older_checkpoints_is_read(tmp_path: Path, capsys):
    """A save truncates trainer_state.json before it writes it, and a job killed then leaves it empty: the older
    checkpoint's history was shown without a word (0 bytes waited for, nothing damaged)."""
    logdir = _hf_output(tmp_path, b"")
    monitor = Monitor(str(logdir))
    monitor.refresh()
    run = monitor.store.runs["out"]
    assert curve_of(run, "eval_loss")[0][-1] == 2500  # checkpoint-2500's history
    assert run.incomplete_note() == (
        "its newest trainer_state.json is not a whole document (empty: a job still writing, or killed while saving);"
        " an older checkpoint's was read"
    )
    main(["check", str(logdir)])
    assert "out: its newest trainer_state.json is not a whole document (empty" in capsys.readouterr().out
    main(["check", "--json", str(logdir)])  # no byte to count: the JSON says it in words
    [record] = json.loads(capsys.readouterr().out)
    assert record["incomplete_bytes"] == 0 and record["incomplete"] == run.incomplete_note()


def test_a_folder_whose_only_state_is_empty_cannot_be_read_until_it_is_written(tmp_path: Path, capsys):
    """The first save killed while the file was empty: the run was 'waiting' with no word and check exit 0, where
    the same file cut at 30 bytes said nothing whole could be read (exit 2)."""
    whole = (FIXTURES / "runs" / "hf-out" / "checkpoint-3000" / "trainer_state.json").read_bytes()
    state = tmp_path / "logs" / "out" / "checkpoint-100" / "trainer_state.json"
    state.parent.mkdir(parents=True)
    state.write_bytes(b"")
    assert main(["check", str(tmp_path / "logs")]) == 2
    note = "no trainer_state.json of it is a whole document (empty: a job still writing, or killed while saving)"
    assert f"out: {note}; nothing was read" in capsys.readouterr().out
    monitor = Monitor(str(tmp_path / "logs"))
    monitor.refresh()
    assert monitor.store.runs["out"].cut_short and not monitor.store.runs["out"].has_points
    state.write_bytes(whole)  # the save done
    monitor.refresh()
    run = monitor.store.runs["out"]
    assert run.has_points and not run.cut_short


def test_the_live_views_say_a_newest_state_cut_for_good_beside_the_older_ones_curves(tmp_path: Path):
    """``check`` noted a newest trainer_state.json cut short (an older checkpoint's read in its place); the live
    views, which cannot tell it at once from a save under way, said nothing of it for good. Once its bytes stayed
    as they are for ``stall_min_seconds``, the run carries the note (``Run.cut_left``) that the status line and
    ``watch --plain`` say; a save that completes takes it away."""
    whole = (FIXTURES / "runs" / "hf-out" / "checkpoint-3000" / "trainer_state.json").read_bytes()
    logdir = _hf_output(tmp_path, whole[:1000])
    now = [1_000.0]
    monitor = Monitor(str(logdir), Thresholds(stall_min_seconds=120), clock=lambda: now[0])
    monitor.refresh()
    monitor.check_stalled()
    run = monitor.store.runs["out"]
    assert run.has_points and run.cut_short and not run.cut_left and cut_left_note(run) is None
    now[0] += 121
    monitor.check_stalled()
    assert run.cut_left and not run.cannot_be_read  # its curves are read: no unreadable run
    assert cut_left_note(run) == run.incomplete_note() and "an older checkpoint's was read" in run.incomplete_note()
    (logdir / "out" / "checkpoint-3000" / "trainer_state.json").write_bytes(whole)  # the save done after all
    monitor.refresh()
    monitor.check_stalled()
    assert not run.cut_left and cut_left_note(run) is None


def test_watch_plain_says_once_that_the_newest_state_is_cut_short(tmp_path: Path):
    logdir = _hf_output(tmp_path, b"")
    with spawn("watch", str(logdir), "--plain", "--json", "--set", "stall_min_seconds=1") as child:
        child.wait_for_text('"kind": "cut"')
        child.wait_for_text('"kind": "overfitting"')  # later rounds come and go: the note is not said again
        assert child.stop(signal.SIGTERM) == 0
        [record] = [json.loads(line) for line in child.text().splitlines() if '"kind": "cut"' in line]
        assert record["run"] == "out" and record["step"] is None
        assert record["reason"].startswith("its newest trainer_state.json is not a whole document (empty")


async def test_the_status_line_says_a_newest_state_cut_short_for_the_selected_run(tmp_path: Path):
    from conftest import until

    from tui.app.app import LossWatchApp

    whole = (FIXTURES / "runs" / "hf-out" / "checkpoint-3000" / "trainer_state.json").read_bytes()
    logdir = _hf_output(tmp_path, whole[:1000])
    monitor = Monitor(str(logdir), Thresholds(stall_min_seconds=0))  # waited for long enough at the first look
    app = LossWatchApp(monitor, watch=False, bell=False)
    async with app.run_test(size=(200, 30)) as pilot:
        await until(pilot, lambda: "out" in app.table._rows, "the run")
        status = app.query_one("#status")
        await until(pilot, lambda: "newest trainer_state.json is not a whole" in str(status.render()), "the note")
        assert app.trouble == (0, 0, 0)  # read in part: neither damaged nor unreadable


def test_a_log_whose_last_record_waits_for_its_writers_flush_is_not_said_cut(tmp_path: Path):
    """A review's find: tensorboardX writes a record in four writes through an 8 KB buffer, so its event file ends
    mid-record between flushes (every 120 s by default, or ``flush_secs``), and a hand-written loop's JSON-lines
    log ends mid-line until it closes the file. Read in part, such a run is a job writing, whatever the wait:
    only a Trainer's newest state, written whole at a checkpoint, is said cut short."""
    whole = REAL_FILE_FOR_DAMAGE.read_bytes()
    events = tmp_path / "events" / REAL_FILE_FOR_DAMAGE.name
    events.parent.mkdir()
    events.write_bytes(whole[: len(whole) - 10])  # its last record not whole yet
    lines = tmp_path / "lines" / "log.jsonl"
    lines.parent.mkdir()
    lines.write_text('{"step": 1, "loss": 0.9}\n{"step": 2, "loss": 0.8}\n{"step": 3, "lo')
    now = [1_000.0]
    monitor = Monitor(str(tmp_path), Thresholds(stall_min_seconds=120), clock=lambda: now[0])
    monitor.refresh()
    monitor.check_stalled()
    now[0] += 600
    monitor.refresh()
    monitor.check_stalled()
    for name in ("events", "lines"):
        run = monitor.store.runs[name]
        assert run.has_points and run.cut_short and run.cut_for_good  # its tail stayed as it was...
        assert not run.cut_left and cut_left_note(run) is None  # ...and is no Trainer's state cut short
