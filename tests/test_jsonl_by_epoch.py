"""JSON-lines logs numbered by ``epoch`` alone, as a hand-written loop writes them
(``{"epoch": 3, "train_loss": ..., "val_loss": ...}``): a new user's find, read as "no training logs found"."""

from __future__ import annotations

import json
import math
from pathlib import Path

from tui.cli.main import main
from tui.live.monitor import Monitor


def _write(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        handle.writelines(json.dumps(record) + "\n" for record in records)


def _overfitting(epochs: range) -> list[dict]:
    """Training falling; validation falling to epoch 15, then climbing 0.02 an epoch."""
    return [
        {
            "epoch": epoch,
            "train_loss": 2.0 * math.exp(-epoch / 8) + 0.1,
            "val_loss": 2.2 * math.exp(-epoch / 8) + 0.3 + max(0, epoch - 15) * 0.02,
        }
        for epoch in epochs
    ]


def test_a_log_numbered_by_epoch_is_read_with_its_epochs_as_steps(tmp_path: Path, capsys):
    config = {"lr": 0.1, "model": "cnn"}  # a config line first
    _write(tmp_path / "run" / "metrics.jsonl", [config, *_overfitting(range(40))])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["run"]
    assert run.scalars["val_loss"].steps.tolist() == list(range(40))
    assert "epoch" not in run.scalars  # it is the step, not a curve
    assert main(["check", str(tmp_path)]) == 1
    assert "run: overfitting:" in capsys.readouterr().out


def test_a_log_numbered_by_epoch_is_tailed_as_it_grows(tmp_path: Path):
    log = tmp_path / "run" / "log.jsonl"
    _write(log, _overfitting(range(10)))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    _write(log, _overfitting(range(10, 40)))
    monitor.refresh()
    assert monitor.store.runs["run"].scalars["train_loss"].steps.tolist() == list(range(40))
    verdict = monitor.verdict("run")
    assert verdict is not None and verdict.kind == "overfitting"


def test_an_epoch_beside_a_step_stays_a_curve(tmp_path: Path):
    """The Trainer's fractional ``epoch`` beside its ``step``, and a loop's whole one beside ``global_step``: the step
    key places the points, and the epoch is a curve as before."""
    _write(
        tmp_path / "run" / "log.jsonl",
        [{"global_step": 100 * e, "epoch": e, "loss": 1.0 / (1 + e), "val_loss": 1.1 / (1 + e)} for e in range(8)],
    )
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["run"]
    assert run.scalars["loss"].steps.tolist() == [100 * e for e in range(8)]
    assert run.scalars["epoch"].values.tolist() == list(range(8))


def test_a_fractional_epoch_alone_is_no_log(tmp_path: Path, capsys):
    """Without a step key, only a whole epoch numbers a line: ``{"epoch": 0.37, ...}`` says nothing of its step."""
    _write(tmp_path / "run" / "log.jsonl", [{"epoch": e / 10 + 0.05, "loss": 1.0} for e in range(8)])
    assert main(["check", str(tmp_path)]) == 2
    assert "no training logs found" in capsys.readouterr().err
