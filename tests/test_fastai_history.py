"""fastai's ``CSVLogger`` writes ``history.csv`` as ``epoch,train_loss,valid_loss,<metrics>,time``, and its metrics
(``accuracy``, ``error_rate``) are measured on the validation set. The bare ``accuracy`` was paired as training's
(Keras' ``accuracy`` beside ``loss`` is), so a net stuck at chance was never read as one."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from test_pairing import pair_tags

from tui.cli.main import main


@pytest.mark.parametrize(
    ("tags", "train_acc", "val_acc"),
    [
        (["epoch", "train_loss", "valid_loss", "accuracy", "error_rate", "time"], None, "accuracy"),
        (["train_loss", "valid_loss", "train_accuracy", "valid_accuracy"], "train_accuracy", "valid_accuracy"),
        (["loss", "accuracy", "val_loss", "val_accuracy"], "accuracy", "val_accuracy"),  # Keras
        (["loss", "accuracy", "val_loss"], "accuracy", None),  # Keras without validation accuracy: still training's
        (["train_loss", "accuracy"], "accuracy", None),  # no validation loss: nothing says whose it is
        (["train_loss", "val_loss", "accuracy", "train_accuracy"], "train_accuracy", "accuracy"),  # kept by name
        (["train_loss", "valid_loss", "train_acc", "accuracy"], "train_acc", "accuracy"),
        (["train_loss", "val_loss", "acc_step", "acc_epoch"], "acc_epoch", None),  # Lightning's training_step's
        (["train_loss", "val_loss", "batch_accuracy"], "batch_accuracy", None),
    ],
)
def test_a_bare_accuracy_beside_losses_named_for_both_is_validations(tags, train_acc, val_acc):
    pair = pair_tags(tags)
    assert (pair.train_acc, pair.val_acc) == (train_acc, val_acc)


def write_history(folder: Path, rows: list[tuple[float, float, float]]) -> None:
    """As fastai's ``CSVLogger`` writes (``fastai/callback/progress.py``: the recorder's metric names, then each
    epoch's log joined with commas, values as ``str`` gives them, the time as ``mm:ss``)."""
    folder.mkdir(parents=True)
    lines = ["epoch,train_loss,valid_loss,accuracy,error_rate,time"]
    for epoch, (train, valid, accuracy) in enumerate(rows):
        lines.append(",".join(str(v) for v in (epoch, train, valid, accuracy, 1 - accuracy, f"00:{epoch % 60:02d}")))
    (folder / "history.csv").write_text("\n".join(lines) + "\n")


def test_a_fastai_net_stuck_at_chance_is_read_as_one(tmp_path: Path, capsys):
    """Ten classes, accuracy at 0.1 the whole run while the loss creeps down: the loss moved, the predictions did
    not."""
    rows = [(2.31 - 0.004 * math.log1p(e), 2.305 - 0.003 * math.log1p(e), 0.1 + 0.002 * (e % 3)) for e in range(30)]
    write_history(tmp_path / "runs" / "stuck", rows)
    code = main(["check", str(tmp_path / "runs"), "--json"])
    [run] = json.loads(capsys.readouterr().out)
    assert run["verdict"] == "plateau" and code == 1
    assert "accuracy never rose 5% above its first 0.1 (best 0.104, now " in run["reason"]
