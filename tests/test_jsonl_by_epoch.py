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


def test_fractional_epochs_are_no_numbering_by_epoch(tmp_path: Path, capsys):
    """A Trainer callback's ``logs`` every few batches, whole at each epoch's end: taken as numbered by epoch, 18 of
    its 24 training lines were called damaged (a reviewer's find). Without a step key it says nothing of its step."""
    lines = [{"epoch": (i + 1) / 4, "loss": 1.0 / (1 + i)} for i in range(24)]
    lines += [{"epoch": e, "eval_loss": 1.1 / (1 + e)} for e in range(1, 7)]
    _write(tmp_path / "run" / "log.jsonl", sorted(lines, key=lambda line: line["epoch"]))
    assert main(["check", str(tmp_path)]) == 2
    assert "no training logs found" in capsys.readouterr().err


def test_a_per_batch_log_keyed_by_its_epoch_is_no_numbering_by_epoch(tmp_path: Path, capsys):
    """``{"epoch": e, "batch": b, "loss": ...}`` a hundred times an epoch: read as numbered by epoch, each epoch's
    first batch was its training loss and 1,188 of 1,200 lines were dropped unsaid (a reviewer's find)."""
    lines = []
    for epoch in range(12):
        lines += [{"epoch": epoch, "batch": b, "loss": 3.0 - 0.2 * epoch - 0.001 * b} for b in range(100)]
        lines.append({"epoch": epoch, "train_loss": 2.9 - 0.2 * epoch, "val_loss": 3.0 - 0.2 * epoch})
    _write(tmp_path / "run" / "log.jsonl", lines)
    assert main(["check", str(tmp_path)]) == 2
    assert "no training logs found" in capsys.readouterr().err


def test_a_line_that_breaks_the_numbering_later_is_damaged_not_dropped_unsaid(tmp_path: Path):
    """Decided on the lines read first, a log numbered by epoch that later logs a metric twice in an epoch, or a
    fractional epoch: those lines are counted as damaged, the others read."""
    log = tmp_path / "run" / "log.jsonl"
    _write(log, _overfitting(range(10)))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    _write(log, [*_overfitting(range(10, 12)), _overfitting(range(11, 12))[0], {"epoch": 12.5, "train_loss": 0.3}])
    monitor.refresh()
    run = monitor.store.runs["run"]
    assert run.scalars["train_loss"].steps.tolist() == list(range(12))
    assert run.skipped_records == 2 and run.damaged
