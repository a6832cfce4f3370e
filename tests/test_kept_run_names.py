"""A watched run keeps the name it was found under, and a log written again from its start is a new attempt, in the
formats that name a run by what is beside it (a hostile tester's finds, each seen under ``watch --plain``):

- a second Keras or JSON-lines log in a run's folder renamed the first run (folder and file name): it was told as a
  new run, its bell rang again, and the old name went without a word; deleting one of two logs did the same;
- a W&B run resumed (a second log of the same id) or a second run of its display name renamed it likewise;
- trackio: a run renamed (``rename_run``) was a new run, and a run logged without a config row (``import_csv``)
  vanished once another run of the project had one;
- a Keras log started again with a new header, or a JSON-lines log written again, lost its first row when its step
  was the last one read (the old attempt's value stayed)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tui.live.monitor import Monitor


def _overfitting(epoch: int) -> tuple[float, float]:
    """Training falling, validation falling to epoch 12 and rising after it (with a little noise)."""
    return 1.0 / (epoch + 1), 0.5 + abs(epoch - 12) * 0.0625 + 0.01 * ((epoch * 7) % 5 - 2)


def _keras_log(path: Path, epochs: int) -> None:
    rows = [f"{e},{_overfitting(e)[0]!r},{_overfitting(e)[1]!r}" for e in range(epochs)]
    path.write_text("epoch,loss,val_loss\n" + "\n".join(rows) + "\n")


def _jsonl_log(path: Path, epochs: int) -> None:
    lines = [
        json.dumps({"step": e, "train_loss": _overfitting(e)[0], "val_loss": _overfitting(e)[1]}) for e in range(epochs)
    ]
    path.write_text("\n".join(lines) + "\n")


def _kinds(alerts) -> list[tuple[str, str]]:
    return [(alert.run, alert.kind) for alert in alerts]


def test_a_second_keras_log_in_a_watched_runs_folder_leaves_it_its_name_and_its_alerts(tmp_path: Path):
    (tmp_path / "exp").mkdir()
    _keras_log(tmp_path / "exp" / "history.csv", 30)
    live = Monitor(str(tmp_path))
    _new, _changes, alerts = live.refresh()
    assert ("exp", "overfitting") in _kinds(alerts)
    _keras_log(tmp_path / "exp" / "history_finetune.csv", 2)
    new, _changes, alerts = live.refresh()
    assert [run.run for run in new] == ["exp/history_finetune.csv"]
    assert alerts == [] and sorted(live.store.runs) == ["exp", "exp/history_finetune.csv"]
    assert not live.store.runs["exp"].gone and len(live.store.runs["exp"].scalars["val_loss"]) == 30


def test_deleting_one_of_two_json_lines_logs_does_not_rename_the_other(tmp_path: Path):
    (tmp_path / "exp").mkdir()
    _jsonl_log(tmp_path / "exp" / "a.jsonl", 30)
    _jsonl_log(tmp_path / "exp" / "b.jsonl", 3)
    live = Monitor(str(tmp_path))
    _new, _changes, alerts = live.refresh()
    assert ("exp/a.jsonl", "overfitting") in _kinds(alerts)
    (tmp_path / "exp" / "b.jsonl").unlink()
    new, _changes, alerts = live.refresh()
    assert new == [] and alerts == []
    assert not live.store.runs["exp/a.jsonl"].gone and live.store.runs["exp/b.jsonl"].gone
    assert "exp" not in live.store.runs
    fresh = Monitor(str(tmp_path))  # a view started now names the log left by its folder, as ``check`` does
    fresh.refresh()
    assert list(fresh.store.runs) == ["exp"]


def _wandb_run_folder(logdir: Path) -> Path:
    return next(logdir.glob("wandb/offline-run-*"))


def _copy_wandb_run(folder: Path, started: str, run_id: str) -> None:
    """Another log of the run in ``folder``: its id ``run_id`` (the same: the run resumed), started at ``started``."""
    old_id = folder.name.rsplit("-", 1)[1]
    target = folder.parent / f"offline-run-{started}-{run_id}"
    shutil.copytree(folder, target)
    (target / f"run-{old_id}.wandb").rename(target / f"run-{run_id}.wandb")


def test_a_wandb_run_resumed_in_a_second_log_stays_one_run_of_its_name(logger_logdir: Path):
    folder = _wandb_run_folder(logger_logdir)
    live = Monitor(str(logger_logdir))
    live.refresh()
    assert "wb-run" in live.store.runs
    _copy_wandb_run(folder, "20261203_101010", folder.name.rsplit("-", 1)[1])  # wandb.init(id=..., resume=...)
    new, _changes, _alerts = live.refresh()
    assert new == [] and not live.store.runs["wb-run"].gone
    assert not [name for name in live.store.runs if name.startswith("wb-run (")]
    fresh = Monitor(str(logger_logdir))
    fresh.refresh()
    assert "wb-run" in fresh.store.runs and not [name for name in fresh.store.runs if name.startswith("wb-run (")]


def test_a_second_wandb_run_of_the_same_name_leaves_the_watched_one_its_name(logger_logdir: Path):
    folder = _wandb_run_folder(logger_logdir)
    live = Monitor(str(logger_logdir))
    live.refresh()
    _copy_wandb_run(folder, "20261203_101010", "zzzz9999")
    new, _changes, _alerts = live.refresh()
    assert [run.run for run in new] == ["wb-run (zzzz9999)"]
    assert not live.store.runs["wb-run"].gone
    fresh = Monitor(str(logger_logdir))  # started now: both told apart by their ids, as ``check`` shows them
    fresh.refresh()
    assert {"wb-run (zzzz9999)", f"wb-run ({folder.name.rsplit('-', 1)[1]})"} <= set(fresh.store.runs)


def _trackio(logdir: Path) -> sqlite3.Connection:
    return closing(sqlite3.connect(logdir / "trackio" / "tproj.db"))  # type: ignore[return-value]


TRACKIO_RUN = "trackio/tproj/tr-run"


def test_a_trackio_run_logged_without_a_config_row_is_listed_beside_runs_with_one(logger_logdir: Path):
    with _trackio(logger_logdir) as db, db:  # trackio.import_csv: bulk_log without a config
        db.executemany(
            "INSERT INTO metrics (run_id, timestamp, run_name, step, metrics) VALUES (?, ?, ?, ?, ?)",
            [
                ("imported-id", "2026-12-02T06:00:00+00:00", "imported", s, json.dumps({"val/loss": 1.0}))
                for s in range(3)
            ],
        )
    for monitor in (Monitor(str(logger_logdir)), Monitor(str(logger_logdir))):
        monitor.refresh()
        assert {TRACKIO_RUN, "trackio/tproj/imported"} <= set(monitor.store.runs)
        assert len(monitor.store.runs["trackio/tproj/imported"].scalars["val/loss"]) == 3


@pytest.mark.parametrize("in_place", [False, True])
def test_a_trackio_run_renamed_while_watched_keeps_its_name_and_rings_nothing_again(logger_logdir: Path, in_place):
    """Renamed as trackio's SQLiteStorage.rename_run does (its rows deleted and written again under the new name,
    new row ids) or in place (an UPDATE: the same rows)."""
    live = Monitor(str(logger_logdir))
    live.refresh()
    before = len(live.store.runs[TRACKIO_RUN].scalars["val/loss"])
    with _trackio(logger_logdir) as db, db:
        if in_place:
            db.execute("UPDATE metrics SET run_name = 'renamed'")
        else:
            rows = db.execute("SELECT run_id, timestamp, step, metrics FROM metrics ORDER BY id").fetchall()
            db.execute("DELETE FROM metrics")
            db.executemany(
                "INSERT INTO metrics (run_id, timestamp, run_name, step, metrics) VALUES (?, ?, 'renamed', ?, ?)", rows
            )
        db.execute("UPDATE configs SET run_name = 'renamed'")
    new, _changes, alerts = live.refresh()
    assert new == [] and alerts == []
    assert "trackio/tproj/renamed" not in live.store.runs and not live.store.runs[TRACKIO_RUN].gone
    assert len(live.store.runs[TRACKIO_RUN].scalars["val/loss"]) == before


def test_a_keras_log_started_again_with_a_new_header_replaces_the_step_it_repeats(tmp_path: Path):
    log = tmp_path / "training.log"
    log.write_text("epoch,loss,val_loss\n0,9.0,9.5\n")
    live = Monitor(str(tmp_path))
    live.refresh()
    log.write_text("epoch,accuracy,loss,val_loss\n0,0.5,1.0,1.2\n")  # the job restarted, a metric more
    live.refresh()
    run = live.store.runs["."]
    assert run.scalars["loss"].values.tolist() == [1.0] and run.scalars["val_loss"].values.tolist() == [1.2]


def test_a_json_lines_log_written_again_replaces_the_step_it_repeats(tmp_path: Path):
    log = tmp_path / "metrics.jsonl"
    log.write_text('{"step": 0, "loss": 9.0}\n{"step": 1, "loss": 8.0}\n')
    live = Monitor(str(tmp_path))
    live.refresh()
    log.write_text('{"step": 1, "loss": 2.0}\n')  # cut and written again by a job resumed at its last step
    live.refresh()
    assert live.store.runs["."].scalars["loss"].values.tolist() == [9.0, 2.0]
