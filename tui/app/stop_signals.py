"""Stop signals for the live view: SIGTERM, SIGHUP (the pane closed) and a SIGINT sent by kill end it as ``q`` does,
and the process ends within ``STOP_DEADLINE`` seconds whatever the shutdown does.

Installed explicitly: a job started in the background of a script begins with SIGINT ignored. The deadline is for a
terminal that is gone: with the pane closed while runs were being drawn, Textual's driver waited for good to hand
its last output to a writer thread that could no longer write, and losswatch stayed behind, its files open.

The handlers are Python signal handlers, not the event loop's: the deadline starts when the signal comes, and the
stop is handed to the loop. A loop's handler runs only when the loop gets to it, and with the pane killed under
load (six apps redrawing on two cores) that took up to 3 s: the process ended 8 s after the signal, not 5.
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
        self._loop: asyncio.AbstractEventLoop | None = None
        self.timer: threading.Timer | None = None

    def install(self) -> None:
        self._loop = asyncio.get_running_loop()
        for number in STOP_SIGNALS:
            self._previous[number] = signal.signal(number, self._signalled)

    def restore(self) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, signal.SIG_DFL if previous is None else previous)  # type: ignore[arg-type]
        self._previous = {}

    def _signalled(self, _number: int, _frame: object) -> None:
        """In the main thread between two bytecodes, whatever the loop is doing: the deadline starts now."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed already: the deadline ends the process
                self._loop.call_soon_threadsafe(self._stop)
        if self.timer is None:  # a daemon thread: a shutdown that ends the process in time ends it too
            timer = threading.Timer(self._deadline, self._end_now)
            timer.daemon = True
            timer.start()  # set once started: a start that failed (no thread to be had) is tried at the next signal
            self.timer = timer

    def _end_now(self) -> None:
        with contextlib.suppress(Exception):
            self._last_words()
        with contextlib.suppress(OSError):  # never waiting on a terminal that may be gone
            os.set_blocking(2, False)
            said = f"\nlosswatch: the live view had not stopped {self._deadline:g} s after the signal: ended\n"
            os.write(2, said.encode())
        os._exit(1)  # not the clean stop's 0: a script or a test can tell a shutdown that hung
