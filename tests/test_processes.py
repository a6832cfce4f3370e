"""Ending a child process: asked first, made to if it will not, reaped either way."""

from __future__ import annotations

import signal
import subprocess
import sys

from tui.processes import end_process


def _child(code: str) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline() == b"ready\n"  # its handler is in place
    return child


def test_a_child_that_stops_when_asked_ends_by_sigterm():
    child = _child("import time; print('ready', flush=True); time.sleep(60)")
    end_process(child, grace=5)
    assert child.returncode == -signal.SIGTERM


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace():
    code = "import signal as s, time; s.signal(s.SIGTERM, s.SIG_IGN); print('ready', flush=True); time.sleep(9)"
    child = _child(code)
    end_process(child, grace=0.2)
    assert child.returncode == -signal.SIGKILL


def test_a_child_that_already_ended_is_left_as_it_is():
    child = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    child.wait()
    end_process(child, grace=1)
    assert child.returncode == 3
