"""A Keras-style CSV log whose header is quoted, as Python's ``csv`` writes it: every cell with ``QUOTE_ALL``, or
a name holding the separator. Both read "no runs" (exit 2): the header test wanted a bare name after ``epoch``."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tui.live.monitor import Monitor


@pytest.mark.parametrize(
    "quoting, names",
    [
        (csv.QUOTE_ALL, ["epoch", "loss", "val_loss"]),
        (csv.QUOTE_MINIMAL, ["epoch", "loss, total", "val_loss"]),
        (csv.QUOTE_NONNUMERIC, ["epoch", "loss", "val_loss"]),
    ],
)
def test_a_quoted_header_is_a_keras_log_and_its_curves_are_read(tmp_path: Path, quoting: int, names: list[str]):
    run = tmp_path / "job"
    run.mkdir()
    with open(run / "history.csv", "w", newline="") as handle:
        writer = csv.writer(handle, quoting=quoting)
        writer.writerow(names)
        for epoch in range(12):
            writer.writerow([epoch, 1 / (epoch + 1), 1.1 / (epoch + 1)])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    scalars = monitor.store.runs["job"].scalars
    assert sorted(scalars) == sorted(names[1:])
    assert scalars["val_loss"].steps.tolist() == list(range(12))
    assert scalars["val_loss"].values.tolist() == pytest.approx([1.1 / (e + 1) for e in range(12)])
