"""A Keras-style CSV log whose header is quoted, as Python's ``csv`` writes it: every cell with ``QUOTE_ALL``, or
a name holding the separator. Both read "no runs" (exit 2): the header test wanted a bare name after ``epoch``.
A name holding a newline, which ``csv`` quotes across two lines, made the whole log damaged."""

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


@pytest.mark.parametrize("name", ["val\nloss", "val\n\nloss"])  # a blank line inside the header is still the header's
@pytest.mark.parametrize("delimiter, line_end", [(",", "\n"), (";", "\r\n")])
def test_a_keras_name_holding_a_newline_is_one_column_and_every_row_is_read(
    tmp_path: Path, delimiter: str, line_end: str, name: str
):
    run = tmp_path / "job"
    run.mkdir()
    path = run / "training.log"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=line_end)
        writer.writerow(["epoch", "loss", name])
        for epoch in range(6):
            writer.writerow([epoch, 1 / (epoch + 1), 1.1 / (epoch + 1)])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    with open(path, "a", newline="") as handle:  # tailed: rows written after the first read
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=line_end)
        for epoch in range(6, 10):
            writer.writerow([epoch, 1 / (epoch + 1), 1.1 / (epoch + 1)])
    monitor.refresh()
    run_state = monitor.store.runs["job"]
    assert sorted(run_state.scalars) == ["loss", name]
    assert run_state.scalars[name].steps.tolist() == list(range(10))
    assert run_state.skipped_records == 0 and not run_state.damaged


def test_a_lightning_log_with_a_name_holding_a_newline_is_read(tmp_path: Path):
    """Lightning's CSVLogger writes with ``csv.DictWriter``, its keys sorted."""
    version = tmp_path / "lightning_logs" / "version_0"
    version.mkdir(parents=True)
    names = ["epoch", "step", "train\nloss", "val_loss"]
    with open(version / "metrics.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for epoch in range(8):
            writer.writerow(
                {"epoch": epoch, "step": 10 * epoch, "train\nloss": 2 / (epoch + 1), "val_loss": 1 / (epoch + 1)}
            )
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    scalars = monitor.store.runs["lightning_logs/version_0"].scalars
    assert scalars["train\nloss"].steps.tolist() == [10 * e for e in range(8)]
    assert scalars["val_loss"].values.tolist() == pytest.approx([1 / (e + 1) for e in range(8)])
