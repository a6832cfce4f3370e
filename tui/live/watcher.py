"""Wake the monitor when event files change: inotify via watchdog, polling as a fallback.

A background thread sleeps until watchdog reports a change under LOGDIR (or a
timeout passes), then runs one ``Monitor.refresh`` and hands the results to a
callback. Nothing is read while nothing changes. If the OS refuses more
watches (inotify's limit: ENOSPC/EMFILE) or ``--poll`` is given, it polls:
every ``poll_seconds`` it stats the files and reads only those that grew.

A root that cannot send file events (object storage, another machine) is polled on a
``PollSchedule`` (``--poll``, or every few seconds, slower after minutes of silence); its
``mode`` says how often and whether the root answers. Several roots (a ``MonitorGroup``) get
one watcher each, on threads of their own, so a slow host holds up no other root.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import threading
import time
import warnings
from collections.abc import Callable
from typing import Protocol

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from tui.judging.engine import Alert
from tui.live.discovery import NewRun
from tui.live.echoes import ECHO_WAIT
from tui.live.group import MonitorGroup
from tui.live.monitor import Monitor, Progress
from tui.live.polling import PollSchedule
from tui.store import Change
from tui.text import printable

Callback = Callable[[list[NewRun], list[Change], list[Alert]], None]
FirstRound = Callable[[Monitor], None]
"""A root's first round, done by the caller's own means (``watch --plain``: read it, and say what was found and what
the watch waits for): run on the root's watcher thread before its rounds begin."""


class FirstRead(Protocol):
    """How runs found at once are read before the round reads what is left (the app's: in worker processes)."""

    def __call__(self, monitor: Monitor, progress: Progress, /) -> object: ...

    def stop(self) -> None:
        """End a read in progress at once, from another thread (the watcher stops: the app quits)."""

    def kill(self) -> None:
        """Kill its worker processes now, from any thread (the process ends without its shutdown)."""


RESCAN_SECONDS = 5.0
"""Even with inotify, rescan this often (new folders on network mounts, stalled checks), however busy the writers."""
FIRST_LINES_SECONDS = 1.0
"""A file no stream reads that changes (a log its job created empty: a CSV or JSON-lines run's first lines, or a
stdout file) brings a scan, at most this often."""
DEBOUNCE_SECONDS = 0.02
"""After a change, wait this long for the writer's burst to finish before reading."""


class _Wake(FileSystemEventHandler):
    def __init__(self, wake: Callable[[str | None], None]) -> None:
        self._wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        path = event.src_path if isinstance(event.src_path, str) else event.src_path.decode(errors="surrogateescape")
        if event.is_directory or event.event_type in ("created", "deleted", "moved"):
            self._wake(None)  # the tree changed: rescan
        else:
            self._wake(path)


