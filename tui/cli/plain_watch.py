"""``watch --plain``: the live engine's news as lines (or JSON lines) on stdout, its notes on stderr."""

from __future__ import annotations

import errno
import json
import select
import sys
import threading
import time
from typing import TextIO

from rich.text import Text

from tui.cli.commands import (
    Logdirs,
    alert_json,
    format_alert,
    line_console,
    open_monitor,
    say_root_problems,
    say_unmatched,
)
from tui.cli.exits import EXIT_OK, WRITE_FAILURES
from tui.cli.hooks import HOOK_GRACE_SECONDS, AlertHook
from tui.cli.report import cut_left_note, unreadable_reasons
from tui.judging.engine import Alert
from tui.judging.kinds import NOTICE_FLAGS, gone_words
from tui.judging.thresholds import Thresholds
from tui.live.discovery import NewRun
from tui.live.echoes import ECHO_WAIT
from tui.live.group import MonitorGroup, given_up, members_of, settled_tag_option_notes
from tui.live.monitor import Monitor
from tui.live.polling import REMOTE_POLL_SECONDS
from tui.notify import notification
from tui.patterns import user_pattern
from tui.sources.base import NOT_ANSWERING, describe
from tui.sources.roots.local import LocalRoot
from tui.text import printable, quoted, shown_name, utf8

NOTE_SECONDS = 0.25
"""How often ``watch --plain`` looks for new notes (a remote root lost or back) to print on stderr."""

GONE_KIND = "gone"
"""``watch --plain``'s kind for a run whose folder was deleted (said once)."""
BACK_KIND = "back"
"""...and for a run said gone whose logs are there again (its folder made again): a reader of the lines would take
``gone`` for the last word."""
BACK = "its logs are there again"
CUT_KIND = "cut"
"""...and for a run read in part whose Trainer's newest state stayed cut short (``Run.cut_left``: a job killed while
saving its newest checkpoint, an older one read): said once, again if it is cut again after coming whole."""
CUT_SAID = "cut, read in part"
"""What ``PlainWatch.said`` keeps for a ``cut`` line: not ``unreadable_reasons``' "cut" (nothing whole at all)."""

VANISHED = describe(FileNotFoundError())
"""A stream's words for a file that is no longer there."""
VANISH_GRACE = 3.0
"""Seconds a vanished file waits before it is said unreadable: its run's folder renamed or deleted is read before
the scan that finds the run gone (3 of 5 renamed runs were said unreadable, then gone); at least two of the scans
of a polled root apart (``vanish_grace``), whose next scan may come 5 s or ``--poll`` later."""


def _read(member: Monitor) -> bool:
    """Whether the root was there and read (not missing, not unreachable or refused at its top)."""
    return not member.logdir_missing and member.place(".") not in member.scan_errors


def vanish_grace(poll: float | None) -> float:
    """How long a vanished file waits with this watch's rounds: two scans of a polled or remote root, else 3 s."""
    return max(VANISH_GRACE, 2.0 * max(poll or 0.0, REMOTE_POLL_SECONDS) + 1.0)


def _record(run: str, kind: str, reason: str) -> str:
    return json.dumps({"run": utf8(run), "step": None, "kind": kind, "tag": "", "reason": utf8(reason)})


def _note(text: str) -> None:
    print(f"losswatch: {text}", file=sys.stderr, flush=True)


def reader_gone(stream: TextIO) -> bool:
    """Whether ``stream`` is a pipe whose reader closed its end: poll reports an error on the write end.

    A watch that prints only now and then would otherwise learn it only at its next line, minutes later
    (``losswatch demo --plain | head -1`` went on for good). Files and terminals never report one.
    """
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by an object without one (tests), or closed
        return False
    poller = select.poll()
    poller.register(descriptor, 0)  # no events asked: only the error and hang-up that poll always reports
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


