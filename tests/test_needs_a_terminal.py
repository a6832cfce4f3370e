"""The live view started without a terminal for its keys (stdin) or its screen (stderr, where Textual draws) is
refused in one line. With stdin at end of file (`nohup`, `< /dev/null`, a cron job) Textual's input thread read
nothing forever and spun a core at 100 %; with stderr a file it wrote the screen's escape codes there and left
the pane blank. Stdout it does not use: `losswatch runs/ > file` runs."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from children import background_job
from conftest import DATA

REFUSED = "losswatch: the live view needs a terminal for its keys (stdin) and its screen (stderr), but "
ADVICE = ": run it in a terminal (tmux, screen, ssh -t), or add --plain for lines to a log or a pipe\n"


def _drained(fd: int, until: float) -> bytes:
    """What a pseudo-terminal's other side has written, read until it closes or ``until`` (a monotonic time)."""
    out = bytearray()
    while time.monotonic() < until:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: every descriptor of the other side is closed
                break
            if not chunk:
                break
            out += chunk
    return bytes(out)


def _run(args: list[str], stdin: int, stderr: int, env: dict[str, str] | None = None) -> tuple[int, str]:
    """``python -m tui ARGS`` with these descriptors (stdout to /dev/null) in a process group of its own; stderr
    read back from its pipe. An app that ran on instead of being refused is killed with its workers and fails."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        stdin=stdin,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        env=env,
        preexec_fn=lambda: (os.setpgrp(), background_job()),
    )
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"not refused: losswatch {' '.join(args)} ran on without a terminal")
    return proc.returncode, (err or b"").decode()


def test_watch_with_neither_stdin_nor_stderr_a_terminal_is_refused():
    code, err = _run(["watch", str(DATA)], subprocess.DEVNULL, subprocess.PIPE)
    assert code == 2
    assert err == REFUSED + "stdin and stderr are not terminals" + ADVICE


def test_stdin_at_end_of_file_is_refused_on_the_terminal_the_screen_would_have_been_drawn_on():
    primary, secondary = pty.openpty()
    try:
        code, _ = _run([str(DATA)], subprocess.DEVNULL, secondary)
        os.close(secondary)
        said = _drained(primary, time.monotonic() + 10).decode()
    finally:
        os.close(primary)
    assert code == 2
    assert said.replace("\r\n", "\n") == REFUSED + "stdin is not one" + ADVICE


def test_stderr_to_a_file_is_refused():
    primary, secondary = pty.openpty()
    try:
        code, err = _run([str(DATA)], secondary, subprocess.PIPE)
    finally:
        os.close(secondary)
        os.close(primary)
    assert code == 2
    assert err == REFUSED + "stderr is not one" + ADVICE


def test_stdout_to_a_file_is_no_reason_to_refuse(tmp_path: Path):
    """The screen is drawn on stderr: keys and screen on the terminal, stdout to a file, the view runs; q quits."""
    primary, secondary = pty.openpty()
    with (tmp_path / "out").open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui", str(DATA / "torch")],
            stdin=secondary,
            stdout=out,
            stderr=secondary,
            env=dict(os.environ, TERM="xterm-256color"),
            preexec_fn=lambda: (os.setpgrp(), background_job()),
        )
    os.close(secondary)
    try:
        shown = _drained(primary, time.monotonic() + 5)  # the app draws its first screen
        os.write(primary, b"q")
        code = proc.wait(timeout=30)
        shown += _drained(primary, time.monotonic() + 2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(primary)
    assert code == 0
    assert b"noisy-7" in shown and b"needs a terminal" not in shown


def test_a_bad_pattern_is_said_before_the_missing_terminal():
    code, err = _run(["watch", str(DATA), "--val-tag", "(val"], subprocess.DEVNULL, subprocess.PIPE)
    assert code == 2 and err.startswith("losswatch: --val-tag '(val' is not a valid regular expression")
    assert "terminal" not in err


def test_the_demo_without_a_terminal_is_refused_before_its_jobs_write(tmp_path: Path):
    temp = tmp_path / "temp"
    temp.mkdir()
    environment = dict(os.environ, TMPDIR=str(temp))
    code, err = _run(["demo", "--speed", "5"], subprocess.DEVNULL, subprocess.PIPE, env=environment)
    assert code == 2
    assert err == REFUSED + "stdin and stderr are not terminals" + ADVICE
    assert list(temp.iterdir()) == []  # no demo folder made, none left


def _still_running_after(args: list[str], seconds: float, env: dict[str, str] | None = None) -> tuple[bool, int, bytes]:
    """(running ``seconds`` after its start, its exit status after SIGTERM, its stdout) of ``python -m tui ARGS``
    with stdin at end of file and stdout and stderr to pipes, in a process group of its own (killed at the end)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=lambda: (os.setpgrp(), background_job()),
    )
    try:
        out = _drained(proc.stdout.fileno(), time.monotonic() + seconds) if proc.stdout is not None else b""
        running = proc.poll() is None
        proc.terminate()
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return running, proc.returncode, out


def test_the_plain_view_needs_no_terminal():
    """``--plain`` is what the message sends the user to: it runs with everything redirected."""
    running, code, out = _still_running_after(["watch", "--plain", str(DATA / "torch")], 5)
    assert running and code == 0
    assert out.decode().startswith("diverge-7  new run at "), out


def test_a_driver_of_its_own_choosing_needs_no_terminal():
    """``TEXTUAL_DRIVER`` (`textual serve` talks to the app over pipes with its web driver) is left to Textual."""
    env = dict(os.environ, TEXTUAL_DRIVER="textual.drivers.headless_driver:HeadlessDriver")
    running, code, _ = _still_running_after([str(DATA / "torch")], 4, env=env)
    assert running and code == 0
