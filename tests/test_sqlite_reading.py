"""A tracker's SQLite database is read without leaving anything in the user's folder, while and after it is written."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

from conftest import refused

from tui.live.monitor import Monitor

TRACKIO = Path(__file__).parent / "loggers" / "runs" / "trackio"
RUN = "t/tproj/tr-run"


def _finished_trackio(tmp_path: Path) -> Path:
    """trackio's database as its job leaves it: WAL mode, checkpointed, the writer gone (no -wal, no -shm)."""
    folder = tmp_path / "t"
    shutil.copytree(TRACKIO, folder)
    db = sqlite3.connect(folder / "tproj.db")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()  # the last connection: SQLite removes the -wal and -shm files
    assert sorted(p.name for p in folder.iterdir()) == ["tproj.db"]
    an_hour_ago = time.time() - 3600
    os.utime(folder / "tproj.db", (an_hour_ago, an_hour_ago))  # its job ended an hour ago
    return folder


def test_a_finished_wal_database_is_read_without_creating_files_beside_it(tmp_path: Path):
    folder = _finished_trackio(tmp_path)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert len(monitor.store.runs[RUN].scalars["val/loss"]) == 30
    assert sorted(p.name for p in folder.iterdir()) == ["tproj.db"]  # SQLite used to add tproj.db-wal and -shm


def _read_where_it_may_not_write(tmp_path: Path, folder: Path) -> Monitor:
    """The logs under ``tmp_path`` read once, ``folder`` (the database's) not writable to this process."""
    folder.chmod(0o555)
    try:
        with refused():  # root, too, meets the folder's permission bits
            monitor = Monitor(str(tmp_path))
            monitor.refresh()
    finally:
        folder.chmod(0o755)
    return monitor


def test_a_finished_wal_database_in_a_folder_losswatch_may_not_write_is_read(tmp_path: Path):
    folder = _finished_trackio(tmp_path)
    monitor = _read_where_it_may_not_write(tmp_path, folder)
    assert monitor.store.runs[RUN].errors == []
    assert len(monitor.store.runs[RUN].scalars["val/loss"]) == 30


def test_a_wal_database_written_lately_in_a_folder_losswatch_may_not_write_is_read_at_once(tmp_path: Path):
    """Between two writes of its job (no -wal) a shared read needs the -wal and -shm SQLite may not make here:
    the run was 'unreadable' ("attempt to write a readonly database") until the file sat idle for 30 s, its
    alerts as late (found by a review). It is read as immutable, checked unchanged after each statement."""
    folder = _finished_trackio(tmp_path)
    os.utime(folder / "tproj.db")  # written just now
    monitor = _read_where_it_may_not_write(tmp_path, folder)
    assert monitor.store.runs[RUN].errors == []
    assert len(monitor.store.runs[RUN].scalars["val/loss"]) == 30
    assert sorted(p.name for p in folder.iterdir()) == ["tproj.db"]


def test_a_writer_that_comes_back_is_read_the_shared_way(tmp_path: Path):
    folder = _finished_trackio(tmp_path)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    writer = sqlite3.connect(folder / "tproj.db")
    try:
        [(run_id, run_name)] = writer.execute("SELECT DISTINCT run_id, run_name FROM metrics").fetchall()
        with writer:
            writer.execute(
                "INSERT INTO metrics (timestamp, run_id, run_name, step, metrics) VALUES (?, ?, ?, ?, ?)",
                ("2026-01-01T00:00:00+00:00", run_id, run_name, 30, json.dumps({"val/loss": 9.5})),
            )
        assert (folder / "tproj.db-wal").exists()  # the job is writing: the row is in its write-ahead log
        monitor.refresh()
        values = monitor.store.runs[RUN].scalars["val/loss"].values
        assert len(values) == 31 and values[-1] == 9.5
    finally:
        writer.close()


def test_a_wal_database_written_lately_is_read_the_shared_locked_way(tmp_path: Path):
    """A job that opens, writes and closes its database leaves no -wal between writes; an immutable read (no
    lock) while it checkpoints could mix old and new pages, so a database changed lately is read with locks."""
    from tui.sources.sqlite import _idle_wal, _wal_state

    folder = _finished_trackio(tmp_path)
    assert _idle_wal(_wal_state(str(folder / "tproj.db")))
    os.utime(folder / "tproj.db")  # written just now
    assert not _idle_wal(_wal_state(str(folder / "tproj.db")))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert len(monitor.store.runs[RUN].scalars["val/loss"]) == 30


