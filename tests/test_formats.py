"""Every logger's files, written by the real libraries (or exactly as their source writes them), read by losswatch.

The runs in ``tests/loggers/runs`` were written by ``tests/loggers/write_fixtures.py`` with
the versions in ``versions.json`` beside it (W&B offline, MLflow's SQLite and file stores, trackio;
Lightning, Keras and Hugging Face following their writers' source). A job writing while losswatch reads
is a process appending rows to a copy of the real database with sqlite3, as MLflow and trackio do.
W&B's own binary log: ``test_formats_wandb.py``.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
from logger_runs import FIXTURES, RUNS, STEPLESS, STEPS, curve_of, curves

from tui.cli.main import main
from tui.live.monitor import Monitor
from tui.sources.jsontext import cut_short
from tui.sources.roots.base import TAIL_CHECK_BYTES
from tui.sources.roots.local import LocalRoot


def test_the_fixtures_record_their_writers_versions():
    versions = json.loads((FIXTURES / "versions.json").read_text())
    assert {"wandb", "mlflow", "trackio"} <= set(versions)


def test_every_format_is_found_in_one_logdir_beside_tensorboard(logger_logdir: Path):
    shutil.copytree(Path(__file__).parent / "data" / "torch" / "overfit-7", logger_logdir / "tb" / "overfit-7")
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    names = set(monitor.store.runs)
    assert set(RUNS) | {"tb/overfit-7", "hf-out [jsonl]"} == names
    for name, (train_tag, val_tag, _, _) in RUNS.items():
        verdict = monitor.verdict(name)
        assert (verdict.train_tag, verdict.val_tag) == (train_tag, val_tag), name
        assert verdict.kind == "overfitting", name  # validation turns up after step 12 while training falls
        assert not monitor.store.runs[name].errors and not monitor.store.runs[name].damaged


def test_every_point_equals_what_was_written(logger_logdir: Path):
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    for name, (train_tag, val_tag, train_steps, val_steps) in RUNS.items():
        run = monitor.store.runs[name]
        steps, values = curve_of(run, train_tag)
        assert steps == train_steps, name
        assert values == [curves(i)[0] for i in range(STEPS)], name
        steps, values = curve_of(run, val_tag)
        first = {"keras": 1, "lightning_logs/version_0": 5}.get(name, 0)
        assert values == [curves(i)[1] for i in range(first, STEPS)], name
        if val_steps is not None:
            assert steps == val_steps, name


def test_hyperparameters_come_from_each_loggers_config(logger_logdir: Path):
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    runs = monitor.store.runs
    assert runs["wb-run"].hparams == {"lr": 0.01, "optimizer.name": "adam"}
    assert runs["exp/ml-sql"].hparams == {"lr": 0.01, "batch_size": 32}
    assert runs["mlruns/exp/ml-file"].hparams == {"lr": 0.02}
    assert runs["trackio/tproj/tr-run"].hparams == {"lr": 0.03}
    assert runs["lightning_logs/version_0"].hparams == {"lr": 0.001, "batch_size": 64}
    assert runs["hf-out"].hparams["train_batch_size"] == 8


MLFLOW_JOB = textwrap.dedent(
    """
    import sqlite3, sys, time
    db, run_uuid, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    sys.path.insert(0, sys.argv[5])
    from write_fixtures import curves
    connection = sqlite3.connect(db, timeout=30)
    for step in range(first, first + count):  # one transaction per log_metrics call, as MLflow's SqlAlchemyStore
        train, val = curves(step)
        stamp = int(time.time() * 1000)
        with connection:
            for key, value in (("train_loss", train), ("val_loss", val)):
                connection.execute(
                    "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)",
                    (key, value, stamp, run_uuid, step),
                )
                connection.execute(
                    "INSERT OR REPLACE INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)"
                    " VALUES (?, ?, ?, ?, 0, ?)",
                    (key, value, stamp, step, run_uuid),
                )
    """
)


def test_mlflow_database_written_while_read(logger_logdir: Path):
    """A job logs to the database (MLflow's tables, one commit per step) while losswatch reads it over and
    over: the job never fails on a lock, and every point arrives exactly once."""
    db = logger_logdir / "mlflow.db"
    run_id = (logger_logdir / "mlflow-run-id").read_text()
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    writer = subprocess.Popen(
        [sys.executable, "-c", MLFLOW_JOB, str(db), run_id, str(STEPS), "60", str(FIXTURES)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    rounds = 0
    try:
        while writer.poll() is None:
            monitor.refresh()
            rounds += 1
    finally:
        _, errors = writer.communicate(timeout=60)
    assert writer.returncode == 0, errors[-2000:]
    monitor.refresh()
    steps, values = curve_of(monitor.store.runs["exp/ml-sql"], "val_loss")
    assert steps == list(range(STEPS + 60))
    assert values == [curves(i)[1] for i in range(STEPS + 60)]
    assert rounds > 1


def test_mlflow_points_logged_without_a_step_are_all_kept_in_time_order(logger_logdir: Path):
    """MLflow stores step 0 for ``log_metric(key, value)``: the points are numbered by their timestamps."""
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    for name in ("exp/ml-sql", "mlruns/exp/ml-file"):
        assert curve_of(monitor.store.runs[name], "gpu_mem") == ([0, 1, 2], STEPLESS), name
    db = sqlite3.connect(logger_logdir / "mlflow.db")
    run_id = (logger_logdir / "mlflow-run-id").read_text()
    with db:  # two more, written out of time order (the later one first)
        [(last,)] = db.execute("SELECT max(timestamp) FROM metrics WHERE key = 'gpu_mem'").fetchall()
        for stamp, value in ((last + 20, 0.125), (last + 10, 0.0625)):
            db.execute(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES ('gpu_mem', ?, ?, ?, 0, 0)",
                (value, stamp, run_id),
            )
    db.close()
    metric = next(logger_logdir.glob("mlruns/*/*/metrics/gpu_mem"))
    last = int(metric.read_text().split()[-3])
    with open(metric, "a") as handle:
        handle.write(f"{last + 20} 0.125 0\n{last + 10} 0.0625 0\n")
    monitor.refresh()
    for name in ("exp/ml-sql", "mlruns/exp/ml-file"):
        assert curve_of(monitor.store.runs[name], "gpu_mem") == ([0, 1, 2, 3, 4], [*STEPLESS, 0.0625, 0.125]), name


def test_trackio_live_append_is_picked_up(logger_logdir: Path):
    """Rows appended as trackio's SQLiteStorage.bulk_log writes them (WAL mode, JSON metrics, ISO time)."""
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    db = sqlite3.connect(logger_logdir / "trackio" / "tproj.db")
    [(run_id, run_name)] = db.execute("SELECT DISTINCT run_id, run_name FROM metrics").fetchall()
    with db:
        for step in range(STEPS, STEPS + 5):
            train, val = curves(step)
            db.execute(
                "INSERT INTO metrics (timestamp, run_id, run_name, step, metrics) VALUES (?, ?, ?, ?, ?)",
                (
                    "2026-01-01T00:00:00+00:00",
                    run_id,
                    run_name,
                    step,
                    json.dumps({"train/loss": train, "val/loss": val}),
                ),
            )
    db.close()
    monitor.refresh()
    run = monitor.store.runs["trackio/tproj/tr-run"]
    assert curve_of(run, "val/loss") == (list(range(STEPS + 5)), [curves(i)[1] for i in range(STEPS + 5)])
    assert run.live


def test_mlflow_file_store_live_append_and_new_metric(logger_logdir: Path):
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    metrics = next(logger_logdir.glob("mlruns/*/*/metrics"))
    with open(metrics / "val_loss", "a") as handle:
        handle.write("1796000000000 0.25 30\n1796000000001 0.5")  # the second line is still being written
    (metrics / "accuracy").write_text("1796000000000 0.75 30\n")
    monitor.refresh()
    run = monitor.store.runs["mlruns/exp/ml-file"]
    assert curve_of(run, "val_loss")[0][-1] == 30 and run.incomplete_bytes > 0
    assert curve_of(run, "accuracy") == ([30], [0.75])


def test_lightning_header_rewrite_is_read_without_duplicates(logger_logdir: Path):
    """The fixture's CSVLogger rewrote its header when val_loss first appeared; read live, round by round."""
    path = logger_logdir / "lightning_logs" / "version_0" / "metrics.csv"
    final = path.read_text()
    lines = final.splitlines(keepends=True)
    assert lines[0] == "epoch,step,train_loss,val_loss\n"
    before = [line.rsplit(",", 1)[0] + "\n" for line in lines[1:6]]  # epochs 0-4: no validation yet
    path.write_text("epoch,step,train_loss\n" + "".join(before))  # the file after the first save
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    run = monitor.store.runs["lightning_logs/version_0"]
    first = len(run.scalars["train_loss"])
    assert first == len(before) > 0
    path.write_text(final)  # rewritten with the new header, the old rows, and new ones
    monitor.refresh()
    assert curve_of(run, "train_loss") == ([e * 10 + 9 for e in range(STEPS)], [curves(e)[0] for e in range(STEPS)])
    assert curve_of(run, "val_loss") == ([e * 10 + 9 for e in range(5, STEPS)], [curves(e)[1] for e in range(5, STEPS)])


def test_keras_csv_separator_and_na(logger_logdir: Path):
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    run = monitor.store.runs["keras"]
    assert curve_of(run, "val_loss")[0][0] == 1  # epoch 0 had NA
    with open(logger_logdir / "keras" / "training.log", "a") as handle:
        handle.write(f"{STEPS};0.01;0.9\n{STEPS + 1};0.0")
    monitor.refresh()
    assert curve_of(run, "loss") == (list(range(STEPS + 1)), [curves(e)[0] for e in range(STEPS)] + [0.01])


def test_huggingface_follows_the_newest_checkpoint_without_duplicates(logger_logdir: Path):
    out = logger_logdir / "hf-out"
    newest = max(out.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    hidden = newest.rename(out / "later")  # as if the last checkpoint were not written yet
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    run = monitor.store.runs["hf-out"]
    before = len(run.scalars["eval_loss"])
    assert 0 < before < STEPS
    hidden.rename(newest)
    monitor.refresh()
    assert curve_of(run, "eval_loss")[0] == [(i + 1) * 100 for i in range(STEPS)]


def _hf_output(tmp_path: Path, newest: bytes | None) -> Path:
    """A copy of the real Trainer's output folder with its checkpoint-3000 state replaced by ``newest`` (none
    when None) and no JSON-lines log: only the checkpoints' run."""
    out = tmp_path / "logs" / "out"
    shutil.copytree(FIXTURES / "runs" / "hf-out", out, ignore=shutil.ignore_patterns("*.jsonl"))
    state = out / "checkpoint-3000" / "trainer_state.json"
    if newest is None:
        shutil.rmtree(state.parent)
    else:
        state.write_bytes(newest)
    return out.parent


def test_huggingface_reads_the_checkpoint_before_a_newest_cut_short_until_it_is_whole(tmp_path: Path, capsys):
    """A job killed while saving leaves the newest trainer_state.json cut short for good: the run was 'waiting'
    with no points (check: exit 0) though checkpoint-2500's was whole. It is read, the cut file noted, and the
    newest read once whole."""
    whole = (FIXTURES / "runs" / "hf-out" / "checkpoint-3000" / "trainer_state.json").read_bytes()
    logdir = _hf_output(tmp_path, whole[: len(whole) // 2])
    monitor = Monitor(str(logdir))
    monitor.refresh()
    run = monitor.store.runs["out"]
    assert curve_of(run, "eval_loss")[0] == [(i + 1) * 100 for i in range(25)]  # checkpoint-2500's history
    assert run.incomplete_bytes == len(whole) // 2 and not run.damaged and not run.errors
    assert "an older checkpoint's was read" in run.incomplete_note()
    assert monitor.verdict("out").kind == "overfitting"
    assert main(["check", str(logdir)]) == 1
    assert "out: its newest trainer_state.json" in capsys.readouterr().out
    (logdir / "out" / "checkpoint-3000" / "trainer_state.json").write_bytes(whole)  # the job finished saving
    monitor.refresh()
    assert curve_of(run, "eval_loss")[0] == [(i + 1) * 100 for i in range(STEPS)] and run.incomplete_bytes == 0


def test_a_whole_trainer_state_that_is_none_is_damaged_not_waiting(tmp_path: Path, capsys):
    """A log_history that is no list, or text that is not JSON, was 'a job still writing' (exit 0): it is
    damaged, the checkpoint before it read; with nothing else to read, nothing could be read (exit 2)."""
    for newest in (b'{"global_step": 3000, "log_history": {"a": 1}}\n', b'{"log_history": [}\n'):
        logdir = _hf_output(tmp_path / str(len(newest)), newest)
        monitor = Monitor(str(logdir))
        monitor.refresh()
        run = monitor.store.runs["out"]
        assert run.damaged and run.incomplete_bytes == 0 and curve_of(run, "eval_loss")[0][-1] == 2500
        assert run.damage_note().startswith("skipped 1 damaged trainer_state.json (whole, but not a trainer state)")
        for checkpoint in (logdir / "out").glob("checkpoint-*"):  # the newest alone
            if checkpoint.name != "checkpoint-3000":
                shutil.rmtree(checkpoint)
        assert main(["check", str(logdir)]) == 2
        assert "out: skipped 1 damaged trainer_state.json" in capsys.readouterr().out
    alone = _hf_output(tmp_path / "cut", None)
    for checkpoint in (alone / "out").glob("checkpoint-*"):
        state = checkpoint / "trainer_state.json"
        state.write_bytes(state.read_bytes()[:100])  # every one cut short: nothing could be read, not 'all fine'
    assert main(["check", str(alone)]) == 2
    assert "no trainer_state.json of it is a whole document (600 byte(s)" in capsys.readouterr().out
    shutil.copytree(FIXTURES / "runs" / "keras", alone / "keras")  # beside a readable run: it cannot be read
    assert main(["check", str(alone), "--json"]) == 1
    record = next(r for r in json.loads(capsys.readouterr().out) if r["run"] == "out")
    assert record["verdict"] == "waiting" and record["incomplete_bytes"] == 6 * 100


def test_cut_short_tells_a_prefix_of_a_document_from_a_damaged_one():
    """Every prefix of a Trainer's state is cut short (wait for the rest); a whole document, or one damaged
    before its end, is not (no wait mends it)."""
    whole = (FIXTURES / "runs" / "hf-out" / "checkpoint-500" / "trainer_state.json").read_bytes()
    assert all(cut_short(whole[:size]) for size in range(len(whole) - 1))
    for damaged in (whole[:200] + b"}" + whole[200:], whole + b"}", b"\xff\xfe", b'{"log_history": {"a": 1}}'):
        assert not cut_short(damaged)


def test_jsonl_log_is_tailed(logger_logdir: Path):
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    run = monitor.store.runs["hf-out [jsonl]"]
    with open(logger_logdir / "hf-out" / "trainer_log.jsonl", "a") as handle:
        handle.write(json.dumps({"current_steps": STEPS + 1, "loss": 0.01}) + "\n" + '{"current_steps": 99, "lo')
    monitor.refresh()
    assert curve_of(run, "loss")[0][-2:] == [STEPS, STEPS + 1] and run.incomplete_bytes > 0


def test_check_json_names_the_checkpoint_nearest_the_best_step(logger_logdir: Path, capsys):
    assert main(["check", str(logger_logdir), "--json"]) in (0, 1)
    records = {r["run"]: r for r in json.loads(capsys.readouterr().out)}
    hf = records["hf-out"]
    assert hf["best_step"] == 1300  # validation is lowest at index 12
    assert hf["checkpoint"] == str(logger_logdir / "hf-out" / "checkpoint-1300") + "/"
    lightning = records["lightning_logs/version_0"]
    assert lightning["best_step"] == 129
    assert lightning["checkpoint"].endswith("checkpoints/epoch=12-step=129.ckpt")


def test_check_says_keep_only_of_the_best_steps_checkpoint(logger_logdir: Path, capsys):
    """Lightning keeps only its latest checkpoint by default: epochs past the best, "keep" it was false advice."""
    assert main(["check", str(logger_logdir)]) == 1
    out = capsys.readouterr().out
    assert "lightning_logs/version_0: keep epoch=12-step=129.ckpt" in out  # validation at 129: the best's model
    kept = logger_logdir / "lightning_logs" / "version_0" / "checkpoints"  # as ModelCheckpoint() keeps: the latest
    for checkpoint in kept.iterdir():
        checkpoint.unlink()
    (kept / "epoch=19-step=199.ckpt").write_bytes(b"weights")
    assert main(["check", str(logger_logdir)]) == 1
    out = capsys.readouterr().out
    assert "no checkpoint at the best step 129; the nearest, epoch=19-step=199.ckpt, is 70 steps after it" in out
    assert "keep epoch=19" not in out


def test_train_and_val_tag_options_work_for_every_format(logger_logdir: Path, capsys):
    assert main(["check", str(logger_logdir), "--json", "--train-tag", "^lr$", "--val-tag", "train"]) in (0, 1)
    records = {r["run"]: r for r in json.loads(capsys.readouterr().out)}
    assert records["wb-run"]["train_tag"] == "lr" and records["wb-run"]["val_tag"] == "train/loss"
    assert records["exp/ml-sql"]["val_tag"] == "train_loss"


def test_export_writes_every_formats_points(logger_logdir: Path, tmp_path: Path):
    import pandas as pd

    out = tmp_path / "points.csv"
    assert main(["export", str(logger_logdir), "-o", str(out)]) == 0
    frame = pd.read_csv(out)
    for name, (train_tag, _, train_steps, _) in RUNS.items():
        rows = frame[(frame.run == name) & (frame.tag == train_tag)]
        assert rows.step.tolist() == train_steps, name
        assert np.allclose(rows.value, [curves(i)[0] for i in range(STEPS)]), name


def test_monitor_reads_databases_while_a_writer_thread_holds_them(logger_logdir: Path):
    """A writer that keeps a write transaction open briefly: reading says 'busy' or waits, never fails."""
    import sqlite3

    db = logger_logdir / "mlflow.db"
    writer = sqlite3.connect(db, timeout=5, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    done = threading.Event()

    def release() -> None:
        done.wait(0.3)
        writer.rollback()

    thread = threading.Thread(target=release)
    thread.start()
    try:
        monitor = Monitor(str(logger_logdir))
        monitor.refresh()
        assert len(monitor.store.runs["exp/ml-sql"].scalars["val_loss"]) == STEPS
    finally:
        done.set()
        thread.join()
        writer.close()


class RecordingRoot(LocalRoot):
    """A local root that remembers every byte range read, to see what a round reads."""

    def __init__(self, folder: str) -> None:
        super().__init__(folder)
        self.reads: list[tuple[str, int, int]] = []

    def read(self, path: str, offset: int, size: int) -> bytes:
        data = super().read(path, offset, size)
        self.reads.append((path, offset, len(data)))
        return data


def test_tailing_reads_only_what_was_appended(logger_logdir: Path):
    """After the first round, a round reads the bytes each job appended (a CSV also its header's, a text log the
    256 it read last: rewritten?; W&B from the start of the 32 KiB block it stopped in), the rows past a watermark."""
    root = RecordingRoot(str(logger_logdir))
    monitor = Monitor(root)
    monitor.refresh()
    metric_file = next(logger_logdir.glob("mlruns/*/*/metrics/val_loss"))
    appended = {
        "keras/training.log": f"{STEPS};0.01;0.9\n",
        "lightning_logs/version_0/metrics.csv": f"{STEPS},{STEPS * 10 + 9},0.01,0.9\n",
        "hf-out/trainer_log.jsonl": json.dumps({"current_steps": STEPS + 1, "loss": 0.01}) + "\n",
        str(metric_file.relative_to(logger_logdir)): f"1796000000000 0.25 {STEPS}\n",
    }
    sizes = {path: (logger_logdir / path).stat().st_size for path in appended}
    for path, text in appended.items():
        with open(logger_logdir / path, "a") as handle:
            handle.write(text)
    db = sqlite3.connect(logger_logdir / "trackio" / "tproj.db")
    [(run_id, run_name)] = db.execute("SELECT DISTINCT run_id, run_name FROM metrics").fetchall()
    with db:
        db.execute(
            "INSERT INTO metrics (timestamp, run_id, run_name, step, metrics) VALUES (?, ?, ?, ?, ?)",
            ("2026-01-01T00:00:00+00:00", run_id, run_name, STEPS, '{"val/loss": 0.5}'),
        )
    db.close()
    trackio_stream = next(s for s in monitor.streams.values() if s.run == "trackio/tproj/tr-run")
    rows_before = trackio_stream.rows
    root.reads.clear()
    monitor.refresh()
    for path, text in appended.items():
        header = (logger_logdir / path).read_bytes().split(b"\n", 1)[0] if path.endswith((".csv", ".log")) else b""
        ranges = [(offset, size) for read_path, offset, size in root.reads if read_path == path and size]
        old = sizes[path]
        assert sum(offset + size - max(offset, old) for offset, size in ranges if offset + size > old) == len(text)
        assert sum(min(at + size, old) - at for at, size in ranges if at < old) <= len(header) + 2 + TAIL_CHECK_BYTES
    assert trackio_stream.rows == rows_before + 1
    run = monitor.store.runs["keras"]
    assert curve_of(run, "loss")[0][-1] == STEPS


def test_non_finite_values_are_points_in_every_json_format(logger_logdir: Path):
    """A diverging run logs NaN: Python's json writes it as NaN (JSON lines), trackio as the text "NaN"."""
    with open(logger_logdir / "hf-out" / "trainer_log.jsonl", "a") as handle:
        handle.write('{"current_steps": 31, "loss": NaN}\nnot json\n{"current_steps": 32, "loss": Infinity}\n')
    db = sqlite3.connect(logger_logdir / "trackio" / "tproj.db")
    [(run_id, run_name)] = db.execute("SELECT DISTINCT run_id, run_name FROM metrics").fetchall()
    with db:
        db.execute(
            "INSERT INTO metrics (timestamp, run_id, run_name, step, metrics) VALUES (?, ?, ?, ?, ?)",
            ("2026-01-01T00:00:00+00:00", run_id, run_name, STEPS, '{"val/loss": "NaN", "train/loss": "Infinity"}'),
        )
    db.close()
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    jsonl = monitor.store.runs["hf-out [jsonl]"]
    steps, values = curve_of(jsonl, "loss")
    assert steps[-2:] == [31, 32] and np.isnan(values[-2]) and values[-1] == np.inf
    assert jsonl.skipped_records == 1
    trackio = monitor.store.runs["trackio/tproj/tr-run"]
    assert np.isnan(curve_of(trackio, "val/loss")[1][-1]) and curve_of(trackio, "train/loss")[1][-1] == np.inf
    assert monitor.verdict("trackio/tproj/tr-run").kind == "diverging"


def test_a_run_name_stays_with_the_format_that_had_it_first(logger_logdir: Path, tmp_path: Path):
    """The Trainer's JSON-lines log is there before its first checkpoint: its run keeps the folder's name (and its
    points), and the checkpoints' run, found later, is told apart, instead of the two sharing one run."""
    out = logger_logdir / "hf-out"
    aside = tmp_path / "aside"
    aside.mkdir()
    for checkpoint in out.glob("checkpoint-*"):
        checkpoint.rename(aside / checkpoint.name)
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    assert curve_of(monitor.store.runs["hf-out"], "loss")[0] == list(range(1, STEPS + 1))
    for checkpoint in aside.iterdir():
        checkpoint.rename(out / checkpoint.name)
    monitor.refresh()
    assert curve_of(monitor.store.runs["hf-out"], "loss")[0] == list(range(1, STEPS + 1))
    assert "eval_loss" not in monitor.store.runs["hf-out"].scalars
    trainer = monitor.store.runs["hf-out [hf-trainer-state]"]
    assert curve_of(trainer, "eval_loss")[0] == [(i + 1) * 100 for i in range(STEPS)]


def test_trackio_watermark_moves_past_other_runs_rows(logger_logdir: Path):
    """Rows of another run in the same project database move the watermark on, so the next read of this run
    starts after them instead of walking them again."""
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    stream = next(s for s in monitor.streams.values() if s.run == "trackio/tproj/tr-run")
    db = sqlite3.connect(logger_logdir / "trackio" / "tproj.db")
    with db:
        for step in range(3):
            db.execute(
                "INSERT INTO metrics (timestamp, run_id, run_name, step, metrics) VALUES (?, 'other', 'other', ?, ?)",
                ("2026-01-01T00:00:00+00:00", step, '{"val/loss": 9.0}'),
            )
    [(top,)] = db.execute("SELECT max(id) FROM metrics").fetchall()
    db.close()
    before = len(monitor.store.runs["trackio/tproj/tr-run"].scalars["val/loss"])
    monitor.refresh()
    assert stream.last_id == top
    assert len(monitor.store.runs["trackio/tproj/tr-run"].scalars["val/loss"]) == before
