"""What a command prints where a new user's QA pass found it wrong: notes leaking into stdout's JSON lines when
stderr is closed, and a run nothing was read from with no reason beside its ``waiting``."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import DATA, run_main


def test_a_closed_standard_error_keeps_its_notes_out_of_the_json_lines(tmp_path: Path):
    """A new user's find: with stderr closed (`2>&-`, as under some daemons) the interpreter has no sys.stderr and
    ``print(file=None)`` wrote the notes to stdout: "losswatch: ... damaged" as the first line of `replay --json`."""
    (tmp_path / "zeroed").mkdir()
    (tmp_path / "zeroed" / "metrics.jsonl").write_bytes(bytes(4096))  # said on stderr: damaged
    shutil.copytree(DATA / "torch" / "diverge-7", tmp_path / "diverge-7")
    done = subprocess.run(
        [sys.executable, "-m", "tui", "replay", str(tmp_path), "--json"],
        stdout=subprocess.PIPE,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(2),  # `2>&-`
    )
    lines = done.stdout.splitlines()
    assert lines and all(json.loads(line)["run"] == "diverge-7" for line in lines), done.stdout[:300]


def test_a_run_with_nothing_read_yet_says_so_in_its_reason(tmp_path: Path):
    """A new user's find: a Keras CSV log holding its header alone read ``"verdict": "waiting", "reason": ""``,
    where the legend says a waiting run's reason says why."""
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "history.csv").write_text("epoch,loss,val_loss\n")
    [record] = json.loads(run_main("check", str(tmp_path), "--json").stdout)
    assert (record["verdict"], record["reason"]) == ("waiting", "no points read yet")
    assert record["advice"].startswith("nothing to judge yet")


def test_a_folder_of_files_named_like_logs_but_none_says_which_and_why(tmp_path: Path):
    """A QA pass: ``log.jsonl`` with no step and a ``history.csv`` with other columns gave "no training logs found"
    alone; a user pointing at their own log was not told it was seen, nor what it lacks."""
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "log.jsonl").write_text('{"a": 1, "b": 2}\n')
    (tmp_path / "run" / "history.csv").write_text("foo,bar\n1,2\n")
    (tmp_path / "run" / "notes.txt").write_text("not named like a log\n")
    with sqlite3.connect(tmp_path / "run" / "mlflow.db") as db:  # no MLflow store: its needs are not a CSV log's
        db.execute("CREATE TABLE other (x)")
    done = run_main("check", str(tmp_path))
    assert done.returncode == 2
    named = f"named like logs, not read as one: {tmp_path / 'run' / 'history.csv'}, {tmp_path / 'run' / 'log.jsonl'}"
    assert named + ": a JSON-lines log needs a step key in its first five lines" in done.stderr
    assert "notes.txt" not in done.stderr and "mlflow.db" not in done.stderr
