"""The engine every command shares: discover runs, tail their files, fill the store, judge.

``Monitor.refresh()`` does one round: rescan LOGDIR for new event files, read
what was appended to the files (all, or the ones a watcher saw change), put the
points in the store and let each run's verdict engine consume them. The TUI,
``check``, ``replay`` and ``watch --plain`` all drive this same object.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from tui.judging.engine import Alert, Verdict, VerdictEngine
from tui.judging.thresholds import Thresholds
from tui.live.memory import release_free_memory
from tui.sources.points import Decoded, FileHealth
from tui.sources.tensorboard.decode import EventDecoder
from tui.sources.tensorboard.discovery import EventFile, discover
from tui.sources.tensorboard.records import RecordReader
from tui.store import Change, Store


class Tailer:
    """One event file: its reader, its decoder (per-file plugin memory) and its health."""

    def __init__(self, source: EventFile) -> None:
        self.source = source
        self.reader = RecordReader(source.path)
        self.decoder = EventDecoder()
        self.health = FileHealth()
        self.rounds = 0
        """Completed reads; data in any read after the first means the file is being written now."""
        self._signature: tuple[int, int, int] | None = None

    def grown(self) -> bool:
        """Whether the file changed since it was last read (size, mtime or inode); cheap: one stat."""
        try:
            stat = os.stat(self.source.path)
        except OSError:
            return self.health.error is None  # report a new problem once
        signature = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        if signature == self._signature:
            return False
        self._signature = signature
        return True

    def read(self) -> Iterator[Decoded]:
        """Decoded points appended since the last read, a buffer at a time; OS errors are recorded, not raised.

        A file that shrank or was replaced is read again from its start (its decoder
        forgets the plugins it knew); the store's restart handling drops the duplicates.
        """
        try:
            for segment in self.reader.segments():
                if self.reader.restarted:
                    self.decoder = EventDecoder()
                    self.reader.restarted = False
                decoded = self.decoder.decode_frames(segment.buffer, segment.offsets, segment.lengths)
                self._note_health(decoded)
                yield decoded
        except FileNotFoundError:
            self.health.error = "file vanished (points read so far are kept)"
            return
        except PermissionError:
            self.health.error = "permission denied"
            return
        except OSError as error:
            self.health.error = error.strerror or str(error)
            return
        self.health.error = None
        self._note_health(None)

    def _note_health(self, decoded: Decoded | None) -> None:
        self.health.skipped_records = self.reader.damage.skipped_records
        self.health.skipped_bytes = self.reader.damage.skipped_bytes
        self.health.incomplete_bytes = self.reader.incomplete
        if decoded is not None:
            self.health.undecodable += decoded.undecodable


def tailers_by_run(tailers: Iterable[Tailer]) -> dict[str, list[Tailer]]:
    """The tailers grouped by the run their file belongs to, in the order given."""
    by_run: dict[str, list[Tailer]] = {}
    for tailer in tailers:
        by_run.setdefault(tailer.source.run, []).append(tailer)
    return by_run


PROGRESS_SECONDS = 0.3
Progress = Callable[[list[Change], list[Alert]], None]


@dataclass(frozen=True)
class NewRun:
    """A run seen for the first time (for ``watch --plain``)."""

    run: str
    path: str


class Monitor:
    """Discovery + tailing + store + verdicts for one LOGDIR."""

    def __init__(
        self,
        logdir: str,
        thresholds: Thresholds | None = None,
        store: Store | None = None,
        train_pattern: str | None = None,
        val_pattern: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.logdir = os.path.abspath(logdir)
        self.label = logdir
        """LOGDIR as the user wrote it, for titles."""
        self.thresholds = thresholds or Thresholds()
        self.store = store or Store(clock=clock)
        self.train_pattern = train_pattern
        self.val_pattern = val_pattern
        self.clock = clock
        self.tailers: dict[str, Tailer] = {}
        self.engines: dict[str, VerdictEngine] = {}
        self.alerts: list[Alert] = []
        """Every alert raised so far, oldest first."""
        self.scan_errors: dict[str, str] = {}
        self.logdir_missing = False
        self.progress = (0, 0)
        """(files read, files to read) of the round under way, for a progress display."""
        self._lock = threading.Lock()

    # ---- discovery -----------------------------------------------------------------------

    def scan(self) -> list[NewRun]:
        """Look for new event files and vanished runs; return the runs seen for the first time."""
        if not os.path.isdir(self.logdir):
            self.logdir_missing = True
            for run in self.store.runs.values():
                run.gone = True
            return []
        self.logdir_missing = False
        found = discover(self.logdir)
        self.scan_errors = found.errors
        known_runs = {t.source.run for t in self.tailers.values()}
        new_runs: list[NewRun] = []
        present = set()
        for source in found.files:
            present.add(source.run)
            if source.path not in self.tailers:
                self.tailers[source.path] = Tailer(source)
                if source.run not in known_runs:
                    known_runs.add(source.run)
                    new_runs.append(NewRun(source.run, os.path.dirname(source.path)))
        with self.store.lock:
            for name, run in self.store.runs.items():
                run.gone = name not in present
        return new_runs

    # ---- reading -------------------------------------------------------------------------

    def read(
        self, paths: Iterable[str] | None = None, only_grown: bool = False, progress: Progress | None = None
    ) -> tuple[list[Change], list[Alert]]:
        """Read new bytes (of ``paths``, or of every file), store them, judge the runs they touched.

        ``only_grown`` skips files whose size, mtime and inode are unchanged (for polling).
        Each run is judged as soon as its files are read; ``progress`` is called with what
        is new at most every PROGRESS_SECONDS, so a big log directory fills the view as it loads.
        """
        with self._lock:
            tailers = (
                list(self.tailers.values()) if paths is None else [self.tailers[p] for p in paths if p in self.tailers]
            )
            if only_grown:
                tailers = [t for t in tailers if t.grown()]
            by_run = tailers_by_run(tailers)
            self.progress = (0, len(tailers))
            changes: list[Change] = []
            alerts: list[Alert] = []
            pending: tuple[list[Change], list[Alert]] = ([], [])
            last_report = time.monotonic()
            bytes_read = 0
            done = 0
            for run_name, run_tailers in by_run.items():
                run_changes: list[Change] = []
                for tailer in run_tailers:
                    before = tailer.reader.offset
                    with self.store.lock:
                        self.store.run(run_name).files[tailer.source.path] = tailer.health
                    for decoded in tailer.read():
                        change = self.store.apply(run_name, decoded, tailer.source.prefix)
                        if change is not None:
                            run_changes.append(change)
                            if tailer.rounds:
                                self.store.runs[run_name].live = True
                    tailer.rounds += 1
                    bytes_read += max(tailer.reader.offset - before, 0)
                    done += 1
                    self.progress = (done, len(tailers))
                run_alerts = self._judge([run_name]) if run_changes else []
                changes += run_changes
                alerts += run_alerts
                pending[0].extend(run_changes)
                pending[1].extend(run_alerts)
                if progress is not None and time.monotonic() - last_report >= PROGRESS_SECONDS:
                    progress(*pending)
                    pending = ([], [])
                    last_report = time.monotonic()
            release_free_memory(bytes_read)
        if progress is not None and (pending[0] or pending[1]):
            progress(*pending)
        return changes, alerts

    def refresh(self, paths: Iterable[str] | None = None) -> tuple[list[NewRun], list[Change], list[Alert]]:
        """One round: scan, read, judge, and check for stalled runs."""
        new_runs = self.scan()
        changes, alerts = self.read(paths, only_grown=paths is None)
        alerts += self.check_stalled()
        return new_runs, changes, alerts

    # ---- judging -------------------------------------------------------------------------

    def verdict(self, run_name: str) -> Verdict | None:
        """What the engine thinks of a run now (None before its first point was judged)."""
        engine = self.engines.get(run_name)
        return engine.verdict if engine is not None else None

    @property
    def verdicts(self) -> dict[str, Verdict]:
        """Run name -> verdict, for every run judged so far."""
        return {name: engine.verdict for name, engine in list(self.engines.items())}

    def engine(self, run_name: str) -> VerdictEngine:
        engine = self.engines.get(run_name)
        if engine is None:
            engine = self.engines[run_name] = VerdictEngine(
                run_name, self.thresholds, self.train_pattern, self.val_pattern
            )
        return engine

    def _judge(self, run_names: Iterable[str]) -> list[Alert]:
        alerts: list[Alert] = []
        for name in sorted(run_names):
            with self.store.lock:
                run = self.store.runs[name]
                engine = self.engine(name)
                alerts += engine.update(run)
        if alerts:
            now = self.clock()
            alerts = [replace(alert, time=now) for alert in alerts]
            self.alerts.extend(alerts)
        return alerts

    def check_stalled(self) -> list[Alert]:
        alerts: list[Alert] = []
        now = self.clock()
        with self.store.lock:
            for name, run in self.store.runs.items():
                alerts += [replace(a, time=now) for a in self.engine(name).check_stalled(run, now)]
        self.alerts.extend(alerts)
        return alerts
