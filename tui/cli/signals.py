"""Stop signals: Ctrl-C, SIGTERM and SIGHUP stop every command alike, and once a command is done end it at once."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator

from tui.processes import STOP_SIGNALS

AGAIN_AFTER = 0.01
"""Seconds after which an interrupt Python ignored (raised in a garbage collector's callback) is raised again."""


@contextlib.contextmanager
def stopped_by_signals(restore: bool = True) -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP (the pane closed) stop every command alike: KeyboardInterrupt, which each
    command unwinds (watcher thread, worker processes, --on-alert commands, the demo's temporary folder).

    Installed explicitly, because a job started in the background of a script begins with SIGINT ignored.
    The first signal interrupts; later ones are ignored so the clean-up can finish. Forked worker processes
    leave stopping to this one. The previous handlers come back on exit (``restore``), else the signals are
    ignored until ``main`` has the command's exit code (``stops_end_with``).
    """
    main_pid = os.getpid()

    def interrupt(_number: int, _frame: object) -> None:
        if os.getpid() != main_pid:
            return
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        raise KeyboardInterrupt

    def lost(unraisable: sys.UnraisableHookArgs) -> None:
        """The interrupt was raised inside a garbage collector's callback (a WeakSet's ``_remove``), where Python
        prints it and goes on: ``watch --plain`` ran on after a SIGTERM, deaf to the signals that came next (one
        run in three of a test, in a busy process). It is raised again, in the code that runs next."""
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and os.getpid() == main_pid:
            signal.setitimer(signal.ITIMER_REAL, AGAIN_AFTER)  # not here: raised in this hook, it is ignored too
            return
        previous_hook(unraisable)

    previous = {number: signal.signal(number, interrupt) for number in STOP_SIGNALS}
    previous_alarm = signal.signal(signal.SIGALRM, interrupt)
    previous_hook, sys.unraisablehook = sys.unraisablehook, lost
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_alarm)
        for number, handler in previous.items():
            signal.signal(number, handler if restore else signal.SIG_IGN)


def stops_end_with(code: int) -> None:
    """From now on a stop signal ends the process at once with ``code``: the command is done (a SIGTERM with the
    default handler back ended it with 143 and no word), and its exit may still wait on a thread or a child."""

    def end(_number: int, _frame: object) -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                if stream is not None:
                    stream.flush()
        os._exit(code)

    for number in STOP_SIGNALS:
        signal.signal(number, end)
