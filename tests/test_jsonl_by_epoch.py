"""JSON-lines logs numbered by ``epoch`` alone, as a hand-written loop writes them
(``{"epoch": 3, "train_loss": ..., "val_loss": ...}``): a new user's find, read as "no training logs found"."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

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
    again = {"epoch": 11, "train_loss": 0.25}  # a metric of epoch 11 again, with another value: a batch's
    _write(
        log, [*_overfitting(range(10, 12)), again, _overfitting(range(11, 12))[0], {"epoch": 12.5, "train_loss": 0.3}]
    )
    monitor.refresh()
    run = monitor.store.runs["run"]
    assert run.scalars["train_loss"].steps.tolist() == list(range(12))
    assert run.skipped_records == 2 and run.damaged


def _read(folder: Path) -> dict[str, list[int]]:
    monitor = Monitor(str(folder))
    monitor.refresh()
    run = monitor.store.runs.get("run")
    return {tag: series.steps.tolist() for tag, series in run.scalars.items()} if run else {}


def test_a_resumed_run_and_a_line_written_twice_are_read_from_scratch(tmp_path: Path):
    """Epochs 0 to 6, then 4 to 7 (resumed from a checkpoint), and a line written twice: read whole, as live; they
    were an empty run read afresh (a reviewer's find)."""
    _write(tmp_path / "resumed" / "run" / "log.jsonl", _overfitting(range(7)) + _overfitting(range(4, 8)))
    assert _read(tmp_path / "resumed")["val_loss"][:7] == list(range(7))
    _write(tmp_path / "twice" / "run" / "log.jsonl", _overfitting(range(7)) + _overfitting(range(6, 8)))
    assert _read(tmp_path / "twice")["val_loss"] == list(range(8))


def test_validation_and_training_lines_of_one_epoch_may_share_what_they_log(tmp_path: Path):
    """Separate lines for training and validation at each epoch, both with the learning rate, a phase and a date,
    or nested under ``metrics``: refused as per-batch lines (a reviewer's find)."""
    flat, nested = [], []
    for epoch, line in enumerate(_overfitting(range(6))):
        for phase in ("train", "val"):
            loss = line[f"{phase}_loss"]
            flat.append({"epoch": epoch, "phase": phase, "lr": 0.1, "date": "2026-12-07", f"{phase}_loss": loss})
            nested.append({"epoch": epoch, "metrics": {f"{phase}_loss": loss, "lr": 0.1}})
    _write(tmp_path / "flat" / "run" / "log.jsonl", flat)
    _write(tmp_path / "nested" / "run" / "log.jsonl", nested)
    assert _read(tmp_path / "flat")["val_loss"] == list(range(6))
    assert _read(tmp_path / "nested")["metrics/val_loss"] == list(range(6))


def test_a_per_batch_log_is_read_alike_whether_first_read_at_one_line_or_whole(tmp_path: Path):
    """Its first line alone decided "numbered by epoch" when read live, and every batch after it was damaged; read
    whole it was no log. One line tells no numbering: it is no log either way."""
    log = tmp_path / "run" / "log.jsonl"
    _write(log, [{"epoch": 0, "batch": 0, "loss": 3.0}])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    _write(log, [{"epoch": 0, "batch": b, "loss": 3.0 - 0.01 * b} for b in range(1, 300)])
    monitor.refresh()
    assert "run" not in monitor.store.runs and _read(tmp_path) == {}


def test_a_log_numbered_by_epoch_restarted_in_place_is_read_again(tmp_path: Path):
    """``open(path, "w")`` again: the first read after it found the file empty, decided "not numbered by epoch" for
    good, and the new run's lines were dropped without a word while the old run's stayed (a reviewer's find)."""
    log = tmp_path / "run" / "log.jsonl"
    _write(log, _overfitting(range(10)))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    log.write_text("")  # the job started again in its folder
    monitor.refresh()
    again = [dict(line, val_loss=line["val_loss"] + 1.0) for line in _overfitting(range(8))]
    _write(log, again)
    monitor.refresh()
    series = monitor.store.runs["run"].scalars["val_loss"]
    assert series.steps.tolist() == list(range(8)) and series.values[0] == pytest.approx(again[0]["val_loss"])


def test_config_lines_first_and_blank_lines_between(tmp_path: Path):
    """Four config lines, then the epochs: its one epoch line among the first five tells (it was never found); blank
    lines between records are no lines to the reader and none to the finder."""
    configs = [{"seed": 0}, {"lr": 0.1}, {"model": "cnn"}, {"batch_size": 32}]
    _write(tmp_path / "configs" / "run" / "log.jsonl", [*configs, *_overfitting(range(6))])
    assert _read(tmp_path / "configs")["val_loss"] == list(range(6))
    text = "".join(json.dumps(line) + "\n\n\n" for line in _overfitting(range(6)))
    (tmp_path / "blank" / "run").mkdir(parents=True)
    (tmp_path / "blank" / "run" / "log.jsonl").write_text(text)
    assert _read(tmp_path / "blank")["val_loss"] == list(range(6))


@pytest.mark.parametrize("blank", ["\n" * 5, "\n \r\n\t\n\n\n\n\n"])
@pytest.mark.parametrize("config", [False, True])
def test_a_log_opening_with_blank_lines_is_found(tmp_path: Path, blank: str, config: bool):
    """Five blank lines first (a script that prints newlines before its records) filled the five lines the finder
    looked at: no run, without a word, while other runs were there."""
    records = [{"lr": 0.1}] * config + _overfitting(range(6))
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "log.jsonl").write_text(blank + "".join(json.dumps(line) + "\n" for line in records))
    assert _read(tmp_path)["val_loss"] == list(range(6))


