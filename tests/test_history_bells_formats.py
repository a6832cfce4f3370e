"""A finished run is history in every format: its quiet time comes from the files it is read from.

A run's files are kept by stream, and a stream's key is no path for a database's run (``mlflow.db#<run id>``, a
trackio database's) nor for a Trainer's checkpoints (``out#trainer_state``): no file of theirs was found in the
listing, their quiet time was unknown, and a folder of finished MLflow, trackio or Trainer runs opened at start
rang the bell for each (a review's find). Their quiet time is their files' now — a database and its ``-wal``, the
checkpoints' ``trainer_state.json`` — and a job writing to them, before or while it is watched, still rings. A
database holds many runs, and one job writing it changes the file for all: a run of it is as quiet as its newest
logged point (a job's write here logs its rows at their time, as its logger does).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from children import spawn
from logger_runs import FIXTURES
from test_history_bells import _rings_at_start as rings_at_start

from tui.live.firstread import Workers, read_in_workers
from tui.live.monitor import Monitor

RUNS = FIXTURES / "runs"
HELD_BACK = 15
"""The job's steps (checkpoints: eval points) written before losswatch starts: its overfitting onset (step 18 of
the fixture runs, 1,900 of the Trainer's) is written while it is watched."""
ENDED = 3 * 3600
Writer = Callable[[], None]


def _aged(folder: Path, seconds: float = ENDED) -> None:
    then = time.time() - seconds
    for path in folder.rglob("*"):
        os.utime(path, (then, then))


def _database(folder: Path, fixture: Path) -> Path:
    folder.mkdir(parents=True)
    for sidecar in fixture.parent.glob(fixture.name + "*"):  # the database and its -wal, as the job left them
        shutil.copy2(sidecar, folder / sidecar.name)
    return folder / fixture.name


def _hold_back_rows(db: Path) -> Writer:
    """Rows of the job's later steps taken out; the writer puts them back as its logger does (one commit)."""
    connection = sqlite3.connect(db)
    with connection:
        rows = connection.execute("SELECT * FROM metrics WHERE step >= ?", (HELD_BACK,)).fetchall()
        connection.execute("DELETE FROM metrics WHERE step >= ?", (HELD_BACK,))
    connection.close()

    def write() -> None:
        job = sqlite3.connect(db)
        with job:
            job.executemany(f"INSERT INTO metrics VALUES ({', '.join('?' * len(rows[0]))})", rows)
        job.close()

    return write


def _mlflow(folder: Path, held_back: bool) -> Writer | None:
    db = _database(folder, RUNS / "mlflow.db")
    return _hold_back_rows(db) if held_back else None


def _trackio(folder: Path, held_back: bool) -> Writer | None:
    db = _database(folder / "trackio", RUNS / "trackio" / "tproj.db")
    return _hold_back_rows(db) if held_back else None


def _trainer(folder: Path, held_back: bool) -> Writer | None:
    shutil.copytree(RUNS / "hf-out", folder, ignore=shutil.ignore_patterns("*.jsonl"))
    if not held_back:
        return None
    later = sorted((p for p in folder.glob("checkpoint-*") if int(p.name.split("-")[1]) > HELD_BACK * 100), key=str)
    states = {p.name: (p / "trainer_state.json").read_bytes() for p in later}
    for checkpoint in later:
        shutil.rmtree(checkpoint)

    def write() -> None:  # the Trainer saves its next checkpoints
        for name, state in states.items():
            (folder / name).mkdir()
            (folder / name / "trainer_state.json").write_bytes(state)

    return write


FORMATS = {
    # format -> (how its run is written into a folder, its run's name in a folder named NAME)
    "mlflow-sqlite": (_mlflow, "{}/exp/ml-sql"),
    "trackio": (_trackio, "{}/trackio/tproj/tr-run"),
    "trainer-state": (_trainer, "{}"),
}


def _logged_now(db: Path) -> None:
    """A database's rows moved in time so that its newest was logged a moment ago, as a job's logger writes them."""
    connection = sqlite3.connect(db)
    with connection:
        if "experiments" in {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}:  # MLflow's
            (newest,) = connection.execute("SELECT MAX(timestamp) FROM metrics").fetchone()
            connection.execute("UPDATE metrics SET timestamp = timestamp + ?", (int(time.time() * 1000) - newest,))
        else:  # trackio's: ISO times
            rows = connection.execute("SELECT id, timestamp FROM metrics").fetchall()
            shift = time.time() - max(datetime.fromisoformat(when).timestamp() for _, when in rows)
            moved = [
                (datetime.fromtimestamp(datetime.fromisoformat(when).timestamp() + shift, UTC).isoformat(), i)
                for i, when in rows
            ]
            connection.executemany("UPDATE metrics SET timestamp = ? WHERE id = ?", moved)
    connection.close()