class PlainWatch:
    """What one ``watch --plain`` has said, so that each new run, unreadable file, gone run and alert is said once.

    The watcher's thread and the main loop both call ``say``; a lock keeps their lines whole and in order."""

    def __init__(
        self,
        monitor: Monitor | MonitorGroup,
        as_json: bool,
        bell: bool,
        notify: str | None,
        hook: AlertHook | None,
        patterns: tuple[str | None, str | None, str | None] = (None, None, None),
    ) -> None:
        self.monitor = monitor
        self.patterns = patterns
        """``--train-tag``, ``--val-tag``, ``--sweep``: said after the first round when they match nothing yet."""
        self.as_json = as_json
        self.bell = bell
        self.notify = notify
        self.hook = hook
        self.console = line_console()
        self.lock = threading.Lock()
        self.said: set[tuple[str, str]] = set()
        """(run, what) already printed: an error, "damaged" for a run nothing could be read from, or "gone"."""
        self.announced: set[str] = set()
        """Runs told as new: only theirs are said unreadable or gone (a scan stores a run before it is told)."""
        self.vanishing: dict[tuple[str, str], float] = {}
        """(run, error) -> when a file was first found vanished: said unreadable only if the run is not gone by
        ``VANISH_GRACE`` later (a folder renamed or deleted is read before the scan that finds it gone)."""
        self.clock = time.monotonic
        self.grace = VANISH_GRACE  # set from the watch's polling (``vanish_grace``)
        self.reader_left = threading.Event()
        """stdout's reader went away (``watch --plain | head -1``): the watch ends, as ``check | head`` does."""
        self.write_error: OSError | None = None
        """Why the output could not be written, when that ended the watch (a full disk: said in one line, exit 2)."""
        self.stopping = threading.Event()
        """The watch ends (Ctrl-C): a first round still waiting on a host says nothing when its wait is cut short."""
        self.told = 0
        """The store's notes said so far."""
        self.gave_up: set[str] = set()
        """Options whose pattern gave up on a name or tag, said (``given_up``)."""
        self.read_roots: set[str] = set()
        """Roots whose first round was said (by label)."""
        self.missing: dict[str, bool] = {}
        """Root -> whether it was missing when last said (from its first round on)."""
        self.seen: set[str] = set()
        """Roots read since the start: one lost from now on is gone, not waited for."""
        self.tag_notes: dict[str, tuple[object, list[str]]] = {}
        """Run -> (what its tag-option notes were read from, those notes): read again only when that changes."""
        self.tags_said: dict[str, tuple[set[str], dict[str, str | None]]] = {}
        """Run -> the notes of a tag option that stand as said (``_say_tag_options``, or the first round's summary),
        and the tag each option's slot judged when one was last said (a later pick that matches is said once)."""

    def line(self, text: str, record: str) -> None:
        if self.as_json:
            print(record, flush=True)
        else:
            self.console.print(Text(text))
            sys.stdout.flush()

    def emit(self, new_runs: list[NewRun], _changes: object, alerts: list[Alert]) -> None:
        """The watcher's callback: a closed pipe ends the watch from the main loop, not from the watcher's thread."""
        try:
            self.say(new_runs, alerts)
        except OSError as error:
            self._cannot_write(error)

    def say(self, new_runs: list[NewRun], alerts: list[Alert]) -> None:
        with self.lock:
            for new in new_runs:
                found = _record(new.run, "new-run", f"found at {new.path}")
                self.line(f"{shown_name(new.run)}  new run at {printable(new.path)}", found)
                self.announced.add(new.run)
            self._say_gone_and_unreadable()
            self._say_notice_flags()
            for alert in alerts:
                self.line(str(format_alert(alert, history=True)), alert_json(alert, history=True))
                if alert.rings and (self.bell or self.notify):  # a run ended long ago tells history, silently
                    self._ring(alert)
                if self.hook:
                    self.hook(alert)
            if self.hook:  # commands waiting their turn start as others end (each round: NOTE_SECONDS)
                self.hook.start_waiting()

    def _say_gone_and_unreadable(self) -> None:
        with self.monitor.store.lock:  # runs told as new only: a scan stores a run before the watcher tells it
            runs = [run for run in self.monitor.store.runs.values() if run.name in self.announced]
            gone = {run.name: gone_words(run.moved_to) for run in runs if run.gone}
            problems = [
                (run.name, what, why)
                for run in runs
                if not run.gone
                for what, why in unreadable_reasons(run)
                if NOT_ANSWERING not in why  # its root's: said on stderr (reconnecting, unreachable)
            ]
            cut = {run.name: note for run in runs if (note := cut_left_note(run)) is not None}
        back = sorted(run.name for run in runs if run.name not in gone and (run.name, GONE_KIND) in self.said)
        self.said.difference_update((name, GONE_KIND) for name in back)  # said again if it goes again
        self.said.difference_update({(run.name, CUT_SAID) for run in runs if run.name not in cut})  # whole again
        for name in sorted(cut):  # read in part, a Trainer's newest state cut short for good: check's note, once
            if (name, CUT_SAID) not in self.said:
                self.said.add((name, CUT_SAID))
                self.line(f"{shown_name(name)}  {CUT_KIND}: {printable(cut[name])}", _record(name, CUT_KIND, cut[name]))
        for name in back:
            self.line(f"{shown_name(name)}  {BACK_KIND}: {BACK}", _record(name, BACK_KIND, BACK))
        for name in sorted(gone):  # its files deleted: said once, not as every file it can no longer read
            if (name, GONE_KIND) not in self.said:
                self.said.add((name, GONE_KIND))
                self.line(f"{shown_name(name)}  gone: {gone[name]}", _record(name, GONE_KIND, gone[name]))
        now = self.clock()
        for name, what, why in problems:
            if (name, what) in self.said:
                continue
            if why == VANISHED and now - self.vanishing.setdefault((name, what), now) < self.grace:
                continue  # wait: the scan may find its run gone (renamed, deleted), which says it all
            self.said.add((name, what))
            self.line(f"{shown_name(name)}  unreadable: {printable(why)}", _record(name, "unreadable", why))
        current = {(name, what) for name, what, _ in problems}
        for key in [key for key in self.vanishing if key not in current]:  # gone, or its file back
            del self.vanishing[key]

    def _say_notice_flags(self) -> None:
        """``NOTICE_FLAGS`` (validation at epoch numbers beside training's steps: ``epoch-steps``), each said once a
        run, before the alerts it may explain (a flag, no alert: the table of ``check`` and the live view show it)."""
        for name in sorted(self.announced):
            verdict = self.monitor.verdict(name)
            flags = verdict.flags if verdict is not None else {}
            for kind in NOTICE_FLAGS:
                reason = flags.get(kind)
                if reason is not None and (name, kind) not in self.said:
                    self.said.add((name, kind))
                    self.line(f"{shown_name(name)}  {kind}: {printable(reason)}", _record(name, kind, reason))

    def _ring(self, alert: Alert) -> None:
        terminal = sys.stderr if self.as_json else sys.stdout  # JSON lines stay JSON lines
        if self.bell:
            terminal.write("\a")
        if self.notify:
            verdict = self.monitor.verdict(alert.run)
            terminal.write(notification(alert, verdict.best_step if verdict else None, self.notify))
        terminal.flush()

    def first_round(self, member: Monitor) -> None:
        """One root's first round: read what is there, say it, and say on stderr what the watch waits for. Among
        several roots, on the root's own watcher thread (``Watcher(first_round=...)``), as soon as it is read: a host
        that never answers holds up no other root's lines. What is said of all of them (``say_unmatched``: a
        ``--sweep`` that groups no run, a tag pattern that picks no tag) waits for the last one."""
        member.echo.wait = ECHO_WAIT  # live from the first round (the watcher's rounds wait too)
        new_runs, _changes, alerts = member.refresh()
        if self.stopping.is_set():  # Ctrl-C ended the wait on a host that never answered: nothing to say of it
            return
        self.say(new_runs, alerts)  # takes the lock
        with self.lock:
            self._say_notes()  # the first round's (a log shown once as the run it repeats, ...)
            self.read_roots.add(member.label)
            if len(self.read_roots) == len(members_of(self.monitor)):
                say_unmatched(self.monitor, *self.patterns, live=True, told=self.gave_up)
                self._say_tag_options(summarised=True)
            # said, and not followed by "no runs yet": it could not look
            unreachable = say_root_problems(member, missing=False)
            label = printable(member.label)
            if member.logdir_missing:  # each root not there (a misspelt bucket among others is said)
                note = f" ({printable(member.missing_note)})" if member.missing_note else ""
                _note(f"waiting for {label} to appear{note}")
            elif not unreachable and not self._holds_runs(member):
                _note(f"no runs yet in {label}; waiting for training logs")
            self.missing[member.label] = member.logdir_missing
            if _read(member):
                self.seen.add(member.label)

    def root_read(self, member: Monitor) -> None:
        """``first_round`` on the root's watcher thread: a closed pipe ends the watch from the main loop (``emit``)."""
        try:
            self.first_round(member)
        except OSError as error:
            self._cannot_write(error)

    def _cannot_write(self, error: OSError) -> None:
        """On a watcher's thread: the reader went away, or the output cannot be written (a full disk): the watch
        ends from the main loop, which says why (``cli.main``); any other error is the thread's to raise."""
        if not isinstance(error, BrokenPipeError) and error.errno not in WRITE_FAILURES:
            raise error
        with self.lock:  # the first failure is the one said (a closed pipe on another root's thread after it)
            if not isinstance(error, BrokenPipeError) and self.write_error is None:
                self.write_error = error
        self.reader_left.set()

    def _holds_runs(self, member: Monitor) -> bool:
        with self.monitor.store.lock:
            return any(member.owns(name) for name in self.monitor.store.runs)

    def _say_tag_options(self, summarised: bool = False) -> None:
        """A run's ``--train-tag``/``--val-tag`` notes as the status line says them (``settled_tag_option_notes``),
        each said on stderr once it stands, and followed by what the option picks when the curve it asked for comes
        (Lightning's ``train_loss_epoch`` after its ``train_loss_step``). ``summarised``: the first round's summary
        (``say_unmatched``) said those of every run it read; they are only taken as said. Under ``lock``."""
        if not any(self.patterns[:2]):
            return
        now: dict[str, tuple[list[str], dict[str, str | None]]] = {}  # run -> its notes, the tag each slot judges
        with self.monitor.store.lock:  # as the status line reads them: the watcher may be adding tags to a run
            for run in list(self.monitor.store.runs.values()):
                if not run.has_points or not (summarised or run.name in self.announced):
                    continue
                verdict = self.monitor.verdict(run.name)
                read_from = verdict and (len(run.scalars), verdict.kind, verdict.train_tag, verdict.val_tag)
                kept = self.tag_notes.get(run.name)
                if kept is None or kept[0] != read_from:
                    kept = self.tag_notes[run.name] = (read_from, settled_tag_option_notes(self.monitor, run))
                judged = {"--train-tag": verdict.train_tag, "--val-tag": verdict.val_tag} if verdict else {}
                now[run.name] = (kept[1], judged)
        options = dict(zip(("--train-tag", "--val-tag"), self.patterns[:2], strict=True))
        for name, (notes, judged) in now.items():
            standing, said_with = self.tags_said.get(name, (set(), {}))
            fresh = [note for note in notes if note not in standing]
            for option in options:  # the tag judged when its note was said: what a later pick is measured against
                if any(note.startswith(option + " ") for note in fresh):
                    said_with = dict(said_with, **{option: judged.get(option)})
            self.tags_said[name] = (set(notes), said_with)
            if summarised:
                continue
            for note in fresh:
                _note(f"{shown_name(name)}: {printable(note)}")
            for option, pattern in options.items():  # the curve the option asked for came: its pick, once
                tag, before = judged.get(option), said_with.get(option)
                if pattern and tag and option in said_with and tag != before and user_pattern(pattern).search(tag):
                    said_with[option] = tag
                    _note(f"{shown_name(name)}: {option} {quoted(pattern)} picks {quoted(tag)} now")

    def _say_notes(self) -> None:
        """The store's notes not said yet (a remote root lost or back, a watch limit, ...). Under ``lock``."""
        notes = self.monitor.store.notes
        for note in notes[self.told :]:
            _note(printable(note))
        self.told = len(notes)

    def follow(self) -> None:
        """Until stdout's reader leaves (or Ctrl-C): new notes, roots deleted or made again, runs gone or unreadable."""
        while not self.reader_away():
            self.reader_left.wait(NOTE_SECONDS)
            with self.lock:
                self._say_notes()
                for option, why in given_up(self.monitor):  # on a run or tag new since
                    if option not in self.gave_up:
                        self.gave_up.add(option)
                        _note(f"{option}: {why}")
                self._follow_roots()
                if len(self.read_roots) == len(members_of(self.monitor)):
                    self._say_tag_options()
            self.emit([], [], [])  # runs gone, or unreadable, since the last round: said now, not at the next alert

    def _follow_roots(self) -> None:
        """Each root whose first round was said: LOGDIR deleted, or made again. Under ``lock``."""
        for member in members_of(self.monitor):
            if member.label not in self.missing:  # its first round, not done yet, says how it is
                continue
            if member.logdir_missing != self.missing[member.label]:
                self.missing[member.label] = member.logdir_missing
                label = printable(member.label)
                if member.logdir_missing and member.label not in self.seen:  # unreachable at the start, then not there
                    note = f" ({printable(member.missing_note)})" if member.missing_note else ""
                    _note(f"waiting for {label} to appear{note}")
                elif member.logdir_missing:
                    _note(f"{label} is gone: waiting for it to come back")
                else:  # made after the start, or made again
                    _note(f"{label} {'is back' if member.label in self.seen else 'is there'}: watching it")
                    self.seen.add(member.label)
            elif _read(member):
                self.seen.add(member.label)  # reachable since the start: a root lost from now on is gone

    def reader_away(self) -> bool:
        return self.reader_left.is_set() or reader_gone(sys.stdout)


