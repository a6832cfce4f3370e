"""The live view started without a terminal is refused in one line. Started with stdin at end of file (`nohup`,
`< /dev/null`, a cron job), Textual's input thread read nothing forever and spun a core at 100 %; with stdout
a file or a pipe it wrote the screen's escape codes there."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from children import background_job
from conftest import DATA

REFUSED = "losswatch: the live view needs a terminal, but "
ADVICE = ": run it in a terminal (tmux, screen, ssh -t), or add --plain for lines to a log or a pipe\n"


def _run(args: list[str], stdin: int, stdout: int, env: dict[str, str] | None = None) -> tuple[int, str]:
    """``python -m tui ARGS`` with these descriptors in a process group of its own; an app that ran on instead
    of being refused is killed with its workers and fails the test."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=lambda: (os.setpgrp(), background_job()),
    )
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"not refused: losswatch {' '.join(args)} ran on without a terminal")
    return proc.returncode, err.decode()


def test_watch_with_neither_stdin_nor_stdout_a_terminal_is_refused():
    code, err = _run(["watch", str(DATA)], subprocess.DEVNULL, subprocess.PIPE)
    assert code == 2
    assert err == REFUSED + "stdin and stdout are not terminals" + ADVICE


def test_watch_with_stdin_at_end_of_file_but_a_terminal_for_its_screen_is_refused():
    primary, secondary = pty.openpty()
    try:
        code, err = _run([str(DATA)], subprocess.DEVNULL, secondary)
    finally:
        os.close(secondary)
        os.close(primary)
    assert code == 2
    assert err == REFUSED + "stdin is not one" + ADVICE


def test_a_bad_pattern_is_said_before_the_missing_terminal():
    code, err = _run(["watch", str(DATA), "--val-tag", "(val"], subprocess.DEVNULL, subprocess.PIPE)
    assert code == 2 and err.startswith("losswatch: --val-tag '(val' is not a valid regular expression")
    assert "terminal" not in err


def test_the_demo_without_a_terminal_is_refused_before_its_jobs_write(tmp_path: Path):
    temp = tmp_path / "temp"
    temp.mkdir()
    code, err = _run(
        ["demo", "--speed", "5"], subprocess.DEVNULL, subprocess.PIPE, env=dict(os.environ, TMPDIR=str(temp))
    )
    assert code == 2
    assert err == REFUSED + "stdin and stdout are not terminals" + ADVICE
    assert list(temp.iterdir()) == []  # no demo folder made, none left


def test_the_plain_view_needs_no_terminal(tmp_path: Path):
    """``--plain`` is what the message sends the user to: it still runs with both redirected."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "watch", "--plain", str(DATA / "torch")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=background_job,
    )
    try:
        line = proc.stdout.readline().decode() if proc.stdout is not None else ""
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert line.startswith("diverge-7  new run at "), line
