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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from tui.config import Thresholds
from tui.decode import EventDecoder
from tui.discovery import EventFile, discover
from tui.records import RecordReader
from tui.store import Change, FileHealth, Store
from tui.verdicts import Alert, VerdictEngine


class Tailer:
    """One event file: its reader, its decoder (per-file plugin memory) and its health."""

    def __init__(self, source: EventFile) -> None:
        self.source = source
        self.reader = RecordReader(source.path)
        self.decoder = EventDecoder()
        self.health = FileHealth()
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

    def read(self):
        """Decoded points appended since the last read; OS errors are recorded, not raised."""
        try:
            result = self.reader.read()
        except FileNotFoundError:
            self.health.error = "file vanished (points read so far are kept)"
            return None
        except PermissionError:
            self.health.error = "permission denied"
            return None
        except OSError as error:
            self.health.error = error.strerror or str(error)
            return None
        self.health.error = None
        if result.restarted:
            self.decoder = EventDecoder()
        decoded = self.decoder.decode(result.records)
        self.health.skipped_records = self.reader.damage.skipped_records
        self.health.skipped_bytes = self.reader.damage.skipped_bytes
        self.health.undecodable += decoded.undecodable
        return decoded


@dataclass(frozen=True)
class NewRun:
    """A run seen for the first time (for ``watch --plain``)."""

    run: str
    path: str


class Monitor:
    """Discovery + tailing + store + verdicts for one LOGDIR."""

    def __init__(self, logdir: str, thresholds: Thresholds | None = None, store: Store | None = None,
                 train_pattern: str | None = None, val_pattern: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
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
        self.scan_errors: dict[str, str] = {}
        self.logdir_missing = False
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

    def read(self, paths: Iterable[str] | None = None, only_grown: bool = False
             ) -> tuple[list[Change], list[Alert]]:
        """Read new bytes (of ``paths``, or of every file), store them, judge the runs they touched.

        ``only_grown`` skips files whose size, mtime and inode are unchanged (for polling).
        """
        with self._lock:
            tailers = (list(self.tailers.values()) if paths is None
                       else [self.tailers[p] for p in paths if p in self.tailers])
            if only_grown:
                tailers = [t for t in tailers if t.grown()]
            changes: list[Change] = []
            for tailer in list(tailers):
                decoded = tailer.read()
                with self.store.lock:
                    run = self.store.run(tailer.source.run)
                    run.files[tailer.source.path] = tailer.health
                if decoded is None:
                    continue
                change = self.store.apply(tailer.source.run, decoded, tailer.source.prefix)
                if change is not None:
                    changes.append(change)
            alerts = self._judge({c.run for c in changes})
        self.store.notify(changes)
        return changes, alerts

    def refresh(self, paths: Iterable[str] | None = None) -> tuple[list[NewRun], list[Change], list[Alert]]:
        """One round: scan, read, judge, and check for stalled runs."""
        new_runs = self.scan()
        changes, alerts = self.read(paths, only_grown=paths is None)
        alerts += self.check_stalled()
        return new_runs, changes, alerts

    # ---- judging -------------------------------------------------------------------------

    def engine(self, run_name: str) -> VerdictEngine:
        engine = self.engines.get(run_name)
        if engine is None:
            engine = self.engines[run_name] = VerdictEngine(
                run_name, self.thresholds, self.train_pattern, self.val_pattern)
        return engine

    def _judge(self, run_names: Iterable[str]) -> list[Alert]:
        alerts: list[Alert] = []
        for name in sorted(run_names):
            with self.store.lock:
                run = self.store.runs[name]
                engine = self.engine(name)
                alerts += engine.update(run)
                run.verdict = engine.verdict
        if alerts:
            now = self.clock()
            alerts = [replace(alert, time=now) for alert in alerts]
            with self.store.lock:
                self.store.alerts.extend(alerts)
        return alerts

    def check_stalled(self) -> list[Alert]:
        alerts: list[Alert] = []
        now = self.clock()
        with self.store.lock:
            for name, run in self.store.runs.items():
                alerts += [replace(a, time=now) for a in self.engine(name).check_stalled(run, now)]
            self.store.alerts.extend(alerts)
        return alerts
