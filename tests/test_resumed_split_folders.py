"""A job resumed from its checkpoint into the same log folder, whose curves are in folders TensorBoard reads as runs
of their own (Keras' ``train/`` and ``validation/``, ``add_scalars``' key folders): each folder's new file goes back
to the resume step. Read folder by folder, the second folder's restart purged the whole run, the first folder's
new attempt too: a resumed Keras run's training curve ended at the resume step, and its overfitting read as
``learning``."""

from __future__ import annotations

import json
import math
from pathlib import Path

from conftest import file_version_event, scalar_event, write_records

from tui.cli.main import main
from tui.live.monitor import Monitor

EPOCHS, CRASHED_AT, RESUMED_FROM = 80, 45, 30


def _curves() -> tuple[list[float], list[float]]:
    train = [2.0 * math.exp(-e / 30) + 0.05 for e in range(EPOCHS)]
    val = [math.exp(-e / 30) + 0.5 + (0.03 * (e - 40) if e > 40 else 0.0) for e in range(EPOCHS)]
    return train, val


def _attempt(folder: Path, tag: str, values: list[float], first: int, wall: int, writer: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    points = [scalar_event(tag, step, values[step], wall + step) for step in range(first, len(values))]
    write_records(folder / f"events.out.tfevents.{wall}.host.{writer}.v2", [file_version_event(), *points])


def _resumed_keras_run(run: Path, split_first: str = "train") -> None:
    train, val = _curves()
    crashed = {"train": train[:CRASHED_AT], "validation": [v + 5.0 for v in val[:CRASHED_AT]]}  # an odd first try
    resumed = {"train": train, "validation": val}
    for split in ("train", "validation"):
        _attempt(run / split, "epoch_loss", crashed[split], 0, 1000, 1)
    for split in (split_first, {"train": "validation", "validation": "train"}[split_first]):
        _attempt(run / split, "epoch_loss", resumed[split], RESUMED_FROM, 9000, 2)


def test_a_resumed_keras_run_keeps_both_curves_new_attempt_and_rings(tmp_path: Path, capsys):
    _resumed_keras_run(tmp_path / "job")
    assert main(["check", "--json", str(tmp_path)]) == 1
    [record] = json.loads(capsys.readouterr().out)
    assert record["verdict"] == "overfitting"
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    train, val = _curves()
    curves = monitor.store.runs["job"].scalars
    for tag, expected in (("train/epoch_loss", train), ("validation/epoch_loss", val)):
        steps, values, _ = curves[tag].arrays()
        assert steps.tolist() == list(range(EPOCHS))
        assert math.isclose(float(values[-1]), expected[-1], rel_tol=1e-6)


def test_read_live_in_either_order_the_new_attempts_stay(tmp_path: Path):
    """Validation's new file read a poll before training's, and the other way round."""
    for first in ("train", "validation"):
        run = tmp_path / first / "job"
        train, val = _curves()
        for split, values in (("train", train[:CRASHED_AT]), ("validation", val[:CRASHED_AT])):
            _attempt(run / split, "epoch_loss", values, 0, 1000, 1)
        monitor = Monitor(str(run.parent))
        monitor.refresh()
        second = {"train": "validation", "validation": "train"}[first]
        for split in (first, second):
            _attempt(run / split, "epoch_loss", {"train": train, "validation": val}[split], RESUMED_FROM, 9000, 2)
            monitor.refresh()
        for tag in ("train/epoch_loss", "validation/epoch_loss"):
            assert monitor.store.runs["job"].scalars[tag].arrays()[0].tolist() == list(range(EPOCHS)), (first, tag)


def test_a_resumed_add_scalars_run_keeps_every_keys_new_attempt(tmp_path: Path, capsys):
    train, val = _curves()
    for wall, writer, first, values in ((1000, 1, 0, CRASHED_AT), (9000, 2, RESUMED_FROM, EPOCHS)):
        _attempt(tmp_path / "exp", "lr", [0.1] * values, first, wall, writer)
        _attempt(tmp_path / "exp" / "Loss_train", "Loss", train[:values], first, wall + 1, writer)
        _attempt(tmp_path / "exp" / "Loss_test", "Loss", val[:values], first, wall + 1, writer)
    assert main(["check", "--json", str(tmp_path)]) == 1
    [record] = json.loads(capsys.readouterr().out)
    assert (record["run"], record["verdict"]) == ("exp", "overfitting")
