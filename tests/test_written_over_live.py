"""A log read live, then written over in place with zero bytes (a crash left it so; its inode stays): a live view
said nothing of it, ever (a reviewer waited 135 s), while ``check`` of the same folder named it damaged.

Text logs (JSON lines, Keras CSV) are tested for their first bytes once per file: the answer was kept by the file's
identity, which a file written over in place keeps, so the next scans never looked at it again. A file that did not
grow since, yet changed, is tested again: it is named as ``check`` names it, its run shown gone with what was read.
An event file was read again from its start and found damaged throughout, but its run kept the points read before,
so its note said "everything else was read" and ``watch --plain`` (which says a run damaged when nothing could be
read) said nothing. Each now says what ``check`` says, and keeps every point read.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from children import spawn
from conftest import run_main
from tensorboardX import SummaryWriter

from tui.cli.plain_watch import PlainWatch
from tui.live.monitor import Monitor

STEPS = 30
ZEROS = "damaged: zero bytes where its text should be"


def _curve(step: int) -> tuple[float, float]:
    return 2 * math.exp(-step / 10) + 0.05, 2 * math.exp(-step / 10) + 0.3


def _jsonl(folder: Path) -> Path:
    path = folder / "log.jsonl"
    rows = ({"step": s, "loss": _curve(s)[0], "val_loss": _curve(s)[1]} for s in range(STEPS))
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _keras(folder: Path) -> Path:
    path = folder / "training.log"
    path.write_text("epoch,loss,val_loss\n" + "".join(f"{s},{_curve(s)[0]},{_curve(s)[1]}\n" for s in range(STEPS)))
    return path


def _events(folder: Path) -> Path:
    with SummaryWriter(str(folder)) as writer:
        for step in range(STEPS):
            train, val = _curve(step)
            writer.add_scalar("train/loss", train, step)
            writer.add_scalar("val/loss", val, step)
    (path,) = folder.glob("events.out.tfevents.*")
    return path


def _zero_filled(path: Path) -> None:
    """Every byte written over with a zero, the size kept, as a crash leaves a file (its time moves on)."""
    before = path.stat()
    with open(path, "r+b") as handle:
        handle.write(bytes(before.st_size))
    os.utime(path, ns=(before.st_atime_ns, max(path.stat().st_mtime_ns, before.st_mtime_ns + 1_000_000)))


def _five_zero_bytes(path: Path) -> None:
    """``printf '\\0\\0\\0\\0\\0' > log``: the file cut to five zero bytes, in place."""
    path.write_bytes(bytes(5))


# (id, log writer, tag, the run said unreadable then, whether the run read before is said gone)
FORMATS = [
    ("jsonl", _jsonl, "val_loss", "r/log.jsonl", True),
    ("keras", _keras, "val_loss", "r/training.log", True),
    ("tensorboard", _events, "val/loss", "r", False),
]


def _said(watch: PlainWatch) -> list[dict]:
    out = io.StringIO()
    with redirect_stdout(out):
        watch.say([], [])
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _check_words(logdir: Path, run: str) -> str:
    """What ``check`` says of the run now (its unreadable or damaged flag's reason)."""
    rows = {row["run"]: row for row in json.loads(run_main("check", "--json", str(logdir)).stdout)}
    flags = {flag["name"]: flag["reason"] for flag in rows[run]["flags"]}
    return flags.get("unreadable") or flags["damaged"]


@pytest.mark.parametrize("damage", [_zero_filled, _five_zero_bytes], ids=["zero-filled", "five-zero-bytes"])
@pytest.mark.parametrize(("write", "tag", "named", "gone"), [f[1:] for f in FORMATS], ids=[f[0] for f in FORMATS])
def test_a_log_written_over_with_zeros_is_said_as_check_says_it_and_keeps_its_points(
    tmp_path: Path, write: Callable[[Path], Path], tag: str, named: str, gone: bool, damage: Callable[[Path], None]
):
    (tmp_path / "r").mkdir()
    log = write(tmp_path / "r")
    now = [1000.0]
    monitor = Monitor(str(tmp_path), clock=lambda: now[0])
    watch = PlainWatch(monitor, as_json=True, bell=False, notify=None, hook=None)
    new_runs, _, _ = monitor.refresh()
    with redirect_stdout(io.StringIO()):
        watch.say(new_runs, [])
    assert len(monitor.store.runs["r"].scalars[tag]) == STEPS

    damage(log)
    new_runs, _, _ = monitor.refresh()
    now[0] += monitor.thresholds.stall_min_seconds + 1  # five bytes of an event file: not whole for that long
    monitor.refresh()
    watch.announced.update(new.run for new in new_runs)
    said = {(line["run"], line["kind"]): line["reason"] for line in _said(watch)}

    words = _check_words(tmp_path, named)
    assert words == ZEROS or gone is False, words
    assert said.get((named, "unreadable"), "").startswith(words), said  # what check says of the same folder
    assert (("r", "gone") in said) == gone, said
    assert len(monitor.store.runs["r"].scalars[tag]) == STEPS  # every point read before is kept
    assert _said(watch) == []  # said once


def test_watch_plain_says_a_json_lines_log_zero_filled_in_place(tmp_path: Path):
    """The reviewer's own steps: ``watch --plain --json`` on a run, its log zero-filled in place once it is read."""
    (tmp_path / "r").mkdir()
    log = _jsonl(tmp_path / "r")
    with spawn("watch", "--plain", "--json", str(tmp_path)) as child:
        child.wait_for_text('"kind": "new-run"')
        _zero_filled(log)
        child.wait_for_text('"kind": "unreadable"', timeout=30.0)  # at the next scan (every 5 s)
        child.wait_for_text('"kind": "gone"', timeout=10.0)
        child.stop(15)
    lines = [json.loads(line) for line in child.text().splitlines()]
    assert {"run": "r/log.jsonl", "step": None, "kind": "unreadable", "tag": "", "reason": ZEROS} in lines
    assert child.errors() == ""
