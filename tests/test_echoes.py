"""One job, two loggers, one folder: the run is shown, judged and rung once.

Ultralytics writes ``results.csv`` and, with TensorBoard installed, its ``SummaryWriter(trainer.save_dir)`` events
of the same metrics (``ultralytics/utils/callbacks/tensorboard.py``: ``on_fit_epoch_end`` logs
``trainer.metrics`` at ``epoch + 1``; the training losses at ``epoch + 1`` too). PyTorch Lightning sends every
metric to each logger, and a ``TensorBoardLogger`` and a ``CSVLogger`` with the same ``save_dir`` both write
``lightning_logs/version_0``. Each was two runs with two bells for one onset.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tensorboardX import SummaryWriter
from test_pairing import ULTRALYTICS_KEYS
from test_yolo_results import EPOCHS, ONSET, append_epoch, metrics

from tui.cli.main import main
from tui.live.firstread import MIN_RUNS
from tui.live.monitor import Monitor


def write_ultralytics(folder: Path, epochs: range, writer: SummaryWriter) -> None:
    """Epochs as Ultralytics 8.3 with TensorBoard on writes them: a row of results.csv, the same numbers as events."""
    for epoch in epochs:
        append_epoch(folder / "results.csv", ULTRALYTICS_KEYS, epoch, epoch + 1, None)
        for key, value in zip(ULTRALYTICS_KEYS, metrics(ULTRALYTICS_KEYS, epoch), strict=True):
            writer.add_scalar(key, value, epoch + 1)
        writer.flush()


def test_ultralytics_with_tensorboard_is_one_run_that_rings_once(tmp_path: Path):
    folder = tmp_path / "runs" / "detect" / "train"
    folder.mkdir(parents=True)
    (folder / "args.yaml").write_text("epochs: 40\n")
    monitor = Monitor(str(tmp_path / "runs"))
    with SummaryWriter(str(folder)) as writer:
        for part in (range(0, ONSET), range(ONSET, EPOCHS)):  # read while the job writes
            write_ultralytics(folder, part, writer)
            monitor.refresh()
    assert list(monitor.store.runs) == ["detect/train"]
    assert monitor.verdict("detect/train").kind == "overfitting"
    bells = [alert for alert in monitor.alerts if alert.kind == "overfitting"]
    assert [alert.run for alert in bells] == ["detect/train"]
    assert monitor.echoes == {"detect/train [keras-csv]": "detect/train"}
    assert any("results.csv repeats the curves of detect/train" in note for note in monitor.store.notes)
    # Its file is not read again as the job goes on.
    before = monitor.streams["detect/train/results.csv"].position
    append_epoch(folder / "results.csv", ULTRALYTICS_KEYS, EPOCHS, EPOCHS + 1, None)
    monitor.refresh()
    assert monitor.streams["detect/train/results.csv"].position == before
    assert list(monitor.store.runs) == ["detect/train"]


def write_lightning_both(log_dir: Path, epochs: int) -> None:
    """What TensorBoardLogger and CSVLogger with one save_dir write: events and metrics.csv in version_0, each
    epoch's train_loss and val_loss (and ``epoch``) at the global step."""
    log_dir.mkdir(parents=True)
    rows = []
    with SummaryWriter(str(log_dir)) as writer:
        for epoch in range(epochs):
            step = epoch * 10 + 9
            train, val = 1.0 / (1 + epoch), 0.6 + 0.01 * abs(epoch - 15) + 0.004 * max(epoch - 15, 0)
            for key, value in (("train_loss", train), ("val_loss", val), ("epoch", epoch)):
                writer.add_scalar(key, value, step)
            rows.append({"epoch": epoch, "step": step, "train_loss": train, "val_loss": val})
    with open(log_dir / "metrics.csv", "w", newline="") as handle:
        table = csv.DictWriter(handle, fieldnames=["epoch", "step", "train_loss", "val_loss"])
        table.writeheader()
        table.writerows(rows)
    (log_dir / "hparams.yaml").write_text("lr: 0.001\n")


