"""A text log a crash left zeros in, and the resumed job's lines after them (appended: ``open(path, "a")``). The
zeros were read as the start of the next line, so the resumed job's first line (a step going back: the restart)
was lost as damaged, and the steps it wrote again kept the old job's values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tui.live.monitor import Monitor

ZEROS = 4096
LOGGERS = Path(__file__).parent / "loggers" / "runs"


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


CUT_SHORT = {"jsonl": 12, "keras": 4, "lightning": 3}
"""Where the crash's zeros cut the old job's last line: what is left of it still reads as a row (keras ``5,0.``, a
loss of 0; lightning ``5,5``, a step going back) except JSON's."""


@pytest.mark.parametrize("kind", list(FORMATS))
def test_a_line_the_zeros_cut_short_is_no_point_and_is_said_skipped(tmp_path: Path, kind: str):
    """Zeros from the middle of a line (a crash's zero-filled page): that line's start read as a whole row made a
    point up (a loss of 0 at epoch 5) or a step going back that purged the curve, with "everything else was read"."""
    relative, header, line, tag = FORMATS[kind]
    path = tmp_path / relative
    path.parent.mkdir(parents=True)
    old = [1 / (step + 1) for step in range(6)]
    cut = line(5, old[5])[: CUT_SHORT[kind]]
    path.write_text(header + "".join(line(step, loss) for step, loss in enumerate(old[:5])) + cut)
    with open(path, "ab") as handle:
        handle.write(bytes(ZEROS))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = next(iter(monitor.store.runs.values()))
    # Nothing after the zeros yet: damage, not a line a job is still writing.
    assert run.scalars[tag].values.tolist() == pytest.approx(old[:5])
    assert run.skipped_bytes == ZEROS + len(cut) and run.incomplete_bytes == 0
    new = {step: 0.9 / (step + 1) for step in range(6, 9)}
    with open(path, "a") as handle:
        handle.write("".join(line(step, loss) for step, loss in new.items()))
    monitor.refresh()
    curve = dict(zip(run.scalars[tag].steps.tolist(), run.scalars[tag].values.tolist(), strict=True))
    scale = 10 if kind == "lightning" else 1
    assert curve == pytest.approx(
        {**{s * scale: v for s, v in enumerate(old[:5])}, **{s * scale: v for s, v in new.items()}}
    )
    assert run.skipped_records == 0 and run.skipped_bytes == ZEROS + len(cut)


def test_an_mlflow_metric_line_the_zeros_cut_short_is_no_point(tmp_path: Path):
    """MLflow's file store (``timestamp value step``): ``1796612739247 0.2166`` left by the zeros has no step, was
    read as step 0 and purged the curve from step 1."""
    shutil.copytree(LOGGERS / "mlruns", tmp_path / "mlruns")  # written by mlflow's own file store
    (metrics,) = tmp_path.glob("mlruns/*/*/metrics")
    lines = [f"{1796612739000 + step} {1 / (step + 1)} {step}\n" for step in range(8)]
    for name in ("train_loss", "val_loss"):
        cut = "".join(lines[:5]) + lines[5][:18]
        (metrics / name).write_bytes(cut.encode() + bytes(ZEROS) + "".join(lines[6:]).encode())
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = next(run for name, run in monitor.store.runs.items() if name.startswith("mlruns/"))
    assert run.scalars["train_loss"].steps.tolist() == [0, 1, 2, 3, 4, 6, 7]
    assert run.skipped_bytes == 2 * (ZEROS + 18)