def test_a_database_held_by_a_writer_keeps_its_runs_and_is_asked_again(tmp_path: Path, monkeypatch):
    """MLflow's database held by a writer longer than the read waits: its runs used to be dropped for that scan
    (and trackio's reader showed it as a run 'database busy'); the new run it was writing never appeared."""
    from tui.sources import sqlite as sqlite_reading

    monkeypatch.setattr(sqlite_reading, "BUSY_SECONDS", 0.05)
    shutil.copy(TRACKIO.parent / "mlflow.db", tmp_path / "mlflow.db")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert set(monitor.store.runs) == {"exp/ml-sql"}
    writer = sqlite3.connect(tmp_path / "mlflow.db", isolation_level=None)
    try:
        columns = [row[1] for row in writer.execute("PRAGMA table_info(runs)")]
        row = dict(zip(columns, writer.execute("SELECT * FROM runs").fetchone(), strict=True))
        row.update(run_uuid="a" * 32, name="ml-sql-2")
        writer.execute(f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
        writer.execute("BEGIN EXCLUSIVE")  # the writer holds it while the monitor scans
        monitor.scan()
        assert set(monitor.store.runs) == {"exp/ml-sql"} and not monitor.store.runs["exp/ml-sql"].gone
    finally:
        writer.execute("COMMIT")
        writer.close()
    monitor.scan()
    assert set(monitor.store.runs) >= {"exp/ml-sql"} and "exp/ml-sql-2" in {s.run for s in monitor.streams.values()}


def test_a_job_that_wakes_during_an_unlocked_read_loses_and_doubles_nothing(tmp_path: Path, monkeypatch):
    """An idle database is read without a lock; a job that writes and checkpoints meanwhile could tear that read.
    The read notices the file changed before using the next rows, says so, and the next read (the shared, locked
    way: the file changed lately) takes up from the same row: every row once, the new one included."""
    from tui.sources import sqlite as sqlite_reading
    from tui.sources.roots.local import LocalRoot
    from tui.sources.trackio import TrackioFormat

    monkeypatch.setattr(sqlite_reading, "CHUNK_ROWS", 4)
    monkeypatch.setattr("tui.sources.trackio.CHUNK_ROWS", 4)
    folder = _finished_trackio(tmp_path)
    root = LocalRoot(str(tmp_path))
    trackio = TrackioFormat()
    [source] = trackio.discover(root, root.list()).sources
    stream = trackio.open(source)
    reading = stream.read(root)
    first = next(reading)  # the first chunk, read without a lock (the database has been idle an hour)
    writer = sqlite3.connect(folder / "tproj.db")
    [(run_id, run_name)] = writer.execute("SELECT DISTINCT run_id, run_name FROM metrics").fetchall()
    with writer:  # the job wakes: one more row, checkpointed into the file, and gone again (no -wal left)
        writer.execute(
            "INSERT INTO metrics (timestamp, run_id, run_name, step, metrics) VALUES (?, ?, ?, ?, ?)",
            ("2026-01-01T00:00:00+00:00", run_id, run_name, 30, json.dumps({"val/loss": 9.5})),
        )
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    writer.close()
    rest = list(reading)
    assert stream.health.error is not None and "changed while it was read" in stream.health.error
    again = list(stream.read(root))
    assert stream.health.error is None
    steps = [
        step
        for chunk in [first, *rest, *again]
        if "val/loss" in chunk.scalars
        for step in chunk.scalars["val/loss"][0].tolist()
    ]
    assert sorted(steps) == list(range(31))  # every row once: none lost at the break, none read twice


def test_a_run_config_read_just_before_the_job_wakes_is_kept(tmp_path: Path, monkeypatch):
    """The config is the first statement of a read; a job that wakes right after it makes the next statement
    fail. The config used to travel with the rows of that failed read and was never asked for again."""
    from tui.sources import sqlite as sqlite_reading
    from tui.sources.roots.local import LocalRoot
    from tui.sources.trackio import TrackioFormat

    folder = _finished_trackio(tmp_path)
    statements = []
    fetch = sqlite_reading.Reading.fetch

    def wake_after_the_first(self, sql: str, parameters: tuple = ()) -> list:
        rows = fetch(self, sql, parameters)
        statements.append(sql)
        if len(statements) == 1:  # the job writes and checkpoints: the file changes under the unlocked read
            writer = sqlite3.connect(folder / "tproj.db")
            with writer:
                writer.execute("UPDATE metrics SET step = step WHERE id = 1")
            writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            writer.close()
        return rows

    monkeypatch.setattr(sqlite_reading.Reading, "fetch", wake_after_the_first)
    root = LocalRoot(str(tmp_path))
    trackio = TrackioFormat()
    [source] = trackio.discover(root, root.list()).sources
    stream = trackio.open(source)
    first = list(stream.read(root))
    assert "changed while it was read" in (stream.health.error or "") and "configs" in statements[0]
    again = list(stream.read(root))
    assert stream.health.error is None
    assert [chunk.hparams for chunk in [*first, *again] if chunk.hparams] == [{"lr": 0.03}]
    assert sum(len(chunk.scalars["val/loss"][0]) for chunk in again if "val/loss" in chunk.scalars) == 30


def test_an_unlocked_read_torn_by_a_write_is_said_as_a_change_not_as_damage(tmp_path: Path, monkeypatch):
    """A write during an unlocked read mostly shows inside SQLite ("database disk image is malformed"), before the
    check after the statement: it was said "not an SQLite database, or damaged" (check exit 1; found by a review)."""
    from tui.sources import sqlite as sqlite_reading
    from tui.sources.roots.local import LocalRoot
    from tui.sources.trackio import TrackioFormat

    folder = _finished_trackio(tmp_path)
    root = LocalRoot(str(tmp_path))
    trackio = TrackioFormat()
    [source] = trackio.discover(root, root.list()).sources
    stream = trackio.open(source)

    def torn(self, sql: str, parameters: tuple = ()) -> list:
        os.utime(folder / "tproj.db")  # the job wrote meanwhile
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(sqlite_reading.Reading, "fetch", torn)
    list(stream.read(root))
    assert "changed while it was read" in (stream.health.error or "")
