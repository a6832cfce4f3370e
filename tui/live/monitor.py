"""The engine every command shares: discover runs, tail their files, fill the store, judge.

``Monitor.refresh()`` does one round: list the root (LOGDIR) and let every format
say which files or databases are its runs, read what each stream has that is new
(all, or the ones a watcher saw change), put the points in the store and let each
run's verdict engine consume them. The TUI, ``check``, ``replay`` and
``watch --plain`` all drive this same object.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from tui.judging.checkpoints import with_checkpoint
from tui.judging.engine import Alert, FinalVerdict, Verdict, VerdictEngine
from tui.judging.thresholds import Thresholds
from tui.live.echoes import Echoes
from tui.live.memory import release_free_memory
from tui.live.sweeps import SweepWatch
from tui.sources.base import Source, Stream
from tui.sources.formats import all_formats, find_sources, open_stream
from tui.sources.mlflow_files import FORMAT as MLFLOW_FILES
from tui.sources.points import FileHealth
from tui.sources.roots.base import Listing, Root
from tui.sources.roots.local import LocalRoot
from tui.sources.tensorboard.discovery import run_name_for
from tui.store import Change, Store

Tailer = Stream
"""The old name: one incremental reader (an event file, a CSV log, a database's run)."""


def streams_by_run(streams: Iterable[Stream]) -> dict[str, list[Stream]]:
    """The streams grouped by the run they belong to, in the order given."""
    by_run: dict[str, list[Stream]] = {}
    for stream in streams:
        by_run.setdefault(stream.run, []).append(stream)
    return by_run


tailers_by_run = streams_by_run


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
        logdir: str | Root,
        thresholds: Thresholds | None = None,
        store: Store | None = None,
        train_pattern: str | None = None,
        val_pattern: str | None = None,
        clock: Callable[[], float] = time.time,
        source_name: str = "",
        sweep_pattern: str | None = None,
    ) -> None:
        self.root = logdir if isinstance(logdir, Root) else LocalRoot(logdir)
        self.source_name = source_name
        """Put before its runs' names (``box1:exp1``) when several roots share one store; '' for one root."""
        self.shadowed: tuple[str, ...] = ()
        """Other roots' names that begin with this one's and ':' (``box1`` beside ``box1:/runs``): not its runs."""
        self.logdir = self.root.local_path(".") or self.root.label
        """Where the runs are: an absolute folder for a local root (what the watcher watches)."""
        self.label = self.root.label
        """LOGDIR as the user wrote it, for titles."""
        self.thresholds = thresholds or Thresholds()
        self.store = store or Store(clock=clock)
        self.train_pattern = train_pattern
        self.val_pattern = val_pattern
        self.clock = clock
        self.streams: dict[str, Stream] = {}
        """Source key -> its stream, for every source found so far."""
        self.engines: dict[str, VerdictEngine | FinalVerdict] = {}
        self.alerts: list[Alert] = []  # every alert raised so far, oldest first
        self.sweeps = SweepWatch(self.thresholds, sweep_pattern)
        """The sweeps among the runs and their stop-early advice (judged once per round, after the runs)."""
        self.scan_errors: dict[str, str] = {}
        self._unreadable: dict[str, str] = {}
        """Folder (root-relative) -> run, for folders a listing could not read (shown as runs that cannot be read)."""
        self._vanished: set[str] = set()
        """Streams whose files are no longer listed (deleted; their points kept): not read, nor a trouble of their
        run's, until a file of theirs is listed again."""
        self._told_unreadable: set[str] = set()
        """Runs announced as new while they could not be read: readable later, they are not announced again."""
        self.logdir_missing = False
        self.missing_why = ""
        """Why the root is not there, in the root's words: "no such folder", "bucket NAME not found"."""
        self.listing = Listing()
        """The last listing of the root (file sizes for ordering the first read)."""
        self.progress = (0, 0)  # (files read, files to read) of the round under way, for a progress display
        self.formats = all_formats()
        self.run_owners: dict[str, str] = {}
        """Run name -> the format that named it first (a name never moves to another format's run)."""
        self.checkpoints: dict[str, dict[int, str]] = {}  # run name -> step -> checkpoint path, from the last scan
        self.echo = Echoes()
        """Logs that repeat another run's curves (``Source.echoes``), hidden; the ones that do not."""
        self._untold: dict[str, NewRun] = {}
        """Runs that may repeat a TensorBoard run, not announced as new until their first read shows they do not."""
        self._told_late: list[NewRun] = []
        """Those that did not: announced by the round that read them (``told_late``), else by the next scan."""
        self._watched: dict[str, str] = {}
        """Local path of every file a stream reads -> the stream's key (file events name local paths)."""
        self._lock = threading.Lock()

    def reads(self, path: str) -> bool:
        """Whether a stream reads the file at local ``path`` (else its change may be a run's first lines: a scan)."""
        return path in self.streams or path in self._watched

    def place(self, path: str) -> str:
        """A root-relative path as the user would find it: a local path, or the root's label and the path."""
        local = self.root.local_path(path)
        if local is not None:
            return local
        return self.root.label.rstrip("/") + ("" if path == "." else "/" + path)

    def run_name(self, run: str) -> str:
        """A run's name in the store: as its format named it, after the root's name when there are several."""
        if not self.source_name:
            return run
        return self.source_name if run == "." else f"{self.source_name}:{run}"

    def name_under_root(self, run_name: str) -> str:
        """A run's name as this root alone shows it (without the root's label among several roots)."""
        if not self.source_name:
            return run_name
        return "." if run_name == self.source_name else run_name.removeprefix(self.source_name + ":")

    def owns(self, run_name: str) -> bool:
        """Whether a run in the (maybe shared) store came from this root."""
        mine = not self.source_name or run_name == self.source_name or run_name.startswith(self.source_name + ":")
        return mine and not any(run_name == o or run_name.startswith(o + ":") for o in self.shadowed)

    @property
    def missing_note(self) -> str:
        """Said beside "waiting for the root to appear" when the root is missing for more than a folder not made
        yet: a bucket not found is more often a typo than a bucket a job is about to make."""
        return "" if not self.logdir_missing or self.missing_why == "no such folder" else self.missing_why

    # ---- discovery -----------------------------------------------------------------------

    def scan(self) -> list[NewRun]:
        """Look for new sources and vanished runs; return the runs seen for the first time."""
        listing = self.root.list()
        if listing.missing:
            self.logdir_missing = True
            self.missing_why = listing.errors.get(".", "no such folder")
            for name, run in self.store.runs.items():
                run.gone = run.gone or self.owns(name)
            return []
        self.logdir_missing = False
        self.listing = listing
        found = find_sources(self.root, listing, self.formats, self.run_owners)
        if self.source_name:
            found.sources = [
                replace(source, run=self.run_name(source.run), echoes=source.echoes and self.run_name(source.echoes))
                for source in found.sources
            ]
            found.checkpoints = {self.run_name(run): steps for run, steps in found.checkpoints.items()}
        self.scan_errors = {self.place(path): why for path, why in {**listing.errors, **found.errors}.items()}
        self.checkpoints = {
            name: {step: self.place(path) for step, path in checkpoints.items()}
            for name, checkpoints in found.checkpoints.items()
        }
        with self.store.lock:
            for name, checkpoints in self.checkpoints.items():
                if name in self.store.runs:
                    self.store.runs[name].checkpoints = dict(checkpoints)
        for note in found.notes:
            if note not in self.store.notes:
                self.store.notes.append(note)
        known_runs = {stream.run for stream in self.streams.values()} | self._told_unreadable
        new_runs = self.told_late()
        named = {source.where: source.run for source in found.sources if source.format == MLFLOW_FILES}
        present = self._note_unreadable({**listing.errors, **found.errors}, known_runs, new_runs, named)
        for source in found.sources:
            present.add(source.run)
            stream = self.streams.get(source.key)
            if stream is None:
                self._add(source)
                if source.run not in known_runs:
                    known_runs.add(source.run)
                    news = NewRun(source.run, self.place(source.where))
                    if source.echoes:  # told once read, if it is no repeat of the run beside it (``Echoes.decide``)
                        self._untold[source.run] = news
                    else:
                        new_runs.append(news)
            elif stream.source != source:
                stream.retarget(source)
                self._index(stream.source)
        self._note_vanished(listing)
        with self.store.lock:
            for name, run in self.store.runs.items():
                if self.owns(name):
                    run.gone = name not in present
        self._told_unreadable &= set(self._unreadable.values())  # readable now (a stream's), or deleted: forgotten
        return new_runs

    def _note_vanished(self, listing: Listing) -> None:
        """A stream whose files all left the listing is set aside: its run keeps its points, is not 'unreadable' for
        it (written again, it is read from its new files, as ``check`` reads it); listed again, it is read on."""
        with self.store.lock:
            for key, stream in self.streams.items():
                if any(path in listing.files for path in (*stream.source.paths, *stream.source.older) or (key,)):
                    self._vanished.discard(key)
                elif key not in self._vanished:
                    self._vanished.add(key)
                    if (run := self.store.runs.get(stream.run)) is not None:
                        run.files.pop(key, None)

    def _note_unreadable(
        self, errors: dict[str, str], known_runs: set[str], new_runs: list[NewRun], named: dict[str, str]
    ) -> set[str]:
        """Folders that cannot be listed, and logs a format cannot open (a damaged database), become runs with the
        reason, instead of vanishing; one readable again loses it. Returns their runs. ``named``: MLflow runs'
        folders (by id): what cannot be read in one is that run's, not a run of its own."""
        with self.store.lock:
            for path in set(self._unreadable) - set(errors):
                name = self._unreadable.pop(path)
                run = self.store.runs.get(name)
                if run is not None:
                    run.files.pop(path, None)
                    if not run.files and not run.has_points:  # its runs, if any, are found under their own names
                        del self.store.runs[name]
            for path, why in errors.items():
                if path in ("", "."):
                    continue
                folder = max((where for where in named if path.startswith(where + "/")), key=len, default=None)
                name = named[folder] if folder else self.run_name(run_name_for(path)[0])  # after the root's name
                first_time = path not in self._unreadable  # announced once, not at every scan while it lasts
                self._unreadable[path] = name
                self.store.run(name).files[path] = FileHealth(error=why[:1].lower() + why[1:])
                if first_time and name not in known_runs:
                    known_runs.add(name)
                    self._told_unreadable.add(name)
                    new_runs.append(NewRun(name, self.place(path)))
        return set(self._unreadable.values())

    def _add(self, source: Source) -> None:
        self.streams[source.key] = open_stream(source)
        self._index(source)

    def _index(self, source: Source) -> None:
        for path in source.paths:
            local = self.root.local_path(path)
            if local is not None:
                self._watched[local] = source.key

    def adopt(self, streams: dict[str, Stream]) -> None:
        """Take streams read elsewhere (a worker process), keeping their positions."""
        self.streams.update(streams)
        for stream in streams.values():
            self._index(stream.source)

    # ---- reading -------------------------------------------------------------------------

    def _chosen(self, paths: Iterable[str] | None) -> list[Stream]:
        if paths is None:
            chosen = list(self.streams.values())
        else:
            keys: dict[str, None] = {}
            for path in paths:
                key = path if path in self.streams else self._watched.get(path)
                if key is not None:
                    keys[key] = None
            chosen = [self.streams[key] for key in keys]
        return [stream for stream in chosen if stream.run not in self.echo.hidden and stream.key not in self._vanished]

    @property
    def echoes(self) -> dict[str, str]:
        """Run name -> the run whose curves its logs repeat: not read, judged nor shown."""
        return self.echo.hidden

    @property
    def echo_notes(self) -> list[str]:
        """What the notes said of each, for commands that print no other note."""
        return self.echo.notes

    def read(
        self, paths: Iterable[str] | None = None, only_grown: bool = False, progress: Progress | None = None
    ) -> tuple[list[Change], list[Alert]]:
        """Read what is new (in the streams named by ``paths``, or in all), store it, judge the runs it touched.

        ``paths`` are stream keys or local paths of files a stream reads (as file events name them).
        ``only_grown`` skips streams whose files' size, mtime and identity are unchanged (for polling).
        Each run is judged as soon as its streams are read; ``progress`` is called with what
        is new at most every PROGRESS_SECONDS, so a big log directory fills the view as it loads.
        """
        with self._lock:
            streams = self._chosen(paths)
            now = self.clock()
            # A log not yet known to be no repeat of its run is read every round (grown or not: its run's curves
            # may come while it stays as it is), after that run, into a store of its own until decided.
            undecided = {name for name, mine in streams_by_run(streams).items() if self.echo.candidate(name, mine)}
            if only_grown:
                streams = [s for s in streams if s.run in undecided or s.changed(self.root)]
            # Undecided logs come after the runs they may repeat, so those runs' curves are in the store to compare.
            by_run = dict(sorted(streams_by_run(streams).items(), key=lambda item: item[0] in undecided))
            self.progress = (0, len(streams))
            changes: list[Change] = []
            alerts: list[Alert] = []
            pending: tuple[list[Change], list[Alert]] = ([], [])
            last_report = time.monotonic()
            bytes_read = 0
            done = 0
            for run_name, run_streams in by_run.items():
                store = self.echo.undecided if run_name in undecided else self.store
                run_changes: list[Change] = []
                for stream in run_streams:
                    stream_changes, stream_bytes = self._read_stream(store, run_name, stream)
                    run_changes += stream_changes
                    bytes_read += stream_bytes
                    done += 1
                    self.progress = (done, len(streams))
                if run_name in undecided:
                    owned = self._owned(run_name, run_streams, now)
                    if owned is None:
                        continue
                    run_changes = owned
                elif run_changes:
                    self.echo.own(run_name)
                if run_changes and run_name in self._untold:
                    self._told_late.append(self._untold.pop(run_name))
                self.attach_checkpoints(run_name)
                run_alerts = self._judge([run_name]) if run_changes else []
                changes += run_changes
                alerts += run_alerts
                pending[0].extend(run_changes)
                pending[1].extend(run_alerts)
                if progress is not None and time.monotonic() - last_report >= PROGRESS_SECONDS:
                    progress(*pending)
                    pending = ([], [])
                    last_report = time.monotonic()
            sweep_alerts = self._judge_sweeps()
            alerts += sweep_alerts
            pending[1].extend(sweep_alerts)
            release_free_memory(bytes_read)
        if progress is not None and (pending[0] or pending[1]):
            progress(*pending)
        return changes, alerts

    def _read_stream(self, store: Store, run_name: str, stream: Stream) -> tuple[list[Change], int]:
        """Read one stream's new records into ``store``: what changed, and how many bytes were read."""
        before = stream.position
        with store.lock:
            store.run(run_name).files[stream.key] = stream.health
        # A file read from its start, or none of whose points was read yet: a repeated step at its head
        # is a new attempt's (a job resumed at its last step, its new file's header read a poll before).
        fresh = before == 0 or not stream.scalars_read
        changes: list[Change] = []
        for decoded in stream.read(self.root):
            change = store.apply(
                run_name,
                decoded,
                stream.prefix,
                fresh=fresh,
                one_attempt=stream.one_attempt,
                source=stream.key,
                by_curve=stream.RESTARTS_BY_CURVE,
                reread=stream.rereading,
            )
            fresh = fresh and change is None
            stream.scalars_read = stream.scalars_read or bool(decoded.scalars)
            if change is not None:
                changes.append(change)
                if stream.rounds:
                    store.runs[run_name].live = True
        if stream.health.error is None or stream.position != before:  # a refused read is no round: the
            stream.rounds += 1  # history it reads later is the past, not a job writing now
        return changes, max(stream.position - before, 0)

    def _owned(self, run_name: str, run_streams: list[Stream], now: float) -> list[Change] | None:
        """A log that may repeat a run, after its read: None while undecided or once found a repeat; once found a
        run of its own, a change naming all its curves (judged from its first point, as if read just now)."""
        with self.store.lock:
            present = all(stream.source.paths[0] in self.listing.files for stream in run_streams)
            idle = self._idle(run_streams, now)
            decided = self.echo.decide(run_name, run_streams, self.store, now, present, idle)
        if decided != "own":
            return None
        run = self.store.runs[run_name]
        return [Change(run_name, frozenset(run.scalars) | frozenset(run.histograms), None, True)]

    def _idle(self, log_streams: list[Stream], now: float) -> bool:
        """Whether no file of a log that may repeat a run, nor of that run, changed for ``echo.wait`` seconds: no
        writer is about to flush the run's missing curves (a finished folder is decided at once). Local roots only:
        a remote machine's clock may be behind ours, and its files being written would look idle."""
        if self.root.local_path(".") is None:
            return False
        primaries = {stream.source.echoes for stream in log_streams}
        paths = [path for stream in self.streams.values() if stream.run in primaries for path in stream.source.paths]
        paths += [path for stream in log_streams for path in stream.source.paths]
        infos = [self.listing.files.get(path) for path in paths]
        return all(info is not None and now - info.mtime >= self.echo.wait for info in infos)

    def told_late(self) -> list[NewRun]:
        """The runs held back from announcement that their first read showed to be runs of their own."""
        late, self._told_late = self._told_late, []
        return late

    def refresh(self, paths: Iterable[str] | None = None) -> tuple[list[NewRun], list[Change], list[Alert]]:
        """One round: scan, read, judge, and check for stalled runs."""
        new_runs = self.scan()
        changes, alerts = self.read(paths, only_grown=paths is None)
        new_runs += self.told_late()  # a log found no repeat of the run beside it: told in the round it was read
        alerts += self.judge_held()[1]
        alerts += self.check_stalled()
        return new_runs, changes, alerts

    def attach_checkpoints(self, run_name: str) -> None:
        """Give a run (once it is in the store) the checkpoints the last scan found beside its logs."""
        with self.store.lock:
            run = self.store.runs.get(run_name)
            checkpoints = self.checkpoints.get(run_name)
            if run is not None and checkpoints is not None and run.checkpoints != checkpoints:
                run.checkpoints = dict(checkpoints)

    # ---- judging -------------------------------------------------------------------------

    def verdict(self, run_name: str) -> Verdict | None:
        """What the engine thinks of a run now (None before its first point was judged)."""
        engine = self.engines.get(run_name)
        return engine.verdict if engine is not None else None

    @property
    def verdicts(self) -> dict[str, Verdict]:
        """Run name -> verdict, for every run judged so far."""
        return {name: engine.verdict for name, engine in list(self.engines.items())}

    def engine(self, run_name: str) -> VerdictEngine | FinalVerdict:
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
                fresh = engine.update(run, now=self.clock())
                alerts += [with_checkpoint(alert, run.checkpoints, engine.verdict.best_step) for alert in fresh]
        if alerts:
            alerts = self.stamped(alerts, self.clock())
            self.alerts.extend(alerts)
        return alerts

    def stamped(self, alerts: list[Alert], now: float) -> list[Alert]:
        """The alerts with when losswatch learned of them (``now``) and when their point was written."""
        with self.store.lock:
            runs = self.store.runs
            return [
                replace(alert, time=now, written=runs[alert.run].written_at(alert.step, alert.tag))
                if alert.run in runs
                else replace(alert, time=now)
                for alert in alerts
            ]

    def _judge_sweeps(self) -> list[Alert]:
        alerts = self.sweeps.update(self.store, self.verdicts, self.owns, self.name_under_root, self.run_name)
        if alerts:
            alerts = self.stamped(alerts, self.clock())
            self.alerts.extend(alerts)
        return alerts

    def judge_held(self) -> tuple[list[str], list[Alert]]:
        """Judge the validation points that waited long enough for the rest of their step (``judging.holding``):
        the runs whose verdict may have changed, and the alerts raised."""
        now = self.clock()
        with self.store.lock:
            due = [name for name, engine in self.engines.items() if engine.held_due(now)]
        return due, self._judge(due) if due else []

    def check_stalled(self) -> list[Alert]:
        alerts: list[Alert] = []
        now = self.clock()
        with self.store.lock:
            for name, run in self.store.runs.items():
                if self.owns(name):
                    alerts += self.stamped(self.engine(name).check_stalled(run, now), now)
        self.alerts.extend(alerts)
        return alerts
