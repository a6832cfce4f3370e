"""Stop signals for the live view: SIGTERM, SIGHUP (the pane closed) and a SIGINT sent by kill end it as ``q`` does,
and the process ends within ``STOP_DEADLINE`` seconds whatever the shutdown does.

Installed explicitly: a job started in the background of a script begins with SIGINT ignored. The deadline is for a
terminal that is gone: with the pane closed while runs were being drawn, Textual's driver waited for good to hand
its last output to a writer thread that could no longer write, and losswatch stayed behind, its files open.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Callable

from tui.processes import STOP_SIGNALS

STOP_DEADLINE = 5.0
"""Seconds from a stop signal to the process's end at the latest (a hung S3 request holds the stop 2 s at most)."""


class StopSignals:
    """The app's handlers for the stop signals, and the deadline they set."""

    def __init__(self, stop: Callable[[], None], last_words: Callable[[], None], deadline: float = STOP_DEADLINE):
        self._stop = stop
        self._last_words = last_words
        """Run from the deadline's thread before the process ends without its shutdown (end the worker processes)."""
        self._deadline = deadline
        self._previous: dict[int, object] = {}
        self.timer: threading.Timer | None = None

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for number in STOP_SIGNALS:
            self._previous[number] = signal.getsignal(number)
            loop.add_signal_handler(number, self._stopped)

    def restore(self) -> None:
        loop = asyncio.get_running_loop()
        for number, previous in self._previous.items():
            loop.remove_signal_handler(number)
            signal.signal(number, previous)  # type: ignore[arg-type]
        self._previous = {}

    def _stopped(self) -> None:
        self._stop()
        if self.timer is None:  # a daemon thread: a shutdown that ends the process in time ends it too
            self.timer = threading.Timer(self._deadline, self._end_now)
            self.timer.daemon = True
            self.timer.start()

    def _end_now(self) -> None:
        with contextlib.suppress(Exception):
            self._last_words()
        with contextlib.suppress(OSError):  # never waiting on a terminal that may be gone
            os.set_blocking(2, False)
            said = f"\nlosswatch: the live view had not stopped {self._deadline:g} s after the signal: ended\n"
            os.write(2, said.encode())
        os._exit(1)  # not the clean stop's 0: a script or a test can tell a shutdown that hung
