"""The first read of a big log directory, spread over worker processes.

Reading and judging one run does not depend on any other run, so a machine with
two cores can do two at once. Each worker runs the very same Monitor (reader,
store, verdict engine) on one run's event files and sends the result back as
soon as that run is done:

* for `check`, a summary: the verdict, the file health and the newest point of
  each curve (what the report prints); the curves stay in the worker;
* for the live app (``whole=True``), everything: the run with its curves, its
  verdict engine and its streams (offsets, decoder state), so the app goes
  on tailing each file exactly where the worker stopped. The curves travel
  in memory files, not through the pool's pipe (``tui/shipping.py``).

Workers are forked, and forked early: ``Workers.start`` forks them while the process
still has one thread (before the app, the watcher or the file observer start), and
the first read hands them the runs later, from whichever thread it runs on. Nothing
forks from a thread of the running app (a fork copies other threads' locks in
whatever state they are; Python 3.12+ warns about it). Spawned workers are no
alternative: they would re-import the main module and need multiprocessing's
resource-tracker process, which cannot start while Textual has replaced
``sys.stderr``. Where no process can be started, the caller reads the runs in its
own process.

A thread pool was measured instead (every reading kernel releases the GIL): on the
200-run benchmark it took twice as long (``check`` 20 s against 10 s), because
judging a run is Python and NumPy work that holds the GIL (README, Performance).
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TypeVar

from tui.judging.engine import Alert, FinalVerdict, VerdictEngine
from tui.judging.sweep_groups import may_join_a_sweep
from tui.judging.thresholds import Thresholds
from tui.live.forking import stop_signals_held, worker_started
from tui.live.monitor import Monitor, streams_by_run
from tui.live.shipping import Parcel, channel, pack, unpack
from tui.sources.base import Source, Stream
from tui.sources.formats import open_stream
from tui.sources.roots.base import Root
from tui.store import Change, Run
from tui.store.series import Series

T = TypeVar("T")

MIN_RUNS = 8
"""Below this many runs one process is as fast (starting workers costs a few tenths of a second)."""
PROGRESS_SECONDS = 2.0
"""How often finished runs are reported while the workers go on (the first at once).

Each report redraws the app's table and chart, about 0.2 s of CPU on the cores the workers need;
every second that was a tenth of a 200-run load."""


@dataclass(frozen=True)
class _Job:
    """What a worker needs to build its own Monitor for one run."""

    root: Root
    thresholds: Thresholds
    train_pattern: str | None
    val_pattern: str | None
    sources: tuple[Source, ...]
    whole: bool
    parcel_fd: int | None
    """Where the result's arrays go: the descriptor of a ``shipping.Channel`` (None: in the pickle)."""
    checkpoints: dict[str, dict[int, str]]
    """The run's checkpoints (from the parent's scan), for the alerts' advice."""
    sweep_candidate: bool = False
    """The run may belong to a sweep: a summary keeps its whole validation curve for the sweep's judge."""


