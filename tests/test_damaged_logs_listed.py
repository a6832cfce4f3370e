"""A log known by its name alone is a run whatever stands there: one that cannot be read is listed with the reason.

A file recognised by its exact name or extension (an event file, Lightning's ``metrics.csv``, YOLO's ``results.csv``,
a Keras CSV log named as one, ``*.jsonl``, ``mlflow.db``, a database in trackio's folder, ``run-<id>.wandb``,
``trainer_state.json``, MMEngine's ``scalars.json``) left all zero bytes or binary junk by a crash, or with a symlink
loop, a symlink to nothing or a folder in its place, was dropped without a word: ``check`` listed only the runs beside
it and exited 0. Each is now a run named by its file, flagged ``unreadable`` with what is wrong, and ``check`` exits 1
(a Trainer's newest checkpoint state that is no file says so in its run, whose older checkpoint is read).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_main, scalar_run

from tui.live.monitor import Monitor

LOGGERS = Path(__file__).parent / "loggers" / "runs"
WANDB_RUN = "wandb/offline-run-20261202_054423-p3ijjium"
ZEROS = "damaged: zero bytes where its text should be"
BINARY = "damaged: binary data, not text"


def _zeros(path: Path, size: int = 9000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(size))


def _junk(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(range(256)) * 8 + b"\n" * 3)


def _junk_without_zeros(path: Path) -> None:
    """Binary data need not hold a zero byte (a third of 300 random bytes hold none): not UTF-8, all the same."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\xff\x80" * 200 + b"\n")


def _junk_zeros_after_its_first_line(path: Path) -> None:
    """Random bytes whose first line holds no zero byte, zeros after it: a Keras log asks no UTF-8 (a console's
    capture in latin-1 may be one), and it was left out unsaid (a QA pass: 3 of 12 random files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(0x80 + i * 37 % 120 for i in range(300)) + b"\n" + bytes(200) + b"\x93\xfe" * 250)


def _utf16(encoding: str, text: str) -> Callable[[Path], None]:
    """A log written in UTF-16 with its byte-order mark, as Windows PowerShell's ``python train.py > log.jsonl``."""

    def write(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode(encoding))

    return write


JSON_LINES = "".join(
    json.dumps({"step": step, "loss": 1 / step, "val_loss": 1.1 / step}) + "\n" for step in range(1, 31)
)
UTF16 = "text in UTF-16, not UTF-8 (a Windows console's redirect?): convert it with iconv -f UTF-16 -t UTF-8"


