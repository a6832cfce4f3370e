"""Text logs written over by a new job: read again from their start, never from the old position.

Keras' ``CSVLogger(append=False)`` truncates the file and writes its header again, a new one if the job logs other
metrics.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from tui.live.monitor import Monitor


def write_history(path: Path, header: str, rows: list[str]) -> None:
    with open(path, "w") as handle:  # what CSVLogger(append=False) does: truncate, header, rows
        handle.write(header + "\n" + "".join(row + "\n" for row in rows))


def curve(monitor: Monitor, tag: str) -> tuple[list[int], list[float]]:
    steps, values, _ = monitor.store.runs["run"].scalars[tag].arrays()
    return steps.tolist(), values.tolist()


def test_a_keras_log_rewritten_with_a_new_header_is_read_from_its_start_and_its_nan_rings(tmp_path: Path):
    """The new header (a new metric) was taken for Lightning's rewrite, which repeats the old rows: as many rows
    as the old log had were skipped, and the new job's NaN at epoch 5 never rang."""
    path = tmp_path / "run" / "history.csv"
    path.parent.mkdir()
    write_history(path, "epoch,loss,val_loss", [f"{i},{2 - i * 0.03:.4f},{2 - i * 0.02:.4f}" for i in range(30)])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    new_rows = [f"{i},0.5,{'nan' if i == 5 else f'{2 - i * 0.03:.4f}'},{2 - i * 0.02:.4f}" for i in range(10)]
    write_history(path, "epoch,accuracy,loss,val_loss", new_rows)
    monitor.refresh()
    steps, values = curve(monitor, "loss")
    assert steps == list(range(10)) and math.isnan(values[5]) and values[4] == 1.88
    assert curve(monitor, "accuracy")[0] == list(range(10))
    assert [(a.step, a.kind) for a in monitor.alerts] == [(5, "diverging")]


def test_a_keras_style_log_with_a_byte_order_mark_is_read(tmp_path: Path):
    """pandas' ``to_csv(encoding="utf-8-sig")`` (and Excel) write a BOM before the header: the log was not found."""
    path = tmp_path / "run" / "history.csv"
    path.parent.mkdir()
    path.write_bytes(
        b"\xef\xbb\xbfepoch,loss,val_loss\n"
        + b"".join(f"{i},{2 - i * 0.1},{2.1 - i * 0.1}\n".encode() for i in range(5))
    )
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert curve(monitor, "loss")[0] == [0, 1, 2, 3, 4]
    assert monitor.verdict("run").val_tag == "val_loss"