def test_a_step_keyed_log_opening_with_an_evaluation_at_epoch_zero_keeps_its_steps(tmp_path: Path):
    """``{"epoch": 0, "val_loss": ...}`` before training, then lines with a step: the first line decided "numbered by
    epoch", and validation sat at epochs 0 to 8 beside training's steps 10 to 800 (a reviewer's find)."""
    lines: list[dict] = [{"epoch": 0, "val_loss": 2.3}]
    for step in range(10, 810, 10):
        lines.append({"step": step, "epoch": step / 100, "loss": 2.0 / (1 + step / 100)})
        if step % 100 == 0:
            lines.append({"epoch": step // 100, "val_loss": 2.2 / (1 + step / 100)})
    _write(tmp_path / "run" / "log.jsonl", lines)
    steps = _read(tmp_path)
    assert steps["loss"] == list(range(10, 810, 10))
    assert "epoch" in steps  # the Trainer-like fractional epoch stays a curve
    # validation's lines, without a step, at the step each epoch ended (before training: 0), not at epoch numbers
    assert steps["val_loss"] == list(range(0, 810, 100))


def test_validation_lines_with_an_epoch_alone_in_a_log_numbered_by_step_are_judged(tmp_path: Path, capsys):
    """A loop logs ``{"step": s, "loss": ...}`` every batch and ``{"epoch": e, "val_loss": ...}`` after each epoch:
    its validation lines had no step and were dropped without a word, so its overfitting never showed."""
    lines: list[dict] = []
    for epoch, line in enumerate(_overfitting(range(40))):
        lines += [{"step": 50 * epoch + b, "loss": line["train_loss"] * (1.01 - 0.0002 * b)} for b in range(50)]
        lines.append({"epoch": epoch, "val_loss": line["val_loss"]})
    _write(tmp_path / "run" / "log.jsonl", lines)
    assert _read(tmp_path)["val_loss"][:3] == [49, 99, 149]  # where each epoch ended
    assert main(["check", str(tmp_path)]) == 1
    assert "run: overfitting:" in capsys.readouterr().out


def _steps_and_evaluations(epochs: range) -> list[dict]:
    """Per-batch step lines of an overfitting run, validation's line without a step after each epoch."""
    lines: list[dict] = []
    for epoch, line in zip(epochs, _overfitting(epochs), strict=True):
        lines += [{"step": 50 * epoch + b, "loss": line["train_loss"] * (1.01 - 0.0002 * b)} for b in range(50)]
        lines.append({"epoch": epoch, "val_loss": line["val_loss"]})
    return lines


def test_a_live_read_of_evaluations_before_training_waits_for_the_lines_that_tell(tmp_path: Path):
    """A log opening with two evaluations at epoch 0 and no step read live: they decided "numbered by epoch", and the
    validation read later sat at epochs 0 to 12 beside training's steps, where a fresh read put it where each epoch
    ended: the live view read ``learning`` and ``check`` ``overfitting`` (a reviewer's find)."""
    log = tmp_path / "run" / "log.jsonl"
    _write(log, [{"epoch": 0, "val_loss": 2.5}, {"epoch": 0, "test_loss": 2.6}])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    lines = _steps_and_evaluations(range(30))
    for start in range(0, len(lines), 200):
        _write(log, lines[start : start + 200])
        monitor.refresh()
    live = {tag: series.steps.tolist() for tag, series in monitor.store.runs["run"].scalars.items()}
    assert live == _read(tmp_path) and live["val_loss"][:3] == [0, 49, 99]
    verdict = monitor.verdict("run")
    assert verdict is not None and verdict.kind == "overfitting"


def test_batches_keyed_by_epoch_in_a_log_numbered_by_step_are_damaged_not_piled_on_one_step(tmp_path: Path):
    """Per-batch lines with an epoch and no step between step-keyed validation lines: all of an epoch's batches went
    to one step, the first kept and the rest dropped without a word (a reviewer's find)."""
    lines: list[dict] = [{"step": 0, "val_loss": 3.3}]
    for epoch in range(6):
        lines += [{"epoch": epoch, "batch": b, "loss": 3.0 - 0.3 * epoch - 0.001 * b} for b in range(100)]
        lines.append({"step": 100 * epoch + 99, "val_loss": 3.0 - 0.3 * epoch})
    _write(tmp_path / "run" / "log.jsonl", lines)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["run"]
    assert run.skipped_records >= 5 * 99 and run.damaged  # each epoch's batches after its first, said


def test_a_config_line_naming_an_epoch_before_any_step_is_no_point(tmp_path: Path):
    config = {"epoch": 10, "lr": 0.1, "batch_size": 32, "val_loss": 0.0}  # a config echoing its settings
    _write(tmp_path / "run" / "log.jsonl", [config, *_steps_and_evaluations(range(6))])
    steps = _read(tmp_path)
    assert "lr" not in steps and "batch_size" not in steps and steps["val_loss"][0] == 49


@pytest.mark.parametrize("bad", ['{"epoch": "x", "val_loss": 1}', '{"epoch": null, "val_loss": 1}', "[1, 2, 3]", "7"])
@pytest.mark.parametrize("numbered", ["epoch", "step"])
def test_a_line_with_no_epoch_or_no_object_is_counted_damaged(tmp_path: Path, bad: str, numbered: str):
    """Dropped without a word (a QA pass), where a line that does not parse, or whose step is text, is counted."""
    lines = [json.dumps({numbered: i, "loss": 1 / (i + 1), "val_loss": 1.1 / (i + 1)}) for i in range(12)]
    lines.insert(8, bad)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["run"]
    assert run.scalars["val_loss"].steps.tolist() == list(range(12))
    # a step log reads {"epoch": "x"} as an epoch's line placed at its step: it is no epoch there either
    assert run.skipped_records == 1
