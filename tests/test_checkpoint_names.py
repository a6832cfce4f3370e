"""Checkpoints found by their names, at the step of their run's logs."""

from __future__ import annotations

from pathlib import Path

from tui.sources.checkpoints import find_checkpoints
from tui.sources.roots.local import LocalRoot


def test_keras_checkpoints_are_placed_at_the_epoch_their_logs_count(tmp_path: Path):
    """``ModelCheckpoint('weights.{epoch:02d}-{val_loss:.2f}.hdf5')`` names its file with ``epoch + 1``; the logs
    count from 0. With a file for every epoch, "keep" named the one saved an epoch before the best."""
    for epoch in range(1, 31):
        (tmp_path / f"weights.{epoch:02d}-{0.5 + abs(epoch - 12) / 100:.2f}.hdf5").write_bytes(b"w")
    (tmp_path / "model.07.keras").write_bytes(b"w")
    (tmp_path / "resnet50.h5").write_bytes(b"w")  # a name with a number, no epoch in it
    found = find_checkpoints(LocalRoot(str(tmp_path)).list(), ".")
    assert found[11] == "weights.12-0.50.hdf5"  # epoch 12 of the file's count, 11 of the logs'
    assert found[6] == "model.07.keras" and min(found) == 0 and 49 not in found


def test_a_run_at_the_log_folders_root_takes_no_checkpoint_of_a_run_below_it(tmp_path: Path):
    """Event files at the root make a run of the root folder; the runs in its subfolders keep their own
    checkpoints (the root's took them too: two levels down is where they sit)."""
    from conftest import scalar_run

    from tui.judging.thresholds import Thresholds
    from tui.live.monitor import Monitor

    scalar_run(tmp_path, {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6]})
    scalar_run(tmp_path / "exp1", {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6]})
    (tmp_path / "exp1" / "checkpoints").mkdir()
    (tmp_path / "exp1" / "checkpoints" / "epoch=0-step=1.ckpt").write_bytes(b"w")
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "model_step_0.pt").write_bytes(b"w")
    monitor = Monitor(str(tmp_path), Thresholds())
    monitor.refresh()
    assert monitor.store.runs["exp1"].checkpoints == {1: str(tmp_path / "exp1/checkpoints/epoch=0-step=1.ckpt")}
    assert monitor.store.runs["."].checkpoints == {0: str(tmp_path / "ckpt/model_step_0.pt")}


def test_a_checkpoint_named_by_its_epoch_one_after_the_best_is_not_the_best_model():
    """A loop that logs per epoch and saves ``ckpt_epoch_{e}.pt`` every 5 epochs, best at epoch 14: epoch 15's file
    holds a later model ("keep ckpt_epoch_15.pt" was said, a step either way being taken for the best's). Lightning's
    ``step=`` name, the step after the validation it follows, is the best's."""
    from tui.judging.checkpoints import keep_words

    per_epoch = {e: f"ckpts/ckpt_epoch_{e}.pt" for e in range(0, 30, 5)}
    assert (
        keep_words(per_epoch, 14)
        == "no checkpoint at the best step 14; the nearest, ckpt_epoch_15.pt, is 1 step after it"
    )
    assert keep_words(per_epoch, 15) == "keep ckpt_epoch_15.pt"
    lightning = {130: "checkpoints/epoch=12-step=130.ckpt", 200: "checkpoints/epoch=19-step=200.ckpt"}
    assert keep_words(lightning, 129) == "keep epoch=12-step=130.ckpt"
    assert keep_words(lightning, 131).startswith("no checkpoint at the best step 131; the nearest")


def test_an_alert_names_no_checkpoint_saved_after_it():
    """Lightning's default ModelCheckpoint keeps only the latest: read whole, the bell at step 2,099 named
    epoch=39-step=4000.ckpt, written 1,900 steps after it (live, the latest then was epoch=20-step=2100.ckpt)."""
    from tui.judging.checkpoints import keep_words, with_checkpoint
    from tui.judging.verdict import Alert

    alert = Alert("run", 2099, "overfitting", "val_loss", "val_loss rose", "stop", best_step=1399)
    latest_only = {4000: "checkpoints/epoch=39-step=4000.ckpt"}
    assert with_checkpoint(alert, latest_only, 3999).reason == "val_loss rose"
    live = {2100: "checkpoints/epoch=20-step=2100.ckpt", **latest_only}
    assert with_checkpoint(alert, live, 3999).reason.endswith(
        "; no checkpoint at the best step 1,399; the nearest, epoch=20-step=2100.ckpt, is 701 steps after it"
    )
    assert keep_words(latest_only, 1399, saved_by=None) is not None  # check's note, about the run as it ends
