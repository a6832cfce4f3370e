"""A CSV log whose rows hold text where numbers belong: ``csv.writer`` given a PyTorch tensor writes its ``str``,
``tensor(0.5000)``. Such a run sat at ``waiting`` with no word of why; its rows are now damaged records, and the
note quotes one of them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tui.cli.main import main
from tui.live.monitor import Monitor


def _log(folder: Path, rows: list[list[object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "log.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["epoch", "loss", "val_loss"])
        writer.writerows(rows)
    return path


def _tensor(value: float) -> str:
    """What ``str`` of a CUDA tensor with a gradient reads."""
    return f"tensor({value:.4f}, device='cuda:0', grad_fn=<NllLossBackward0>)"


def test_a_log_of_tensors_says_its_cells_are_text(tmp_path: Path, capsys):
    _log(tmp_path / "run", [[epoch, _tensor(1 / (1 + epoch)), _tensor(1.2 / (1 + epoch))] for epoch in range(5)])
    assert main(["check", str(tmp_path)]) == 2  # nothing could be read: not a run waiting for points
    out = capsys.readouterr().out
    assert "skipped 5 damaged record(s) (text where a number should be: 'tensor(1.0000, devic…" in out
    assert "no number could be read: log each value as a number (loss.item()), not as text" in out


def test_rows_of_text_among_numbers_are_named_and_the_rest_is_read(tmp_path: Path, capsys):
    rows = [[epoch, 1 / (1 + epoch), 1.2 / (1 + epoch)] for epoch in range(6)]
    rows[3] = [3, _tensor(0.25), _tensor(0.3)]
    _log(tmp_path / "run", rows)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["run"]
    assert run.scalars["loss"].steps.tolist() == [0, 1, 2, 4, 5]
    assert run.damage_note() == (
        "skipped 1 damaged record(s) (text where a number should be: 'tensor(0.2500, devic…<NllLossBackward0>)'); "
        "everything else was read"
    )
    assert main(["check", "--json", str(tmp_path)]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert record["damaged"] and record["skipped_records"] == 1


def test_a_text_column_beside_numbers_is_no_damage(tmp_path: Path):
    """A time stamp or a phase written beside the losses: rows that hold a number are whole rows."""
    folder = tmp_path / "run"
    folder.mkdir()
    lines = ["epoch,time,loss,val_loss"] + [f"{e},2026-12-06 10:0{e},{1 / (1 + e)},{1.1 / (1 + e)}" for e in range(5)]
    (folder / "log.csv").write_text("\n".join(lines) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["run"]
    assert not run.damaged
    assert run.scalars["val_loss"].steps.tolist() == [0, 1, 2, 3, 4]


def test_a_row_with_a_note_and_no_numbers_is_no_damage(tmp_path: Path):
    """``5,done,,``: a row of an annotation column, its metrics empty, is no loss logged as text."""
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "log.csv").write_text("epoch,note,loss,val_loss\n0,,1.0,1.1\n1,,0.9,1.0\n2,done,,\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert not monitor.store.runs["run"].damaged


def test_a_log_written_again_with_numbers_is_no_longer_damaged(tmp_path: Path):
    """The job fixed (``loss.item()``) and started again over the same file: the old rows' count goes with them."""
    path = _log(tmp_path / "run", [[epoch, _tensor(0.5), _tensor(0.6)] for epoch in range(3)])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert monitor.store.runs["run"].damaged
    path.write_text("epoch,loss,val_loss\n0,0.9,1.0\n1,0.8,0.95\n")
    monitor.refresh()
    run = monitor.store.runs["run"]
    assert not run.damaged
    assert run.scalars["loss"].values.tolist() == [0.9, 0.8]


def test_a_lightning_row_with_a_tensor_in_a_loss_column_says_the_value_was_lost(tmp_path: Path):
    """Lightning's metrics.csv holds its epoch in every row: ``2,20,tensor(0.5000),`` had a number, so the loss lost
    to text went without a count (a Keras log's row was counted); text in a column of numbers is a value lost."""
    folder = tmp_path / "run" / "version_0"
    folder.mkdir(parents=True)
    rows = ["epoch,step,train_loss,val_loss"]
    for epoch in range(6):
        rows += [f"{epoch},{epoch * 10},{1 / (epoch + 1):.4f},", f"{epoch},{epoch * 10},,{1.2 / (epoch + 1):.4f}"]
    rows[5], rows[8] = "2,20,tensor(0.5000),", "3,30,,oops"
    (folder / "metrics.csv").write_text("\n".join(rows) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["run/version_0"]
    assert run.scalars["train_loss"].steps.tolist() == [0, 10, 30, 40, 50]
    assert run.scalars["val_loss"].steps.tolist() == [0, 10, 20, 40, 50]
    assert run.damage_note() == (
        "skipped 2 damaged record(s) (text where a number should be: 'tensor(0.5000)'); everything else was read"
    )


def test_a_tensor_appended_to_a_tailed_lightning_log_is_counted_as_when_read_whole(tmp_path: Path):
    """Tailed, the rows read before went by the fast path, which did not say which columns hold numbers: a row
    ``2,20,tensor(0.5000),`` appended later was no damage live and one record read whole. A date column before the
    loss in the row no longer hides it either."""
    folder = tmp_path / "run" / "version_0"
    folder.mkdir(parents=True)
    path = folder / "metrics.csv"
    path.write_text(
        "epoch,when,step,train_loss\n" + "".join(f"{e},2026-12-0{e + 1},{e * 10},{1 / (e + 1)}\n" for e in range(3))
    )
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    with open(path, "a") as handle:
        handle.write("3,2026-12-04,30,tensor(0.2500)\n")
    monitor.refresh()
    live = monitor.store.runs["run/version_0"].damage_note()
    whole = Monitor(str(tmp_path))
    whole.refresh()
    assert live == whole.store.runs["run/version_0"].damage_note()
    assert live.startswith("skipped 1 damaged record(s) (text where a number should be: 'tensor(0.2500)')")
