"""A Keras log saved by a spreadsheet in a European locale: ``;`` between cells and a decimal comma (``0,4521``).

Every number failed to read, and the run sat at "waiting" with no points and not a word of why.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tui.live.monitor import Monitor


def _write(path: Path, rows: list[list[object]], mode: str = "w", decimal: str = ",") -> None:
    with open(path, mode, newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        for row in rows:
            writer.writerow([str(cell).replace(".", decimal) if isinstance(cell, float) else cell for cell in row])


def _read(tmp_path: Path, text: str) -> dict:
    """The curves of one run whose log holds ``text``."""
    run = tmp_path / "job"
    run.mkdir()
    (run / "training.log").write_text(text)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    return monitor.store.runs["job"].scalars


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


@pytest.mark.parametrize("first", [[0, 2, 3], [0, "NA", "NA"]])
def test_the_rows_that_tell_the_decimal_point_may_come_after_whole_numbers_or_missing_values(
    tmp_path: Path, first: list[object]
):
    """Decided from the first row alone, a log opening with whole numbers or ``NA`` read its decimal commas as
    nothing, unsaid (a reviewer's find)."""
    run = tmp_path / "job"
    run.mkdir()
    log = run / "training.log"
    _write(log, [["epoch", "loss", "val_loss"], first])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    _write(log, _losses(range(1, 4)), mode="a")  # the rows that tell it come later
    monitor.refresh()
    _write(log, [[4, 0.125, 0.25]], mode="a")
    monitor.refresh()
    loss = monitor.store.runs["job"].scalars["loss"]
    known = [] if first[1] == "NA" else [2.0]
    assert loss.values.tolist() == [*known, *(row[1] for row in _losses(range(1, 4))), 0.125]
    assert monitor.store.runs["job"].skipped_records == 0


def test_thousands_grouped_by_points_are_read_in_a_decimal_comma_log(tmp_path: Path):
    scalars = _read(tmp_path, "epoch;loss;val_loss\n0;1.234,5;2.000\n1;0,5;0,75\n")
    assert scalars["loss"].values.tolist() == [1234.5, 0.5]
    assert scalars["val_loss"].values.tolist() == [2000.0, 0.75]


def test_a_log_cut_and_written_again_with_decimal_commas_is_read_anew(tmp_path: Path):
    run = tmp_path / "job"
    run.mkdir()
    log = run / "training.log"
    _write(log, [["epoch", "loss", "val_loss"], *_losses(range(4))], decimal=".")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    _write(log, [["epoch", "loss", "val_loss"], [0, 0.9, 0.95], [1, 0.8, 0.85]])  # the job started again
    monitor.refresh()
    _write(log, [[2, 0.7, 0.75]], mode="a")
    monitor.refresh()
    assert monitor.store.runs["job"].scalars["loss"].values.tolist() == [0.9, 0.8, 0.7]


def test_a_text_cell_with_a_comma_leaves_a_decimal_point_log_as_it_is(tmp_path: Path):
    """``224,224`` beside ``0.5`` is no number: the log's decimal point is the point (a reviewer's find: that
    cell made a curve of 224.224)."""
    scalars = _read(tmp_path, "epoch;loss;val_loss;input_size\n0;0.5;0.6;224,224\n1;0.4;0.5;224,224\n")
    assert scalars["loss"].values.tolist() == [0.5, 0.4]
    assert "input_size" not in scalars or len(scalars["input_size"].values) == 0


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
