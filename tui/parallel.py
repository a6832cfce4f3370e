"""`check` on a big log directory: read and judge the runs in forked worker processes.

Reading and judging one run does not depend on any other run, so a machine with
two cores can do two at once. Each worker runs the very same Monitor (reader,
store, verdict engine) on its share of the event files and sends back what
`check` prints: each run's verdict, health and newest point, and the alerts;
the curves themselves stay in the worker. Used only where ``fork`` exists and
there are enough runs to pay for the processes.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from tui.monitor import Monitor
from tui.series import Series
from tui.store import Run
from tui.verdicts import Alert

MIN_RUNS = 8
"""Below this many runs one process is as fast (forking and collecting cost ~0.1 s)."""

_monitor: Monitor | None = None
"""The parent's monitor, inherited by the forked workers."""


def workers_for(run_count: int) -> int:
    """How many processes to use: one per core, none when it does not pay or cannot fork."""
    if run_count < MIN_RUNS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
                      run_count // (MIN_RUNS // 2)))


def read_in_workers(monitor: Monitor, workers: int) -> list[Alert]:
    """Read every file of ``monitor`` (after ``scan``) in ``workers`` processes; fill its store with run summaries.

    The store then holds, per run, the verdict, the file health and the newest point of each curve
    (enough for `check`'s table and JSON), not whole curves.
    """
    global _monitor
    by_run: dict[str, list[str]] = {}
    for path, tailer in monitor.tailers.items():
        by_run.setdefault(tailer.source.run, []).append(path)
    names = sorted(by_run, key=lambda name: -sum(_size(p) for p in by_run[name]))  # big runs first: even shares
    shares: list[list[str]] = [[] for _ in range(workers)]
    for i, name in enumerate(names):
        shares[i % workers].extend(by_run[name])
    _monitor = monitor
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_read_share, shares))
    finally:
        _monitor = None
    alerts: list[Alert] = []
    with monitor.store.lock:
        for runs, share_alerts in results:
            for run in runs:
                monitor.store.runs[run.name] = run
            alerts += share_alerts
        monitor.store.alerts.extend(alerts)
    return alerts


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _read_share(paths: list[str]) -> tuple[list[Run], list[Alert]]:
    """In a worker: read and judge these files run by run; return run summaries and alerts.

    Each run's curves are dropped once it is judged, so a worker's memory stays at one run's worth.
    """
    monitor = _monitor
    assert monitor is not None
    by_run: dict[str, list[str]] = {}
    for path in paths:
        by_run.setdefault(monitor.tailers[path].source.run, []).append(path)
    runs: list[Run] = []
    alerts: list[Alert] = []
    for name, run_paths in by_run.items():
        alerts += monitor.read(run_paths)[1]
        run = monitor.store.runs.pop(name, None)
        if run is not None:
            runs.append(_summary(run))
    return runs, alerts


def _summary(run: Run) -> Run:
    """The run with each curve cut to its newest point (what the report reads), cheap to send back."""
    scalars: dict[str, Series] = {}
    for tag, series in run.scalars.items():
        steps, values, walls = series.arrays()
        last = Series()
        if len(steps):
            last.extend(steps[-1:], walls[-1:], values[-1:])
        scalars[tag] = last
    return Run(name=run.name, scalars=scalars, files=run.files, last_write=run.last_write, last_seen=run.last_seen,
               gone=run.gone, live=run.live, verdict=run.verdict, purges=run.purges)
