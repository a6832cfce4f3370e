"""The commands behind the CLI; each drives the same Monitor the TUI uses."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable

from rich.console import Console
from rich.text import Text

from tui.cli.exits import EXIT_ATTENTION, EXIT_OK, EXIT_USAGE, needs_a_terminal
from tui.cli.output import OutputConsole, report_console
from tui.cli.replays import replayed
from tui.cli.report import SweepInfo, needs_attention, print_json, print_table, unreadable
from tui.judging.engine import Alert
from tui.judging.pairing import NO_TAG, ONLY_HIGHER, OtherSlot, miss, other_slots
from tui.judging.stalled import not_running
from tui.judging.thresholds import Thresholds
from tui.live.firstread import MIN_RUNS, FirstRead, Workers, cold_runs, cores, read_in_workers, unread_paths
from tui.live.group import MonitorGroup, build_monitor, given_up, members_of
from tui.live.monitor import Monitor
from tui.live.sweeps import KIND as SWEEP_KIND
from tui.patterns import user_pattern
from tui.sources.csvlogs import KERAS, LIGHTNING
from tui.sources.jsonlogs import JSONL
from tui.sources.roots.parse import RootSpec
from tui.store import Run
from tui.text import printable, quoted, shown_name, utf8

Logdirs = str | list[RootSpec]
"""One local folder, or the roots as the command line gave them (local, s3://, host:path, ...)."""


def open_monitor(
    logdirs: Logdirs, thresholds: Thresholds, train_tag: str | None, val_tag: str | None, sweep: str | None = None
) -> Monitor | MonitorGroup:
    if isinstance(logdirs, str):
        return Monitor(logdirs, thresholds, train_pattern=train_tag, val_pattern=val_tag, sweep_pattern=sweep)
    return build_monitor(logdirs, thresholds, train_tag, val_tag, sweep)


def _local(monitor: Monitor) -> bool:
    return monitor.root.local_path(".") is not None


def _load(
    logdirs: Logdirs,
    thresholds: Thresholds,
    train_tag: str | None,
    val_tag: str | None,
    spread: bool = False,
    sweep: str | None = None,
) -> Monitor | MonitorGroup:
    """One round of reading and judging; with ``spread``, the runs of local roots go to one worker
    process per core and come back as summaries (for commands that need verdicts, not whole curves);
    remote roots are read after, on threads of their own (they wait on the network)."""
    monitor = open_monitor(logdirs, thresholds, train_tag, val_tag, sweep)
    if not spread:
        monitor.refresh()
        return monitor
    members = members_of(monitor)
    for member in filter(_local, members):  # workers are forked before any thread of ours starts
        member.scan()
        count = min(cores(), len(cold_runs(member)) // (MIN_RUNS // 2))  # when there are enough runs to pay
        workers = Workers.start(count, whole=False, notes=member.store.notes)
        if workers is not None:
            with workers:
                read_in_workers(member, workers)
        member.read(unread_paths(member))  # what the workers did not take (everything, without workers)
    remote = [member for member in members if not _local(member)]
    if remote:
        MonitorGroup(remote).refresh()
    return monitor


def _unread_roots(monitor: Monitor | MonitorGroup, missing: bool = True) -> dict[str, str]:
    """Root -> why it could not be read: unreachable, refused, and unless ``missing`` is False (a watch waits
    for them) not there: no such folder, bucket not found."""
    unread = {}
    members = members_of(monitor)
    for member in members:
        why = member.scan_errors.get(member.place(".")) or (
            member.missing_why if missing and member.logdir_missing else ""
        )
        if not why and missing and len(members) > 1 and not member.streams and not member.scan_errors:
            why = "no runs: no training logs found"  # alone, a root without runs is exit 2; beside others, said
        if why:
            unread[member.label] = why
    return unread


def say_root_problems(monitor: Monitor | MonitorGroup, missing: bool = True) -> bool:
    """Say on stderr, once, which roots could not be read (their runs are missing or not up to date); whether
    none could."""
    unread = _unread_roots(monitor, missing)
    for label, why in unread.items():
        print(f"losswatch: {printable(label)}: {printable(why)}", file=sys.stderr, flush=True)
    return bool(unread) and len(unread) == len(members_of(monitor))


def _no_runs(monitor: Monitor | MonitorGroup) -> int | None:
    unreachable = say_root_problems(monitor)
    if monitor.store.runs:
        return None
    if unreachable:  # said above, why: not that the folder holds no logs
        return EXIT_USAGE
    detail = ""
    if monitor.scan_errors:
        path, why = next(iter(monitor.scan_errors.items()))
        detail = f" ({printable(path)}: {why})"
    elif named := _named_like_logs(monitor):
        listed = ", ".join(printable(path) for path in named[:3]) + (", ..." if len(named) > 3 else "")
        detail = f"; named like logs, not read as one: {listed}: {NOT_A_LOG}"
    print(
        f"losswatch: no runs under {printable(monitor.logdir)}: no training logs found (TensorBoard, W&B, MLflow,"
        f" trackio, Lightning or Keras CSV, Hugging Face, MMEngine, JSON lines){detail}",
        file=sys.stderr,
    )
    return EXIT_USAGE


NOT_A_LOG = (
    "a JSON-lines log needs a step key in its first five lines, or an epoch key in two of them, so one numbered by"
    " epoch is found once its second epoch is written; a CSV log needs a header whose first column is epoch, or a"
    " step column as Lightning's metrics.csv"
)
"""Why a file named like a log (``log.jsonl``, ``history.csv``) is none: a user pointing at their own log is told."""


TOLD_BY_FIRST_LINES = (JSONL, KERAS, LIGHTNING)
"""The formats whose logs ``NOT_A_LOG`` says what they need (their first lines tell; a database or a W&B log that
is none is a run that cannot be read, with its reason)."""


def _named_like_logs(monitor: Monitor | MonitorGroup) -> list[str]:
    """Files whose names say they are a JSON-lines or CSV log (``*.jsonl``, ``history.csv``, ``metrics.csv``) that
    no format took: the first lines of each said it is none."""
    return [
        member.place(path)
        for member in members_of(monitor)
        for path in sorted(member.listing.files)
        if member.listing.files[path].size
        and any(fmt.named_log(path) for fmt in member.formats if fmt.name in TOLD_BY_FIRST_LINES)
    ]


def _nothing_readable(runs: list[Run], logdir: str) -> int | None:
    """Exit 2 when runs were found but not one could be read: that is no answer, not 'all fine'."""
    if not runs or not all(unreadable(run) for run in runs):
        return None
    print(f"losswatch: nothing could be read under {printable(logdir)}", file=sys.stderr)
    return EXIT_USAGE


def say_unmatched(
    monitor: Monitor | MonitorGroup,
    train_tag: str | None,
    val_tag: str | None,
    sweep: str | None = None,
    live: bool = False,
    told: set[str] | None = None,
) -> None:
    """A ``--train-tag`` / ``--val-tag`` that picked no curve of a run (no tag, or only accuracies) leaves the run
    the loss the rules choose without it, or none: say so on stderr, naming the runs; a ``--sweep``
    that matched no run (it turns the sweeps found by name off) likewise. ``live``: said of a watch's first
    round, where the curve may still come. ``told``: the options whose give-up was said already (not said
    again), to which those said here are added."""
    yet = " yet" if live else ""
    readable = [run for run in monitor.store.snapshot() if run.has_points]
    # option -> (its pattern, the runs it picked no curve of, each with how it missed: ``pairing.miss``)
    missed: dict[str, tuple[str, list[tuple[Run, str]]]] = {}
    for option, pattern, role in (("--train-tag", train_tag, "train_tag"), ("--val-tag", val_tag, "val_tag")):
        if pattern:
            probe = user_pattern(pattern)  # its searches may have run in the first read's worker processes: again
            picked = [getattr(monitor.verdict(run.name), role, None) for run in readable]
            runs = [run for run, tag in zip(readable, picked, strict=True) if not (tag and probe.search(tag))]
            # Each tag searched once, in order: the first it gives up on is the one ``given_up`` names.
            matching = {tag for tag in sorted({tag for run in runs for tag in run.scalars}) if probe.search(tag)}
            missed[option] = (pattern, [(run, miss([tag for tag in run.scalars if tag in matching])) for run in runs])
    for option, why in given_up(monitor):
        if told is None or option not in told:
            print(f"losswatch: {option}: {why}", file=sys.stderr)  # before the lines it explains
        if told is not None:
            told.add(option)
    if sweep and not any(member.sweeps.sweeps for member in members_of(monitor)):
        print(
            f"losswatch: --sweep {quoted(sweep)} groups no runs into a sweep{yet} (searched in each run's name "
            f"as under its root): no sweep is judged{' until it does' if live else ''}",
            file=sys.stderr,
        )
    for option, (pattern, unpicked) in missed.items():
        _say_unpicked(monitor, option, pattern, unpicked, live)
    if train_tag and val_tag:  # two patterns, one curve: refused when written alike, said when they pick alike
        both = [
            run.name
            for run in readable
            if (v := monitor.verdict(run.name)) and v.train_tag and v.train_tag == v.val_tag
        ]
        if both:
            print(
                f"losswatch: --train-tag {quoted(train_tag)} and --val-tag {quoted(val_tag)} pick the same curve in "
                f"{len(both)} run(s) ({_some(both)}): one curve is judged as both (no overfitting can show)",
                file=sys.stderr,
            )
    _say_other_slot(monitor, readable, train_tag, val_tag)


def _say_other_slot(
    monitor: Monitor | MonitorGroup, readable: list[Run], train_tag: str | None, val_tag: str | None
) -> None:
    """A tag option that took, for its slot, a curve named for the other one, which is left empty (``--train-tag
    val_loss``: the run judged as training alone, its overfitting never shown; a new user's find)."""
    patterns = {"--train-tag": train_tag, "--val-tag": val_tag}
    taken: dict[str, tuple[OtherSlot, list[str]]] = {}  # option -> its slots' words, and the runs
    for run in readable:
        if (v := monitor.verdict(run.name)) is not None:
            for took in other_slots(v.train_tag, v.val_tag):
                if patterns[took.option]:
                    taken.setdefault(took.option, (took, []))[1].append(run.name)
    for option, (took, names) in taken.items():
        print(
            f"losswatch: {option} {quoted(patterns[option] or '')} takes a curve named as {took.other} for "
            f"{took.slot} in {len(names)} run(s) ({_some(names)}): judged without a {took.other} curve "
            "(no overfitting can show)",
            file=sys.stderr,
        )


def _say_unpicked(
    monitor: Monitor | MonitorGroup, option: str, pattern: str, runs: list[tuple[Run, str]], live: bool
) -> None:
    """The runs a pattern picked no curve of, said in two lines: those it matched only higher-is-better curves of
    (``--val-tag val_acc``: an accuracy judged as a loss reads its climb as a blow-up), and those it matched no tag
    of; each with what is judged in its place, the loss the rules choose without it, or nothing."""
    role = "train_tag" if option == "--train-tag" else "val_tag"
    yet = " yet" if live else ""
    for how, matched in ((ONLY_HIGHER, f"{ONLY_HIGHER} in"), (NO_TAG, f"{NO_TAG} of")):
        group = [run for run, missed in runs if missed == how]
        if not group:
            continue
        judged = [getattr(monitor.verdict(run.name), role, None) for run in group]
        instead = sorted({tag for tag in judged if tag})
        more = ", …" if len(instead) > 3 else ""
        said = [f"judged instead: {', '.join(quoted(tag) for tag in instead[:3])}{more}"] if instead else []
        if without := judged.count(None):
            they = "they are" if without == len(group) else f"{without} run(s)"
            said.append(f"{they} judged without that curve{' until one comes' if live else ''}")
        print(
            f"losswatch: {option} {quoted(pattern)} matches {matched} {len(group)} run(s){yet} "
            f"({_some([run.name for run in group])}): {'; '.join(said)}",
            file=sys.stderr,
        )


def _some(names: list[str]) -> str:
    """The first five run names, printable."""
    return ", ".join(shown_name(name, 40) for name in names[:5]) + (", ..." if len(names) > 5 else "")


def _say_echoes(monitor: Monitor | MonitorGroup) -> None:
    """Logs that repeat another run's curves were shown once, as that run: say so on stderr."""
    for member in members_of(monitor):
        for note in member.echo_notes:
            print(f"losswatch: {printable(note)}", file=sys.stderr)


def _say_unreadable(runs: list[Run], unread: str = "") -> None:
    """For commands whose output has no place for them: each run that could not be read, or whose files were
    damaged (what was skipped, and whether anything could be read), on stderr; ``unread`` after an error (``export``:
    ``not exported``, of what the error names, and of the run only when none of its points is)."""
    for run in runs:
        partly = f" ({unread})" if unread else ""
        if unread and run.scalars:  # what the error names was not exported, not the run (an MLflow metric's file)
            partly = f" ({unread}; the run's other points were)"
        for error in run.errors:
            print(f"losswatch: {shown_name(run.name)}: {printable(error)}{partly}", file=sys.stderr)
        if run.damaged:
            print(f"losswatch: {shown_name(run.name)}: {run.damage_note()}", file=sys.stderr)
        elif unreadable(run) and run.cut_short:  # only bytes not whole (a trainer_state.json cut short)
            print(f"losswatch: {shown_name(run.name)}: {run.incomplete_note()}{partly}", file=sys.stderr)


def sweep_info(monitor: Monitor | MonitorGroup, now: float | None = None) -> dict[str, SweepInfo]:
    """Run -> its sweep, hyper-parameters and behind-peers reason, as ``check`` reports them: a run behind that is no
    longer written (``not_running``) is said to be, with nothing left to stop (the advice is to stop a job)."""
    watch = monitor.sweeps
    now = time.time() if now is None else now
    info = {}
    for run in monitor.store.snapshot():
        sweep = watch.of_run.get(run.name)
        flag = watch.flags.get(run.name)
        behind = flag.reason if flag else None
        ended = None
        if behind:
            verdict = monitor.verdict(run.name)
            quiet = monitor.quiet_for(run.name, now)
            ended = not_running(run, verdict.val_tag if verdict else None, quiet, monitor.thresholds)
            behind = f"{behind}; {ended}: nothing left to stop" if ended else behind
        info[run.name] = SweepInfo(sweep.name if sweep else None, watch.params(run), behind, ended is not None)
    return info


def check(
    logdir: Logdirs,
    thresholds: Thresholds,
    train_tag: str | None,
    val_tag: str | None,
    as_json: bool,
    sweep: str | None = None,
) -> int:
    """One-shot verdicts; exit 1 when a run needs attention, 2 when nothing could be read."""
    monitor = _load(logdir, thresholds, train_tag, val_tag, spread=True, sweep=sweep)
    if (code := _no_runs(monitor)) is not None:
        return code
    say_unmatched(monitor, train_tag, val_tag, sweep)
    _say_echoes(monitor)
    runs = [(run, monitor.verdict(run.name)) for run in monitor.store.snapshot()]
    sweeps = sweep_info(monitor)
    if as_json:
        print_json(runs, sys.stdout, sweeps)
    else:
        print_table(runs, report_console(), sweeps)
    if (code := _nothing_readable([run for run, _ in runs], monitor.label)) is not None:
        return code
    attention = any(needs_attention(verdict, run) for run, verdict in runs) or _read_in_part(monitor)
    return EXIT_ATTENTION if attention else EXIT_OK  # a root that could not be read is no 'all fine'


def _read_in_part(monitor: Monitor | MonitorGroup) -> bool:
    """A root or a run's folder or file could not be read (named on stderr): what was read is output, but exit 1,
    so that a script does not take part of what it asked for for all of it."""
    return bool(_unread_roots(monitor)) or any(run.errors or unreadable(run) for run in monitor.store.snapshot())


def line_console() -> Console:
    """A console that prints each alert on one line, whatever the width: greppable when piped."""
    return OutputConsole(highlight=False, soft_wrap=True)


def format_alert(alert: Alert, history: bool = False) -> Text:
    """'run  step 390  overfitting  val_loss: reason'; the tag is left out when the reason starts with it.
    ``history``: the kind of an alert of a run that ended long ago says so, ``overfitting (history)`` (``watch
    --plain``: it looked like a live alert, and rings no bell)."""
    reason = printable(alert.reason)
    tag = printable(alert.tag, 80)
    about = f"{tag}: {reason}" if tag and not alert.reason.startswith(alert.tag) else reason
    kind = f"{alert.kind} (history)" if history and alert.history else alert.kind
    return Text(f"{shown_name(alert.run)}  step {alert.step:,}  {kind}  {about}")


def alert_json(alert: Alert, history: bool = False) -> str:
    """One alert as a JSON line; ``history``: with its ``history`` key (``watch --plain --json``: a run that ended
    long ago, which rings no bell)."""
    record = alert.as_dict()
    record.update(run=utf8(alert.run), tag=utf8(alert.tag), reason=utf8(alert.reason))
    if history:
        record["history"] = alert.history
    return json.dumps(record)


REPLAY_NOTE_RUNS = 20
"""Past this many runs, replay says on stderr that its alerts come once every run is replayed (540 held-out DeepOBS
runs take over a minute on two cores)."""


def replay(
    logdir: Logdirs,
    thresholds: Thresholds,
    train_tag: str | None,
    val_tag: str | None,
    as_json: bool,
    by_run: bool = False,
    sweep: str | None = None,
) -> int:
    """Every alert at the step it would have fired: all runs merged in step order, or run after run; exit 1 when a
    root or a run could not be read."""
    monitor = _load(logdir, thresholds, train_tag, val_tag, sweep=sweep)
    if (code := _no_runs(monitor)) is not None:
        return code
    say_unmatched(monitor, train_tag, val_tag, sweep)
    _say_echoes(monitor)
    runs = monitor.store.snapshot()
    _say_unreadable(runs)
    if (code := _nothing_readable(runs, monitor.label)) is not None:
        return code
    console = line_console()
    # A sweep's advice at step t looks only at what its runs had written by t, so reading the recorded
    # runs whole gives the alerts a lockstep replay of the sweep would (tests/test_sweeps_live.py).
    behind: dict[str, list[Alert]] = {}  # a run told, caught up and told again: twice
    for alert in monitor.alerts:
        if alert.kind == SWEEP_KIND:
            behind.setdefault(alert.run, []).append(alert)

    def show(alerts: list[Alert]) -> None:
        for alert in alerts:
            if as_json:
                print(alert_json(alert), flush=True)
            else:
                console.print(format_alert(alert))

    if not by_run and len(runs) > REPLAY_NOTE_RUNS:  # minutes of silence read as a hang
        print(
            f"losswatch: replaying {len(runs):,} runs a step at a time; the alerts follow in step order once all are "
            "replayed (--by-run: each run's as soon as it is)",
            file=sys.stderr,
            flush=True,
        )
    merged: list[Alert] = []
    with contextlib.closing(replayed(runs, thresholds, train_tag, val_tag)) as replays:  # closed: workers end
        for run, alerts in zip(runs, replays, strict=True):
            mine = [*alerts, *behind.get(run.name, [])]
            mine.sort(key=lambda alert: alert.step)
            if by_run:
                show(mine)
            else:
                merged += mine
    merged.sort(key=lambda alert: alert.step)  # stable: runs in name order within a step
    show(merged)
    return EXIT_ATTENTION if _read_in_part(monitor) else EXIT_OK


def export(logdir: Logdirs, output: str) -> int:
    """Every scalar point as a long table; runs and roots that cannot be read are named on stderr, the rest
    written (exit 1)."""
    from tui.cli.export import export_scalars, output_format, read_logdir

    output_format(output)
    monitor = read_logdir(logdir)
    if (code := _no_runs(monitor)) is not None:
        return code
    runs = monitor.store.snapshot()
    _say_unreadable(runs, unread="not exported")
    if (code := _nothing_readable(runs, monitor.label)) is not None:
        return code
    rows = export_scalars(monitor, output)
    print(f"losswatch: wrote {rows:,} points to {printable(output)}", file=sys.stderr)
    return EXIT_ATTENTION if _read_in_part(monitor) else EXIT_OK


def watch_tui(
    logdir: Logdirs,
    thresholds: Thresholds,
    train_tag: str | None,
    val_tag: str | None,
    bell: bool,
    poll: float | None,
    notify: str | None = None,
    sweep: str | None = None,
    on_forced_end: Callable[[], None] | None = None,
) -> int:
    """The live view; ``on_forced_end``: what must still be done if a stop signal's deadline ends the process."""
    from tui.app.app import LossWatchApp

    monitor = open_monitor(logdir, thresholds, train_tag, val_tag, sweep)  # a bad pattern is said first
    needs_a_terminal()
    # Forked now, while this process has one thread; the watcher hands them the runs it finds (of a local root).
    count = cores() if any(map(_local, members_of(monitor))) else 0
    first_read = FirstRead(Workers.start(count, whole=True, notes=monitor.store.notes))
    app = LossWatchApp(
        monitor,
        bell=bell,
        poll_seconds=poll,
        notify=notify,
        handle_signals=True,
        first_read=first_read,
        on_forced_end=on_forced_end,
    )
    try:
        app.run()
    finally:
        first_read.close()
    return app.return_code or EXIT_OK  # 1 when the app stopped on an error of its own (Textual printed it)