def test_lightning_with_both_loggers_in_one_folder_is_one_run_in_check(tmp_path: Path, capsys):
    write_lightning_both(tmp_path / "lightning_logs" / "version_0", 40)
    assert main(["check", "--json", str(tmp_path)]) == 1  # overfitting needs attention
    captured = capsys.readouterr()
    assert [record["run"] for record in json.loads(captured.out)] == ["lightning_logs/version_0"]
    assert "metrics.csv repeats the curves of lightning_logs/version_0" in captured.err


def test_check_with_worker_processes_shows_each_run_once(tmp_path: Path, capsys):
    for index in range(MIN_RUNS + 2):  # enough runs for check to read them in worker processes
        write_lightning_both(tmp_path / "lightning_logs" / f"version_{index}", 30)
    main(["check", "--json", str(tmp_path)])
    runs = [record["run"] for record in json.loads(capsys.readouterr().out)]
    assert sorted(runs) == sorted(f"lightning_logs/version_{index}" for index in range(MIN_RUNS + 2))


def test_a_csv_of_other_curves_beside_events_stays_a_run_of_its_own(tmp_path: Path):
    log_dir = tmp_path / "exp"
    log_dir.mkdir()
    with SummaryWriter(str(log_dir)) as writer:
        for step in range(10):
            writer.add_scalar("loss", 1.0 / (1 + step), step)
    (log_dir / "metrics.csv").write_text(
        "epoch,step,grad_norm,throughput\n" + "".join(f"{s},{s},{1 + s},{100 + s}\n" for s in range(10))
    )
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert sorted(monitor.store.runs) == ["exp", "exp [lightning-csv]"]
    assert monitor.echoes == {}


async def test_the_live_view_shows_one_row_and_says_why(tmp_path: Path):
    from test_app import rows, status_text

    from tui.app.app import LossWatchApp

    write_lightning_both(tmp_path / "lightning_logs" / "version_0", 40)
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert rows(app) == ["lightning_logs/version_0"]
        assert "metrics.csv repeats the curves of lightning_logs/version_0" in status_text(app)


async def test_a_note_longer_than_the_pane_wraps_whole_onto_the_status_rows(tmp_path: Path):
    from test_screen import screen_lines

    from tui.app.app import LossWatchApp

    write_lightning_both(tmp_path / "lightning_logs" / "version_0", 40)
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        note = app.store.notes[-1]
        assert len(note) > 80  # the note does not fit one row of the pane
        status = app.query_one("#status")
        assert status.region.height >= 2
        shown = screen_lines(app)[status.region.y : status.region.bottom]
        assert " ".join(" ".join(shown).split()).endswith(" ".join(note.split()))  # every word, the last included


