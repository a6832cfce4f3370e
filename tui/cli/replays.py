"""``replay``'s runs, each fed through the live engine as a live view's polls bring its steps (``replay_run``), on
worker processes where they pay.

A replay costs an engine update per poll: 540 DeepOBS runs took over two minutes in one process. The runs are
independent, so they go to one forked worker per core; each worker has the runs as the parent read them (forked
after the read, copied with its memory) and sends back only the alerts. Where forking is not safe (another thread
runs: a remote root's) or does not pay (few runs), they are replayed here.
"""

from __future__ import annotations

import sys
from collections.abc import Generator
from concurrent.futures.process import BrokenProcessPool

from tui.judging.replay import replay_run
from tui.judging.thresholds import Thresholds
from tui.judging.verdict import Alert
from tui.live.firstread import MIN_RUNS, Workers, cores
from tui.store import Run

_JOB: tuple[list[Run], Thresholds, str | None, str | None] | None = None
"""What the workers replay, set before they are forked (each gets it with the parent's memory)."""


def _replay_at(index: int) -> list[Alert]:
    assert _JOB is not None  # set before the fork
    runs, thresholds, train_tag, val_tag = _JOB
    return replay_run(runs[index], thresholds, train_tag, val_tag)


def replayed(
    runs: list[Run], thresholds: Thresholds, train_tag: str | None, val_tag: str | None
) -> Generator[list[Alert], None, None]:
    """Each run's alerts, in the order of ``runs``, as soon as it and the runs before it are replayed.

    Close the iterator (``contextlib.closing``) when stopping early: its workers are killed then, as on Ctrl-C."""
    global _JOB
    _JOB = (runs, thresholds, train_tag, val_tag)
    done = 0
    try:
        workers = Workers.start(min(cores(), len(runs) // MIN_RUNS), whole=False)
        if workers is not None:
            with workers:  # an exception here (Ctrl-C) or a close kills them; else they end once all are done
                try:
                    for alerts in workers.in_order(_replay_at, len(runs)):
                        yield alerts
                        done += 1
                except BrokenProcessPool as error:  # a worker killed (out of memory): the rest in this process
                    why = str(error) or type(error).__name__
                    print(f"losswatch: worker processes failed ({why}): replaying the rest here", file=sys.stderr)
        for run in runs[done:]:  # all of them where workers do not pay or cannot be forked
            yield replay_run(run, thresholds, train_tag, val_tag)
    finally:
        _JOB = None
