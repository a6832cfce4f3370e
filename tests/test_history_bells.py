"""A run that ended long ago tells its history without ringing: the bell is for an onset happening now.

Started over a folder of old runs, the TUI rang the bell (and ``watch --plain --bell`` wrote ``\\a``) for each
overfitting or divergence their logs held: a bell for last week's run teaches the user to ignore it. An alert is
history when the run's files have not changed for longer than its job would leave them (the ``stalled`` flag's
wait: ``stall_factor`` times its usual interval, at least ``stall_min_seconds``); it is shown and printed as ever.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time
from pathlib import Path

from children import spawn
from conftest import scalar_run
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
    scalar_run(tmp_path / "old", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})
    then = time.time() - 3 * 3600
    for path in (tmp_path / "old").iterdir():
        os.utime(path, (then, then))
    scalar_run(tmp_path / "new", {"loss": [1.0, 0.9, 0.8, 0.7, 0.6], "val_loss": [1.0, 0.95, 0.9, 0.85, 0.8]})
    with spawn("watch", str(tmp_path), "--plain", "--bell") as proc:
        proc.wait_for_text("old  step 1  diverging", 20)
        time.sleep(0.5)
        (tmp_path / "new" / "x").write_bytes(b"")  # a round after the first: nothing new to ring either
        scalar_run(tmp_path / "fresh", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]}, wall0=2000.0)
        proc.wait_for_text("fresh  step 1  diverging", 20)
        proc.wait_for_text("\a", 10)
        seen = proc.text()
        returncode = proc.stop(signal.SIGINT)
    assert seen.count("\a") == 1 and seen.index("\a") > seen.index("fresh  step 1  diverging"), seen
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