def test_a_table_aligned_with_spaces_is_no_csv_log(tmp_path: Path):
    """``epoch   loss      val_loss``: padding was allowed around any separator for YOLO's results.csv, and this
    table was read as separated by single spaces: a tag named '' holding the losses, val_loss lost."""
    path = tmp_path / "run" / "training.log"
    path.parent.mkdir()
    path.write_text("epoch   loss      val_loss  \n0       2.0000    2.0000    \n1       1.9500    1.9000    \n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert "run" not in monitor.store.runs


def test_a_lightning_log_widened_then_replaced_by_a_fresh_narrower_one_is_read_whole_and_its_nan_rings(tmp_path: Path):
    """Lightning rewrites its file with a wider header for a new key (the old rows first); a job restarted with a
    fresh file then writes the narrower header again. That was taken for another rewrite: as many rows as the old
    log had were skipped, the old attempt's points stayed, and the new job's NaN never rang live."""
    path = tmp_path / "run" / "metrics.csv"
    path.parent.mkdir()
    rows = [
        row for e in range(30) for row in (f"{e},{e * 10 + 9},{1 / (e + 1)},", f"{e},{e * 10 + 9},,{1.2 - 0.03 * e}")
    ]
    write_history(path, "epoch,step,train_loss,val_loss", rows)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    widened = [row.replace(",", ",,", 1) for row in rows] + ["30,0.001,309,0.03,"]
    write_history(path, "epoch,lr,step,train_loss,val_loss", widened)  # a new key: lr
    monitor.refresh()
    assert curve(monitor, "train_loss")[0] == [e * 10 + 9 for e in range(31)]  # not one point twice
    write_history(
        path, "epoch,step,train_loss,val_loss", ["0,9,1.0,", "0,9,,1.2", "1,19,0.5,", "1,19,,1.1", "2,29,nan,"]
    )
    monitor.refresh()
    steps, values = curve(monitor, "train_loss")
    assert steps == [9, 19, 29] and math.isnan(values[2])
    assert curve(monitor, "val_loss")[0] == [9, 19]
    assert [(a.step, a.kind) for a in monitor.alerts if a.kind == "diverging"] == [(29, "diverging")]


def json_lines(rows: list[dict]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def test_a_json_lines_log_written_over_past_its_old_size_between_two_reads_is_read_from_its_start(tmp_path: Path):
    """A job restarted with ``open(path, "w")`` whose first flush made the log longer than before, between two
    reads: stat saw a file that grew, so the new attempt's first lines were skipped and the old attempt's points
    kept; watch rang the blow-up at step 27 (an old point's neighbour) where check and replay said step 20."""
    path = tmp_path / "run" / "log.jsonl"
    path.parent.mkdir()
    path.write_text(json_lines([{"step": e, "train_loss": 1 / (e + 1), "val_loss": 1.2 / (e + 1)} for e in range(30)]))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    restarted = [
        {"step": e, "train_loss": math.nan if e >= 20 else 0.5 / (e + 1), "val_loss": 1.2 / (e + 1), "lr": 0.001}
        for e in range(60)
    ]
    path.write_text(json_lines(restarted))
    monitor.refresh()
    steps, values = curve(monitor, "train_loss")
    assert steps == list(range(60)) and values[:2] == [0.5, 0.25] and math.isnan(values[20])
    assert [(a.step, a.kind) for a in monitor.alerts if a.kind == "diverging"] == [(20, "diverging")]
    assert "lr" in monitor.store.runs["run"].scalars


def test_a_log_cut_by_copytruncate_and_refilled_past_its_old_size_reads_every_new_line_whole(tmp_path: Path):
    """logrotate's copytruncate empties the file in place; the job (appending) then writes more than was there
    before the next read. Reading on from the old offset started mid-line: the first new lines were lost and the
    blow-up came at the wrong step. The points read before stay (their steps come before the new ones)."""
    path = tmp_path / "run" / "log.jsonl"
    path.parent.mkdir()
    path.write_text(json_lines([{"step": e, "train_loss": 1 / (e + 1), "val_loss": 1.1 / (e + 1)} for e in range(30)]))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    later = [{"step": e, "train_loss": 1 / (e + 1), "val_loss": 1.1 / (e + 1), "pad": "x" * 50} for e in range(30, 60)]
    with open(path, "r+") as handle:
        handle.truncate(0)
        handle.write(json_lines(later))
    monitor.refresh()
    steps, _ = curve(monitor, "train_loss")
    assert steps == list(range(60))
    assert monitor.store.runs["run"].files[str(path.relative_to(tmp_path))].skipped_records == 0


def test_a_keras_log_written_over_with_the_same_header_past_its_old_size_is_read_from_its_start(tmp_path: Path):
    """CSVLogger(append=False) of a job started again: the same header, then more rows than the old log had
    before the next read. The old rows stayed and the new ones were read from the old offset, mid-row."""
    path = tmp_path / "run" / "history.csv"
    path.parent.mkdir()
    write_history(path, "epoch,loss,val_loss", [f"{i},{2 - i * 0.03:.4f},{2 - i * 0.02:.4f}" for i in range(10)])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    write_history(path, "epoch,loss,val_loss", [f"{i},{1 - i * 0.01:.4f},{1.5 - i * 0.01:.4f}" for i in range(25)])
    monitor.refresh()
    steps, values = curve(monitor, "loss")
    assert steps == list(range(25)) and values[:2] == [1.0, 0.99]
    assert monitor.store.runs["run"].files[str(path.relative_to(tmp_path))].skipped_records == 0


def test_a_log_appended_to_is_read_on_without_starting_over(tmp_path: Path):
    """The check of the bytes before the offset must not take a log that only grew for one rewritten."""
    path = tmp_path / "run" / "log.jsonl"
    path.parent.mkdir()
    path.write_text(json_lines([{"step": e, "loss": 1 / (e + 1)} for e in range(5)]))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["run"]
    generation = run.scalars["loss"].generation
    with open(path, "a") as handle:
        handle.write(json_lines([{"step": e, "loss": 1 / (e + 1)} for e in range(5, 9)]))
    monitor.refresh()
    assert curve(monitor, "loss")[0] == list(range(9))
    assert run.scalars["loss"].generation == generation


def pandas_history(path: Path, epochs: range, resumed: bool = False, extra: dict | None = None) -> None:
    """A history appended with pandas, as a training script does at each epoch or resume (``mode="a"`` writes the
    header again unless told not to)."""
    import pandas as pd

    rows = [
        {"epoch": e, "loss": math.nan if e >= 25 else 1 / (e + 1), "val_loss": 1 / (e + 1) + 0.3, **(extra or {})}
        for e in epochs
    ]
    pd.DataFrame(rows).to_csv(path, mode="a" if resumed else "w", index=False, na_rep="nan")


def test_a_csv_log_resumed_with_a_wider_header_appended_reads_the_rows_after_it_by_that_header(tmp_path: Path):
    """A job resumed with one more metric, its history appended with pandas: the new header and every row after
    it were skipped as damaged, and the blow-up at epoch 25 went unseen by every command."""
    path = tmp_path / "run" / "history.csv"
    path.parent.mkdir()
    pandas_history(path, range(20))
    pandas_history(path, range(20, 30), resumed=True, extra={"lr": 0.001})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    steps, values = curve(monitor, "loss")
    assert steps == list(range(30)) and math.isnan(values[25]) and values[24] == 0.04
    assert curve(monitor, "lr")[0] == list(range(20, 30))
    assert monitor.store.runs["run"].files["run/history.csv"].skipped_records == 0
    assert [(a.step, a.kind) for a in monitor.alerts if a.kind == "diverging"] == [(25, "diverging")]


def test_a_wider_header_appended_while_watched_names_the_rows_read_after_it(tmp_path: Path):
    path = tmp_path / "run" / "history.csv"
    path.parent.mkdir()
    pandas_history(path, range(20))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    pandas_history(path, range(20, 30), resumed=True, extra={"lr": 0.001})
    monitor.refresh()
    assert curve(monitor, "lr")[0] == list(range(20, 30)) and curve(monitor, "loss")[0] == list(range(30))
    assert [(a.step, a.kind) for a in monitor.alerts if a.kind == "diverging"] == [(25, "diverging")]
    pandas_history(path, range(30, 32), resumed=True, extra={"lr": 0.001})
    monitor.refresh()  # the file's first header is unchanged: no read from the start, nothing read twice
    assert curve(monitor, "lr")[0] == list(range(20, 32))
    assert monitor.store.runs["run"].files["run/history.csv"].skipped_records == 0


def test_the_same_header_appended_at_each_epoch_is_no_damage(tmp_path: Path):
    """``to_csv(mode="a")`` at every epoch repeats the header: each one was counted as a damaged record."""
    path = tmp_path / "run" / "history.csv"
    path.parent.mkdir()
    pandas_history(path, range(1))
    for epoch in range(1, 12):
        pandas_history(path, range(epoch, epoch + 1), resumed=True)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert curve(monitor, "loss")[0] == list(range(12))
    assert monitor.store.runs["run"].files["run/history.csv"].skipped_records == 0


def test_the_first_header_again_after_another_names_the_rows_after_it_again(tmp_path: Path):
    """Back to the first header after a wider one: its rows were read by the wider one's columns, so `acc` held
    the validation losses and `val_loss` stopped (a review's find)."""
    path = tmp_path / "run" / "training.log"
    path.parent.mkdir()
    path.write_text(
        "epoch,loss,val_loss\n0,1.0,1.1\n1,0.9,1.0\n"
        "epoch,loss,acc,val_loss\n2,0.8,0.5,0.95\n"
        "epoch,loss,val_loss\n3,0.7,0.9\n4,0.6,0.85\n"
    )
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert curve(monitor, "val_loss") == ([0, 1, 2, 3, 4], [1.1, 1.0, 0.95, 0.9, 0.85])
    assert curve(monitor, "acc") == ([2], [0.5])


def test_a_csv_log_cut_by_copytruncate_is_read_on_by_the_header_it_had(tmp_path: Path):
    """Neither CSVLogger writes its header again to a file it appends to: after copytruncate the file starts with a
    row. That row was taken for the header: curves named '6', '0.1429' and '69', and every later row read by them."""
    keras = tmp_path / "run" / "training.log"
    lightning = tmp_path / "lightning_logs" / "version_0" / "metrics.csv"
    lightning.parent.mkdir(parents=True)
    keras.parent.mkdir()
    write_history(keras, "epoch,loss,val_loss", [f"{e},{1 / (e + 1):.4f},{2 / (e + 1):.4f}" for e in range(6)])
    lightning_row = "{0},{1},{2:.4f},{3:.4f}"
    rows = [lightning_row.format(e, 10 * e + 9, 1 / (e + 1), 2 / (e + 1)) for e in range(6)]
    write_history(lightning, "epoch,step,train_loss,val_loss", rows)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    for path in (keras, lightning):
        with open(path, "r+") as handle:
            handle.truncate(0)
    with open(keras, "a") as handle:
        handle.write("".join(f"{e},{1 / (e + 1):.4f},{2 / (e + 1):.4f}\n" for e in range(6, 9)))
    with open(lightning, "a") as handle:
        handle.write("".join(lightning_row.format(e, 10 * e + 9, 1 / (e + 1), 2 / (e + 1)) + "\n" for e in range(6, 9)))
    monitor.refresh()
    assert sorted(monitor.store.runs["run"].scalars) == ["loss", "val_loss"]
    assert curve(monitor, "val_loss")[0] == list(range(9))
    version = monitor.store.runs["lightning_logs/version_0"]
    assert sorted(version.scalars) == ["epoch", "train_loss", "val_loss"]
    assert version.scalars["train_loss"].steps.tolist() == [10 * e + 9 for e in range(9)]
    assert version.skipped_records == 0
