"""YOLO's ``results.csv``, written exactly as its trainers' source writes it, read as a Keras-style CSV log.

YOLOv5 (``utils/loggers/__init__.py``, ``on_fit_epoch_end``) pads every name and number to 20 characters
(``'%20s,'``, ``'%20.5g,'``) and numbers epochs from 0; Ultralytics 8.0 (``BaseTrainer.save_metrics``) to 23,
epochs from 1; Ultralytics 8.1 and later writes them unpadded, with a ``time`` column. The padded header
(``               epoch,      train/box_loss``) was not taken for a log at all: ``no runs``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_pairing import ULTRALYTICS_KEYS, YOLOV5_KEYS

from tui.cli.main import main
from tui.live.monitor import Monitor

EPOCHS = 40
ONSET = 20
"""Validation's box loss turns up here while training goes on falling."""


def metrics(keys: list[str], epoch: int) -> list[float]:
    """One epoch's values: box losses as an overfitting detector's, the rest plausible; ``nan`` as YOLO writes it
    for a metric it could not compute."""
    rng = np.random.default_rng(epoch)
    train = 1.6 * np.exp(-epoch / 12) + 0.5 + rng.normal(0, 0.004)
    val = 1.4 * np.exp(-epoch / 8) + 0.9 + 0.02 * max(0, epoch - ONSET) + rng.normal(0, 0.004)
    out = []
    for key in keys:
        if key == "train/box_loss":
            out.append(train)
        elif key == "val/box_loss":
            out.append(val)
        elif key.endswith("_loss"):
            out.append(val if key.startswith("val") else train)
        elif key.startswith(("x/", "lr/")):
            out.append(0.01 * (1 - epoch / EPOCHS) + 1e-4)
        else:
            out.append(float("nan") if epoch == 0 else 0.6 * (1 - np.exp(-epoch / 10)))
    return out


def append_epoch(path: Path, keys: list[str], epoch: int, logged_epoch: int, width: int | None) -> None:
    """What the trainer does at each epoch's end: the header if the file is new, then one row."""
    names, values = ["epoch", *keys], [logged_epoch, *metrics(keys, epoch)]
    if width is None:  # Ultralytics 8.1+: unpadded, a ``time`` column after the epoch
        names.insert(1, "time")
        values.insert(1, 61.5 * (epoch + 1))
        header, row = ",".join(names), ",".join(f"{v:.6g}" for v in values)
    else:
        header = ((f"%{width}s," * len(names)) % tuple(names)).rstrip(",")
        row = ((f"%{width}.5g," * len(values)) % tuple(values)).rstrip(",")
    with open(path, "a") as handle:
        handle.write(("" if path.exists() and path.stat().st_size else header + "\n") + row + "\n")


WRITERS = {
    "yolov5": (YOLOV5_KEYS, 20, 0),
    "ultralytics-8.0": (ULTRALYTICS_KEYS, 23, 1),
    "ultralytics-8.3": (ULTRALYTICS_KEYS, None, 1),
}


@pytest.mark.parametrize("writer", WRITERS)
def test_results_csv_is_read_as_it_is_written_and_judged(tmp_path: Path, writer: str):
    keys, width, first_epoch = WRITERS[writer]
    path = tmp_path / "runs" / "train" / "exp" / "results.csv"
    path.parent.mkdir(parents=True)
    monitor = Monitor(str(tmp_path / "runs"))
    for epoch in range(EPOCHS):
        append_epoch(path, keys, epoch, epoch + first_epoch, width)
        if epoch in (0, ONSET, EPOCHS - 1):  # read while the trainer writes: new rows only
            monitor.refresh()
    run = monitor.store.runs["train/exp"]
    assert set(keys) <= set(run.scalars)
    steps, values, _ = run.scalars["val/box_loss"].arrays()
    assert steps.tolist() == list(range(first_epoch, EPOCHS + first_epoch))
    digits = ".6g" if width is None else ".5g"
    written = [float(format(metrics(keys, e)[keys.index("val/box_loss")], digits)) for e in range(EPOCHS)]
    assert values.tolist() == written
    assert np.isnan(run.scalars[keys[3]].arrays()[1][0])  # a metric YOLO wrote as nan
    verdict = monitor.verdict("train/exp")
    assert (verdict.train_tag, verdict.val_tag, verdict.kind) == ("train/box_loss", "val/box_loss", "overfitting")


def test_check_names_a_padded_yolov5_run(tmp_path: Path, capsys):
    path = tmp_path / "runs" / "exp" / "results.csv"
    path.parent.mkdir(parents=True)
    for epoch in range(EPOCHS):
        append_epoch(path, YOLOV5_KEYS, epoch, epoch, 20)
    assert main(["check", str(tmp_path / "runs")]) == 1  # overfitting needs attention
    out = capsys.readouterr().out
    assert "exp" in out and "overfitting" in out and "no runs" not in out
