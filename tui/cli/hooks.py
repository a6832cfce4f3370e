"""``--on-alert CMD``: the user's command run once per alert, its data in the environment, never in a shell."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections import deque

from tui.judging.verdict import Alert
from tui.processes import end_process, end_sessions, group_alive, sessions_alive
from tui.text import printable, shown_name

HOOK_GRACE_SECONDS = 2.0
"""On exit, how long --on-alert commands still running may finish before they are stopped."""
MAX_RUNNING = 4
"""--on-alert commands run at once; the others wait their turn, in the alerts' order (a first read of 540 runs
started 700 at once, one per alert of their history)."""


def _passable(value: str) -> str:
    """``value`` as it is, or, where an environment cannot hold it (a NUL byte; a lone surrogate that is no
    undecodable byte of a name), as the alert line shows it (``shown_name``)."""
    try:
        if "\0" not in value:
            os.fsencode(value)
            return value
    except UnicodeEncodeError:
        pass
    return shown_name(value)


class AlertHook:
    """Runs the user's --on-alert command; data goes through the environment only."""

    def __init__(self, command: str, grace: float = HOOK_GRACE_SECONDS) -> None:
        self.argv = shlex.split(command)
        self.grace = grace
        """On close, the seconds running commands may still take before they are stopped."""
        self.children: list[subprocess.Popen] = []
        self.waiting: deque[dict[str, str]] = deque()
        """The environments of commands not started yet: ``MAX_RUNNING`` run at once."""
        self.left_behind: list[int] = []
        """Sessions of commands that exited while what they started runs on (``cmd &`` in a script): stopped on
        close, as the commands still running are."""

    def close(self) -> None:
        """Let running commands finish for a moment, then stop the rest: none outlives losswatch. Those still
        waiting their turn are not started (said on stderr)."""
        if self.waiting:
            print(f"losswatch: --on-alert: {len(self.waiting):,} alert(s) left unrun", file=sys.stderr, flush=True)
            self.waiting.clear()
        deadline = time.monotonic() + self.grace
        for child in self.children:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                end_process(child, grace=1, group=True)
            else:
                self.left_behind.append(child.pid)  # its session: what it started may run on
        # What commands left running may finish within the same grace; then it is stopped, all of it at once.
        while time.monotonic() < deadline and sessions_alive(self.left_behind):
            time.sleep(0.02)
        end_sessions(self.left_behind, grace=1)

    def __call__(self, alert: Alert) -> None:
        told = {"RUN": alert.run, "KIND": alert.kind, "STEP": str(alert.step), "REASON": alert.reason, "TAG": alert.tag}
        told["HISTORY"] = "1" if alert.history else "0"  # a run ended long ago: a command that pages may skip it
        self.waiting.append(dict(os.environ, **{f"LOSSWATCH_{key}": _passable(value) for key, value in told.items()}))
        self.start_waiting()

    def start_waiting(self) -> None:
        """Start waiting commands while fewer than ``MAX_RUNNING`` run (called per alert and on every round)."""
        running = [c.poll() is None for c in self.children]  # one look each: one ending between two is in neither
        ended = [c.pid for c, runs in zip(self.children, running, strict=True) if not runs]
        self.left_behind = [group for group in [*self.left_behind, *ended] if group_alive(group)]
        self.children = [c for c, runs in zip(self.children, running, strict=True) if runs]
        while self.waiting and len(self.children) < MAX_RUNNING:
            self._start(self.waiting.popleft())

    def _start(self, env: dict[str, str]) -> None:
        try:
            # Its output goes to stderr: stdout is losswatch's own lines (JSON lines under --json), never mixed.
            # A session of its own: stopped, what it started is stopped with it (``end_process``).
            # Kept as Popen returns (no signal is taken between its return and a C method's call): a stop signal
            # (KeyboardInterrupt) landing between the start and the bookkeeping would leave a command nobody stops.
            self.children.append(
                subprocess.Popen(
                    self.argv, env=env, stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno(), start_new_session=True
                )
            )
        except OSError as error:
            command = printable(self.argv[0])
            print(f"losswatch: --on-alert {command} failed: {error.strerror or error}", file=sys.stderr, flush=True)
