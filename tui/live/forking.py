"""Worker processes forked safely around the stop signals.

A Ctrl-C, SIGTERM or SIGHUP that landed between a worker's fork and the pool's bookkeeping left a worker that no
one knew of: ``check`` exited 130 and the worker, which leaves stopping to its parent, waited on its pipe for good
(or the exit hung joining it). So the signals are held back while the workers are forked and counted, and
delivered then; and a worker dies with the process that forked it, whatever ends that process.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from collections.abc import Iterator

from tui.processes import STOP_SIGNALS

PR_SET_PDEATHSIG = 1
"""``prctl``'s option: the signal a process gets when the thread that forked it ends (Linux)."""


@contextlib.contextmanager
def stop_signals_held() -> Iterator[None]:
    """The stop signals held back in this thread meanwhile; one that came is delivered when the block ends."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def worker_started(parent: int) -> None:
    """First thing in a worker forked by ``parent``: the stop signals no longer held (they were while it was
    forked; a worker leaves stopping to its parent), and killed when its parent ends; gone already, it ends now."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)
