"""What ``check`` prints: a table that fits the terminal for people, JSON for scripts."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tui.columns import Column, fitted_table
from tui.cuts import cut_text, distinct_cuts
from tui.judging.checkpoints import keep_words, nearest_checkpoint
from tui.judging.engine import Verdict
from tui.judging.kinds import (
    ADVICE,
    ATTENTION,
    VERDICT_STYLES,
    WARNINGS,
    Kind,
    flag_names,
    gone_words,
    severity,
)
from tui.store import Run
from tui.text import number, printable, shown_name, utf8

Judged = tuple[Run, Verdict | None]
"""A run with what the engine thinks of it."""


def unreadable(run: Run) -> bool:
    """Nothing could be read from the run: its folder or files refused (permission denied), only junk, or only
    bytes that are not whole (a trainer_state.json cut short when its job was killed): no answer, not 'waiting'."""
    return not run.has_points and bool(run.errors or run.damaged or run.cut_short)


def unreadable_reasons(run: Run) -> list[tuple[str, str]]:
    """(what, why) for each reason the run cannot be read, for ``watch --plain`` to say once each: every OS
    error, and a run nothing could be read from for its damage (damaged throughout), in ``check``'s words."""
    reasons = [(error, error) for error in run.errors]
    if run.damaged and run.nothing_readable:  # its note grows with the junk: said once, as "damaged"
        reasons.append(("damaged", run.damage_note()))
    elif run.cannot_be_read and not run.errors:  # nothing whole for long: cut short, said once
        reasons.append(("cut", run.incomplete_note()))
    return reasons


def cut_left_note(run: Run) -> str | None:
    """What ``watch --plain`` says once of a run read in part whose Trainer's newest state stayed cut short
    (``Run.cut_left``): ``check``'s note under its table; None for any other run."""
    return run.incomplete_note() if run.cut_left and not run.gone else None


def needs_attention(verdict: Verdict | None, run: Run | None = None) -> bool:
    """A verdict that calls for action, or a run whose files cannot be read (or that nothing could be read from)."""
    if run is not None and (run.errors or unreadable(run)):
        return True
    return verdict is not None and verdict.kind in ATTENTION


def _json_number(value: float | None) -> float | None:
    return None if value is None else float(value)


def last_value(run: Run, tag: str | None) -> float | None:
    """The newest raw value of a curve, as logged."""
    series = run.scalars.get(tag) if tag else None
    last = series.last() if series is not None else None
    return last[1] if last is not None else None


@dataclass(frozen=True)
class SweepInfo:
    """What ``check`` says of a run's sweep: its name, the run's hyper-parameters, whether it is behind."""

    sweep: str | None = None
    hparams: Mapping[str, object] = field(default_factory=dict)
    behind: str | None = None
    """The behind-peers reason, when the run is behind its peers."""
    ended: bool = False
    """Its job is no longer written (``stalled.not_running``): nothing left to stop."""


def run_flags(run: Run, verdict: Verdict | None, sweep: SweepInfo | None = None) -> dict[str, str]:
    """Flag -> its reason now: the engine's flags, its sweep's (behind-peers), then the store's
    (damaged, gone, unreadable: files refused, or nothing in them whole yet)."""
    flags = dict(verdict.flags) if verdict else {}
    if sweep is not None and sweep.behind:
        flags[Kind.BEHIND_PEERS] = sweep.behind
    if run.damaged:
        flags[Kind.DAMAGED] = run.damage_note()
    if run.gone:
        flags[Kind.GONE] = gone_words(run.moved_to)
    if run.errors:
        flags[Kind.UNREADABLE] = "; ".join(run.errors)
    elif unreadable(run) and not run.damaged:  # nothing but bytes not whole yet: the exit status says why
        flags[Kind.UNREADABLE] = run.incomplete_note()
    return flags


