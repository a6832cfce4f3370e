"""A log beside a TensorBoard run in a finished folder: no writer will flush the run's missing curves, so the log
is decided at once (it waited the live view's 150 s), and it is announced before its alerts."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from children import spawn
from tensorboardX import SummaryWriter

from tui.live.echoes import ECHO_WAIT
from tui.live.monitor import Monitor

EPOCHS = 40


def write_finished_run(folder: Path, age: float) -> None:
    """Events of loss and val_loss, and a Keras CSV log with an accuracy the events lack: a run of its own; every
    file last written ``age`` seconds ago."""
    val = [0.3 + 2.0 * 0.85**e + (0.02 * (e - 20) if e > 20 else 0.0) for e in range(EPOCHS)]
    loss = [0.05 + 2.0 * 0.85**e for e in range(EPOCHS)]
    with SummaryWriter(str(folder)) as writer:
        for epoch in range(EPOCHS):
            writer.add_scalar("loss", loss[epoch], epoch)
            writer.add_scalar("val_loss", val[epoch], epoch)
    rows = "".join(f"{e},{0.5 + e / 100},{loss[e]},{val[e]}\n" for e in range(EPOCHS))
    (folder / "training.log").write_text("epoch,accuracy,loss,val_loss\n" + rows)
    then = time.time() - age
    for path in folder.iterdir():
        os.utime(path, (then, then))


def test_a_log_in_a_finished_folder_is_decided_at_its_first_read(tmp_path: Path):
    write_finished_run(tmp_path / "exp", 2 * 3600)
    monitor = Monitor(str(tmp_path))
    monitor.echo.wait = ECHO_WAIT  # live
    new_runs, _, _ = monitor.refresh()
    assert sorted(monitor.store.runs) == ["exp", "exp [keras-csv]"]
    assert [new.run for new in new_runs] == ["exp", "exp [keras-csv]"]


def test_a_log_being_written_still_waits_for_the_run(tmp_path: Path):
    write_finished_run(tmp_path / "exp", 10)
    monitor = Monitor(str(tmp_path))
    monitor.echo.wait = ECHO_WAIT
    monitor.refresh()
    assert sorted(monitor.store.runs) == ["exp"]


def test_watch_plain_tells_the_log_as_a_new_run_before_its_alerts(tmp_path: Path):
    write_finished_run(tmp_path / "exp", 2 * 3600)
    with spawn("watch", str(tmp_path), "--plain", "--json") as child:
        child.wait_for(lambda c: c.text().count('"overfitting"') >= 2, 30, "both runs' overfitting alerts")
        child.stop(signal.SIGINT)
    lines = [json.loads(line) for line in child.text().splitlines() if line.strip()]
    for run in ("exp", "exp [keras-csv]"):
        kinds = [line["kind"] for line in lines if line["run"] == run]
        assert kinds[0] == "new-run" and "overfitting" in kinds, (run, kinds)


def test_a_log_decided_in_a_later_round_is_told_before_its_alerts(tmp_path: Path):
    """Decided after the wait, in a round that also judged it: its alerts reached ``watch --plain`` first, so a
    reader of the JSON lines met alerts of a run never announced."""
    from tui.live.watcher import Watcher

    write_finished_run(tmp_path / "exp", 0)  # being written: the log waits
    monitor = Monitor(str(tmp_path))
    said: list[tuple[str, str]] = []
    watcher = Watcher(
        monitor,
        lambda new, _changes, alerts: said.extend(
            [(n.run, "new-run") for n in new] + [(a.run, a.kind) for a in alerts]
        ),
    )
    monitor.echo.wait = 1.0  # the live wait, shortened
    watcher.start()
    try:
        deadline = time.monotonic() + 20
        while ("exp [keras-csv]", "overfitting") not in said and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        watcher.stop()
    told = [kind for run, kind in said if run == "exp [keras-csv]"]
    assert told[0] == "new-run" and "overfitting" in told, said


def test_on_a_remote_root_a_log_waits_however_old_its_files(tmp_path: Path):
    """A remote machine's clock may be behind ours: files being written there would look idle here."""
    from test_source_interface import _NoLocalPaths

    write_finished_run(tmp_path / "exp", 2 * 3600)
    monitor = Monitor(_NoLocalPaths(str(tmp_path), "box:/runs"))
    monitor.echo.wait = ECHO_WAIT
    monitor.refresh()
    assert sorted(monitor.store.runs) == ["exp"]
