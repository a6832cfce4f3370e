"""A job resumed from its checkpoint that blows up again at the very step it did is told again, whichever logger
wrote it, when its log says when each point was written (MLflow's and trackio's rows, W&B's history, TensorBoard's
events): the time, not the step, tells a second blow-up from the first one read again. A CSV log's points carry
the file's modification time, which says nothing of when a point was written: there the same step is not rung
twice (``test_monitor.py`` holds the TensorBoard cases)."""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from conftest import refused, scalar_run
from logger_runs import STEPS, curves

from tui.live.monitor import Monitor

Log = Callable[[int, float, float, float], None]
"""Logs one step's (train loss, val loss) written at a time (seconds), as the logger does."""


def _blow_ups(monitor: Monitor, run: str) -> list[tuple[int, str]]:
    """The run's diverging alerts (the fixture runs overfit before: their overfitting alerts come first)."""
    return [(a.step, a.kind) for a in monitor.alerts if a.run == run and a.kind == "diverging"]


def _blow_up_resume_and_blow_up_again(logdir: Path, run: str, log: Log) -> Monitor:
    monitor = Monitor(str(logdir))
    monitor.refresh()
    start = (monitor.store.runs[run].last_write or 0.0) + 60  # a minute after the fixture's last point was written
    log(STEPS, math.nan, curves(STEPS)[1], start)  # the job blows up: training NaN
    monitor.refresh()
    assert _blow_ups(monitor, run) == [(STEPS, "diverging")]
    for offset, step in enumerate((STEPS - 2, STEPS - 1)):  # an hour later, resumed from the checkpoint two back
        log(step, *curves(step), start + 3600 + offset)
    log(STEPS, math.nan, curves(STEPS)[1], start + 3602)  # and it blows up at the very same step
    monitor.refresh()
    assert _blow_ups(monitor, run) == [(STEPS, "diverging")] * 2
    fresh = Monitor(str(logdir))  # read whole: the store keeps the latest attempt, and its blow-up is told once
    fresh.refresh()
    assert _blow_ups(fresh, run) == [(STEPS, "diverging")]
    assert fresh.verdict(run).kind == monitor.verdict(run).kind == "diverging"
    return monitor


def test_an_mlflow_file_store_job_resumed_into_the_same_blow_up_rings_again(logger_logdir: Path):
    metrics = next(logger_logdir.glob("mlruns/*/*/metrics"))

    def log(step: int, train: float, val: float, when: float) -> None:  # MLflow's "<ms> <value> <step>" lines
        for key, value in (("train_loss", train), ("val_loss", val)):
            with open(metrics / key, "a") as handle:
                handle.write(f"{int(when * 1000)} {value} {step}\n")

    _blow_up_resume_and_blow_up_again(logger_logdir, "mlruns/exp/ml-file", log)


def test_an_mlflow_database_job_resumed_into_the_same_blow_up_rings_again(logger_logdir: Path):
    run_id = (logger_logdir / "mlflow-run-id").read_text()

    def log(step: int, train: float, val: float, when: float) -> None:  # a NaN is stored as is_nan = 1, value 0
        with closing(sqlite3.connect(logger_logdir / "mlflow.db")) as db, db:
            for key, value in (("train_loss", train), ("val_loss", val)):
                nan = math.isnan(value)
                db.execute(
                    "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)",
                    (key, 0.0 if nan else value, int(when * 1000), run_id, step, int(nan)),
                )

    _blow_up_resume_and_blow_up_again(logger_logdir, "exp/ml-sql", log)


def test_a_trackio_job_resumed_into_the_same_blow_up_rings_again(logger_logdir: Path):
    path = logger_logdir / "trackio" / "tproj.db"
    with closing(sqlite3.connect(path)) as db:
        [(run_id, run_name)] = db.execute("SELECT DISTINCT run_id, run_name FROM metrics").fetchall()

    def log(step: int, train: float, val: float, when: float) -> None:  # trackio's bulk_log: JSON metrics, ISO time
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(when))
        with closing(sqlite3.connect(path)) as db, db:
            db.execute(
                "INSERT INTO metrics (timestamp, run_id, run_name, step, metrics) VALUES (?, ?, ?, ?, ?)",
                (stamp, run_id, run_name, step, json.dumps({"train/loss": train, "val/loss": val})),
            )

    _blow_up_resume_and_blow_up_again(logger_logdir, "trackio/tproj/tr-run", log)


