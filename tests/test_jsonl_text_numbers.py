"""JSON-lines values written as text: ``json.dumps(record, default=str)`` writes a NumPy float32 (a loss taken
from a tensor) as ``"0.5"``, and a float32 NaN as ``"nan"``. They are numbers, not text to leave out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tui.cli.main import main
from tui.live.monitor import Monitor


def _log(folder: Path, blow_up_at: int | None = None) -> list[np.float32]:
    folder.mkdir(parents=True)
    losses = [np.float32(2.0 / (1 + step)) for step in range(40)]
    if blow_up_at is not None:
        losses[blow_up_at:] = [np.float32("nan")] * (40 - blow_up_at)
    with open(folder / "log.jsonl", "w") as handle:
        for step, loss in enumerate(losses):
            record = {"step": step, "loss": loss, "val_loss": loss * np.float32(1.1), "note": "tensor(0.5)"}
            handle.write(json.dumps(record, default=str) + "\n")
    return losses


def test_numbers_written_as_text_are_read_as_the_numbers(tmp_path: Path):
    """The run read 'waiting: none of its curves is a loss' (only numbers written as numbers were curves)."""
    losses = _log(tmp_path / "run")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["run"]
    assert run.scalars["loss"].values.tolist() == [float(str(loss)) for loss in losses]
    assert run.scalars["val_loss"].steps.tolist() == list(range(40))
    assert "note" not in run.scalars  # text that is no number stays out


def test_a_nan_written_as_text_is_a_blow_up(tmp_path: Path, capsys):
    _log(tmp_path / "run", blow_up_at=25)
    assert main(["check", str(tmp_path)]) == 1
    assert "diverging" in capsys.readouterr().out
