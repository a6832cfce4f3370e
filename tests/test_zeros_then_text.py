"""A text log a crash left zeros in, and the resumed job's lines after them (appended: ``open(path, "a")``). The
zeros were read as the start of the next line, so the resumed job's first line (a step going back: the restart)
was lost as damaged, and the steps it wrote again kept the old job's values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.live.monitor import Monitor

ZEROS = 4096


def _jsonl(step: int, loss: float) -> str:
    return json.dumps({"step": step, "train/loss": loss, "val/loss": 2 * loss}) + "\n"


def _keras(step: int, loss: float) -> str:
    return f"{step},{loss},{2 * loss}\n"


def _lightning(step: int, loss: float) -> str:
    return f"{step},{10 * step},{loss},{2 * loss}\n"


FORMATS = {
    "jsonl": ("r/log.jsonl", "", _jsonl, "train/loss"),
    "keras": ("r/training.log", "epoch,loss,val_loss\n", _keras, "loss"),
    "lightning": ("r/version_0/metrics.csv", "epoch,step,train_loss,val_loss\n", _lightning, "train_loss"),
}


@pytest.mark.parametrize("kind", list(FORMATS))
def test_a_resumed_jobs_lines_after_a_crashs_zeros_are_read_and_restart_the_curve(tmp_path: Path, kind: str):
    relative, header, line, tag = FORMATS[kind]
    path = tmp_path / relative
    path.parent.mkdir(parents=True)
    old = [1 / (step + 1) for step in range(6)]
    path.write_text(header + "".join(line(step, loss) for step, loss in enumerate(old)))
    with open(path, "ab") as handle:
        handle.write(bytes(ZEROS))  # the crash's zero-filled last blocks
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = next(iter(monitor.store.runs.values()))
    assert run.scalars[tag].values.tolist() == pytest.approx(old) and run.skipped_bytes == ZEROS
    new = {step: 0.9 / (step + 1) for step in range(4, 9)}  # resumed from its checkpoint at step 4
    with open(path, "a") as handle:
        handle.write("".join(line(step, loss) for step, loss in new.items()))
    monitor.refresh()
    curve = dict(zip(run.scalars[tag].steps.tolist(), run.scalars[tag].values.tolist(), strict=True))
    steps = [step * 10 for step in range(9)] if kind == "lightning" else list(range(9))
    assert sorted(curve) == steps
    assert [curve[s] for s in steps[4:]] == pytest.approx(list(new.values()))  # the resumed job's, not the old
    assert run.skipped_records == 0 and run.skipped_bytes == ZEROS