def test_only_logs_that_carry_their_writers_times_count_as_knowing_when_a_point_was_written(logger_logdir: Path):
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    known = {name: run.walls_logged for name, run in monitor.store.runs.items()}
    assert known == {
        "wb-run": True,
        "exp/ml-sql": True,
        "mlruns/exp/ml-file": True,
        "trackio/tproj/tr-run": True,
        "lightning_logs/version_0": False,  # CSV rows: the file's modification time
        "keras": False,
        "hf-out": False,  # trainer_state.json holds no times
        "hf-out [jsonl]": False,
    }


def test_a_folder_that_cannot_be_opened_does_not_hide_the_times_of_the_files_read(tmp_path: Path):
    """A Keras-style run whose ``validation/`` folder is refused: the run shows the folder's reason, and its
    training file's points still carry the times they were written (the refused folder holds none of them)."""
    scalar_run(tmp_path / "run" / "train", {"epoch_loss": [1.0, 0.8, 0.6]})
    (tmp_path / "run" / "validation").mkdir()
    monitor = Monitor(str(tmp_path))
    with refused(tmp_path / "run" / "validation"):
        monitor.refresh()
        run = monitor.store.runs["run"]
        assert run.errors == ["permission denied"]
        assert run.walls_logged


@pytest.mark.parametrize("with_config", [True, False], ids=["config-rows", "metrics-only"])
def test_two_trackio_runs_of_one_name_are_two_runs_and_lose_nothing(logger_logdir: Path, with_config: bool):
    """trackio starts a new run under a name already taken (``resume="never"``): the two were one run, the later
    one's points read as a restart that purged the first's. The first keeps the name, the later gets its id's first
    8 characters after it, as MLflow's and W&B's runs of one name do."""
    path = logger_logdir / "trackio" / "tproj.db"
    alone = Monitor(str(logger_logdir))
    alone.refresh()
    before = {tag: series.values.tolist() for tag, series in alone.store.runs["trackio/tproj/tr-run"].scalars.items()}
    with closing(sqlite3.connect(path)) as db, db:
        [(run_name,)] = db.execute("SELECT DISTINCT run_name FROM metrics").fetchall()
        if not with_config:
            db.execute("DELETE FROM configs")
        else:
            db.execute(
                "INSERT INTO configs (run_id, run_name, config, created_at) VALUES (?, ?, ?, ?)",
                ("zz9later0", run_name, json.dumps({"lr": 5}), "2026-12-06T12:00:00+00:00"),
            )
        for step in range(3):
            db.execute(
                "INSERT INTO metrics (timestamp, run_id, run_name, step, metrics) VALUES (?, ?, ?, ?, ?)",
                (
                    "2026-12-06T12:00:00+00:00",
                    "zz9later0",
                    run_name,
                    step,
                    json.dumps({"train/loss": 5.0 / (step + 1)}),
                ),
            )
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    runs = monitor.store.runs
    later = runs["trackio/tproj/tr-run (zz9later)"]
    assert later.scalars["train/loss"].values.tolist() == [5.0, 2.5, 5.0 / 3]
    kept = {tag: series.values.tolist() for tag, series in runs["trackio/tproj/tr-run"].scalars.items()}
    assert kept == before  # the first run's points, all kept


def test_a_nested_trackio_config_is_read_with_dotted_names_as_w_and_bs_is(logger_logdir: Path):
    """``trackio.init(config={"optimizer": {"name": "adam", "lr": 3e-4}})``: only the top level's numbers and
    text were kept, so a sweep of nested learning rates had no hyper-parameter to rank by."""
    path = logger_logdir / "trackio" / "tproj.db"
    config = {"optimizer": {"name": "adam", "lr": 3e-4}, "layers": [64, 64], "_Username": None}
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE configs SET config = ?", (json.dumps(config).encode(),))
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    assert monitor.store.runs["trackio/tproj/tr-run"].hparams == {
        "optimizer.name": "adam",
        "optimizer.lr": 3e-4,
        "layers": "[64, 64]",
    }
