"""A point logged late, below a curve's newest step, into a log that holds one curve (MLflow's file per metric,
its rows per key) restarts that curve alone: the other curves, already read and never read again, keep every
point, and the run's verdict stands. A resumed job goes back in every curve's log, and each drops its old
attempt (``test_resumed_other_loggers.py``)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from logger_runs import STEPS, curves

from tui.live.monitor import Monitor

FILE_RUN, DB_RUN = "mlruns/exp/ml-file", "exp/ml-sql"


def _steps(monitor: Monitor, run: str, tag: str) -> list[int]:
    return monitor.store.runs[run].scalars[tag].steps.tolist()


def _late_line(logdir: Path) -> None:
    """Step 2 of ``train_loss`` logged again after step 3 (a second writer, or a user's late call)."""
    path = next(logdir.glob("mlruns/*/*/metrics/train_loss"))
    lines = path.read_text().splitlines(keepends=True)
    stamp = lines[3].split()[0]
    lines.insert(4, f"{stamp} 0.1 2\n")
    path.write_text("".join(lines))


def test_a_late_line_in_one_mlflow_metric_file_keeps_the_other_curves_read_whole(logger_logdir: Path):
    before = Monitor(str(logger_logdir))
    before.refresh()
    _late_line(logger_logdir)
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    assert _steps(monitor, FILE_RUN, "val_loss") == list(range(STEPS))
    assert _steps(monitor, FILE_RUN, "train_loss") == [0, 1, 2, *range(4, STEPS)]
    assert monitor.verdict(FILE_RUN).kind == before.verdict(FILE_RUN).kind == "overfitting"


def test_a_late_line_appended_to_one_mlflow_metric_file_keeps_the_other_curves_live(logger_logdir: Path):
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    path = next(logger_logdir.glob("mlruns/*/*/metrics/train_loss"))
    stamp = path.read_text().splitlines()[-1].split()[0]
    with open(path, "a") as handle:
        handle.write(f"{stamp} 0.5 5\n")
    monitor.refresh()
    assert _steps(monitor, FILE_RUN, "val_loss") == list(range(STEPS))
    assert _steps(monitor, FILE_RUN, "train_loss") == list(range(6))
    assert monitor.store.runs[FILE_RUN].scalars["val_loss"].values[-1] == curves(STEPS - 1)[1]


def test_a_late_row_of_one_mlflow_database_key_keeps_the_other_curves(logger_logdir: Path):
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    run_id = (logger_logdir / "mlflow-run-id").read_text()
    with closing(sqlite3.connect(logger_logdir / "mlflow.db")) as db, db:
        [(stamp,)] = db.execute("SELECT max(timestamp) FROM metrics WHERE run_uuid = ?", (run_id,)).fetchall()
        db.execute(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)",
            ("train_loss", 0.5, stamp, run_id, 5, 0),
        )
    monitor.refresh()
    assert _steps(monitor, DB_RUN, "val_loss") == list(range(STEPS))
    assert _steps(monitor, DB_RUN, "train_loss") == list(range(6))
    fresh = Monitor(str(logger_logdir))  # read whole: the same
    fresh.refresh()
    assert _steps(fresh, DB_RUN, "val_loss") == list(range(STEPS))
    assert _steps(fresh, DB_RUN, "train_loss") == list(range(6))


def test_a_metric_file_made_after_the_listing_is_read_with_the_curves_written_after_it(logger_logdir: Path):
    """A job logs ``val_loss`` first at step 10 and ``train_loss`` on to step 34: a round whose listing came just
    before ``val_loss``'s file read ``train_loss`` to its end alone, and judged a lone training curve that a whole
    read never shows (``watch`` rang ``unstable`` where ``check`` and ``replay`` rang nothing)."""
    metrics = next(logger_logdir.glob("mlruns/*/*/metrics"))
    whole = {name: (metrics / name).read_text().splitlines(keepends=True) for name in ("train_loss", "val_loss")}
    (metrics / "val_loss").unlink()
    (metrics / "train_loss").write_text("".join(whole["train_loss"][:3]))
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()  # listed and read: train_loss alone, three points
    assert "val_loss" not in monitor.store.runs[FILE_RUN].scalars
    (metrics / "val_loss").write_text("".join(whole["val_loss"]))  # made after the listing...
    (metrics / "train_loss").write_text("".join(whole["train_loss"]))  # ...and training logged on past it
    monitor.read([str(metrics / "train_loss")])  # the round that saw train_loss change
    assert _steps(monitor, FILE_RUN, "val_loss") == list(range(STEPS))
    fresh = Monitor(str(logger_logdir))
    fresh.refresh()
    mine = [(a.step, a.kind, a.tag) for a in monitor.alerts if a.run == FILE_RUN]
    assert mine == [(a.step, a.kind, a.tag) for a in fresh.alerts if a.run == FILE_RUN] and mine
    assert monitor.verdict(FILE_RUN).kind == fresh.verdict(FILE_RUN).kind == "overfitting"
