"""A Keras log saved by a spreadsheet in a European locale: ``;`` between cells and a decimal comma (``0,4521``).

Every number failed to read, and the run sat at "waiting" with no points and not a word of why.
"""

from __future__ import annotations

import csv
from pathlib import Path

from tui.live.monitor import Monitor


def _write(path: Path, rows: list[list[object]], mode: str = "w", decimal: str = ",") -> None:
    with open(path, mode, newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        for row in rows:
            writer.writerow([str(cell).replace(".", decimal) if isinstance(cell, float) else cell for cell in row])


def _losses(epochs: range) -> list[list[object]]:
    return [[epoch, round(1 / (epoch + 1), 6), round(1.2 / (epoch + 1), 6)] for epoch in epochs]


def test_a_log_with_decimal_commas_is_read_whole_and_as_it_grows(tmp_path: Path):
    run = tmp_path / "job"
    run.mkdir()
    log = run / "training.log"
    _write(log, [["epoch", "loss", "val_loss"], *_losses(range(6))])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    _write(log, _losses(range(6, 9)), mode="a")  # tailed: the column reader
    monitor.refresh()
    _write(log, [["broken", "row"], *_losses(range(9, 11))], mode="a")  # a damaged row: the cell-by-cell reader
    monitor.refresh()
    state = monitor.store.runs["job"]
    assert state.scalars["loss"].steps.tolist() == list(range(11))
    written = _losses(range(11))
    assert state.scalars["loss"].values.tolist() == [row[1] for row in written]
    assert state.scalars["val_loss"].values.tolist() == [row[2] for row in written]
    assert state.skipped_records == 1


def test_a_semicolon_log_with_decimal_points_and_whole_numbers_reads_as_before(tmp_path: Path):
    run = tmp_path / "job"
    run.mkdir()
    _write(run / "training.log", [["epoch", "loss", "val_loss"], [0, 2, 3], *_losses(range(1, 5))], decimal=".")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert monitor.store.runs["job"].scalars["loss"].values.tolist() == [2, *(row[1] for row in _losses(range(1, 5)))]


def test_a_comma_separated_log_never_reads_a_quoted_comma_as_a_decimal_point(tmp_path: Path):
    """A cell ``"1,5"`` in a comma-separated log is text (where a comma separates, it is no decimal point)."""
    run = tmp_path / "job"
    run.mkdir()
    with open(run / "training.log", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["epoch", "loss", "note"])
        writer.writerows([[0, 1.5, "1,5"], [1, 1.25, "2,5"]])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    scalars = monitor.store.runs["job"].scalars
    assert scalars["loss"].values.tolist() == [1.5, 1.25]
    assert "note" not in scalars or len(scalars["note"].values) == 0
