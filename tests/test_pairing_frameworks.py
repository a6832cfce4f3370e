"""Tag names real trainers write that the name rules used to pair wrongly: a test set's curve taken for
validation's (its name was shorter), a mixture of experts' auxiliary loss taken for the model's, and validation
losses not named ``loss`` (Composer's ``CrossEntropy``, Ignite's ``nll``, ``val_mse``, ``val/ppl``) never found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tensorboardX import SummaryWriter
from test_pairing import pair_tags

from tui.cli.main import main

CASES = [
    (["train_loss", "val_loss", "test_loss"], "train_loss", "val_loss"),
    (["train_loss", "valid_loss", "test_loss"], "train_loss", "valid_loss"),
    (["train_loss", "validation_loss", "test_loss"], "train_loss", "validation_loss"),
    (["Loss/train", "Loss/valid", "Loss/test"], "Loss/train", "Loss/valid"),
    (["training/loss", "validation/loss", "test/loss"], "training/loss", "validation/loss"),
    (["train/loss", "eval/validation_loss", "eval/test_loss"], "train/loss", "eval/validation_loss"),
    (["train_loss", "test_loss", "learning_rate"], "train_loss", "test_loss"),  # JAX examples: test is all there is
    (["lm loss", "z_loss", "load_balancing_loss", "lm loss validation"], "lm loss", "lm loss validation"),
    (["train/loss", "train/aux_loss", "train/router_z_loss", "val/loss"], "train/loss", "val/loss"),
    (
        ["loss/train/total", "metrics/eval/MulticlassAccuracy", "metrics/eval/CrossEntropy"],
        "loss/train/total",
        "metrics/eval/CrossEntropy",
    ),
    (
        ["loss/train/total", "metrics/eval/LanguagePerplexity", "metrics/eval/LanguageCrossEntropy"],
        "loss/train/total",
        "metrics/eval/LanguageCrossEntropy",
    ),
    (["training/loss", "validation/nll", "validation/accuracy"], "training/loss", "validation/nll"),
    (["train_mse", "val_mae", "val_mse", "lr-Adam"], "train_mse", "val_mse"),
    (["train/ppl", "val/ppl", "lr"], "train/ppl", "val/ppl"),
    (["train/ce", "eval/ce", "eval/acc"], "train/ce", "eval/ce"),  # a hand-written loop's cross entropy
    (["train_bce", "val_bce", "val_auc"], "train_bce", "val_bce"),
    (  # DETR's components beside the total: the total is the loss
        ["train/total_loss", "train/loss_ce", "train/loss_bbox", "val/total_loss", "val/loss_ce"],
        "train/total_loss",
        "val/total_loss",
    ),
    (["train/avg_loss", "train/loss_ce", "val/avg_loss"], "train/avg_loss", "val/avg_loss"),
    (["train/ce_weight", "val/acc"], None, None),  # a coefficient, not a loss
    (["training/loss", "valdation/avg_loss"], "training/loss", "valdation/avg_loss"),  # Ignite's own example
    (["train/loss", "val/loss", "val/mse"], "train/loss", "val/loss"),  # a loss named so first
    (["train/loss", "test/loss", "val/ppl"], "train/loss", "val/ppl"),  # validation before a test set, named or not
    (["mae/train_loss", "mae/val_acc1", "mae/lr"], "mae/train_loss", None),  # a masked autoencoder's accuracy
]


@pytest.mark.parametrize(("tags", "train", "val"), CASES, ids=lambda x: x[0] if isinstance(x, list) else None)
def test_real_trainers_names_pair(tags, train, val):
    pair = pair_tags(tags)
    assert (pair.train, pair.val) == (train, val)


def test_measures_like_a_loss_leave_the_accuracy_and_learning_rate_slots_alone():
    pair = pair_tags(["mae/train_loss", "mae/val_acc1", "mae/lr"])
    assert (pair.val_acc, pair.learning_rate) == ("mae/val_acc1", "mae/lr")
    assert pair_tags(["loss", "val_loss", "val_mse_acc"]).val_acc == "val_mse_acc"
    assert pair_tags(["loss", "mse/lr"]).learning_rate == "mse/lr"


def test_a_test_loss_logged_once_at_the_end_does_not_silence_an_overfitting_run(tmp_path: Path, capsys):
    """``Loss/valid`` every epoch, ``Loss/test`` once after training: the run was judged on the one test point
    ("1 of 5 validation points needed", exit 0) and its bell never rang."""
    epochs = np.arange(40)
    train = 2.0 / (1 + 0.3 * epochs)
    valid = 0.8 + 1.0 / (1 + 0.3 * epochs) + 0.015 * np.clip(epochs - 15, 0, None)
    with SummaryWriter(str(tmp_path / "run")) as writer:
        for epoch in epochs.tolist():
            writer.add_scalar("Loss/train", float(train[epoch]), epoch)
            writer.add_scalar("Loss/valid", float(valid[epoch]), epoch)
        writer.add_scalar("Loss/test", float(valid[-1]), int(epochs[-1]))
    assert main(["check", str(tmp_path)]) == 1
    assert "overfitting" in capsys.readouterr().out
