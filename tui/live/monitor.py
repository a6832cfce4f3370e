"""The engine every command shares: discover runs, tail their files, fill the store, judge.

``Monitor.refresh()`` does one round: list the root (LOGDIR) and let every format
say which files or databases are its runs, read what each stream has that is new
(all, or the ones a watcher saw change), put the points in the store and let each
run's verdict engine consume them. The TUI, ``check``, ``replay`` and
``watch --plain`` all drive this same object.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from tui.judging.checkpoints import with_checkpoint
from tui.judging.engine import Alert, FinalVerdict, Verdict, VerdictEngine
from tui.judging.stalled import ended
from tui.judging.thresholds import Thresholds
from tui.live.discovery import Discovery, NewRun
from tui.live.memory import release_free_memory
from tui.live.sweeps import SweepWatch
from tui.sources.base import Stream
from tui.sources.roots.base import Root
from tui.sources.roots.local import LocalRoot
from tui.store import Change, Run, Store


def streams_by_run(streams: Iterable[Stream]) -> dict[str, list[Stream]]:
    """The streams grouped by the run they belong to, in the order given."""
    by_run: dict[str, list[Stream]] = {}
    for stream in streams:
        by_run.setdefault(stream.run, []).append(stream)
    return by_run


PROGRESS_SECONDS = 0.3
Progress = Callable[[list[Change], list[Alert]], None]


class Monitor(Discovery):
    """Discovery (``discovery.py``) + tailing + store + verdicts for one LOGDIR."""

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
        root = logdir if isinstance(logdir, Root) else LocalRoot(logdir)
        super().__init__(root, store or Store(clock=clock), source_name)
        self.logdir = self.root.local_path(".") or self.root.label
        """Where the runs are: an absolute folder for a local root (what the watcher watches)."""
        self.label = self.root.label
        """LOGDIR as the user wrote it, for titles."""
        self.thresholds = thresholds or Thresholds()
        self.train_pattern = train_pattern
        self.val_pattern = val_pattern
        self.clock = clock
        self.engines: dict[str, VerdictEngine | FinalVerdict] = {}
        self.alerts: list[Alert] = []  # every alert raised so far, oldest first
        self.sweeps = SweepWatch(self.thresholds, sweep_pattern)
        """The sweeps among the runs and their stop-early advice (judged once per round, after the runs)."""
        self.progress = (0, 0)  # (files read, files to read) of the round under way, for a progress display
        self._cut_since: dict[str, tuple[tuple[int, bool, float | None], float]] = {}
        """Run -> (bytes not whole, since when) for runs whose files end in bytes not whole (``_note_cut``)."""
        self._lock = threading.Lock()

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
            undecided = {name for name, mine in streams_by_run(streams).items() if self.echo.candidates(name, mine)}
            if only_grown:
                streams = [s for s in streams if s.run in undecided or s.changed(self.root)]
            # Undecided logs come after the runs they may repeat, so those runs' curves are in the store to compare.
            # Undecided logs in their versions' order (version_8 before version_10): a log takes the run after it when
            # the one before it is an older log's (``Echoes.decide``)
            by_run = dict(sorted(streams_by_run(streams).items(), key=lambda item: _read_order(item[0], undecided)))
            # Files read from their start come in this order: a remote root fetches them a batch at a time.
            self.root.read_ahead(
                [path for mine in by_run.values() for s in mine if not s.position for path in s.source.paths]
            )
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
        stream.started_over = False
        for decoded in stream.read(self.root):
            fresh = fresh or stream.started_over  # set as its read began (a log rewritten), before its first batch
            stream.started_over = False
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
        if decided == "hidden":
            self._forward_checkpoints()
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
        primaries = {run for stream in log_streams for run in stream.source.echoes}
        paths = [path for stream in self.streams.values() if stream.run in primaries for path in stream.source.paths]
        paths += [path for stream in log_streams for path in stream.source.paths]
        infos = [self.listing.files.get(path) for path in paths]
        return all(info is not None and now - info.mtime >= self.echo.wait for info in infos)

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

    def forget(self, run_name: str) -> None:
        super().forget(run_name)
        self.engines.pop(run_name, None)

    def quiet_for(self, run_name: str, now: float) -> float | None:
        """Seconds since the run was last written (a single read cannot watch a job stall): since any file it is read
        from last changed, as listed, or, for a run kept in a database beside others, since the newest point it
        logged (``_read_from``); None on a remote root (its machine's clock may be behind ours), or for a run
        without a file listed."""
        run = self.store.runs.get(run_name)
        if run is None or self.root.local_path(".") is None:
            return None
        paths, own = self._read_from(run)
        times = [info.mtime for path in paths if (info := self.listing.files.get(path)) is not None]
        if own:
            times += [last[2] for series in run.scalars.values() if (last := series.last()) is not None]
        return now - max(times) if times else None

    def _read_from(self, run: Run) -> tuple[set[str], bool]:
        """The root-relative files a run's points come from, and whether its own logged times say when it was last
        written. Its ``files`` are keyed by stream, and a stream's key is no path for every format (``db#run`` for a
        database's run, ``folder#trainer_state`` for a Trainer's checkpoints): its source's paths are the files (the
        newest checkpoint's ``trainer_state.json`` and the older ones it may fall back on). A database holds every
        run of its experiment or project, and one job writing it changes the file for all: a run of it whose
        format logs each point's time is as quiet as its newest point (a finished run beside a job is history)."""
        paths: set[str] = set()
        own = False
        for key, health in run.files.items():
            stream = self.streams.get(key)
            if stream is None:
                paths.add(key)
            elif health.walls_logged and key not in stream.source.paths:
                own = True
            else:
                paths.update((key, *stream.source.paths, *stream.source.older))
        return paths, own

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
        """The alerts with when losswatch learned of them (``now``), when their point was written, and whether they
        are history (``_history``)."""
        with self.store.lock:
            runs = self.store.runs
            return [
                replace(
                    alert,
                    time=now,
                    written=runs[alert.run].written_at(alert.step, alert.tag),
                    history=self._history(runs[alert.run], now) or self._told_before(alert),
                )
                if alert.run in runs
                else replace(alert, time=now)
                for alert in alerts
            ]

    def _told_before(self, alert: Alert) -> bool:
        """The alert was told under a name its run had before its folder was renamed while watched (``renamed``):
        history, not a new onset to ring for."""
        before, name = set(), alert.run
        while (name := self.renamed.get(name, "")) and name not in before:  # renamed once, or again and again
            before.add(name)
        return any(
            (a.step, a.kind, a.tag) == (alert.step, alert.kind, alert.tag) for a in self.alerts if a.run in before
        )

    def _history(self, run: Run, now: float) -> bool:
        """``Alert.history``: a run never seen writing (its files whole when first read, nothing added since) whose
        files have been quiet long enough to say its job ended (``ended``); a ``stalled`` run was seen writing."""
        return not run.live and ended(run, self.quiet_for(run.name, now), self.thresholds)

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
        """Runs whose job stopped writing (``stalled``), and runs whose files hold nothing whole for long."""
        alerts: list[Alert] = []
        now = self.clock()
        with self.store.lock:
            for name, run in self.store.runs.items():
                if self.owns(name):
                    alerts += self.stamped(self.engine(name).check_stalled(run, now), now)
                    self._note_cut(run, now)
            self._cut_since = {name: since for name, since in self._cut_since.items() if name in self.store.runs}
        self.alerts.extend(alerts)
        return alerts

    def _note_cut(self, run: Run, now: float) -> None:
        """A run whose files end in bytes not whole (or a Trainer's newest state empty) that stay as they are for
        ``stall_min_seconds`` while watched is cut short, not being written (a TensorBoard writer flushes every
        120 s): the live views then say that a run with nothing whole in its files cannot be read, as ``check``
        does at once, and a Trainer's newest state cut short beside an older one read (``Run.cut_left``). Bytes
        or points that change start the wait again; a whole record ends it."""
        if not run.cut_short:  # whole to its end (points read or not)
            self._cut_since.pop(run.name, None)
            run.cut_for_good = False
            return
        # New points, or the last of them written over, start the wait again, as other bytes do (a tail of the same
        # length after new whole lines is a job writing).
        what = (run.incomplete_bytes, run.nothing_readable, run.last_seen)
        since = self._cut_since.get(run.name)
        if since is None or since[0] != what:
            self._cut_since[run.name] = since = (what, now)
        run.cut_for_good = now - since[1] >= self.thresholds.stall_min_seconds


def _read_order(run_name: str, undecided: set[str]) -> tuple[bool, list[str | int]]:
    """Runs first, then the logs that may repeat one, those in their names' natural order (numbers as numbers)."""
    if run_name not in undecided:
        return False, []
    parts = re.split(r"(\d+)", run_name)  # text, digits, text, ...: the digits every second part ('²' is no digit)
    return True, [int(part) if odd else part for odd, part in zip(itertools.cycle((False, True)), parts)]