def _loop(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(path.name)  # itself


def _folder(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "x").write_text("x\n")


def _nothing(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(path.parent / "gone" / path.name)


def _wandb_folder(logdir: Path) -> None:
    shutil.copytree(LOGGERS / WANDB_RUN, logdir / WANDB_RUN)
    (logdir / WANDB_RUN / "run-p3ijjium.wandb").unlink()
    _folder(logdir / WANDB_RUN / "run-p3ijjium.wandb")


def _trainer_state(path: Path, last_step: int) -> None:
    history = [
        {"loss": 2.0 / (1 + step / 10), "epoch": step / 100, "step": step} for step in range(10, last_step + 1, 10)
    ]
    history += [
        {"eval_loss": 2.1 / (1 + step / 10), "epoch": step / 100, "step": step} for step in range(50, last_step + 1, 50)
    ]
    history.sort(key=lambda entry: entry["step"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"global_step": last_step, "log_history": history, "train_batch_size": 8}))


def _newest_state(damage: Callable[[Path], None]) -> Callable[[Path], None]:
    """A Trainer's output folder whose newest checkpoint's state is damaged; the one before it is whole."""

    def make(logdir: Path) -> None:
        _trainer_state(logdir / "hf" / "checkpoint-400" / "trainer_state.json", 400)
        (logdir / "hf" / "checkpoint-500").mkdir(parents=True)
        damage(logdir / "hf" / "checkpoint-500" / "trainer_state.json")

    return make


def _in(relative: str, damage: Callable[[Path], None]) -> Callable[[Path], None]:
    return lambda logdir: damage(logdir / relative)


# (id, how the damaged log is made, the run it shows as, its reason, whether it has points read from elsewhere)
CASES = [
    ("lightning-zeros", _in("lt/metrics.csv", _zeros), "lt/metrics.csv", ZEROS, False),
    ("lightning-loop", _in("lt/metrics.csv", _loop), "lt/metrics.csv", "a symlink loop", False),
    ("keras-zeros", _in("k/training.log", _zeros), "k/training.log", ZEROS, False),
    ("keras-junk-first-line", _in("k/history.csv", _junk_zeros_after_its_first_line), "k/history.csv", BINARY, False),
    ("yolo-junk", _in("y/results.csv", _junk), "y/results.csv", "damaged: binary data, not text", False),
    ("jsonl-zeros", _in("j/log.jsonl", _zeros), "j/log.jsonl", ZEROS, False),
    ("jsonl-junk", _in("j/log.ndjson", _junk), "j/log.ndjson", "damaged: binary data, not text", False),
    (
        "lightning-junk-without-zeros",
        _in("lt/metrics.csv", _junk_without_zeros),
        "lt/metrics.csv",
        "damaged: binary data, not text",
        False,
    ),
    ("jsonl-junk-without-zeros", _in("j/log.jsonl", _junk_without_zeros), "j/log.jsonl", BINARY, False),
    # json.loads reads the first line of UTF-16 (it sees the byte-order mark): it was a run of 930 damaged records
    ("jsonl-utf-16", _in("j/log.jsonl", _utf16("utf-16", JSON_LINES)), "j/log.jsonl", UTF16, False),
    ("jsonl-utf-16-be", _in("j/log.jsonl", _utf16("utf-16-be", "\ufeff" + JSON_LINES)), "j/log.jsonl", UTF16, False),
    (
        "lightning-utf-16",
        _in("lt/metrics.csv", _utf16("utf-16", "step,train_loss,val_loss\n1,0.5,0.6\n2,0.4,0.5\n")),
        "lt/metrics.csv",
        UTF16,
        False,
    ),
    # A Keras log is known by its header, which no UTF-16 first line matches: it was dropped without a word
    (
        "keras-utf-16",
        _in("k/history.csv", _utf16("utf-16", "epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n")),
        "k/history.csv",
        UTF16,
        False,
    ),
    (
        "mmengine-zeros",
        _in("mm/20260101_000000/vis_data/scalars.json", _zeros),
        "mm/20260101_000000/vis_data/scalars.json",
        ZEROS,
        False,
    ),
    (
        "jsonl-link-to-nothing",
        _in("j/log.jsonl", _nothing),
        "j/log.jsonl",
        "a symlink to nothing (its target is missing)",
        False,
    ),
    (
        "mlflow-db-zeros",
        _in("db/mlflow.db", lambda path: _zeros(path, 1511424)),
        "db/mlflow.db",
        "damaged: zero bytes where its SQLite header should be",
        False,
    ),
    (
        "trackio-db-zeros",
        _in("trackio/proj.db", lambda path: _zeros(path, 8192)),
        "trackio/proj.db",
        "damaged: zero bytes where its SQLite header should be",
        False,
    ),
    (
        "event-file-loop",
        _in("tb/events.out.tfevents.1.h", _loop),
        "tb/events.out.tfevents.1.h",
        "a symlink loop",
        False,
    ),
    (
        "wandb-log-folder",
        _wandb_folder,
        f"{WANDB_RUN}/run-p3ijjium.wandb",
        "a folder, not a file",
        False,
    ),
    (
        "mmengine-loop",
        _in("mm/20240101_000000/vis_data/scalars.json", _loop),
        "mm/20240101_000000/vis_data/scalars.json",
        "a symlink loop",
        False,
    ),
    (
        "trainer-state-only-one-a-folder",
        _in("hf/checkpoint-500/trainer_state.json", _folder),
        "hf/checkpoint-500/trainer_state.json",
        "a folder, not a file",
        False,
    ),
    (
        "trainer-state-newest-a-folder",
        _newest_state(_folder),
        "hf",
        "its newest trainer_state.json: a folder, not a file; an older checkpoint's was read",
        True,
    ),
    (
        "trainer-state-newest-a-loop",
        _newest_state(_loop),
        "hf",
        "its newest trainer_state.json: a symlink loop; an older checkpoint's was read",
        True,
    ),
]


def _good_run(logdir: Path) -> None:
    """A healthy run ``check`` passes (exit 0), and files beside it that are no logs and stay unlisted."""
    falling = [2.0 / (1 + i / 10) for i in range(60)]
    scalar_run(logdir / "good", {"train_loss": falling, "val_loss": [v * 1.05 for v in falling]})
    _junk(logdir / "good" / "data.csv")  # binary, but named as no log
    _zeros(logdir / "notes" / "notes.txt")
    (logdir / "data" / "train.jsonl").parent.mkdir(parents=True)
    (logdir / "data" / "train.jsonl").write_text('{"text": "a dataset, not a log"}\n' * 10)


@pytest.mark.parametrize(("make", "run", "why", "has_points"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_log_named_as_one_that_cannot_be_read_is_a_run_with_the_reason(
    tmp_path: Path, make: Callable[[Path], None], run: str, why: str, has_points: bool
):
    _good_run(tmp_path)
    assert run_main("check", str(tmp_path)).returncode == 0  # the healthy run alone: all fine
    make(tmp_path)

    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    runs = monitor.store.runs
    assert runs[run].errors == [why]
    assert runs[run].has_points == has_points
    assert len(runs["good"].scalars["val_loss"]) == 60  # the run beside it is read whole
    assert {name for name, r in runs.items() if r.errors} == {run}  # junk named as no log stays unlisted

    result = run_main("check", "--json", str(tmp_path))
    assert result.returncode == 1, result.stderr  # a run that cannot be read needs attention
    rows = {row["run"]: row for row in json.loads(result.stdout)}
    assert {"name": "unreadable", "reason": why} in rows[run]["flags"]
    assert rows["good"]["flags"] == [] and rows["good"]["verdict"] == "learning"


def test_a_log_read_then_left_zero_filled_keeps_its_points_and_is_named(tmp_path: Path):
    """A JSON-lines log read live, then replaced by zeros (a crash as its job rewrote it): nothing read is lost."""
    log = tmp_path / "j" / "log.jsonl"
    log.parent.mkdir()
    log.write_text("".join(json.dumps({"step": step, "loss": 1 / step}) + "\n" for step in range(1, 41)))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert len(monitor.store.runs["j"].scalars["loss"]) == 40
    zeros = tmp_path / "j" / "zeros"
    zeros.write_bytes(bytes(9000))
    os.replace(zeros, log)
    monitor.refresh()
    assert len(monitor.store.runs["j"].scalars["loss"]) == 40
    assert monitor.store.runs["j/log.jsonl"].errors == [ZEROS]


def test_folders_named_like_text_logs_are_data_not_logs(tmp_path: Path):
    """Spark and Dask write a table as a folder of parts (``df.write.csv("train.csv")``): such folders beside a
    healthy run were listed as runs that cannot be read ('a folder, not a file') and check exited 1."""
    _good_run(tmp_path)
    for name in ("data/train.csv", "data/eval.jsonl", "data/train_log.txt", "lt/metrics.csv"):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "part-00000").write_text("a,b\n1,2\n")
    result = run_main("check", str(tmp_path))
    assert result.returncode == 0, result.stdout
    assert "unreadable" not in result.stdout and "a folder" not in result.stdout


def test_a_text_log_with_a_zero_filled_tail_is_no_damaged_log(tmp_path: Path):
    """A Hydra-style ``train.log`` of text lines whose tail a crash left zero-filled: its first line is text, so
    it is no log of a format read here with junk in it (it was listed 'binary data, not text', check exit 1)."""
    _good_run(tmp_path)
    log = tmp_path / "out" / "train.log"
    log.parent.mkdir()
    log.write_bytes(b"[2026-12-05 10:00:00][INFO] - epoch 1 loss 0.5\n" * 20 + bytes(4096))
    result = run_main("check", str(tmp_path))
    assert result.returncode == 0, result.stdout
    assert "out/train.log" not in result.stdout


def test_a_damaged_log_in_a_folder_of_two_formats_is_listed_as_itself(tmp_path: Path):
    """A zero-filled ``metrics.csv`` under a folder whose event file and ``metrics.csv`` are two runs: it was
    charged to one of them (a healthy run flagged) in the live view and lost in ``check`` (exit 0)."""
    _good_run(tmp_path)
    (tmp_path / "good" / "metrics.csv").write_text(
        "step,train_loss,val_loss\n" + "".join(f"{step},{1 / (step + 1)},{1.1 / (step + 1)}\n" for step in range(30))
    )
    _zeros(tmp_path / "good" / "old" / "metrics.csv")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    troubled = {name for name, run in monitor.store.runs.items() if run.errors}
    assert troubled == {"good/old"} or troubled == {"good/old/metrics.csv"}, troubled
    result = run_main("check", str(tmp_path))
    assert result.returncode == 1, result.stdout


def test_a_zero_filled_event_file_says_every_byte(tmp_path: Path):
    """4,096 zero bytes read 'skipped 4,085 unreadable byte(s)': the last 11, too few for a record header, went
    unsaid."""
    (tmp_path / "zero").mkdir()
    (tmp_path / "zero" / "events.out.tfevents.1.host").write_bytes(bytes(4096))
    result = run_main("check", str(tmp_path))
    assert "skipped 4,085 unreadable byte(s) and 11 byte(s) at the end, not whole; no data could be read" in (
        result.stdout
    )


@pytest.mark.parametrize(
    ("text", "tail"),
    [
        ("Température du GPU: 45°C\nrien\n".encode("latin-1"), b""),
        ("Température du GPU: 45°C\nrien\n".encode("latin-1"), bytes(512)),
        ("训练开始，第一轮\n损失 0.5\n".encode("gbk"), bytes(512)),
        ("\x1b]0;Entraînement\x07Époque 1: perte 0.52\x0f\nrien\n".encode("latin-1"), bytes(512)),
    ],
    ids=["latin-1", "latin-1-zero-filled-tail", "gbk-zero-filled-tail", "title-escape-zero-filled-tail"],
)
def test_a_text_log_in_latin_1_named_like_a_keras_log_is_no_damaged_log(tmp_path: Path, text: bytes, tail: bytes):
    """A console's capture in latin-1 (or cp1252, GBK) named ``train.log``: its first line is no UTF-8, and it was
    listed 'binary data, not text', check exit 1 (a review's find). Only formats whose logs are UTF-8 ask it; a
    crash's zeros after it make it no junk either (another review's find)."""
    _good_run(tmp_path)
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "train.log").write_bytes(text + tail)
    result = run_main("check", str(tmp_path))
    assert result.returncode == 0, result.stdout
    assert "job" not in result.stdout


def test_a_byte_that_is_no_utf_8_in_a_json_lines_key_loses_that_value_alone(tmp_path: Path):
    """A latin-1 byte in one key of a line (a key built from a file name): the whole line was a damaged record, and
    its step's validation loss was lost with it. Now the line's other values are read; that key's is counted."""
    log = tmp_path / "j" / "log.jsonl"
    log.parent.mkdir()
    lines = [json.dumps({"step": step, "loss": 1 / step, "val_loss": 1.1 / step}).encode() for step in range(1, 31)]
    lines[0] = b'{"step": 1, "acc_caf\xe9": 0.3, "val_loss": 1.1, "nested": {"\xe9t\xe9": 1, "ok": 2}}'
    log.write_bytes(b"\n".join(lines) + b"\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["j"]
    assert run.scalars["val_loss"].steps.tolist()[:2] == [1, 2]
    assert "nested/ok" in run.scalars and not [tag for tag in run.scalars if "\ufffd" in tag or "caf" in tag]
    assert run.skipped_records == 2  # the two values whose names could not be read
    assert "everything else was read" in run.damage_note()


def test_a_utf_16_metrics_json_is_left_alone_not_read_as_damage(tmp_path: Path):
    """Detectron2's ``metrics.json`` is known by its lines, not its name alone: in UTF-16, json.loads read its first
    line (it sees the byte-order mark), so the file was taken and its other lines were 290 damaged records (a review's
    find). Another tool's file of that name in UTF-16 is no log of a format read here."""
    _good_run(tmp_path)
    lines = "".join(json.dumps({"iteration": i, "total_loss": 1 / (i + 1)}) + "\n" for i in range(50))
    _utf16("utf-16", lines)(tmp_path / "d" / "metrics.json")
    result = run_main("check", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "damaged" not in result.stdout + result.stderr and "d" not in {
        line.split()[0] for line in result.stdout.splitlines() if line.strip()
    }


def test_a_console_capture_in_utf_16_named_train_log_is_left_alone(tmp_path: Path):
    """A review's find: a Keras CSV log is known by its header, so a UTF-16 file is one only when its first line,
    decoded, is such a header (``history.csv`` above); PowerShell's ``python train.py > train.log`` of any script is
    named as Keras logs are, and was listed as an unreadable run (check exit 1)."""
    _good_run(tmp_path)
    _utf16("utf-16", "Epoch 1/3\nstep 100 loss=0.53\n")(tmp_path / "winrun" / "train.log")
    result = run_main("check", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "UTF-16" not in result.stdout + result.stderr and "winrun" not in result.stdout


@pytest.mark.parametrize(
    ("rewrite", "note"),
    [
        (lambda path: path.write_text('{"log_history": ['), "incomplete_note"),  # a save cut short
        (lambda path: path.write_text('{"not": "a trainer state"}'), "damage_note"),  # whole, but none
    ],
    ids=["cut", "none"],
)
def test_a_lone_trainer_state_read_then_spoiled_keeps_its_points_and_names_no_checkpoint(
    tmp_path: Path, rewrite: Callable[[Path], None], note: str
):
    """An output folder with one trainer_state.json and no checkpoint, read live, then spoiled: the points read
    stand, and the note said 'an older checkpoint's was read' of a checkpoint that is not there."""
    state = tmp_path / "out" / "trainer_state.json"
    _trainer_state(state, 400)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["out"]
    read = len(run.scalars["eval_loss"])
    rewrite(state)
    monitor.refresh()
    told = getattr(run, note)()
    assert len(run.scalars["eval_loss"]) == read == 8
    assert "checkpoint" not in told and told.endswith("what was read of it before stands"), told
