"""A stop signal ends the live view's process even when its shutdown hangs: closing the tmux pane while runs were
being drawn left losswatch running for good in 3 of 14 tries (a hostile tester's find: Textual's driver waited
for ever to hand its last output to a writer thread that could no longer write)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# A process whose stop hangs: its StopSignals' stop does nothing, and the process then sleeps as a hung
# shutdown waits. The deadline, shortened to 0.3 s, must end it, after its last words (worker processes killed).
HANGING = textwrap.dedent(
    """
    import asyncio, sys, time
    from tui.app.stop_signals import StopSignals

    async def main():
        stops = StopSignals(lambda: print("stop asked", flush=True),
                            lambda: open(sys.argv[1], "w").write("workers killed"), deadline=0.3)
        stops.install()
        print("ready", flush=True)
        await asyncio.sleep(30)

    asyncio.run(main())
    time.sleep(30)
    """
)


def _started(script: str, *args: str) -> subprocess.Popen[str]:
    """The script in a Python of its own, from the project's folder, its output read as text."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[1],
    )


@pytest.mark.parametrize("number", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT])
def test_a_stop_whose_shutdown_hangs_ends_the_process_at_its_deadline(tmp_path: Path, number: int):
    said = tmp_path / "last-words"
    child = _started(HANGING, str(said))
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        started = time.monotonic()
        os.kill(child.pid, number)
        assert child.wait(timeout=10) == 1  # not a clean stop's 0
        assert time.monotonic() - started < 5
        assert child.stdout.readline().strip() == "stop asked" and said.read_text() == "workers killed"
        assert child.stderr is not None
        assert "losswatch: the live view had not stopped 0.3 s after the signal: ended" in child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


# A process whose event loop is busy when the signal comes (a redraw on a loaded machine): no loop callback runs
# until the busy spell is over, so a deadline started by the loop's signal handler started that much later (the
# pane killed under load: 8 s to the end instead of 5). Started by the signal itself, it ends the process during
# the busy spell.
BUSY = textwrap.dedent(
    """
    import asyncio, time
    from tui.app.stop_signals import StopSignals

    async def main():
        stops = StopSignals(lambda: print("stop asked", flush=True), lambda: None, deadline=0.3)
        stops.install()
        print("ready", flush=True)
        end = time.monotonic() + 20
        while time.monotonic() < end:
            pass
        print("busy spell over", flush=True)
        await asyncio.sleep(30)

    asyncio.run(main())
    """
)


def test_the_deadline_starts_with_the_signal_even_while_the_event_loop_is_busy(tmp_path: Path):
    child = _started(BUSY)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        os.kill(child.pid, signal.SIGHUP)
        out, err = child.communicate(timeout=40)
        assert child.returncode == 1
        assert "busy spell over" not in out and "stop asked" not in out  # ended by the deadline, within the spell
        assert "losswatch: the live view had not stopped 0.3 s after the signal: ended" in err
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