def watch_plain(
    logdir: Logdirs,
    thresholds: Thresholds,
    train_tag: str | None,
    val_tag: str | None,
    as_json: bool,
    bell: bool,
    on_alert: str | None,
    poll: float | None,
    notify: str | None = None,
    sweep: str | None = None,
    hook_grace: float | None = None,
) -> int:
    """Tail LOGDIR and print one line per new run, per run that cannot be read or is gone and per alert, until
    Ctrl-C, SIGTERM or SIGHUP. A LOGDIR that does not exist yet is waited for. On exit, ``--on-alert``
    commands still running get ``hook_grace`` seconds (default ``HOOK_GRACE_SECONDS``), then are stopped."""
    from tui.live.watcher import Watcher

    monitor = open_monitor(logdir, thresholds, train_tag, val_tag, sweep)
    hook = AlertHook(on_alert, HOOK_GRACE_SECONDS if hook_grace is None else hook_grace) if on_alert else None
    watch = PlainWatch(monitor, as_json, bell, notify, hook, (train_tag, val_tag, sweep))
    if poll is not None or not all(isinstance(m.root, LocalRoot) for m in members_of(monitor)):
        watch.grace = vanish_grace(poll)
    watcher: Watcher | None = None
    try:
        if isinstance(monitor, MonitorGroup):  # each root's first round on its watcher's thread
            watcher = Watcher(monitor, watch.emit, poll_seconds=poll, first_round=watch.root_read)
        else:
            watch.first_round(monitor)
            watcher = Watcher(monitor, watch.emit, poll_seconds=poll)
        watcher.start()
        if watcher.note and not monitor.logdir_missing:
            _note(watcher.note)
        watch.follow()
    except KeyboardInterrupt:
        pass
    finally:
        watch.stopping.set()
        if watcher is not None:
            watcher.stop()
        if hook is not None:
            hook.close()
    if watch.write_error is not None:
        raise watch.write_error  # cli.main says it in one line
    if watch.reader_away():
        raise BrokenPipeError(errno.EPIPE, "the reader of the output went away")  # cli.main ends quietly
    return EXIT_OK
