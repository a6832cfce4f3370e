"""Several roots watched as one: ``losswatch box1:/runs box2:/runs s3://team/runs ./local``.

Each root has a Monitor of its own (and, live, a watcher thread of its own), so a slow or
unreachable host holds up no other root; they share one Store, in which each root's runs are
named after it (``box1:exp1``, ``team:exp1``). The group answers what the app and the commands
ask of a Monitor, so they drive one root or several alike.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from tui.judging.engine import Alert, Verdict
from tui.judging.kinds import Kind
from tui.judging.pairing import option_miss, other_slots
from tui.judging.thresholds import Thresholds
from tui.live.discovery import NewRun
from tui.live.monitor import Monitor, Progress
from tui.live.sweeps import SweepViews
from tui.patterns import user_pattern
from tui.sources.roots.local import LocalRoot
from tui.sources.roots.parse import RootSpec, open_root, source_names
from tui.store import Change, Run, Store
from tui.text import quoted

T = TypeVar("T")


class MonitorGroup:
    """One Monitor per root, one shared store; what a Monitor offers, over all of them."""

    def __init__(self, monitors: list[Monitor]) -> None:
        self.monitors = monitors
        for monitor in monitors:  # ``runs`` beside ``runs:2024``: the runs named 'runs:2024:…' are the second's
            prefix = monitor.source_name + ":"
            monitor.shadowed = tuple(o.source_name for o in monitors if o.source_name.startswith(prefix))
        self.store = monitors[0].store
        self.thresholds = monitors[0].thresholds
        self.label = "  ".join(monitor.label for monitor in monitors)
        """Every root as the user wrote it, for titles."""
        self.logdir = self.label

    def _each(self, work: Callable[[Monitor], T]) -> list[T]:
        """Run ``work`` on every monitor at once (remote roots wait on the network, not the CPU), each in a daemon
        thread: stopped (Ctrl-C), the command ends at once, not when a host that does not answer times out (a
        pool's threads are waited for, at its end and at the interpreter's: 10 s for ssh, 30 s for S3)."""
        results: list[tuple[bool, object]] = [(False, None)] * len(self.monitors)

        def run(index: int, monitor: Monitor) -> None:
            try:
                results[index] = (True, work(monitor))
            except BaseException as error:  # re-raised in the caller's thread, as a pool's map does
                results[index] = (False, error)

        threads = [
            threading.Thread(target=run, args=(index, monitor), name="losswatch-root", daemon=True)
            for index, monitor in enumerate(self.monitors)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for done, value in results:
            if not done:
                raise value if isinstance(value, BaseException) else RuntimeError("a root's thread ended early")
        return [value for _, value in results]  # type: ignore[misc]

    # ---- what the commands and the app ask ------------------------------------------------

    def scan(self) -> list[NewRun]:
        return [new for found in self._each(lambda monitor: monitor.scan()) for new in found]

    def read(
        self, paths: Iterable[str] | None = None, only_grown: bool = False, progress: Progress | None = None
    ) -> tuple[list[Change], list[Alert]]:
        wanted = None if paths is None else list(paths)
        results = self._each(lambda monitor: monitor.read(wanted, only_grown, progress))
        return [c for changes, _ in results for c in changes], [a for _, alerts in results for a in alerts]

    def refresh(self, paths: Iterable[str] | None = None) -> tuple[list[NewRun], list[Change], list[Alert]]:
        wanted = None if paths is None else list(paths)
        results = self._each(lambda monitor: monitor.refresh(wanted))
        return (
            [n for new_runs, _, _ in results for n in new_runs],
            [c for _, changes, _ in results for c in changes],
            [a for _, _, alerts in results for a in alerts],
        )

    def judge_held(self) -> tuple[list[str], list[Alert]]:
        results = [monitor.judge_held() for monitor in self.monitors]
        return [n for names, _ in results for n in names], [a for _, alerts in results for a in alerts]

    def check_stalled(self) -> list[Alert]:
        return [alert for monitor in self.monitors for alert in monitor.check_stalled()]

    def reads(self, path: str) -> bool:
        return any(monitor.reads(path) for monitor in self.monitors)

    def owner(self, run_name: str) -> Monitor | None:
        return next((monitor for monitor in self.monitors if monitor.owns(run_name)), None)

    def verdict(self, run_name: str) -> Verdict | None:
        monitor = self.owner(run_name)
        return monitor.verdict(run_name) if monitor is not None else None

    def quiet_for(self, run_name: str, now: float) -> float | None:
        monitor = self.owner(run_name)
        return monitor.quiet_for(run_name, now) if monitor is not None else None

    @property
    def verdicts(self) -> dict[str, Verdict]:
        return {name: verdict for monitor in self.monitors for name, verdict in monitor.verdicts.items()}

    @property
    def sweeps(self) -> SweepViews:
        """Every root's sweeps and their advice (a sweep lies within one root)."""
        return SweepViews([monitor.sweeps for monitor in self.monitors])

    @property
    def alerts(self) -> list[Alert]:
        """Every root's alerts, oldest first."""
        return list(heapq.merge(*(list(monitor.alerts) for monitor in self.monitors), key=lambda a: a.time))

    @property
    def progress(self) -> tuple[int, int]:
        done = total = 0
        for monitor in self.monitors:
            done += monitor.progress[0]
            total += monitor.progress[1]
        return done, total

    @property
    def logdir_missing(self) -> bool:
        return all(monitor.logdir_missing for monitor in self.monitors)

    @property
    def missing_note(self) -> str:
        return "; ".join(dict.fromkeys(monitor.missing_note for monitor in self.monitors if monitor.missing_note))

    @property
    def scan_errors(self) -> dict[str, str]:
        return {place: why for monitor in self.monitors for place, why in monitor.scan_errors.items()}

    def close(self) -> None:
        for monitor in self.monitors:
            monitor.root.close()


