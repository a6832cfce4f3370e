"""What ``check`` prints: a Rich table for people, JSON for scripts."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tui.judging.checkpoints import checkpoint_name, nearest_checkpoint
from tui.judging.engine import Verdict
from tui.judging.kinds import ATTENTION, VERDICT_STYLES
from tui.store import Run
from tui.text import printable

Judged = tuple[Run, Verdict | None]
"""A run with what the engine thinks of it."""


def needs_attention(verdict: Verdict | None) -> bool:
    return verdict is not None and verdict.kind in ATTENTION


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def _json_number(value: float | None) -> float | None:
    return None if value is None else float(value)


def run_flags(run: Run, verdict: Verdict | None) -> list[str]:
    flags = list(verdict.flags) if verdict else []
    if run.damaged:
        flags.append("damaged")
    if run.gone:
        flags.append("gone")
    if run.errors:
        flags.append("unreadable")
    return flags


def run_record(run: Run, v: Verdict | None, with_layers: bool = True) -> dict[str, object]:
    """The JSON object ``check --json`` prints for one run."""
    record: dict[str, object] = {
        "run": printable(run.name),
        "step": v.step if v else run.last_step(),
        "train_tag": printable(v.train_tag) if v and v.train_tag else None,
        "val_tag": printable(v.val_tag) if v and v.val_tag else None,
        "train": _json_number(v.train if v else None),
        "val": _json_number(v.val if v else None),
        "best_val": _json_number(v.best_val if v else None),
        "best_step": v.best_step if v else None,
        "since_best": v.since_best if v else None,
        "verdict": v.kind if v else "waiting",
        "reason": printable(v.reason) if v else "",
        "advice": v.advice if v else "",
        "flags": [printable(f) for f in run_flags(run, v)],
        "damaged": run.damaged,
        "skipped_records": run.skipped_records,
        "skipped_bytes": run.skipped_bytes,
        "incomplete_bytes": run.incomplete_bytes,
        "errors": [printable(e) for e in run.errors],
        "checkpoint": _checkpoint(run, v),
    }
    if with_layers and v and v.layers:
        record["layers"] = [{**layer.as_dict(), "tag": printable(layer.tag)} for layer in v.layers]
    return record


def _checkpoint(run: Run, v: Verdict | None) -> str | None:
    """Where the checkpoint nearest the best validation step is (None without checkpoints or a best step)."""
    path = nearest_checkpoint(run.checkpoints, v.best_step if v else None)
    return printable(path) if path is not None else None


def keep_note(run: Run, v: Verdict | None) -> str:
    """ "keep checkpoint-1700/" for an overfitting run with checkpoints, else ""."""
    if v is None or v.kind != "overfitting":
        return ""
    path = nearest_checkpoint(run.checkpoints, v.best_step)
    return f"keep {printable(checkpoint_name(path))}" if path is not None else ""


def print_json(runs: Iterable[Judged], out) -> None:
    json.dump([run_record(run, verdict) for run, verdict in runs], out, indent=1)
    out.write("\n")


def print_table(runs: list[Judged], console: Console) -> None:
    table = Table(title=None, expand=False, show_lines=False)
    for column in ("run", "step", "train", "val", "best val @ step", "since", "verdict", "advice"):
        table.add_column(
            column,
            overflow="fold",
            no_wrap=column not in ("run", "advice", "verdict"),
            justify="right" if column in ("step", "train", "val", "since") else "left",
        )
    for run, v in runs:
        step = v.step if v else run.last_step()
        best = f"{_number(v.best_val)} @ {v.best_step:,}" if v and v.best_step is not None else "–"
        verdict = Text(v.kind if v else "waiting", style=VERDICT_STYLES.get(v.kind if v else "waiting", ""))
        flags = run_flags(run, v)
        if flags:
            verdict.append(" " + " ".join(printable(f, 60) for f in flags), style="dim")
        table.add_row(
            Text(printable(run.name, 60)),
            "–" if step is None else f"{step:,}",
            _number(v.train if v else None),
            _number(v.val if v else None),
            best,
            "–" if not v or v.since_best is None else str(v.since_best),
            verdict,
            Text("; ".join(part for part in (v.advice if v else "", keep_note(run, v)) if part)),
        )
    console.print(table)
    for run, _ in runs:
        if run.damaged:
            console.print(Text(f"{printable(run.name, 60)}: {run.damage_note()}", style="yellow"))
        junk = run.damaged and not run.has_points  # its damage note already says nothing could be read
        if run.incomplete_bytes and not junk:
            console.print(
                Text(
                    f"{printable(run.name, 60)}: {run.incomplete_bytes:,} byte(s) at the end of its event "
                    "files are not a whole record (a job still writing, or a file cut short) and were not "
                    "read",
                    style="dim",
                )
            )
        for error in run.errors:
            console.print(Text(f"{printable(run.name, 60)}: {printable(error)}", style="red"))
        if run.gone:
            console.print(Text(f"{printable(run.name, 60)}: its folder is gone; showing what was read", style="dim"))