@dataclass
class _RunResult:
    whole: bool
    run: Run | None
    engine: VerdictEngine | FinalVerdict | None
    streams: dict[str, Stream]
    changes: list[Change]
    alerts: list[Alert]


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Workers:
    """Worker processes forked at once, for a first read that may come later from another thread.

    With ``whole`` the runs come back whole (the app), their curves through a memory-file
    channel made before the fork; else as summaries (``check``). Use ``start``.

    Futures are never cancelled by their caller, only by the pool's own thread (``close``): Python 3.11's pool,
    broken by ``kill``, sets an error on every job not started, and on one cancelled meanwhile that printed an
    ``InvalidStateError`` traceback after a Ctrl-C. Hence ``in_order``, not ``pool.map``, which cancels its jobs
    when closed.
    """

    def __init__(self, count: int, whole: bool) -> None:
        self.count = count
        self.whole = whole
        self._stack = contextlib.ExitStack()
        self.pids: list[int] = []
        try:
            with stop_signals_held():  # a stop that comes meanwhile is raised as this block ends, the pids known
                self.handoff = self._stack.enter_context(channel()) if whole else None
                self.pool = self._stack.enter_context(
                    ProcessPoolExecutor(
                        count,
                        mp_context=multiprocessing.get_context("fork"),
                        initializer=_worker_init,
                        initargs=(os.getpid(),),
                    )
                )
                before = {child.pid for child in multiprocessing.active_children()}
                self.pool.submit(os.getpid).result()  # a fork context starts every worker on the first job: now
                # Their pids, not the Process objects (those hold a pipe each until the pool lets them go). A pid
                # cannot be reused before the pool reaps its worker, at ``close``.
                children = multiprocessing.active_children()
                self.pids = [pid for child in children if (pid := child.pid) is not None and pid not in before]
        except BaseException:
            if self.pids:
                self.end_runs()  # stopped as they started: killed, not waited for
            self._stack.close()
            raise

    @classmethod
    def start(cls, count: int, whole: bool, notes: list[str] | None = None) -> Workers | None:
        """``count`` workers, or None where they do not pay or cannot be forked safely (a note says why
        if they failed). Only from a process with one thread: forking copies other threads' locks."""
        if count < 2 or "fork" not in multiprocessing.get_all_start_methods() or _other_threads_running():
            return None
        try:
            return cls(count, whole)
        except (BrokenProcessPool, OSError) as error:
            if notes is not None:
                notes.append(f"worker processes failed ({str(error) or type(error).__name__}): reading in one process")
            return None

    def in_order(self, function: Callable[[int], T], count: int) -> Iterator[T]:
        """``function`` of 0 to ``count`` - 1 in the workers, each result as soon as it and those before it are
        back: ``pool.map``, but stopping early cancels nothing (``kill`` or ``close`` end the jobs)."""
        futures = [self.pool.submit(function, index) for index in range(count)]
        futures.reverse()  # submitted in order, taken from the end
        while futures:  # each let go once given, as ``pool.map`` does: a result is not kept to the end
            yield futures.pop().result()

    def close(self) -> None:
        """Stop the workers once their runs in progress are done (runs not started are dropped) and close the
        channel."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        self._stack.close()

    def kill(self) -> None:
        """End the workers now, runs in progress too, and close the channel: for a stop (Ctrl-C, SIGTERM,
        SIGHUP) or an error, where waiting for a long run would hold the command up. Workers ignore the stop
        signals (``cli.signals.stopped_by_signals`` leaves stopping to the main process), so they are killed."""
        self.end_runs()
        self.close()

    def end_runs(self) -> None:
        """Kill the workers, runs in progress too, without waiting for anything: may come from another thread
        than the one reading, whose wait on the pool then ends (BrokenProcessPool) and which closes the pool.
        Not after ``close``: the pool has reaped the workers, and their pids may be another process's."""
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        # A worker killed while sending its result leaves half a message in the pool's result pipe, and the pool's
        # thread waits for the rest; the last process holding the pipe's writing end is this one (the pool never
        # writes to it). Closed, that wait ends (end of file), the pool counts itself broken and its thread ends;
        # else that thread, which the interpreter's exit joins, waited for ever.
        writer = getattr(getattr(self.pool, "_result_queue", None), "_writer", None)
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.close()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.kill()


def cold_runs(monitor: Monitor) -> dict[str, list[Stream]]:
    """Runs none of whose streams was read yet (after ``scan``), biggest first so the workers finish together."""
    cold = {
        name: streams
        for name, streams in streams_by_run(monitor.streams.values()).items()
        if name not in monitor.store.runs and all(s.rounds == 0 and not s.source.echoes for s in streams)
    }  # a log that may repeat another run is read in this process, after that run (``Echoes.decide``)
    return dict(sorted(cold.items(), key=lambda item: -sum(_size(monitor, s) for s in item[1])))


def _other_threads_running() -> bool:
    """Whether a thread besides this one runs (forking would copy its locks in whatever state they are)."""
    return threading.active_count() > 1