def build_monitor(
    specs: list[RootSpec],
    thresholds: Thresholds | None = None,
    train_pattern: str | None = None,
    val_pattern: str | None = None,
    sweep_pattern: str | None = None,
) -> Monitor | MonitorGroup:
    """A Monitor for one root (its runs keep their own names), a group for several (named after their root)."""
    if len(specs) == 1:
        return Monitor(
            open_root(specs[0]),
            thresholds,
            train_pattern=train_pattern,
            val_pattern=val_pattern,
            sweep_pattern=sweep_pattern,
        )
    store = Store()
    monitors = [
        Monitor(
            open_root(spec),
            thresholds,
            store,
            train_pattern,
            val_pattern,
            source_name=name,
            sweep_pattern=sweep_pattern,
        )
        for spec, name in zip(specs, source_names(specs))
    ]
    local = [monitor.root for monitor in monitors if isinstance(monitor.root, LocalRoot)]
    for root in local:  # a folder of another root reached through a symlink is read there only
        root.other_roots = tuple(other.folder for other in local if other is not root)
    return MonitorGroup(monitors)


def members_of(monitor: Monitor | MonitorGroup) -> list[Monitor]:
    """The monitor of each root: a group's, or the one monitor of a single root."""
    return monitor.monitors if isinstance(monitor, MonitorGroup) else [monitor]


def given_up(monitor: Monitor | MonitorGroup) -> list[tuple[str, str]]:
    """(option, what to say) for each user pattern that gave up on a name or tag it searched, taken as not
    matching (``patterns.UserPattern``): ``--sweep`` on a run's name, ``--train-tag`` or ``--val-tag`` on a tag."""
    members = members_of(monitor)
    sweeps = [member.sweeps.pattern for member in members if member.sweeps.pattern is not None]
    said = [("--sweep", next((why for pattern in sweeps if (why := pattern.too_slow())), None))]
    tags = (members[0].train_pattern, members[0].val_pattern) if members else (None, None)
    for option, text in zip(("--train-tag", "--val-tag"), tags, strict=True):
        said.append((option, user_pattern(text).too_slow() if text else None))
    return [(option, why) for option, why in said if why]


class TagOptionNotes:
    """What the status line says of the selected run where ``--train-tag`` or ``--val-tag`` picks none of its curves
    (no tag matches, or only accuracies, never judged as a loss), with what is judged in its place: ``check`` says it
    on stderr for every run; a chart of another curve than the one asked for needs the same words beside it.
    Searched again only when the run, its number of tags or its judged curves change: on every refresh of the
    status line, a run of 20,000 tags cost 45 ms per option, the store's lock held."""

    def __init__(self) -> None:
        self._key: tuple[str, int, str | None, str | None, bool] | None = None
        self._notes: list[str] = []

    def of(self, monitor: Monitor | MonitorGroup, run: Run) -> list[str]:
        verdict = monitor.verdict(run.name)
        if verdict is None:  # not read yet
            return []
        waiting = verdict.kind == Kind.WAITING  # a curve to stand in may yet come: "nothing judged ... yet"
        key = (run.name, len(run.scalars), verdict.train_tag, verdict.val_tag, waiting)
        if key != self._key:
            judged = (verdict.train_tag, verdict.val_tag)
            self._key, self._notes = key, _tag_option_notes(monitor, run, judged, " yet" if waiting else "")
        return self._notes


def settled_tag_option_notes(monitor: Monitor | MonitorGroup, run: Run) -> list[str]:
    """The status line's tag-option notes of a run that stand while its curves are as they are: a curve judged in
    the place of the one asked for, or one taking the other slot's curve. ``watch --plain`` says them of a run found
    after its first round, and what the option picks once the curve it asked for comes; "nothing judged in its
    place" of a run that has read training alone is not one (its validation may come at the epoch's end)."""
    verdict = monitor.verdict(run.name)
    if verdict is None:
        return []
    return _tag_option_notes(monitor, run, (verdict.train_tag, verdict.val_tag), "", settled=True)


def _tag_option_notes(
    monitor: Monitor | MonitorGroup,
    run: Run,
    judged: tuple[str | None, str | None],
    yet: str,
    settled: bool = False,
) -> list[str]:
    members = members_of(monitor)
    if not members:
        return []
    notes = []
    patterns = (members[0].train_pattern, members[0].val_pattern)
    for option, pattern, instead_of in zip(("--train-tag", "--val-tag"), patterns, judged, strict=True):
        miss = option_miss(pattern, run.scalars)[0] if pattern else ""
        if not (pattern and miss):  # it picks a curve that can be judged (the one judged)
            continue
        said = f"{option} {quoted(pattern)} matches {miss} of this run"
        if instead_of:
            notes.append(f"{said}: judged instead: {quoted(instead_of)}")
        elif settled:  # nothing judged in its place: the curve asked for may yet come
            continue
        else:  # while the run waits for its curves, for now
            notes.append(f"{said}{yet}: nothing judged in its place{yet}")
    given = dict(zip(("--train-tag", "--val-tag"), patterns, strict=True))
    for took in other_slots(*judged):
        if pattern := given[took.option]:
            notes.append(
                f"{took.option} {quoted(pattern)} takes {quoted(took.tag)}, named as {took.other}, for {took.slot}: "
                f"judged without a {took.other} curve"
            )
    return notes
