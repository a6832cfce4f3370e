"""One record whose step goes back, or is no step at all, costs a run that record and no more.

Found by trying hostile logs: one JSON line written with an older step purged, in the same batch, every point the
other curve had after it; a negative step was read as a step (it restarted the run from below zero: the other
curve was gone); a Trainer history entry at step -3 took every evaluation; an MLflow metric line with four fields
restarted its curve from the fourth field's step.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from tui.live.monitor import Monitor

LOGGERS = Path(__file__).parent / "loggers" / "runs"


def _curves(tmp_path: Path) -> dict[str, dict[str, list[int]]]:
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    return {
        name: {tag: series.steps.tolist() for tag, series in run.scalars.items()}
        for name, run in monitor.store.runs.items()
    }


def _damaged(tmp_path: Path, run: str) -> int:
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    return monitor.store.runs[run].skipped_records


def _jsonl(path: Path, line: int, step: object) -> None:
    """Sixty epochs of ``loss`` and ``val_loss`` lines, line ``line``'s step replaced by ``step``."""
    lines = []
    for epoch in range(60):
        lines.append({"step": epoch, "loss": 2 * math.exp(-epoch / 10) + 0.05})
        lines.append({"step": epoch, "val_loss": 2 * math.exp(-epoch / 10) + 0.1})
    lines[line]["step"] = step
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(entry) + "\n" for entry in lines))


@pytest.mark.parametrize(
    "line, curve, other, kept",
    [(13, "val_loss", "loss", [0, 1]), (12, "loss", "val_loss", [0, 1, 6])],  # val's epoch 6 comes after the loss
)
def test_one_json_line_going_back_purges_from_its_step_and_keeps_what_came_after_it(tmp_path, line, curve, other, kept):
    """Line ``line`` (epoch 6) says step 2: a restart at 2, as TensorBoard purges; the points after it stay."""
    _jsonl(tmp_path / "run" / "log.jsonl", line, 2)
    steps = _curves(tmp_path)["run"]
    after = list(range(7, 60))
    assert steps[curve] == [0, 1, 2, *after]
    assert steps[other] == [*kept, *after]  # was [0, 1]: its later points purged by the line read after them


@pytest.mark.parametrize("step", [-3, -1])
def test_a_negative_step_is_a_damaged_line_not_a_restart(tmp_path, step):
    _jsonl(tmp_path / "run" / "log.jsonl", 13, step)
    steps = _curves(tmp_path)["run"]
    assert steps["loss"] == list(range(60))  # was gone: purged from step -3 on
    assert steps["val_loss"] == [s for s in range(60) if s != 6]
    assert _damaged(tmp_path, "run") == 1


def test_a_trainer_history_entry_at_a_negative_step_costs_that_entry_alone(tmp_path):
    run = tmp_path / "hf-out"
    shutil.copytree(LOGGERS / "hf-out" / "checkpoint-3000", run / "checkpoint-3000")
    state_path = run / "checkpoint-3000" / "trainer_state.json"
    state = json.loads(state_path.read_text())
    history = state["log_history"]
    trained = [entry for entry in history if "loss" in entry]
    evaluated = [entry["step"] for entry in history if "eval_loss" in entry]
    trained[5]["step"] = -3
    state_path.write_text(json.dumps(state))
    steps = _curves(tmp_path)["hf-out"]
    assert steps["eval_loss"] == evaluated  # was gone: every evaluation purged from step -3 on
    assert len(steps["loss"]) == len(trained) - 1
    assert _damaged(tmp_path, "hf-out") == 1


@pytest.mark.parametrize("bad", ["1796190284900 0.5 1 1", "1796190284900 0.5 -3"])
def test_an_mlflow_metric_line_with_four_fields_or_a_negative_step_is_damaged(tmp_path, bad):
    shutil.copytree(LOGGERS / "mlruns", tmp_path / "mlruns")
    metric = next((tmp_path / "mlruns").rglob("metrics/val_loss"))
    before = _curves(tmp_path)
    (name,) = [name for name, tags in before.items() if "val_loss" in tags]
    with open(metric, "a") as handle:
        handle.write(bad + "\n")
    after = _curves(tmp_path)
    assert after[name]["val_loss"] == before[name]["val_loss"]  # was cut back to step 1 (the fourth field's)
    assert _damaged(tmp_path, name) == 1