def read_in_workers(
    monitor: Monitor,
    workers: Workers,
    progress: Callable[[list[Change], list[Alert]], None] | None = None,
) -> list[Alert]:
    """Read and judge the cold runs of ``monitor`` (after ``scan``) in ``workers``, if there are enough.

    Each run lands in the store as soon as its worker is done; ``progress`` is called with what is
    new at most every PROGRESS_SECONDS. Whole runs (``workers.whole``) bring their engines and
    streams to the monitor; else run summaries come back (enough for `check`'s table and JSON).
    Below MIN_RUNS, or if the workers fail, runs stay unread (``unread_paths``) for the caller to read
    in its own process.
    """
    runs = cold_runs(monitor)
    if len(runs) < MIN_RUNS:
        return []
    files = sum(len(streams) for streams in runs.values())
    names = {stream.run for stream in monitor.streams.values()}
    done = 0
    monitor.progress = (0, files)
    alerts: list[Alert] = []
    pending: tuple[list[Change], list[Alert]] = ([], [])
    last_report = -math.inf  # the first finished run is shown at once
    handoff = workers.handoff
    try:  # no future is cancelled here on a stop: see ``Workers``
        futures = [
            workers.pool.submit(
                _read_run,
                _Job(
                    monitor.root,
                    monitor.thresholds,
                    monitor.train_pattern,
                    monitor.val_pattern,
                    tuple(s.source for s in streams),
                    workers.whole,
                    handoff.sending_fd if handoff is not None else None,
                    {name: monitor.checkpoints[name]} if name in monitor.checkpoints else {},
                    may_join_a_sweep(name, names) or _in_given_sweep(monitor, name),
                ),
            )
            for name, streams in runs.items()
        ]
        for future in as_completed(futures):
            result = unpack(future.result(), handoff)
            assert isinstance(result, _RunResult)
            now = monitor.clock()
            _install(monitor, result, now)
            done += len(result.streams)
            monitor.progress = (done, files)
            alerts += result.alerts
            pending[0].extend(result.changes)
            pending[1].extend(result.alerts)
            if progress is not None and time.monotonic() - last_report >= PROGRESS_SECONDS:
                progress(*pending)
                pending, last_report = ([], []), time.monotonic()
    except (BrokenProcessPool, OSError, pickle.PicklingError) as error:
        # The workers died or a result could not come back: the caller reads what is left itself.
        why = str(error) or type(error).__name__
        monitor.store.notes.append(f"worker processes failed ({why}): reading in one process")
    if progress is not None and (pending[0] or pending[1]):
        progress(*pending)
    return alerts


def _in_given_sweep(monitor: Monitor, name: str) -> bool:
    """Whether ``--sweep``'s pattern finds the run (by its name under its root, as the sweeps are found): its
    summary keeps its validation curve. Runs grouped by the pattern alone (``tb-plateau-14``: no setting in the
    name) came back as their newest point, and ``check`` gave none of them the advice ``replay`` gave."""
    pattern = monitor.sweeps.pattern
    return pattern is not None and pattern.search(monitor.name_under_root(name)) is not None


def unread_paths(monitor: Monitor) -> list[str]:
    """Streams no round has read yet (what is left after ``read_in_workers``), by key."""
    return [key for key, stream in monitor.streams.items() if stream.rounds == 0]


def _install(monitor: Monitor, result: _RunResult, now: float) -> None:
    """Put one worker's run into the parent: the store's run, and for whole runs the engine and streams."""
    with monitor.store.lock:
        if result.run is not None:
            result.run.last_seen = now
            monitor.store.runs[result.run.name] = result.run
            monitor.attach_checkpoints(result.run.name)
            if result.engine is not None:
                monitor.engines[result.run.name] = result.engine
        if result.whole:
            monitor.adopt(result.streams)
        else:  # a summary: the files were read, so later rounds only look at what grows
            for key, stream in result.streams.items():
                if key in monitor.streams:
                    monitor.streams[key].rounds = stream.rounds
        result.alerts = monitor.stamped(result.alerts, now)  # after the run: their points are looked up in it
        monitor.alerts.extend(result.alerts)


def _size(monitor: Monitor, stream: Stream) -> int:
    """Bytes of the stream's files at the last listing (what the first read will go through)."""
    files = monitor.listing.files
    return sum(files[path].size for path in stream.source.paths if path in files)


def _worker_init(parent: int) -> None:
    worker_started(parent)
    _keep_freed_memory()