def _newest_written_now(folder: Path, kind: str) -> None:
    """The job wrote a moment ago: a database's rows, logged at their time, and its ``-wal`` alone (trackio's;
    MLflow's database has none, so the file), or a Trainer's newest checkpoint's state (the older ones stay as
    old)."""
    if kind == "trainer-state":
        newest = max(folder.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
        os.utime(newest / "trainer_state.json")
    else:
        for db in folder.rglob("*.db"):
            _logged_now(db)
        then = time.time() - ENDED
        for path in folder.rglob("*.db"):  # the database file itself as old as the rest, where it has a -wal
            if path.with_name(path.name + "-wal").exists():
                os.utime(path, (then, then))
        wal = [path for path in folder.rglob("*.db-wal")]
        for path in wal or list(folder.rglob("*.db")):
            os.utime(path)


def _old_and_job(tmp_path: Path, kind: str) -> tuple[Writer, str, str]:
    """A finished run quiet for 3 h (``old``) and a job's (``job``), quiet as long, whose onset is still to come:
    the job's writer, and the two runs' names."""
    place, name = FORMATS[kind]
    place(tmp_path / "old", False)
    write = place(tmp_path / "job", True)
    assert write is not None
    _aged(tmp_path)
    return write, name.format("old"), name.format("job")


def _history(alerts, kind: str = "overfitting") -> dict[str, list[bool]]:
    told: dict[str, list[bool]] = {}
    for alert in alerts:
        if alert.kind == kind:
            told.setdefault(alert.run, []).append(alert.history)
    return told


@pytest.mark.parametrize("kind", FORMATS)
async def test_a_finished_run_opened_is_history_and_one_written_a_moment_ago_rings_in_the_app(
    tmp_path: Path, kind: str
):
    place, name = FORMATS[kind]
    place(tmp_path / "old", False)
    place(tmp_path / "fresh", False)
    _aged(tmp_path)
    _newest_written_now(tmp_path / "fresh", kind)
    rings, monitor = await rings_at_start(tmp_path)
    assert _history(monitor.alerts) == {name.format("old"): [True], name.format("fresh"): [False]}
    assert rings  # for the fresh run's onset: the old run's alert rings not (``Alert.rings``)
    assert [a.run for a in monitor.alerts if a.rings] == [name.format("fresh")]


def test_a_finished_run_in_the_database_a_job_writes_is_history_and_the_job_rings(tmp_path: Path):
    """MLflow keeps every run of a tracking server in one ``mlflow.db``: a job writing changes the file for all, and
    a finished run beside it rang when opened. A run of a database is as quiet as its newest logged point."""
    db = _database(tmp_path / "shared", RUNS / "mlflow.db")
    connection = sqlite3.connect(db)
    with connection:
        (old,) = connection.execute("SELECT run_uuid FROM runs").fetchone()
        job = "f" * 32
        columns = [row[1] for row in connection.execute("PRAGMA table_info(runs)")]
        picked = ", ".join("?" if c in ("run_uuid", "name", "status") else c for c in columns)
        connection.execute(
            f"INSERT INTO runs ({', '.join(columns)}) SELECT {picked} FROM runs WHERE run_uuid = ?",
            (job, "job", "RUNNING", old),
        )
        shift = int(time.time() * 1000) - connection.execute("SELECT MAX(timestamp) FROM metrics").fetchone()[0]
        connection.execute(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
            "SELECT key, value, timestamp + ?, ?, step, is_nan FROM metrics WHERE run_uuid = ?",
            (shift, job, old),
        )
    connection.close()  # the file itself written a moment ago, by the job
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert _history(monitor.alerts) == {"shared/exp/ml-sql": [True], "shared/exp/job": [False]}


@pytest.mark.parametrize("kind", FORMATS)
def test_a_job_written_while_watched_rings_beside_a_finished_run_told_as_history(tmp_path: Path, kind: str):
    write, old, job = _old_and_job(tmp_path, kind)
    monitor = Monitor(str(tmp_path))
    alerts = monitor.refresh()[2]
    assert _history(alerts) == {old: [True]}
    assert job in monitor.store.runs and not [a for a in alerts if a.rings]
    write()
    alerts = monitor.refresh()[2] + monitor.refresh()[2]
    assert _history(alerts) == {job: [False]}
    assert [a.run for a in alerts if a.rings] == [job]


@pytest.mark.parametrize("kind", FORMATS)
def test_the_plain_json_lines_say_a_finished_run_is_history_and_a_job_written_while_watched_is_not(
    tmp_path: Path, kind: str
):
    write, old, job = _old_and_job(tmp_path, kind)
    with spawn("watch", str(tmp_path), "--plain", "--json") as proc:
        proc.wait_for_text('"kind": "overfitting"', 30)
        proc.wait_for_text(f'"run": "{job}"', 10)  # its new-run line: read, no alert yet
        write()
        proc.wait_for(lambda c: c.text().count('"kind": "overfitting"') == 2, 30, "the job's alert")
        lines = [json.loads(line) for line in proc.text().splitlines() if line.strip()]
        returncode = proc.stop(signal.SIGINT)
    history = {line["run"]: line["history"] for line in lines if line["kind"] == "overfitting"}
    assert history == {old: True, job: False}
    assert returncode == 0


def test_finished_runs_read_by_the_live_views_first_read_workers_are_history(tmp_path: Path, forking_allowed):
    """The TUI started by the CLI reads a folder of ``MIN_RUNS`` runs or more in worker processes, and the parent
    stamps their alerts (``firstread._install``): the same decision, from the same files."""
    for kind, (place, _name) in FORMATS.items():
        for copy in range(3):
            place(tmp_path / f"{kind}-{copy}", False)
    _aged(tmp_path)
    monitor = Monitor(str(tmp_path))
    monitor.scan()
    workers = Workers.start(2, whole=True, notes=monitor.store.notes)
    assert workers is not None
    with workers:
        alerts = read_in_workers(monitor, workers)
    told = _history(alerts)
    assert len(told) == 3 * len(FORMATS) and all(history == [True] for history in told.values()), told
    assert not [alert for alert in alerts if alert.rings]
