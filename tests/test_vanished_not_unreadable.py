"""A run whose folder is renamed or deleted while `watch --plain` reads it is said gone, not unreadable first.

The watcher reads a changed run before the scan that finds its folder gone; its file had vanished, and 3 of 5
renamed runs were said 'unreadable: file vanished' and then 'gone' (a hostile tester's find). A vanished file
waits ``VANISH_GRACE``: said unreadable only if its run is still not gone by then."""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stdout
from pathlib import Path

from conftest import scalar_run

from tui.cli.plain_watch import VANISH_GRACE, PlainWatch, vanish_grace
from tui.live.monitor import Monitor


def _said(watch: PlainWatch) -> list[tuple[str, str]]:
    out = io.StringIO()
    with redirect_stdout(out):
        watch.say([], [])
    return [(line["run"], line["kind"]) for line in map(json.loads, out.getvalue().splitlines())]


def _watching(tmp_path: Path) -> tuple[Monitor, PlainWatch, list[float]]:
    monitor = Monitor(str(tmp_path))
    now = [100.0]
    watch = PlainWatch(monitor, as_json=True, bell=False, notify=None, hook=None)
    watch.clock = lambda: now[0]
    new_runs, _, _ = monitor.refresh()
    with redirect_stdout(io.StringIO()):
        watch.say(new_runs, [])
    return monitor, watch, now


def test_a_run_renamed_while_read_is_said_gone_only(tmp_path: Path):
    scalar_run(tmp_path / "a1", {"loss": [1.0, 0.9], "val_loss": [1.1, 1.0]})
    monitor, watch, now = _watching(tmp_path)
    (tmp_path / "a1").rename(tmp_path / "b1")
    monitor.read()  # the watcher read the changed run first: its file vanished
    assert _said(watch) == []
    now[0] += 1.0
    monitor.scan()  # ...then the scan: the run is gone, and its new name a new run
    assert ("a1", "gone") in _said(watch)
    now[0] += 2 * VANISH_GRACE
    assert [kind for run, kind in _said(watch) if run == "a1"] == []  # never said unreadable


def test_a_file_that_stays_vanished_is_said_unreadable_after_the_grace(tmp_path: Path):
    scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.1, 1.0]})
    monitor, watch, now = _watching(tmp_path)
    shutil.rmtree(tmp_path / "r")
    monitor.read()
    assert _said(watch) == []
    now[0] += VANISH_GRACE
    assert _said(watch) == [("r", "unreadable")]  # no scan found it gone: it is said, once
    assert _said(watch) == []


def test_a_polled_or_remote_root_waits_two_of_its_scans():
    """A reviewer's find: remote roots and ``--poll`` scan every 5 s or more, longer than the 3 s a vanished file
    waited, so a folder deleted between a round's listing and its reads was still said unreadable, then gone."""
    assert vanish_grace(None) == 11.0  # remote roots: a scan every 5 s
    assert vanish_grace(60.0) == 121.0  # --poll 60 (a network file system)
    assert vanish_grace(0.5) == 11.0
