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