def _keep_freed_memory() -> None:
    """In a worker: let glibc's malloc reuse freed memory instead of handing it back to the kernel.

    Each run allocates and frees tens of megabytes (read buffers, decoded arrays); by default glibc
    maps big blocks afresh and unmaps them when freed, so every run faults in its memory again, which
    cost the workers about a third of their time in the kernel. A worker lives only for one command's
    work (a first read, a replay), so holding on to its peak is harmless. Elsewhere (not glibc) nothing changes.
    """
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    mallopt(m_mmap_threshold, 32 << 20)  # the most glibc accepts on 64-bit
    mallopt(m_trim_threshold, 1 << 30)


def _read_run(job: _Job) -> Parcel:
    """In a worker: read and judge one run's files with a Monitor of its own."""
    monitor = Monitor(job.root, job.thresholds, train_pattern=job.train_pattern, val_pattern=job.val_pattern)
    monitor.streams = {source.key: open_stream(source) for source in job.sources}
    monitor.checkpoints = job.checkpoints
    changes, alerts = monitor.read()
    run = next(iter(monitor.store.runs.values()), None)
    engine = monitor.engines.get(run.name) if run is not None else None
    if run is not None and not job.whole:
        # A summary: the verdict without the engine's history, each curve's newest point, and the whole
        # validation curve of a run that may be in a sweep (the sweep's judge reads it).
        keep = engine.verdict.val_tag if engine is not None and (job.sweep_candidate or run.hparams) else None
        run = _summary(run, keep)
        engine = FinalVerdict(engine.verdict) if engine is not None else None
    return pack(_RunResult(job.whole, run, engine, monitor.streams, changes, alerts), job.parcel_fd)


def _summary(run: Run, keep: str | None = None) -> Run:
    """The run with each curve but ``keep`` cut to its newest point (what the report reads), cheap to send back."""
    scalars: dict[str, Series] = {}
    for tag, series in run.scalars.items():
        if tag == keep:
            scalars[tag] = series
            continue
        steps, values, walls = series.arrays()
        last = Series()
        if len(steps):
            last.extend(steps[-1:], walls[-1:], values[-1:])
        scalars[tag] = last
    return Run(
        name=run.name,
        scalars=scalars,
        files=run.files,
        last_write=run.last_write,
        last_seen=run.last_seen,
        gone=run.gone,
        live=run.live,
        hparams=run.hparams,
        checkpoints=run.checkpoints,
    )


class FirstRead:
    """The live app's first read: the runs found at start-up go to workers forked before the app started.

    Injected into the Watcher, which calls it with the runs it found; the workers serve one read
    and then stop (later rounds read a few files at a time, in the app's process). The app's quit
    (``stop``, from the watcher's ``stop``) ends a read in progress at once: its workers are killed,
    not waited for (a big folder's first read takes seconds, and the exit waited for its runs).
    """

    def __init__(self, workers: Workers | None) -> None:
        self.workers = workers
        self._lock = threading.Lock()
        self._reading: Workers | None = None
        """The workers of the read in progress (a stop kills them)."""
        self._stopped = False

    def __call__(self, monitor: Monitor, progress: Callable[[list[Change], list[Alert]], None]) -> None:
        with self._lock:
            workers, self.workers = self.workers, None
            reading = self._reading = None if self._stopped else workers
        if workers is None:
            return
        done = False
        try:
            if reading is not None:
                read_in_workers(monitor, workers, progress)
            done = True
        finally:
            with self._lock:  # before the pool reaps its workers: from now on a stop does not kill their pids
                self._reading = None
            if done:
                workers.close()
            else:
                workers.kill()

    def stop(self) -> None:
        """End the read in progress now (the app quits): its workers are killed, the runs they were reading
        and those not started are dropped; a read not begun yet will not begin. From any thread."""
        with self._lock:
            self._stopped = True
            if self._reading is not None:
                self._reading.end_runs()

    def kill(self) -> None:
        """Kill every worker now, reading or not, waiting for nothing: the process is about to end without its
        shutdown (``app.stop_signals``' deadline). From any thread."""
        self.stop()
        with self._lock:
            workers, self.workers = self.workers, None
        if workers is not None:
            workers.end_runs()

    def close(self) -> None:
        """Stop the workers if the first read never came (the app quit at once), and a read still going on."""
        self.stop()
        with self._lock:
            workers, self.workers = self.workers, None
        if workers is not None:
            workers.close()
