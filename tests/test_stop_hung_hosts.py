"""Stopping while a remote root's host does not answer: the command ends at once, not when ssh's or botocore's
timeouts end the wait (8 s for ssh, 29 s for S3 before), and leaves no ssh process or control folder behind.

Host ``lwslow`` (``servers.Sshd``) accepts the connection and never says a word; the S3 endpoint is the same kind
of listener."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from servers import Sshd

from tui.live.monitor import Monitor
from tui.live.watcher import Watcher
from tui.sources.roots.ssh import SshRoot


@pytest.fixture
def tmp_path(tmp_path: Path):
    """A short folder under /tmp instead of pytest's (up to 80 characters, with its numbered runs): under a $TMPDIR
    too long for a socket path, the control folders go to /tmp, where these tests would not find them."""
    short = Path(tempfile.mkdtemp(prefix="lwhung-", dir="/tmp"))
    yield short
    shutil.rmtree(short, ignore_errors=True)


STOPPED_WITHIN = 5.0
"""Well under ssh's ConnectTimeout of 10 s that the stop waited for: what separates "at once" from "timed out"."""


def ours(control: Path) -> list[str]:
    """ssh processes whose control socket lies under ``control`` (this test's own)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(control) in cmdline:
                found.append(cmdline)
    return found


def stopped(args: list[str], env: dict[str, str], cwd: Path, asking: Callable[[], object]) -> tuple[int, str]:
    """``python -m tui ARGS`` stopped by Ctrl-C half a second after ``asking`` says it waits on the host: its exit
    and stderr, which must come within STOPPED_WITHIN."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        asking()
        time.sleep(0.5)
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=STOPPED_WITHIN)
    finally:
        child.kill()
        child.wait()
    return child.returncode, stderr


@pytest.mark.parametrize("command", [("check",), ("replay",), ("export", "-o", "points.csv")])
def test_a_command_stopped_while_a_host_does_not_answer_ends_at_once(sshd: Sshd, tmp_path: Path, command):
    def connecting() -> None:
        deadline = time.monotonic() + 30
        while not any(name.startswith("lw-ssh-") for name in os.listdir(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.05)

    env = dict(os.environ, TMPDIR=str(tmp_path))  # the control folders are made here
    code, stderr = stopped([*command, "lwslow:/runs"], env, tmp_path, connecting)
    assert code == 130 and stderr == "losswatch: stopped before the end\n"
    assert not [name for name in os.listdir(tmp_path) if name.startswith("lw-ssh-")] and not ours(tmp_path)


def test_a_command_stopped_while_an_s3_endpoint_does_not_answer_ends_at_once(tmp_path: Path):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x")
        accepted: list[socket.socket] = []
        code, stderr = stopped(
            ["check", "s3://bucket/runs"], env, tmp_path, lambda: accepted.append(silent.accept()[0])
        )
        for connection in accepted:
            connection.close()
    assert code == 130 and stderr == "losswatch: stopped before the end\n"


def test_a_watcher_stopped_while_its_host_does_not_answer_leaves_no_thread_waiting(sshd: Sshd, tmp_path: Path):
    """Its round waited in the connection's lock until ssh gave up; the join's 2 s ran out (the TUI's ``q``: 8 s)."""
    root = SshRoot("lwslow", "/runs")
    monitor = Monitor(root)
    watcher = Watcher(monitor, lambda *_: None, poll_seconds=1)
    watcher.start()
    try:
        deadline = time.monotonic() + 30
        while root._master is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        assert root.reachability.state == "connecting"
        watcher.stop()
        assert not watcher._thread.is_alive()
    finally:
        root.close()
    assert root._master is None


def test_closing_while_the_connection_is_about_to_start_waits_for_no_timeout(
    sshd: Sshd, monkeypatch: pytest.MonkeyPatch
):
    """Closed between the connect's start and its ssh master's (no master yet to end), the close waited in the
    connection's lock until ssh's ConnectTimeout ran out: 10 s."""
    import threading

    from tui.sources.roots import ssh as ssh_module

    real_popen = subprocess.Popen
    starting = threading.Event()

    def slow_start(*args, **kwargs):  # ssh takes its time to start: the close comes meanwhile
        starting.set()
        time.sleep(0.5)
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(ssh_module.subprocess, "Popen", slow_start)
    root = SshRoot("lwslow", "/runs")
    listing = threading.Thread(target=root.list, daemon=True)
    listing.start()
    assert starting.wait(30)
    began = time.monotonic()
    root.close()
    took = time.monotonic() - began
    listing.join(STOPPED_WITHIN)
    assert took < STOPPED_WITHIN and not listing.is_alive() and root._master is None
