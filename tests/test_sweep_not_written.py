"""A sweep's runs behind their peers are "to stop" only while they are being written: a fresh view of runs whose
files were whole before the watch began (nothing appended since) has nothing to stop, as the engine has it (a run
never seen writing is finished, never ``stalled``)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from conftest import run_main
from sweep_fixtures import lr_sweep, start_run, write_run
from test_sweep_view import _app, _open, _seen_writing

from tui.app.sweep_data import NOT_SEEN_WRITING, sweep_view
from tui.live.monitor import Monitor

PLANNED = {"epochs": 80}
"""What the runs plan (61 validation points written): stopping a run being written saves epochs."""


def _title(screen) -> str:
    return str(screen.query_one("#sweep-title").render())


def _rows(screen) -> list[list[str]]:
    table = screen.query_one("#sweep-runs")
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_a_fresh_view_of_finished_runs_has_none_to_stop(tmp_path: Path):
    """A user's find: opened on a sweep whose jobs had ended hours before (short of the 80 epochs they logged), the
    view read '5 to stop (saves 95 ep, 1.58 GPU h)' of runs no job was writing any more."""
    for name, values in lr_sweep(1).items():
        write_run(tmp_path / "sweep" / name, values, hparams=PLANNED)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    view = sweep_view(monitor, "sweep")
    assert view is not None
    behind = [row for row in view.rows if row.behind]
    assert len(behind) >= 2 and all(row.stopped == NOT_SEEN_WRITING for row in behind), behind
    app = _app(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, "sweep/lr=0.001")
        title = _title(screen)
        assert "to stop" not in title and f"{len(behind)} behind, not being written" in title, title
        flagged = [row for row in _rows(screen) if "behind-peers" in row or "diverged" in row]
        assert flagged and all(row[-1] == NOT_SEEN_WRITING for row in flagged), flagged  # no saving
        note = str(screen.query_one("#sweep-note").render())
        assert note.endswith("not seen writing: nothing to stop unless it writes again"), note


async def test_runs_being_written_behind_their_peers_are_still_to_stop(tmp_path: Path):
    """The same sweep as jobs that write while watched: the runs behind are counted to stop, with their savings."""
    going_on = [start_run(tmp_path / "sweep" / name, values, hparams=PLANNED) for name, values in lr_sweep(1).items()]
    app = _seen_writing(tmp_path, going_on)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause(0.2)
        assert all(run.live for run in app.monitor.store.runs.values())
        screen = await _open(pilot, "sweep/lr=0.001")
        flagged = [row for row in _rows(screen) if "behind-peers" in row or "diverged" in row]
        title = _title(screen)
        assert len(flagged) >= 2 and f"{len(flagged)} to stop (saves " in title, (title, flagged)
        assert "not being written" not in title
        assert all(" ep" in row[-1] for row in flagged), flagged


async def test_a_sweep_of_running_and_finished_runs_counts_each_apart(tmp_path: Path):
    """Runs behind their peers of one sweep, some still written and one whose job had ended before the watch: the
    title counts the first to stop and the other behind, not being written."""
    going_on = []
    for name, values in lr_sweep(1).items():
        if name == "lr=0.001":  # the slowest: behind, its job over before the watch began
            write_run(tmp_path / "sweep" / name, values, hparams=PLANNED)
        else:
            going_on.append(start_run(tmp_path / "sweep" / name, values, hparams=PLANNED))
    app = _seen_writing(tmp_path, going_on)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, "sweep/lr=0.001")
        rows = {row[1]: row for row in _rows(screen)}
        assert rows["lr=0.001"][2] == "behind-peers" and rows["lr=0.001"][-1] == NOT_SEEN_WRITING
        running = [row for label, row in rows.items() if row[2] and label != "lr=0.001"]
        assert running and all(" ep" in row[-1] for row in running), rows
        title = _title(screen)
        assert f"{len(running)} to stop (saves " in title and "1 behind, not being written" in title, title


def _check_behind(tmp_path: Path) -> dict[str, str]:
    result = run_main("check", "--json", str(tmp_path))
    rows = json.loads(result.stdout)
    return {row["run"]: flag["reason"] for row in rows for flag in row["flags"] if flag["name"] == "behind-peers"}


def test_check_says_a_run_behind_whose_files_are_old_has_nothing_left_to_stop(tmp_path: Path):
    """``check`` on a sweep whose jobs ended hours ago advised stopping runs nothing was writing: a single read cannot
    watch a job stall, but files unchanged for longer than the ``stalled`` flag waits say it ended."""
    for name, values in lr_sweep(1).items():
        write_run(tmp_path / "sweep" / name, values, hparams=PLANNED)
    fresh = _check_behind(tmp_path)
    assert len(fresh) >= 2 and not [reason for reason in fresh.values() if "nothing left to stop" in reason]
    assert "stop its job to free the GPU" in run_main("check", str(tmp_path), columns=200).stdout
    three_hours_ago = time.time() - 3 * 3600
    for path in (tmp_path / "sweep").rglob("events.out.tfevents.*"):
        os.utime(path, (three_hours_ago, three_hours_ago))
    old = _check_behind(tmp_path)
    assert old.keys() == fresh.keys()
    assert all(reason.endswith("; its files unchanged for 3 h: nothing left to stop") for reason in old.values()), old
    legend = run_main("check", str(tmp_path), columns=200).stdout
    assert "behind-peers  clearly behind its sweep's peers; its job ended: nothing left to stop" in legend, legend
    assert "stop its job" not in legend


def test_check_says_a_run_behind_that_reached_its_planned_end_is_finished(tmp_path: Path):
    """Runs that logged every epoch they planned (61 validation points of 60 epochs) are finished, however fresh."""
    for name, values in lr_sweep(1).items():
        write_run(tmp_path / "sweep" / name, values, hparams={"epochs": 60})
    behind = _check_behind(tmp_path)
    finite = {run: reason for run, reason in behind.items() if "left the pool" not in reason}
    assert finite and all(
        reason.endswith("; finished (its planned end reached): nothing left to stop") for reason in finite.values()
    ), finite
