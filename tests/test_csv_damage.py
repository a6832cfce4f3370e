"""A damaged row of a CSV log (a step that is no step, more or fewer cells than the header, text) is skipped and
counted; the rows around it keep their steps. At its row number, such a row read as a restart and dropped every row
before it (found by a review: one bad row cost a Lightning log its epochs 4 to 15, without a word)."""

from __future__ import annotations

from pathlib import Path

import pytest
from logger_runs import curve_of

from tui.live.monitor import Monitor

EPOCHS = 20


def _read(logdir: Path, run: str) -> tuple[list[int], int]:
    monitor = Monitor(str(logdir))
    monitor.refresh()
    found = monitor.store.runs[run]
    return curve_of(found, "val_loss")[0], found.skipped_records


@pytest.mark.parametrize("bad_step", ["abc", "1.5", "-5", str(2**64)])
def test_a_lightning_row_whose_step_is_no_step_costs_nothing_else(tmp_path: Path, bad_step: str):
    lines = ["epoch,step,train_loss,val_loss"]
    for epoch in range(EPOCHS):
        lines += [f"{epoch},{epoch * 10},{1 / (epoch + 1)},", f"{epoch},{epoch * 10},,{1 / (epoch + 1) + 0.05}"]
        if epoch == 12:
            lines.append(f"1,{bad_step},1,1")
    (tmp_path / "version_0").mkdir()
    (tmp_path / "version_0" / "metrics.csv").write_text("\n".join(lines) + "\n")
    assert _read(tmp_path, "version_0") == ([epoch * 10 for epoch in range(EPOCHS)], 1)


@pytest.mark.parametrize(
    "bad_rows",
    [
        ["7.5,1,1"],
        ["-3,1,1"],
        ["1,2,3,4,5,6"],
        ["garbage here"],
        ["1,2"],  # too few cells: read as epoch 1 again, it purged epochs 1 to 12 (a QA pass)
        ["7.5,1,1", "-3,1,1", "1,2,3,4,5,6", "x", "3,0.5"],
    ],
)
def test_a_keras_history_row_that_is_not_one_costs_nothing_else(tmp_path: Path, bad_rows: list[str]):
    lines = ["epoch,loss,val_loss"]
    for epoch in range(EPOCHS):
        lines.append(f"{epoch},{1 / (epoch + 1)},{1 / (epoch + 1) + 0.05}")
        if epoch == 12:
            lines += bad_rows
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "history.csv").write_text("\n".join(lines) + "\n")
    assert _read(tmp_path, "k") == (list(range(EPOCHS)), len(bad_rows))


def test_a_log_rewritten_whole_counts_its_damaged_row_once(tmp_path: Path):
    """pandas' ``to_csv`` every epoch rewrites the log whole: its one bad row was counted again at each read."""
    (tmp_path / "k").mkdir()
    path = tmp_path / "k" / "history.csv"
    monitor = Monitor(str(tmp_path))
    for epochs in range(3, 8):
        rows = [f"{e},{1 / (e + 1)},{1 / (e + 1) + 0.05}" for e in range(epochs)]
        staged = tmp_path / "staged.csv"
        staged.write_text("\n".join(["epoch,loss,val_loss", rows[0], "x,1,1", *rows[1:]]) + "\n")
        staged.replace(path)
        monitor.refresh()
        assert monitor.store.runs["k"].skipped_records == 1


def test_rows_ended_by_a_delimiter_are_rows(tmp_path: Path):
    """``0,1,`` under ``step,loss``: an empty cell after the last column is no extra cell (every row was taken for
    damaged)."""
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "metrics.csv").write_text("step,loss\n0,1,\n1,0.9,\n2,0.8,\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["v"]
    assert curve_of(run, "loss")[0] == [0, 1, 2] and run.skipped_records == 0


def test_a_lightning_row_short_of_cells_costs_nothing_else(tmp_path: Path):
    """Lightning writes every cell, empty where a metric was not logged: ``5,50`` under four columns is damage."""
    lines = ["epoch,step,train_loss,val_loss"]
    for epoch in range(EPOCHS):
        lines += [f"{epoch},{epoch * 10},{1 / (epoch + 1)},", f"{epoch},{epoch * 10},,{1 / (epoch + 1) + 0.05}"]
        if epoch == 12:
            lines.append("5,50")
    (tmp_path / "version_0").mkdir()
    (tmp_path / "version_0" / "metrics.csv").write_text("\n".join(lines) + "\n")
    assert _read(tmp_path, "version_0") == ([epoch * 10 for epoch in range(EPOCHS)], 1)


def _hand_written(folder: Path, jobs: list[tuple[float, range]]):
    """A loop's ``history.csv`` that writes ``epoch,train_loss`` on the epochs it does not validate (every fifth),
    each job's training loss raised by its offset; the run read from it."""
    lines = ["epoch,train_loss,val_loss"]
    for offset, epochs in jobs:
        for epoch in epochs:
            validated = f",{1 / (epoch + 1) + 0.05}" if epoch % 5 == 4 else ""
            lines.append(f"{epoch},{1 / (epoch + 1) + offset}{validated}")
    (folder / "k").mkdir()
    (folder / "k" / "history.csv").write_text("\n".join(lines) + "\n")
    monitor = Monitor(str(folder))
    monitor.refresh()
    return monitor.store.runs["k"]


def test_a_hand_written_log_that_leaves_off_validation_cells_is_read_whole(tmp_path: Path):
    """Short rows going on are rows (a review's find: every short row counted damaged, the training curve lost four
    epochs in five)."""
    run = _hand_written(tmp_path, [(0, range(30))])
    assert curve_of(run, "train_loss")[0] == list(range(30)) and run.skipped_records == 0
    assert curve_of(run, "val_loss")[0] == list(range(4, 30, 5))


def test_a_hand_written_log_with_short_rows_resumed_is_a_restart(tmp_path: Path):
    """Its short rows going back, once it has shown it leaves cells off, are a job resumed: counted damaged, the
    dead job's epochs stood (a review's find)."""
    run = _hand_written(tmp_path, [(0, range(12)), (0.5, range(10, 20))])
    steps, values = curve_of(run, "train_loss")
    assert steps == list(range(20)) and run.skipped_records == 0
    assert values[10] == pytest.approx(1 / 11 + 0.5)  # the resumed job's
