"""Ending a child process the one way every layer does: ask it to stop, then make it.

Below the layers (it imports none of them), so the ssh root's ControlMaster and the CLI's alert hooks share it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Ctrl-C, SIGTERM and SIGHUP (the pane closed): every command stops alike on each."""


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
    """Whether any process is in the process group ``group`` (a cheap look, no signal sent: for pruning)."""
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):  # none, or another user's now: not ours
        return False
    return True


def sessions_left(sessions: list[int]) -> dict[int, list[int]] | None:
    """Each session's live processes still in it and its first group (a command started in a session of its own:
    its pid names both), read from /proc in one pass; None without /proc. Read at the moment it is asked: once a
    session is empty its number may name another process's group, which is no member of it (``end_sessions``)."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    members: dict[int, list[int]] = {session: [] for session in sessions}
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
            state, _parent, group, its_session = stat[stat.rfind(b")") + 2 :].split()[:4]
            ours = int(group) in members and int(its_session) == int(group) and state != b"Z"
        except (OSError, ValueError):
            continue  # gone meanwhile (its stat unreadable or empty)
        if ours:
            members[int(group)].append(int(name))
    return members


def sessions_alive(sessions: list[int]) -> bool:
    """Whether anything is left of any of the sessions (``sessions_left``; without /proc, of their groups)."""
    if not sessions:
        return False
    left = sessions_left(sessions)
    return any(group_alive(session) for session in sessions) if left is None else any(left.values())


def end_sessions(sessions: list[int], grace: float) -> None:
    """SIGTERM what is left of each session, all at once; wait up to ``grace`` seconds for all of it to go; SIGKILL
    the rest. Where /proc tells the members, only they are signalled, by pid: a session's number reused by another
    process's group (its members all gone) is left alone; elsewhere each group is signalled whole."""
    if not sessions:
        return
    _signal_sessions(sessions, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and sessions_alive(sessions):
        time.sleep(0.02)
    _signal_sessions(sessions, signal.SIGKILL)


def _signal_sessions(sessions: list[int], number: int) -> None:
    left = sessions_left(sessions)
    for session in sessions:
        for pid in left[session] if left is not None else ():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, number)
        if left is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(session, number)
