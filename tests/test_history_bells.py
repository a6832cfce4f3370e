"""A run that ended long ago tells its history without ringing: the bell is for an onset happening now.

Started over a folder of old runs, the TUI rang the bell (and ``watch --plain --bell`` wrote ``\\a``) for each
overfitting or divergence their logs held: a bell for last week's run teaches the user to ignore it. An alert is
history when the run's files have not changed for longer than its job would leave them (the ``stalled`` flag's
wait: ``stall_factor`` times its usual interval, at least ``stall_min_seconds``); it is shown and printed as ever.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
from pathlib import Path

from children import spawn
from conftest import frame, scalar_event, scalar_run
from judging_helpers import overfitting_curves

from tui.app.app import LossWatchApp
from tui.live.monitor import Monitor


def _overfit_run(folder: Path, hours_ago: float) -> None:
    train, val = overfitting_curves()
    path = scalar_run(folder, {"loss": train.tolist(), "val_loss": val.tolist()}, wall0=time.time() - 3600 * 24)
    then = time.time() - hours_ago * 3600
    os.utime(path, (then, then))


async def _rings_at_start(logdir: Path) -> tuple[list[int], Monitor]:
    monitor = Monitor(str(logdir))
    app = LossWatchApp(monitor, watch=False)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
    return rings, monitor


async def test_a_run_that_ended_hours_ago_is_told_without_a_bell(tmp_path: Path):
    _overfit_run(tmp_path / "old", hours_ago=3)
    rings, monitor = await _rings_at_start(tmp_path)
    told = [alert for alert in monitor.alerts if alert.kind == "overfitting"]
    assert told and rings == []  # told in the alert log, not rung
    assert all(alert.history for alert in told)


async def test_a_run_written_a_moment_ago_rings_at_start(tmp_path: Path):
    """The same run, its file written just now (a job overfitting while losswatch was not yet watching): it rings."""
    _overfit_run(tmp_path / "now", hours_ago=0)
    rings, monitor = await _rings_at_start(tmp_path)
    assert rings == [1]
    assert [alert.history for alert in monitor.alerts if alert.kind == "overfitting"] == [False]


def test_the_plain_watch_prints_an_old_runs_bell_alert_without_ringing(tmp_path: Path):
    """...and says it is history, in the text lines too (only the JSON lines said so: it read as a live alert)."""
    scalar_run(tmp_path / "old", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})
    then = time.time() - 3 * 3600
    for path in (tmp_path / "old").iterdir():
        os.utime(path, (then, then))
    scalar_run(tmp_path / "new", {"loss": [1.0, 0.9, 0.8, 0.7, 0.6], "val_loss": [1.0, 0.95, 0.9, 0.85, 0.8]})
    with spawn("watch", str(tmp_path), "--plain", "--bell") as proc:
        proc.wait_for_text("old  step 1  diverging (history)  ", 20)
        time.sleep(0.5)
        (tmp_path / "new" / "x").write_bytes(b"")  # a round after the first: nothing new to ring either
        scalar_run(tmp_path / "fresh", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]}, wall0=2000.0)
        proc.wait_for_text("fresh  step 1  diverging", 20)
        proc.wait_for_text("\a", 10)
        seen = proc.text()
        returncode = proc.stop(signal.SIGINT)
    assert seen.count("\a") == 1 and seen.index("\a") > seen.index("fresh  step 1  diverging  "), seen
    assert returncode == 0


def test_an_alert_command_is_told_which_alerts_are_history(tmp_path: Path):
    """``--on-alert`` still runs for every alert (a log of them wants them all); ``LOSSWATCH_HISTORY`` says which
    are an old run's, for a command that pages someone to skip."""
    scalar_run(tmp_path / "old", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})
    then = time.time() - 3 * 3600
    for path in (tmp_path / "old").iterdir():
        os.utime(path, (then, then))
    told = tmp_path / "told.txt"
    line = "os.environ['LOSSWATCH_RUN'] + ' ' + os.environ['LOSSWATCH_HISTORY'] + '\\n'"
    hook = f"{sys.executable} -c \"import os; open({str(told)!r}, 'a').write({line})\""
    with spawn("watch", str(tmp_path), "--plain", "--on-alert", hook) as proc:
        proc.wait_for(lambda c: told.exists() and "old" in told.read_text(), 20, "the old run's command")
        scalar_run(tmp_path / "fresh", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]}, wall0=2000.0)
        proc.wait_for(lambda c: "fresh" in told.read_text(), 20, "the fresh run's command")
        returncode = proc.stop(signal.SIGINT)
    assert sorted(told.read_text().splitlines()) == ["fresh 0", "old 1"]
    assert returncode == 0


def test_the_plain_json_lines_say_which_alerts_are_history(tmp_path: Path):
    scalar_run(tmp_path / "old", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})
    then = time.time() - 3 * 3600
    for path in (tmp_path / "old").iterdir():
        os.utime(path, (then, then))
    with spawn("watch", str(tmp_path), "--plain", "--json") as proc:
        proc.wait_for_text('"kind": "diverging"', 20)
        scalar_run(tmp_path / "fresh", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]}, wall0=2000.0)
        proc.wait_for(lambda c: c.text().count('"kind": "diverging"') == 2, 20, "the fresh run's alert")
        lines = [json.loads(line) for line in proc.text().splitlines() if line.strip()]
        returncode = proc.stop(signal.SIGINT)
    history = {line["run"]: line["history"] for line in lines if line["kind"] == "diverging"}
    assert history == {"old": True, "fresh": False}
    assert returncode == 0


def test_a_job_seen_writing_that_stops_is_never_history(tmp_path: Path):
    """Its ``stalled`` alert comes once its files have been quiet past the same wait, so it always read as history
    (``LOSSWATCH_HISTORY=1``: a paging command would have skipped exactly the job that died; a review's find)."""
    now = [time.time()]
    path = scalar_run(tmp_path / "job", {"loss": [1.0, 0.9, 0.8, 0.7], "val_loss": [1.0, 0.9, 0.8, 0.7]})
    monitor = Monitor(str(tmp_path), clock=lambda: now[0])
    monitor.refresh()
    with open(path, "ab") as handle:  # the job writes while we watch: it is live
        for step in range(4, 8):
            handle.write(frame(scalar_event("loss", step, 0.6, 1000.0 + step)))
            handle.write(frame(scalar_event("val_loss", step, 0.6, 1000.0 + step)))
    monitor.refresh()
    now[0] += 2 * 3600  # two hours of silence
    stalled = [a for a in monitor.refresh()[2] if a.kind == "stalled"]
    assert [a.run for a in stalled] == ["job"] and not stalled[0].history


async def test_a_log_without_write_times_written_minutes_ago_still_rings(tmp_path: Path):
    """A Lightning ``metrics.csv`` carries no write times to measure its job's interval by: quiet for five minutes
    (an epoch of ten), it was history at the 120 s floor and its onset never rang (a review's find). A run's files
    must be quiet an hour at least (``ENDED_AFTER``) before its alerts are history."""
    train, val = overfitting_curves()
    log = tmp_path / "lt" / "metrics.csv"
    log.parent.mkdir()
    log.write_text("step,train_loss,val_loss\n" + "".join(f"{i},{t},{v}\n" for i, (t, v) in enumerate(zip(train, val))))
    then = time.time() - 300
    os.utime(log, (then, then))
    rings, monitor = await _rings_at_start(tmp_path)
    assert rings == [1]
    assert [alert.history for alert in monitor.alerts if alert.kind == "overfitting"] == [False]