def _json_value(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return utf8(value) if isinstance(value, str) else value


def run_record(
    run: Run, v: Verdict | None, with_layers: bool = True, sweep: SweepInfo | None = None
) -> dict[str, object]:
    """The JSON object ``check --json`` prints for one run (every key is described in the README)."""
    sweep = sweep or SweepInfo()
    train_tag = v.train_tag if v else None
    val_tag = v.val_tag if v else None
    record: dict[str, object] = {
        "run": utf8(run.name),
        "step": v.step if v else run.last_step(),
        "train_tag": utf8(train_tag) if train_tag else None,
        "val_tag": utf8(val_tag) if val_tag else None,
        "train": _json_number(last_value(run, train_tag)),
        "val": _json_number(last_value(run, val_tag)),
        "train_smoothed": _json_number(v.train if v else None),
        "val_smoothed": _json_number(v.val if v else None),
        "best_val": _json_number(v.best_val if v else None),
        "best_step": v.best_step if v else None,
        "since_best": v.since_best if v else None,
        "verdict": v.kind if v else "waiting",
        "reason": utf8(v.reason) if v else NOTHING_READ,
        "advice": v.advice if v else ADVICE[Kind.WAITING],
        "flags": [{"name": utf8(name), "reason": utf8(why)} for name, why in run_flags(run, v, sweep).items()],
        "sweep": utf8(sweep.sweep) if sweep.sweep else None,
        "hparams": {utf8(key): _json_value(value) for key, value in sweep.hparams.items()},
        "damaged": run.damaged,
        "skipped_records": run.skipped_records,
        "skipped_bytes": run.skipped_bytes,
        "incomplete_bytes": run.incomplete_bytes,
        "incomplete": utf8(run.incomplete_note()) if run.cut_short else None,
        "errors": [utf8(e) for e in run.errors],
        "checkpoint": _checkpoint(run, v),
    }
    if with_layers and v and v.layers:
        record["layers"] = [{**layer.as_dict(), "tag": utf8(layer.tag)} for layer in v.layers]
    return record


def _checkpoint(run: Run, v: Verdict | None) -> str | None:
    """Where the checkpoint nearest the best validation step is (None without checkpoints or a best step)."""
    path = nearest_checkpoint(run.checkpoints, v.best_step if v else None)
    return utf8(path) if path is not None else None


def keep_note(run: Run, v: Verdict | None) -> str:
    """ "keep checkpoint-1700/" (or where the nearest lies when none is the best's) for an overfitting run with
    checkpoints, else ""."""
    if v is None or v.kind != "overfitting":
        return ""
    return keep_words(run.checkpoints, v.best_step, printable) or ""


def print_json(runs: Iterable[Judged], out, sweeps: Mapping[str, SweepInfo] | None = None) -> None:
    sweeps = sweeps or {}
    json.dump([run_record(run, verdict, sweep=sweeps.get(run.name)) for run, verdict in runs], out, indent=1)
    out.write("\n")


NOTHING_READ = "no points read yet"
"""The reason of a run no point of which was read (a log holding its header alone): waiting, and why."""

CHECK_COLUMNS = [
    Column("run", "run"),
    Column("step", "step", "right"),
    Column("train", "train", "right"),
    Column("val", "val", "right"),
    Column("best", "best val @ step", "right"),
    Column("since", "since", "right"),
    Column("verdict", "verdict"),
    Column("flags", "flags"),
]
CHECK_PRIORITY = ["run", "verdict", "val", "best", "flags", "step", "since", "train"]
"""At 80 columns the run, its verdict, validation, the checkpoint to keep and the flags stay; training goes first.
Kept in this order only, as the live view keeps its own (a narrow pane never shows step or since without best val @
step), but for the flags: a list too wide is left out (and listed below the table) without the columns after it."""


def _short_flags(flags: Iterable[str]) -> str:
    """'gap,weights-static': a flag's tag (``weights-static:<tag>``) is in ``--json``."""
    return ",".join(printable(name) for name in flag_names(flags))


def _row(run: Run, v: Verdict | None, sweep: SweepInfo | None = None) -> dict[str, Text]:
    kind = v.kind if v else "waiting"
    step = v.step if v else run.last_step()
    return {
        "run": Text(shown_name(run.name)),
        "step": Text("–" if step is None else f"{step:,}"),
        "train": Text(number(last_value(run, v.train_tag) if v else None)),
        "val": Text(number(last_value(run, v.val_tag) if v else None)),
        "best": Text(f"{number(v.best_val)} @ {v.best_step:,}" if v and v.best_step is not None else "–"),
        "since": Text("–" if not v or v.since_best is None else str(v.since_best)),
        "verdict": Text(kind, style=VERDICT_STYLES.get(kind, "")),
        "flags": Text(_short_flags(run_flags(run, v, sweep)), style="dim"),
    }


def print_table(runs: list[Judged], console: Console, sweeps: Mapping[str, SweepInfo] | None = None) -> None:
    """One line per run, columns that fit ``console.width`` (never a cut number), then the advice once per
    verdict, why each run that needs attention got its verdict, and what went wrong reading files."""
    sweeps = sweeps or {}
    table = fitted_table(
        CHECK_COLUMNS,
        [_row(run, v, sweeps.get(run.name)) for run, v in runs],
        console.width,
        CHECK_PRIORITY,
        essential=len(CHECK_PRIORITY),  # a long run name is shortened before a number is left out
        elastic="run",
        elastic_min=24,
        in_order=True,  # as the live view: a column left out takes the less important ones with it...
        skippable=("flags",),  # ...but for the flags, listed below the table when they find no column
        header_style="bold",
    )
    console.print(table)
    flags_shown = any(column.header == "flags" for column in table.columns)
    kinds = sorted({v.kind if v else "waiting" for _, v in runs}, key=severity)
    advice = Table(box=None, show_header=False, show_edge=False, pad_edge=False, padding=(0, 2, 0, 0))
    advice.add_column(no_wrap=True)
    advice.add_column(ratio=1)
    for kind in kinds:
        if kind in ADVICE:
            advice.add_row(Text(kind, style=VERDICT_STYLES.get(kind, "")), Text(ADVICE[kind]))
    for warning in EXPLAINED:
        if any(v is not None and warning in v.flags for _, v in runs):
            advice.add_row(Text(warning, style=VERDICT_STYLES.get(warning, "")), Text(ADVICE[warning]))
    behind = [info for info in sweeps.values() if info.behind]
    if behind:  # when every one ended, stopping is no advice
        ended = all(info.ended for info in behind)
        said = (
            "clearly behind its sweep's peers; its job ended: nothing left to stop" if ended else ADVICE["behind-peers"]
        )
        advice.add_row(Text("behind-peers", style="yellow"), Text(said))
    console.print()
    console.print(advice)
    _print_notes(runs, console, sweeps, flags_shown)


EXPLAINED = (*WARNINGS, Kind.NO_NEW_BEST)
"""Flags beside ``learning`` that ``check`` explains under the table, the first a run has (an early warning first):
what to watch for, or that validation stopped improving ("keep training" beside it needs its numbers)."""

NOTE_NAME = 60
"""Cells of a run's name in the notes under the table at most (on a terminal)."""
UNBOUNDED = 1 << 16
"""The width of a pipe or a file without ``$COLUMNS``: every column and every name whole (greppable)."""


def _print_notes(
    runs: list[Judged], console: Console, sweeps: Mapping[str, SweepInfo] | None = None, flags_shown: bool = True
) -> None:
    names = {run.name: shown_name(run.name) for run, _ in runs}
    room = NOTE_NAME if console.width < UNBOUNDED else UNBOUNDED
    cuts = distinct_cuts(dict.fromkeys(names.values(), room))  # start and end, where two runs differ
    for run, v in runs:
        name = cut_text(names[run.name], cuts.get(names[run.name]))
        # A terminal too narrow for the flags column: they go here, never unsaid.
        if not flags_shown and (flags := _short_flags(run_flags(run, v, (sweeps or {}).get(run.name)))):
            console.print(Text(f"{name}: flags: {flags}", style="dim"))
        if v is not None and v.kind in ATTENTION:  # why, with its numbers (the table has no room for them)
            console.print(Text(f"{name}: {v.kind}: {printable(v.reason)}", style=VERDICT_STYLES.get(v.kind, "")))
        elif v is not None and (warning := next((f for f in EXPLAINED if f in v.flags), None)) is not None:
            console.print(Text(f"{name}: {warning}: {printable(v.flags[warning])}", style=VERDICT_STYLES[warning]))
        elif v is not None and run.scalars and not (v.train_tag or v.val_tag):  # curves, none a loss: no waiting
            console.print(Text(f"{name}: {printable(v.reason)}", style="dim"))
        info = (sweeps or {}).get(run.name)
        if info is not None and info.behind:
            console.print(Text(f"{name}: behind its peers: {printable(info.behind)}", style="yellow"))
        if keep := keep_note(run, v):
            console.print(Text(f"{name}: {keep}"))
        if run.damaged:
            console.print(Text(f"{name}: {run.damage_note()}", style="yellow"))
        junk = run.damaged and run.nothing_readable  # its damage note already says nothing could be read
        if run.cut_short and not junk:
            console.print(Text(f"{name}: {run.incomplete_note()}", style="dim"))
        for error in run.errors:
            console.print(Text(f"{name}: {printable(error)}", style="red"))
        if run.gone:
            console.print(Text(f"{name}: {gone_words(run.moved_to)}", style="dim"))