class Watcher:
    """Runs the monitor on its own thread, woken by file events or a poll interval."""

    def __init__(
        self,
        monitor: Monitor | MonitorGroup,
        callback: Callback,
        poll_seconds: float | None = None,
        first_read: FirstRead | None = None,
        first_round: FirstRound | None = None,
    ) -> None:
        self.members = _members(monitor, callback, poll_seconds, first_read, first_round)
        """One watcher per root when there are several (this one then only starts and stops them)."""
        if isinstance(monitor, Monitor):
            monitor.echo.wait = ECHO_WAIT  # live: a log that may repeat a run waits for that run's first flush
        self.monitor = monitor
        root = None if isinstance(monitor, MonitorGroup) else monitor.root
        self._root = root
        remote = root is not None and not root.watchable
        self.first_read = first_read if root is not None and root.local_path(".") is not None else None
        """Given the runs found by a round before that round reads them (None: the round reads them all).
        Local roots only: a remote root's runs are read here, where its connection is."""
        self.first_round = first_round
        """Given, each root's first round (on its own thread: a host that never answers holds up no other root)."""
        self.callback = callback
        self.schedule = PollSchedule(poll_seconds) if remote and poll_seconds else PollSchedule() if remote else None
        """For a root that cannot wake us: how often to poll it."""
        self.poll_seconds = self.schedule.interval if self.schedule else poll_seconds
        reachability = getattr(root, "reachability", None)
        self._last_state = reachability.state if reachability is not None else "connecting"
        """The remote root's state when last noted (a change is noted once)."""
        self._user_poll = bool(poll_seconds)
        self._mode = "polling" if self.poll_seconds else "inotify"
        self.note: str | None = None
        self._rounds = 0
        self._last_full = time.monotonic()
        """When the last round that scanned the root began."""
        self._changed: set[str] = set()
        self._rescan = True
        self._cond = threading.Condition()
        self._stop = False
        self._observer: BaseObserver | None = None
        self._thread = threading.Thread(target=self._loop, name="losswatch-watcher", daemon=True)

    @property
    def rounds(self) -> int:
        """Rounds done; after the first, an empty store means LOGDIR has no runs yet (not: not looked yet).
        With several roots, the fewest any of them has done."""
        return min(member.rounds for member in self.members) if self.members else self._rounds

    @property
    def mode(self) -> str:
        """How the root is followed, for the status line; with several roots, each one's."""
        if self.members:
            return "  ".join(member.member_mode() for member in self.members)
        if self.schedule is None:
            return self._mode
        mode = f"polling every {self.schedule.interval:g} s"
        reachability = getattr(self._root, "reachability", None)
        if reachability is not None and reachability.state != "connected":
            mode += f", {reachability.state}" + (f": {reachability.reason}" if reachability.reason else "")
        return mode

    @mode.setter
    def mode(self, mode: str) -> None:
        self._mode = mode

    def member_mode(self) -> str:
        """One root's part of a group's mode: its label, how it is followed, and whether it is there yet (a root
        alone has that said by the status line's first part; among others only here)."""
        mode = f"{printable(self.monitor.label, 60)}: {self.mode}"
        if self.monitor.logdir_missing and ", unreachable" not in mode:
            note = self.monitor.missing_note
            mode += ", not there yet" + (f" ({printable(note, 60)})" if note else "")
        return mode

    def start(self) -> None:
        for member in self.members:
            member.start()
        if self.members:
            return
        if not self.poll_seconds:
            self._start_observer()
        self._thread.start()

    def stop(self) -> None:
        for member in self.members:
            member.stop()
        if self.members:
            return
        with self._cond:
            self._stop = True
            self._cond.notify()
        if self.first_read is not None:
            self.first_read.stop()  # its workers killed: the round waits for no run they were reading
        self._stop_observer()
        if self._root is not None:
            self._root.interrupt()  # a round waiting on a host that does not answer ends now, not in seconds
        if self._thread.ident is not None:  # a stop may come (Ctrl-C) before the start did
            self._thread.join(timeout=2)

    def _stop_observer(self) -> None:
        if self._observer is not None:
            # Stopped just after it started (`losswatch demo --plain | head -1`), watchdog's inotify thread logs
            # "queue_events() called when the thread is inactive": its own harmless race, printed on stderr.
            inotify_log = logging.getLogger("watchdog.observers.inotify")
            level = inotify_log.level
            inotify_log.setLevel(logging.CRITICAL)
            try:
                with contextlib.suppress(Exception):  # the watched folder may be gone already
                    self._observer.stop()
                    self._observer.join(timeout=2)  # leave no thread behind
            finally:
                inotify_log.setLevel(level)
            self._observer = None

    def _start_observer(self) -> None:
        # watchdog warns, over several lines, when a folder created with its subfolders (os.makedirs
        # of a new run) is added to the watch twice; the second add is harmless.
        warnings.filterwarnings("ignore", message="Callback with id .* already exists", category=RuntimeWarning)
        observer = Observer()
        try:
            observer.schedule(_Wake(self._wake), self.monitor.logdir, recursive=True)
            observer.start()
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EMFILE, errno.ENFILE):
                self.note = "inotify watch limit reached: polling every 1 s instead"
            elif error.errno == errno.ENOENT:
                self.note = "log directory missing: polling until it appears"
            else:
                self.note = f"file watching failed ({error.strerror}): polling every 1 s instead"
            self.mode = "polling"
            self.poll_seconds = 1.0
            if error.errno != errno.ENOENT:  # a missing LOGDIR is shown while it is missing (Monitor.logdir_missing)
                self.monitor.store.notes.append(self.note)
            return
        self._observer = observer

    def _wake(self, path: str | None) -> None:
        with self._cond:
            if path is None:
                self._rescan = True
            else:
                self._changed.add(path)
            self._cond.notify()

    def _loop(self) -> None:
        if self.first_round is not None:
            assert isinstance(self.monitor, Monitor)  # a group's watcher does not run rounds
            self.first_round(self.monitor)
            self._rounds += 1
            reachability = getattr(self._root, "reachability", None)
            if reachability is not None:  # what the first round found is said by it, not noted again
                self._last_state = reachability.state
        while True:
            with self._cond:
                if not self._stop and not self._changed and not self._rescan:
                    self._cond.wait(self.poll_seconds or RESCAN_SECONDS)
                if self._stop:
                    return
                if self._changed or self._rescan:
                    self._cond.wait(DEBOUNCE_SECONDS)  # let the writer's burst finish
                changed, self._changed = self._changed, set()
                rescan, self._rescan = self._rescan, False
            # A busy writer's changes came without end, and a log created empty then written (Keras' CSVLogger,
            # JSON lines) was found only when its job closed it: a scan comes for a file no stream reads, and
            # every RESCAN_SECONDS whatever the changes.
            since_full = time.monotonic() - self._last_full
            unread = any(not self.monitor.reads(path) for path in changed)
            full_round = (
                rescan
                or not changed
                or self.mode == "polling"
                or since_full >= RESCAN_SECONDS
                or (unread and since_full >= FIRST_LINES_SECONDS)
            )
            if full_round:
                self._last_full = time.monotonic()
            new_runs = self.monitor.scan() if full_round else []
            if new_runs:
                self.callback(new_runs, [], [])  # show new runs at once, even before their files are read
            if self.first_read is not None and new_runs:
                assert isinstance(self.monitor, Monitor)  # a group's watcher does not run rounds
                self.first_read(self.monitor, lambda changes, alerts: self.callback(self._late(), changes, alerts))
                with self._cond:
                    if self._stop:  # stopped during the first read: what it left is not read here
                        return
            changes, _ = self.monitor.read(
                None if full_round else changed,
                only_grown=full_round,
                progress=lambda changes, alerts: self.callback(self._late(), changes, alerts),
            )
            late = self._late()
            if late:
                self.callback(late, [], [])
            if self.schedule is not None:
                self.poll_seconds = self.schedule.after_poll(bool(new_runs or changes), time.monotonic())
                self._note_reachability()
            released, alerts = self.monitor.judge_held()
            alerts += self.monitor.check_stalled()
            self._follow_logdir()
            self._rounds += 1
            if alerts or released:  # a held point judged may change a verdict without an alert
                self.callback([], [], alerts)

    def _late(self) -> list[NewRun]:
        """Logs beside a run that their first read showed to be no repeat of it: told as new runs before (or with)
        their first alerts."""
        return self.monitor.told_late() if isinstance(self.monitor, Monitor) else []

    def _note_reachability(self) -> None:
        """A remote root that stops or starts answering: one note in the store (the TUI and watch --plain say it)."""
        reachability = getattr(self._root, "reachability", None)
        if reachability is None:
            return
        previous, self._last_state = self._last_state, reachability.state
        if reachability.state == previous or (previous == "connecting" and reachability.state == "connected"):
            return
        reason = f": {reachability.reason}" if reachability.reason and reachability.state != "connected" else ""
        self.monitor.store.notes.append(f"{self.monitor.label}: {reachability.state}{reason}")

    def _follow_logdir(self) -> None:
        """LOGDIR deleted: poll until it is back; back: watch it again."""
        if self.monitor.logdir_missing and self._observer is not None:
            self._stop_observer()
            self.mode, self.poll_seconds = "polling", 1.0
            self.note = "log directory missing: waiting for it to come back"
        elif (
            not self.monitor.logdir_missing
            and self._observer is None
            and not self._user_poll
            and self.note
            and "missing" in self.note
        ):
            self.note = None
            self.mode, self.poll_seconds = "inotify", None
            self._start_observer()
            with self._cond:
                self._rescan = True


def _members(
    monitor: Monitor | MonitorGroup,
    callback: Callback,
    poll_seconds: float | None,
    first_read: FirstRead | None,
    first_round: FirstRound | None,
) -> list[Watcher]:
    """A watcher for each root of a group; the first local root gets the first read in workers."""
    if not isinstance(monitor, MonitorGroup):
        return []
    local = next((m for m in monitor.monitors if m.root.local_path(".") is not None), None)
    return [
        Watcher(m, callback, poll_seconds, first_read if m is local else None, first_round) for m in monitor.monitors
    ]