def test_keras_csvlogger_beside_its_tensorboard_callback_is_one_run(tmp_path: Path):
    """``TensorBoard(log_dir)`` writes ``train/`` and ``validation/`` with ``epoch_loss``; a ``CSVLogger`` into the
    same folder writes ``epoch,accuracy,loss,val_accuracy,val_loss``: the same curves by Keras' names."""
    log_dir = tmp_path / "fit"
    lines = ["epoch,accuracy,loss,val_accuracy,val_loss"]
    with SummaryWriter(str(log_dir / "train")) as train, SummaryWriter(str(log_dir / "validation")) as val:
        for epoch in range(30):
            numbers = (0.5 + epoch / 70, 1.0 / (1 + epoch), 0.6, 0.5 + 0.01 * abs(epoch - 12))
            train.add_scalar("epoch_accuracy", numbers[0], epoch)
            train.add_scalar("epoch_loss", numbers[1], epoch)
            val.add_scalar("epoch_accuracy", numbers[2], epoch)
            val.add_scalar("epoch_loss", numbers[3], epoch)
            lines.append(",".join([str(epoch), *map(str, numbers)]))
    (log_dir / "training.log").write_text("\n".join(lines) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert list(monitor.store.runs) == ["fit"]
    assert monitor.echoes == {"fit [keras-csv]": "fit"}
    assert monitor.verdict("fit").val_tag == "validation/epoch_loss"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_log_read_before_the_events_are_flushed_waits_for_them_and_rings_once(tmp_path: Path):
    """PyTorch's SummaryWriter flushes every 120 s, Ultralytics' results.csv each epoch: live, the CSV is read while
    the events file holds no curve yet. It was judged as a run of its own (its bell rang), then hidden, and the
    TensorBoard run rang again for the same onset."""
    from tui.live.echoes import ECHO_WAIT

    folder = tmp_path / "runs" / "detect" / "train"
    folder.mkdir(parents=True)
    (folder / "events.out.tfevents.1700000000.gpu-box.4242.0").write_bytes(b"")  # created, nothing flushed yet
    for epoch in range(EPOCHS):
        append_epoch(folder / "results.csv", ULTRALYTICS_KEYS, epoch, epoch + 1, None)
    clock = Clock()
    monitor = Monitor(str(tmp_path / "runs"), clock=clock)
    monitor.echo.wait = ECHO_WAIT  # as the live view and watch --plain set it
    new_runs, _, alerts = monitor.refresh()
    assert "detect/train [keras-csv]" not in monitor.store.runs and alerts == []  # it waits for the events
    assert "detect/train [keras-csv]" not in [new.run for new in new_runs]
    clock.now += 60
    with SummaryWriter(str(folder)) as writer:  # the flush, within the wait (tensorboardX: a file of its own)
        for epoch in range(EPOCHS):
            for key, value in zip(ULTRALYTICS_KEYS, metrics(ULTRALYTICS_KEYS, epoch), strict=True):
                writer.add_scalar(key, value, epoch + 1)
    monitor.refresh()
    assert list(monitor.store.runs) == ["detect/train"]
    assert [(a.run, a.kind) for a in monitor.alerts if a.kind == "overfitting"] == [("detect/train", "overfitting")]


def test_a_log_beside_events_that_never_get_a_curve_is_shown_after_the_wait(tmp_path: Path):
    from tui.live.echoes import ECHO_WAIT

    log_dir = tmp_path / "lightning_logs" / "version_0"
    write_lightning_both(log_dir, 30)
    for events in log_dir.glob("*tfevents*"):
        events.write_bytes(b"")  # a writer that never flushed
    clock = Clock()
    monitor = Monitor(str(tmp_path), clock=clock)
    monitor.echo.wait = ECHO_WAIT
    monitor.refresh()
    assert "lightning_logs/version_0 [lightning-csv]" not in monitor.store.runs
    clock.now += ECHO_WAIT + 1
    new_runs, _, _ = monitor.refresh()
    assert monitor.store.runs["lightning_logs/version_0 [lightning-csv]"].scalars["val_loss"].values.size == 30
    assert [new.run for new in new_runs] == ["lightning_logs/version_0 [lightning-csv]"]


def test_a_csv_with_a_curve_the_events_lack_is_not_hidden(tmp_path: Path):
    """Per-step loss and lr in TensorBoard, an epoch table of loss and val_loss beside it: val_loss is only in the
    CSV, whose overfitting was silenced when the names alone decided (half of them shared)."""
    log_dir = tmp_path / "exp"
    with SummaryWriter(str(log_dir)) as writer:
        for step in range(400):
            writer.add_scalar("loss", 1.0 / (1 + step / 10), step)
            writer.add_scalar("lr", 0.1, step)
    rows = "".join(f"{e},{1.0 / (1 + e)},{0.6 + 0.01 * abs(e - 12)}\n" for e in range(40))
    (log_dir / "history.csv").write_text("epoch,loss,val_loss\n" + rows)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert sorted(monitor.store.runs) == ["exp", "exp [keras-csv]"]
    assert monitor.verdict("exp [keras-csv]").kind == "overfitting"


def test_a_log_judged_as_a_run_before_its_events_appeared_stays_in_view(tmp_path: Path):
    """A CSV listed before the event files took the folder's name; once the events came it was hidden: the run the
    user watched vanished and went on under another name."""
    log_dir = tmp_path / "fit"
    log_dir.mkdir()
    (log_dir / "training.log").write_text("epoch,loss,val_loss\n0,1.0,0.9\n1,0.8,0.8\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    with SummaryWriter(str(log_dir / "train")) as train, SummaryWriter(str(log_dir / "validation")) as val:
        for epoch, (loss, val_loss) in enumerate([(1.0, 0.9), (0.8, 0.8), (0.7, 0.75)]):
            train.add_scalar("epoch_loss", loss, epoch)
            val.add_scalar("epoch_loss", val_loss, epoch)
    with open(log_dir / "training.log", "a") as handle:
        handle.write("2,0.7,0.75\n")
    monitor.refresh()
    monitor.refresh()
    assert "fit" in monitor.store.runs and monitor.echoes == {}


def test_a_log_whose_curves_differ_in_value_is_not_hidden(tmp_path: Path):
    """The same names, other numbers: a per-step ``loss`` in TensorBoard, an epoch table's ``loss`` (its mean) at
    the epoch numbers beside it, which are steps 0-39 of the events too."""
    log_dir = tmp_path / "exp"
    with SummaryWriter(str(log_dir)) as writer:
        for step in range(400):
            writer.add_scalar("loss", 2.0 / (1 + step), step)
    rows = "".join(f"{e},{0.5 / (1 + e)}\n" for e in range(40))
    (log_dir / "history.csv").write_text("epoch,loss\n" + rows)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert sorted(monitor.store.runs) == ["exp", "exp [keras-csv]"]


def test_ultralytics_8_0_logging_training_losses_per_batch_is_still_one_run(tmp_path: Path):
    """Ultralytics 8.0's ``on_batch_end`` logged the running training losses after every batch at ``epoch + 1``
    (TensorBoard keeps the first), results.csv the epoch's mean: the training numbers differ, the rest agree."""
    folder = tmp_path / "runs" / "detect" / "train"
    folder.mkdir(parents=True)
    with SummaryWriter(str(folder)) as writer:
        for epoch in range(EPOCHS):
            append_epoch(folder / "results.csv", ULTRALYTICS_KEYS, epoch, epoch + 1, None)
            for key, value in zip(ULTRALYTICS_KEYS, metrics(ULTRALYTICS_KEYS, epoch), strict=True):
                batches = [value * (1.3 - 0.1 * b) for b in range(4)] if key.startswith("train/") else [value]
                for batch_value in batches:
                    writer.add_scalar(key, batch_value, epoch + 1)
    monitor = Monitor(str(tmp_path / "runs"))
    monitor.refresh()
    assert list(monitor.store.runs) == ["detect/train"]


def test_a_log_waits_while_the_events_lack_some_of_its_curves(tmp_path: Path):
    """Keras' train/ and validation/ writers flush apart (Ultralytics logs training at the epoch's end, validation
    after): a first flush with training's curves only ended the wait, and the log became a run of its own."""
    from tui.live.echoes import ECHO_WAIT

    log_dir = tmp_path / "fit"
    numbers = [(1.0 / (1 + e), 0.6 + 0.01 * abs(e - 12)) for e in range(30)]
    with SummaryWriter(str(log_dir / "train")) as train:
        for epoch, (loss, _) in enumerate(numbers):
            train.add_scalar("epoch_loss", loss, epoch)
    rows = "".join(f"{e},{loss},{val}\n" for e, (loss, val) in enumerate(numbers))
    (log_dir / "training.log").write_text("epoch,loss,val_loss\n" + rows)
    clock = Clock()
    monitor = Monitor(str(tmp_path), clock=clock)
    monitor.echo.wait = ECHO_WAIT
    monitor.refresh()
    assert list(monitor.store.runs) == ["fit"]  # the log waits, unseen
    clock.now += 30
    with SummaryWriter(str(log_dir / "validation")) as val:
        for epoch, (_, val_loss) in enumerate(numbers):
            val.add_scalar("epoch_loss", val_loss, epoch)
    monitor.refresh()
    assert list(monitor.store.runs) == ["fit"] and monitor.echoes == {"fit [keras-csv]": "fit"}
    assert [a.run for a in monitor.alerts if a.kind == "overfitting"] == ["fit"]


def test_a_waiting_log_deleted_with_its_run_does_not_come_back(tmp_path: Path):
    import shutil

    from tui.live.echoes import ECHO_WAIT

    log_dir = tmp_path / "lightning_logs" / "version_0"
    write_lightning_both(log_dir, 30)
    for events in log_dir.glob("*tfevents*"):
        events.write_bytes(b"")  # a job that crashed before its writer flushed
    clock = Clock()
    monitor = Monitor(str(tmp_path), clock=clock)
    monitor.echo.wait = ECHO_WAIT
    monitor.refresh()
    shutil.rmtree(tmp_path / "lightning_logs")  # the user deletes it
    clock.now += ECHO_WAIT + 1
    monitor.refresh()
    assert "lightning_logs/version_0 [lightning-csv]" not in monitor.store.runs


def test_the_echo_note_names_the_run_as_the_table_does(tmp_path: Path, capsys):
    """The note was built from the real name, so ``version 0 `` (a space at its end) or a backslash in it read
    otherwise there than in the table and the alert lines."""
    write_lightning_both(tmp_path / "lightning_logs" / "version\\0 ", 40)
    assert main(["check", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "metrics.csv repeats the curves of lightning_logs/version\\\\0\\x20: shown once" in captured.err
    assert "lightning_logs/version\\\\0\\x20 " in captured.out  # the table's row


def test_lightning_2_puts_its_csv_one_version_after_the_events_and_it_is_one_run(tmp_path: Path, capsys):
    """Lightning 2.x with a TensorBoardLogger and a CSVLogger given one save_dir: the events make version_0, and
    the CSV logger, finding it taken, writes version_1 (two runs, two bells for one onset)."""
    logs = tmp_path / "lightning_logs"
    write_lightning_both(logs / "version_0", 40)
    (logs / "version_1").mkdir()
    (logs / "version_0" / "metrics.csv").rename(logs / "version_1" / "metrics.csv")
    (logs / "version_1" / "hparams.yaml").write_text("lr: 0.001\n")
    assert main(["check", "--json", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert [record["run"] for record in json.loads(captured.out)] == ["lightning_logs/version_0"]
    assert "metrics.csv repeats the curves of lightning_logs/version_0" in captured.err


def test_a_csv_of_another_job_one_version_after_events_stays_a_run_of_its_own(tmp_path: Path):
    """A guard: a later job's CSV log alone in the next version has other numbers, and is a run of its own."""
    logs = tmp_path / "lightning_logs"
    write_lightning_both(logs / "version_0", 40)
    (logs / "version_0" / "metrics.csv").unlink()
    (logs / "version_1").mkdir()
    rows = [f"{epoch},{epoch * 10 + 9},{2.0 / (1 + epoch)},{0.9 - 0.001 * epoch}" for epoch in range(30)]
    (logs / "version_1" / "metrics.csv").write_text("epoch,step,train_loss,val_loss\n" + "\n".join(rows) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert sorted(monitor.store.runs) == ["lightning_logs/version_0", "lightning_logs/version_1"]
