"""Clean stops and terminal notifications, in real processes started as a script's background job.

Each child starts with SIGINT ignored (as `cmd &` in a script does), and is killed when its test ends,
so a regression shows as a failed assertion, never as a hung test or a process left behind.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from children import alive, spawn
from conftest import DATA, frame, meet_permission_bits, refused, run_main, scalar_event, scalar_run

from tui.live.demo import default_jobs

STOPS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
LEAVE_ALTERNATE_SCREEN = "\x1b[?1049l"


def _diverging(folder: Path) -> Path:
    return scalar_run(folder / "r", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})


@pytest.mark.parametrize("number", STOPS, ids=lambda n: signal.Signals(n).name)
def test_watch_plain_stops_on_every_signal_and_ends_its_hooks(tmp_path: Path, number: int):
    scalar_run(tmp_path / "a", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    pids = tmp_path / "hook.pids"
    hook = f"{sys.executable} -c \"import os,time; open('{pids}','a').write(f'{{os.getpid()}}\\n'); time.sleep(60)\""
    # The hook outlives any grace (it sleeps 60 s), so it must be stopped; a short grace spares the 2 s wait.
    with spawn("watch", str(tmp_path), "--plain", "--on-alert", hook, "--on-alert-grace", "0.1") as child:
        child.wait_for_text("new run at")
        path = next((tmp_path / "a").glob("*tfevents*"))
        with open(path, "ab") as handle:
            handle.write(frame(scalar_event("loss", 2, math.nan, 1002.0)))
        child.wait_for(lambda c: pids.exists() and pids.read_text().endswith("\n"), 20, "the hook running")
        assert child.stop(number) == 0
        assert "Traceback" not in child.errors()
    hook_pid = int(pids.read_text().split()[0])
    assert not alive(hook_pid)


def test_watch_plain_ends_what_a_hook_left_running_in_the_background(tmp_path: Path):
    """A hook script that starts a job with ``&`` and exits at once: the job outlived losswatch, the hook's session
    long gone from the commands it waits for."""
    _diverging(tmp_path)
    pids = tmp_path / "job.pids"
    hook = tmp_path / "hook.sh"
    job = f"import os,time; open('{pids}','a').write(f'{{os.getpid()}}\\n'); time.sleep(60)"
    hook.write_text(f'#!/bin/sh\n"{sys.executable}" -c "{job}" &\n')
    hook.chmod(0o755)
    with spawn("watch", str(tmp_path), "--plain", "--on-alert", str(hook), "--on-alert-grace", "0.1") as child:
        child.wait_for(lambda c: pids.exists() and pids.read_text().endswith("\n"), 20, "the job running")
        job_pid = int(pids.read_text().split()[0])
        time.sleep(0.5)  # a round or two of the watch after the hook exited
        assert alive(job_pid)  # left running while losswatch runs: the user's job
        assert child.stop(signal.SIGTERM) == 0
        assert "Traceback" not in child.errors()
    gone_by = time.monotonic() + 5  # killed, it is a zombie until init, its parent now, reaps it
    while alive(job_pid) and time.monotonic() < gone_by:
        time.sleep(0.05)
    left = alive(job_pid)
    if left:
        os.kill(job_pid, signal.SIGKILL)  # the test fails, and leaves nothing behind
    assert not left


@pytest.mark.parametrize("number", STOPS, ids=lambda n: signal.Signals(n).name)
def test_the_tui_stops_on_every_signal_and_gives_the_terminal_back(tmp_path: Path, number: int):
    _diverging(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "TMUX"}
    with spawn("watch", str(tmp_path), "--notify", terminal=(80, 24), env=env) as child:
        child.wait_for_text("\x1b]777;notify;losswatch;r: diverging at step 1")
        assert child.stop(number) == 0
        assert LEAVE_ALTERNATE_SCREEN in child.text()
        assert "Traceback" not in child.text()


def test_the_tui_wraps_its_notification_for_tmux(tmp_path: Path):
    _diverging(tmp_path)
    env = dict(os.environ, TMUX="/tmp/tmux-0/default,1,0")
    with spawn("watch", str(tmp_path), "--notify-osc", "9", terminal=(120, 40), env=env) as child:
        child.wait_for_text("\x1bPtmux;\x1b\x1b]9;losswatch: r: diverging at step 1, best val at step 0\x07\x1b\\")
        assert child.stop(signal.SIGTERM) == 0


@pytest.mark.parametrize("tmux", [False, True])
def test_watch_plain_writes_the_notification_bytes(tmp_path: Path, tmux: bool):
    _diverging(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "TMUX"}
    if tmux:
        env["TMUX"] = "/tmp/tmux-0/default,1,0"
    sequence = "\x1b]777;notify;losswatch;r: diverging at step 1, best val at step 0\x07"
    expected = "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\" if tmux else sequence
    with spawn("watch", str(tmp_path), "--plain", "--notify", env=env) as child:
        child.wait_for_text("diverging")
        child.wait_for_text(expected, 10)
        assert child.stop(signal.SIGTERM) == 0


def test_with_json_lines_the_bell_and_notification_go_to_stderr(tmp_path: Path):
    _diverging(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "TMUX"}
    with spawn("watch", str(tmp_path), "--plain", "--json", "--bell", "--notify", env=env) as child:
        child.wait_for(lambda c: "\x1b]777;notify;losswatch;r: diverging" in c.errors(), 20, "the notification")
        assert child.stop(signal.SIGTERM) == 0
    lines = child.text().splitlines()
    assert [json.loads(line)["kind"] for line in lines] == ["new-run", "diverging"]
    assert "\a" in child.errors()


@pytest.mark.parametrize("number", STOPS, ids=lambda n: signal.Signals(n).name)
def test_demo_removes_its_temporary_folder_on_every_signal(tmp_path: Path, number: int):
    temp = tmp_path / "tmp"
    temp.mkdir()
    with spawn("demo", "--plain", "--speed", "5", env=dict(os.environ, TMPDIR=str(temp))) as child:
        child.wait_for_text("new run at")
        assert list(temp.iterdir())  # the demo's folder, with its jobs writing
        assert child.stop(number) == 0
    assert list(temp.iterdir()) == []


def test_the_demo_tui_removes_its_temporary_folder_when_the_pane_closes(tmp_path: Path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    # At --speed 5 (as above) the first run shows in half a second rather than two. On a slow machine the
    # first paint may come when every job has started; the table sorts by verdict and shows six rows at 24
    # lines, so any job's name shows the runs are on screen (waiting for one name failed on CI).
    names = [job.name.split("/")[0] for job in default_jobs()]
    with spawn("demo", "--speed", "5", terminal=(80, 24), env=dict(os.environ, TMPDIR=str(temp))) as child:
        child.wait_for(lambda c: any(name in c.text() for name in names), 30, "a demo run in the table")
        assert list(temp.iterdir())  # the demo's folder, with its jobs writing
        assert child.stop(signal.SIGHUP) == 0
    assert list(temp.iterdir()) == []


def test_no_watchdog_warning_reaches_the_terminal_when_runs_are_made_with_subfolders(tmp_path: Path):
    """A job making its run folder with subfolders at once (os.makedirs) made watchdog warn over many lines."""
    scalar_run(tmp_path / "first", {"loss": [1.0]})
    with spawn("watch", str(tmp_path), "--plain") as child:
        child.wait_for_text("first  new run at")
        for i in range(10):
            os.makedirs(tmp_path / f"job{i}" / "logs" / "train" / "a" / "b" / "c")
        scalar_run(tmp_path / "job9" / "logs" / "train" / "a" / "b" / "c", {"loss": [1.0]})
        child.wait_for_text("job9/logs/train/a/b/c  new run at")
        time.sleep(0.5)
        assert "Warning" not in child.errors() and "already exists" not in child.errors()
        assert child.stop(signal.SIGTERM) == 0


def test_watch_plain_lists_an_unreadable_run_folder(tmp_path: Path):
    scalar_run(tmp_path / "good", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    scalar_run(tmp_path / "locked", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    with refused(tmp_path / "locked"), spawn("watch", str(tmp_path), "--plain", preexec=meet_permission_bits) as child:
        child.wait_for_text("locked  unreadable: permission denied")
        assert child.stop(signal.SIGTERM) == 0


def test_demo_plain_ends_when_the_reader_of_its_output_goes_away(tmp_path: Path):
    """`losswatch demo --plain | head -1`: the demo prints only now and then, and learnt that head had gone only
    at its next line (it went on past 60 s). It ends at once now, quietly, and removes its folder."""
    import subprocess

    temp = tmp_path / "tmp"
    temp.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-m", "tui", "demo", "--plain"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, TMPDIR=str(temp)),
    )
    try:
        assert child.stdout is not None and child.stderr is not None
        assert b"new run at" in child.stdout.readline()
        child.stdout.close()  # what head does after its line
        assert child.wait(timeout=10) == 0
        assert child.stderr.read() == b""
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert list(temp.iterdir()) == []


def test_the_command_line_ends_with_a_stop_signal_giving_its_commands_exit_a_caller_gets_its_handlers_back():
    """A SIGTERM after the handlers were restored killed the process: exit 143, no word, in place of the exit
    its command gave (6 of 20 tries at the end of a replay). Now it ends the process at once with that exit,
    the output written (a hung exit is not waited for either)."""
    probe = (
        "import os, signal, sys, time\n"
        "from tui.cli.main import main\n"
        f"sys.argv = ['losswatch', 'check', {str(DATA / 'torch')!r}]\n"
        "code = main()\n"
        "print('main gave', code)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(30)\n"
        "print('not reached')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stdout.splitlines()[-1] == "main gave 1"
    assert "overfit-7" in result.stdout and "not reached" not in result.stdout
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    run_main("check", str(DATA / "torch"))
    assert {number: signal.getsignal(number) for number in before} == before


def test_a_sessions_members_are_read_from_proc_and_ended_and_no_other_process():
    """What a hook left running is found by its session (``processes.sessions_left``), not by the group number
    alone, which another process may hold once the session is empty; ended all at once (``end_sessions``)."""
    from tui.processes import end_sessions, sessions_left

    starter = "import subprocess; print(subprocess.Popen(['sleep', '60']).pid, flush=True)"
    command = [sys.executable, "-c", starter]
    leader = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE, text=True)
    assert leader.stdout is not None
    job = int(leader.stdout.readline())
    leader.wait()
    leader.stdout.close()
    bystander = subprocess.Popen(["sleep", "60"])  # in the tests' own session
    try:
        assert sessions_left([leader.pid]) == {leader.pid: [job]}
        end_sessions([leader.pid], grace=1)
        gone_by = time.monotonic() + 5  # a zombie until init reaps it
        while alive(job) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert not alive(job)
        assert bystander.poll() is None and sessions_left([leader.pid]) == {leader.pid: []}
    finally:
        for pid in (job, bystander.pid):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        bystander.wait()
