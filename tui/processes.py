"""Ending a child process the one way every layer does: ask it to stop, then make it.

Below the layers (it imports none of them), so the ssh root's ControlMaster and the CLI's alert hooks share it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time


def end_process(child: subprocess.Popen, grace: float, group: bool = False) -> None:
    """SIGTERM, wait up to ``grace`` seconds, then SIGKILL; reaped either way (no zombie left). ``group``: the child
    leads a session of its own (``start_new_session``) and every process in it gets the signals: a shell script's
    ``sleep`` or ``curl`` outlived it, holding losswatch's stderr open."""
    if child.poll() is not None:
        return
    _signal(child, signal.SIGTERM, group)
    try:
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _signal(child, signal.SIGKILL, group)
        child.wait()
    if group:  # the leader is gone; what it started may not be
        _signal(child, signal.SIGKILL, group)


def _signal(child: subprocess.Popen, number: int, group: bool) -> None:
    if not group:
        child.send_signal(number)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the whole group already gone
        os.killpg(child.pid, number)


def group_alive(group: int) -> bool:
    """Whether any process is left in the process group ``group`` (a session whose leader exited, say). While one
    is, the kernel hands its number to no new process, so a signal to it reaches none but its own."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's now: not ours to stop
        return False
    return True


def end_group(group: int, grace: float) -> None:
    """SIGTERM the processes left in ``group``, wait up to ``grace`` seconds for them to go, then SIGKILL."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
