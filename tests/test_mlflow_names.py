"""MLflow run names while watched: a run renamed keeps the name it was shown under, and of runs sharing a name the
first started keeps it, so the live view and ``check`` name them alike (a hostile tester's finds: a rename was
said ``gone``, the points before it left behind and the bell rung again; a second run named as the first renamed
the first, whose alerts then matched no run ``check`` showed)."""

from __future__ import annotations

import math
import shutil
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import yaml

from tui.live.monitor import Monitor

SQL_RUN, FILE_RUN = "exp/ml-sql", "mlruns/exp/ml-file"


def _database(logdir: Path) -> sqlite3.Connection:
    return closing(sqlite3.connect(logdir / "mlflow.db"))  # type: ignore[return-value]


def _add_sql_points(logdir: Path, run_id: str, steps: range) -> None:
    with _database(logdir) as db, db:
        for step in steps:
            db.execute(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)",
                ("val_loss", 1.0 / (step + 1), 1_796_200_000_000 + step, run_id, step, 0),
            )


def test_an_mlflow_database_run_renamed_while_watched_keeps_its_name_and_points(logger_logdir: Path):
    run_id = (logger_logdir / "mlflow-run-id").read_text()
    live = Monitor(str(logger_logdir))
    live.refresh()
    before = len(live.store.runs[SQL_RUN].scalars["val_loss"].arrays()[0])
    with _database(logger_logdir) as db, db:  # what mlflow.set_tag("mlflow.runName", "renamed") writes
        db.execute("UPDATE runs SET name = 'renamed' WHERE run_uuid = ?", (run_id,))
        db.execute("UPDATE tags SET value = 'renamed' WHERE run_uuid = ? AND key = 'mlflow.runName'", (run_id,))
    _add_sql_points(logger_logdir, run_id, range(1000, 1003))
    live.refresh()
    run = live.store.runs[SQL_RUN]
    assert not run.gone and "exp/renamed" not in live.store.runs
    assert len(run.scalars["val_loss"].arrays()[0]) == before + 3
    fresh = Monitor(str(logger_logdir))
    fresh.refresh()
    assert "exp/renamed" in fresh.store.runs and SQL_RUN not in fresh.store.runs


def test_an_mlflow_file_store_run_renamed_while_watched_keeps_its_name(logger_logdir: Path):
    meta = next(logger_logdir.glob("mlruns/*/*/meta.yaml"))
    live = Monitor(str(logger_logdir))
    live.refresh()
    data = yaml.safe_load(meta.read_text())
    meta.write_text(yaml.safe_dump({**data, "run_name": "renamed"}))
    live.refresh()
    assert not live.store.runs[FILE_RUN].gone and "mlruns/exp/renamed" not in live.store.runs


def test_a_second_mlflow_database_run_of_the_same_name_leaves_the_first_its_name(logger_logdir: Path):
    run_id = (logger_logdir / "mlflow-run-id").read_text()
    live = Monitor(str(logger_logdir))
    live.refresh()
    second = "f" * 32
    with _database(logger_logdir) as db, db:
        db.row_factory = sqlite3.Row
        row = dict(db.execute("SELECT * FROM runs WHERE run_uuid = ?", (run_id,)).fetchone())
        row.update(run_uuid=second, start_time=row["start_time"] + 60_000)
        if "run_id" in row:
            row["run_id"] = second
        db.execute(f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    _add_sql_points(logger_logdir, second, range(5))
    live.refresh()
    fresh = Monitor(str(logger_logdir))
    fresh.refresh()
    for monitor in (live, fresh):
        names = sorted(name for name in monitor.store.runs if name.startswith(SQL_RUN))
        assert names == [SQL_RUN, f"{SQL_RUN} (ffffffff)"]
        assert not monitor.store.runs[SQL_RUN].gone
        assert len(monitor.store.runs[f"{SQL_RUN} (ffffffff)"].scalars["val_loss"].arrays()[0]) == 5


def test_an_infinite_value_in_mlflows_database_is_read_as_inf(logger_logdir: Path):
    """MLflow's SQL store writes inf as the largest float: the run read 1.798e+308 and its reason said 'infx its
    lowest', where the same logging in ``mlruns/`` read inf and said 'diverging since'."""
    run_id = (logger_logdir / "mlflow-run-id").read_text()
    live = Monitor(str(logger_logdir))
    live.refresh()
    with _database(logger_logdir) as db, db:
        for key in ("train_loss", "val_loss"):
            db.execute(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)",
                (key, sys.float_info.max, 1_796_300_000_000, run_id, 5000, 0),
            )
    live.refresh()
    _, values, _ = live.store.runs[SQL_RUN].scalars["train_loss"].arrays()
    assert values[-1] == math.inf
    alerts = [a for a in live.alerts if a.run == SQL_RUN and a.kind == "diverging"]
    assert alerts and "is inf at step 5,000" in alerts[-1].reason and "infx" not in alerts[-1].reason


def _second_file_run(first: Path, experiment: Path, run_id: str, name: str, start_offset_ms: int) -> Path:
    """A copy of the file store's run ``first`` in ``experiment`` under another id, name and start time."""
    copy = experiment / run_id
    shutil.copytree(first, copy)
    meta = yaml.safe_load((copy / "meta.yaml").read_text())
    meta.update(run_id=run_id, run_uuid=run_id, run_name=name, start_time=meta["start_time"] + start_offset_ms)
    (copy / "meta.yaml").write_text(yaml.safe_dump(meta))
    return copy


def test_a_run_put_back_after_another_took_its_name_is_no_second_run_of_that_name(logger_logdir: Path):
    """Watched, deleted, its name given to a new run, then put back: both streams were named alike and read into one
    run (a review's find)."""
    first = next(logger_logdir.glob("mlruns/*/*/meta.yaml")).parent
    live = Monitor(str(logger_logdir))
    live.refresh()
    aside = logger_logdir.parent / "aside"
    shutil.move(first, aside)
    live.refresh()
    _second_file_run(aside, first.parent, "c" * 32, "ml-file", 60_000)
    live.refresh()
    shutil.move(aside, first)
    live.refresh()
    fresh = Monitor(str(logger_logdir))
    fresh.refresh()
    for monitor in (live, fresh):  # the first started keeps its name, the one started later gets its id after it
        assert sorted(name for name in monitor.store.runs if name.startswith(FILE_RUN)) == [
            FILE_RUN,
            f"{FILE_RUN} (cccccccc)",
        ]
    assert not live.store.runs[FILE_RUN].gone and len(live.store.runs[f"{FILE_RUN} (cccccccc)"].scalars)


def test_runs_sharing_a_name_without_start_times_are_named_alike_in_both_stores(logger_logdir: Path):
    """A run with no start time kept the name in the database (NULL sorted first) and lost it in ``mlruns/``."""
    run_id = (logger_logdir / "mlflow-run-id").read_text()
    second = "0" * 32  # sorts before the first's id
    with _database(logger_logdir) as db, db:
        db.row_factory = sqlite3.Row
        row = dict(db.execute("SELECT * FROM runs WHERE run_uuid = ?", (run_id,)).fetchone())
        row.update(run_uuid=second, start_time=None)
        if "run_id" in row:
            row["run_id"] = second
        db.execute(f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    assert f"{SQL_RUN} (00000000)" in monitor.store.runs and SQL_RUN in monitor.store.runs
