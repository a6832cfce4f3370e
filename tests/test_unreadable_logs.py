"""Logs of every format that cannot be read are runs with the reason, beside the runs that can be read.

A TensorBoard file the OS refuses has always shown "permission denied"; a refused or damaged log of the other
formats used to vanish without a word (or, alone, leave "no training logs found"). A log with a bad row
is read all the same: the row is counted as damage, the rest of the run and the runs beside it are kept.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA, refused, run_cli, run_main, scalar_run

from tui.live.monitor import Monitor

LOGGERS = Path(__file__).parent / "loggers" / "runs"

REFUSED = [
    # (what is copied from tests/loggers/runs, the file refused, the run it shows as)
    ("mlflow.db", "mlflow.db", "mlflow.db"),
    ("trackio", "trackio/tproj.db", "trackio/tproj.db"),
    ("lightning_logs", "lightning_logs/version_0/metrics.csv", "lightning_logs/version_0/metrics.csv"),
    ("keras", "keras/training.log", "keras/training.log"),
    (
        "wandb",
        "wandb/offline-run-20261202_054423-p3ijjium/run-p3ijjium.wandb",
        "wandb/offline-run-20261202_054423-p3ijjium/run-p3ijjium.wandb",
    ),
]


def _beside_a_tensorboard_run(tmp_path: Path, copied: str) -> Path:
    shutil.copytree(DATA / "torch" / "overfit-7", tmp_path / "overfit-7")
    source = LOGGERS / copied
    if source.is_dir():
        shutil.copytree(source, tmp_path / copied)
    else:
        shutil.copy(source, tmp_path / copied)
    return tmp_path


@pytest.mark.parametrize(("copied", "refused_file", "run"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_log_of_any_format_is_a_run_saying_why(tmp_path: Path, copied: str, refused_file: str, run: str):
    logdir = _beside_a_tensorboard_run(tmp_path, copied)
    with refused(logdir / refused_file):
        monitor = Monitor(str(logdir))
        monitor.refresh()
        assert monitor.store.runs[run].errors == ["permission denied"]
        assert len(monitor.store.runs["overfit-7"].scalars["val_loss"]) == 120  # the readable run is all there
    monitor.refresh()  # readable again: the format's own run replaces the reason
    assert {name: r.errors for name, r in monitor.store.runs.items() if r.errors} == {}


def test_a_damaged_database_is_named_with_its_reason_at_every_scan(tmp_path: Path):
    logdir = tmp_path
    shutil.copytree(DATA / "torch" / "overfit-7", logdir / "overfit-7")
    (logdir / "c").mkdir()
    whole = (LOGGERS / "mlflow.db").read_bytes()
    (logdir / "c" / "mlflow.db").write_bytes(whole[:3000])  # the header survives, the tables do not
    monitor = Monitor(str(logdir))
    first = monitor.scan()
    monitor.refresh()
    assert monitor.store.runs["c/mlflow.db"].errors == ["not an SQLite database, or damaged"]
    assert [new.run for new in first] == ["c/mlflow.db", "overfit-7"]
    assert monitor.scan() == []  # announced once, while the reason stays on the run
    monitor.refresh()
    assert monitor.store.runs["c/mlflow.db"].errors == ["not an SQLite database, or damaged"]
    (logdir / "c" / "mlflow.db").write_bytes(whole)  # mended: its runs appear and the reason goes
    monitor.refresh()
    assert "c/mlflow.db" not in monitor.store.runs
    assert any(name.startswith("c/") and r.has_points for name, r in monitor.store.runs.items())


def test_check_alone_on_a_refused_log_names_it_instead_of_finding_nothing(tmp_path: Path):
    shutil.copytree(LOGGERS / "keras", tmp_path / "keras")
    with refused(tmp_path / "keras" / "training.log"):
        result = run_cli("check", str(tmp_path), refuse=True)
    assert "no training logs" not in result.stderr
    assert "keras/training.log: permission denied" in result.stdout
    assert result.returncode == 2  # nothing at all could be read (the README's exit codes)


def test_an_unreadable_folder_is_announced_once_not_at_every_scan(tmp_path: Path):
    shutil.copytree(DATA / "torch" / "overfit-7", tmp_path / "overfit-7")
    (tmp_path / "locked").mkdir()
    monitor = Monitor(str(tmp_path))
    with refused(tmp_path / "locked"):
        assert sorted(new.run for new in monitor.scan()) == ["locked", "overfit-7"]
        assert monitor.scan() == []
        assert monitor.scan() == []
        assert monitor.store.runs["locked"].errors == ["permission denied"]


def test_a_folder_announced_unreadable_is_not_announced_again_once_readable(tmp_path: Path):
    """``watch --plain`` said ``b  new run`` a second time when ``chmod 755 b`` let its event file be found."""
    shutil.copytree(DATA / "torch" / "overfit-7", tmp_path / "a")
    shutil.copytree(DATA / "torch" / "overfit-7", tmp_path / "b")
    monitor = Monitor(str(tmp_path))
    with refused(tmp_path / "b"):
        assert sorted(new.run for new in monitor.refresh()[0]) == ["a", "b"]
    assert monitor.refresh()[0] == []
    assert monitor.store.runs["b"].errors == [] and len(monitor.store.runs["b"].scalars["val_loss"]) == 120
    (tmp_path / "c").mkdir()
    with refused(tmp_path / "c"):
        assert [new.run for new in monitor.refresh()[0]] == ["c"]
    shutil.rmtree(tmp_path / "c")  # deleted while it could not be read, then made again by a new job: new again
    assert monitor.refresh()[0] == []
    shutil.copytree(DATA / "torch" / "overfit-7", tmp_path / "c")
    assert [new.run for new in monitor.refresh()[0]] == ["c"]


def test_an_event_file_refused_then_allowed_is_read_without_changing(tmp_path: Path):
    shutil.copytree(DATA / "torch" / "overfit-7", tmp_path / "overfit-7")
    (event_file,) = (tmp_path / "overfit-7").iterdir()
    monitor = Monitor(str(tmp_path))
    with refused(event_file):
        monitor.refresh()
        assert monitor.store.runs["overfit-7"].errors == ["permission denied"]
    monitor.refresh()  # chmod alone: same size, time and inode
    assert monitor.store.runs["overfit-7"].errors == []
    assert len(monitor.store.runs["overfit-7"].scalars["val_loss"]) == 120
    assert not monitor.store.runs["overfit-7"].live  # its history, not a job writing now (no 'stalled' later)


@pytest.mark.parametrize("name", ["notes.txt", "slurm-1234.log", "catalog.csv", "constraints.txt"])
def test_an_unreadable_file_that_is_not_named_as_a_log_is_left_alone(tmp_path: Path, name: str):
    """Any unreadable .txt, .log or .csv beside the runs became a run that 'cannot be read' (check: exit 1)."""
    shutil.copytree(DATA / "torch" / "noisy-7", tmp_path / "noisy-7")
    (tmp_path / name).write_text("epoch,loss\n")
    with refused(tmp_path / name):
        monitor = Monitor(str(tmp_path))
        monitor.refresh()
    assert set(monitor.store.runs) == {"noisy-7"}


def test_with_two_roots_each_unreadable_log_keeps_its_roots_name(tmp_path: Path):
    for root in ("g1", "g2"):
        shutil.copytree(LOGGERS / "keras", tmp_path / root / "keras")
    from tui.live.group import build_monitor
    from tui.sources.roots.parse import parse_root

    with refused(tmp_path / "g1" / "keras" / "training.log", tmp_path / "g2" / "keras" / "training.log"):
        group = build_monitor([parse_root(str(tmp_path / "g1")), parse_root(str(tmp_path / "g2"))])
        group.refresh()
        errors = {name: run.errors for name, run in group.store.runs.items()}
    assert errors == {"g1:keras/training.log": ["permission denied"], "g2:keras/training.log": ["permission denied"]}


def test_a_run_partly_refused_still_counts_its_rounds_and_goes_live(tmp_path: Path):
    """An MLflow run with one refused metric file reads the others; its later points are a job writing now."""
    shutil.copytree(LOGGERS / "mlruns", tmp_path / "mlruns")
    (metrics,) = tmp_path.glob("mlruns/*/*/metrics")
    monitor = Monitor(str(tmp_path))
    with refused(metrics / "train_loss"):
        monitor.refresh()
        run = monitor.store.runs["mlruns/exp/ml-file"]
        assert run.errors == ["metrics/train_loss: permission denied"] and "val_loss" in run.scalars
        with open(metrics / "val_loss", "a") as handle:
            handle.write("1796000000000 0.25 30\n")
        monitor.refresh()
        assert run.live


def _mlflow_file_lines(logdir: Path, step: int) -> int:
    """Lines a broken job could append to a metric file; the last one is good. Returns how many are bad."""
    (metrics,) = logdir.glob("mlruns/*/*/metrics")
    with open(metrics / "val_loss", "a") as handle:
        handle.write(f"1796000000010 0.5 99999999999999999999\n1796000000011 abc {step}\n1796000000012 0.5 30.5\n")
        handle.write(f"1796000000013 0.25 {step}\n")
    return 3


def _mlflow_database_rows(logdir: Path, step: int) -> int:
    """Rows SQLite keeps in MLflow's typed columns as they were written (text, a blob, a step of 1e30), then
    a good row and "NaN" as text (a value). Returns how many are bad."""
    run_uuid = (LOGGERS / "mlflow-run-id").read_text()
    rows = [("abc", step), (b"\x00\x01", step), (0.5, "x"), (0.5, 1e30), (0.5, 2.5), (0.25, step), ("NaN", step + 1)]
    with sqlite3.connect(logdir / "mlflow.db") as db:
        for stamp, (value, at) in enumerate(rows, start=1796000000010):
            db.execute(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)"
                " VALUES ('val_loss', ?, ?, ?, ?, 0)",
                (value, stamp, run_uuid, at),
            )
    db.close()
    return 5


def _trackio_rows(logdir: Path, step: int) -> int:
    """trackio rows with a step that is no step or metrics that are no JSON, then a good row."""
    good = '{"val/loss": 0.25}'
    rows = [("x", good), (2.5, good), (step, '{"val/loss": 0.'), (step, good)]
    with sqlite3.connect(logdir / "trackio" / "tproj.db") as db:
        [(run_id, run_name)] = db.execute("SELECT DISTINCT run_id, run_name FROM metrics").fetchall()
        for at, metrics in rows:
            db.execute(
                "INSERT INTO metrics (timestamp, run_id, run_name, step, metrics) VALUES (?, ?, ?, ?, ?)",
                ("2026-01-01T00:00:00+00:00", run_id, run_name, at, metrics),
            )
    db.close()
    return 3


BAD_ROWS = [
    # (what is copied from tests/loggers/runs, what appends the bad rows, the run, its validation tag)
    ("mlruns", _mlflow_file_lines, "mlruns/exp/ml-file", "val_loss"),
    ("mlflow.db", _mlflow_database_rows, "exp/ml-sql", "val_loss"),
    ("trackio", _trackio_rows, "trackio/tproj/tr-run", "val/loss"),
]


@pytest.mark.parametrize(("copied", "append_bad_rows", "run", "tag"), BAD_ROWS, ids=[r[0] for r in BAD_ROWS])
def test_a_bad_row_is_skipped_and_counted_and_the_run_keeps_every_other_point(
    tmp_path: Path, copied: str, append_bad_rows, run: str, tag: str
):
    """One bad row (a step past 64 bits, text or a blob for a value) was a traceback that took every run and
    command down; it is left out and counted, read as the job appends it and read from the start."""
    logdir = _beside_a_tensorboard_run(tmp_path, copied)
    watching = Monitor(str(logdir))
    watching.refresh()
    steps, values, _ = (column.tolist() for column in watching.store.runs[run].scalars[tag].arrays())
    bad = append_bad_rows(logdir, steps[-1] + 1)
    for monitor in (watching, Monitor(str(logdir))):
        monitor.refresh()
        damaged = monitor.store.runs[run]
        now_steps, now_values, _ = (column.tolist() for column in damaged.scalars[tag].arrays())
        assert now_steps[: len(steps) + 1] == [*steps, steps[-1] + 1]
        assert now_values[: len(values) + 1] == [*values, 0.25]
        if copied == "mlflow.db":  # "NaN" stored as text is a value, not a bad row
            assert now_steps[-1] == steps[-1] + 2 and np.isnan(now_values[-1])
        assert damaged.skipped_records == bad and not damaged.errors
        assert len(monitor.store.runs["overfit-7"].scalars["val_loss"]) == 120
    result = run_cli("check", str(logdir))
    assert result.returncode == 1, result.stderr  # overfit-7 overfits: a run needs attention, no crash
    assert "Traceback" not in result.stderr
    assert f"{run}: skipped {bad} damaged record(s); everything else was read" in result.stdout
    assert "overfit-7: overfitting" in result.stdout


def test_a_hparams_yaml_of_nested_aliases_is_read_bounded(tmp_path: Path):
    """YAML aliases nest a mapping in itself at every level: 800 bytes spell 2**30 names, and ``check`` hung,
    taking gigabytes. At most ``MAX_HPARAMS`` names are taken; a list that aliases nest is kept shortened."""
    from tui.sources.hparams import MAX_HPARAMS, load_hparams

    nested = "".join(f"a{i}: &a{i} {{p: *a{i - 1}, q: *a{i - 1}}}\n" for i in range(1, 30))
    lists = "".join(f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]\n" for i in range(1, 30))
    flat = load_hparams(f"a0: &a0 {{x: 1, y: [1, 2]}}\n{nested}lists: &l0 [1, 2]\n{lists}".encode())
    assert len(flat) == MAX_HPARAMS and flat["a0.x"] == 1 and flat["a0.y"] == "[1, 2]"
    # Aliases of empty mappings nest without adding a name (a reviewer's find): the walk is bounded by nodes too.
    empty = "e0: &e0 {}\n" + "".join(f"e{i}: &e{i} {{p: *e{i - 1}, q: *e{i - 1}}}\n" for i in range(1, 40))
    assert load_hparams((empty + "lr: 0.1\n").encode()) == {}
    assert load_hparams(b"lr: 0.001\nlayers: [64, 64]\nopt: {name: adam}\n") == {
        "lr": 0.001,
        "layers": "[64, 64]",
        "opt.name": "adam",
    }


def test_a_run_folder_that_can_be_listed_but_not_entered_is_a_run_that_cannot_be_read(tmp_path: Path):
    """``chmod 644`` on a run folder (read without search): its names are listed, its files cannot be opened. The
    run vanished from every command without a word; the README says unreadable folders are never dropped."""
    scalar_run(tmp_path / "good", {"loss": [1.0, 0.5]})
    scalar_run(tmp_path / "closed", {"loss": [1.0, 0.5]})
    (tmp_path / "closed").chmod(0o644)
    try:
        with refused():
            monitor = Monitor(str(tmp_path))
            monitor.refresh()
    finally:
        (tmp_path / "closed").chmod(0o755)
    assert set(monitor.store.runs) == {"good", "closed"}
    assert monitor.store.runs["closed"].errors == ["permission denied"]


@pytest.mark.parametrize("command", ["replay", "export"])
def test_replay_and_export_name_a_run_with_nothing_readable_on_stderr(tmp_path: Path, command: str):
    """An event file of random bytes beside a good run: check named it, replay and export said nothing."""
    junk = tmp_path / "logs" / "junk"
    junk.mkdir(parents=True)
    (junk / "events.out.tfevents.1.junk").write_bytes(random.Random(1).randbytes(5000))
    scalar_run(tmp_path / "logs" / "good", {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    extra = ["-o", str(tmp_path / "points.csv")] if command == "export" else []
    result = run_main(command, str(tmp_path / "logs"), *extra)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "junk: skipped 4," in result.stderr
    assert "no data could be read: not a TensorBoard event file" in result.stderr
    assert "good" not in result.stderr
