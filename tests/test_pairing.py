"""Choosing the primary train/val curves from tag names."""

from __future__ import annotations

import pytest

from tui.judging.pairing import pair_tags

STYLES = [
    (["loss", "val_loss", "acc", "val_acc", "lr"], "loss", "val_loss"),
    (["train_loss", "val_loss", "lr"], "train_loss", "val_loss"),
    (["train/loss", "eval/loss", "train/acc", "eval/acc"], "train/loss", "eval/loss"),
    (["Loss/train", "Loss/val", "Accuracy/train", "Accuracy/val"], "Loss/train", "Loss/val"),
    (
        [
            "train/epoch_loss",
            "validation/epoch_loss",
            "validation/evaluation_loss_vs_iterations",
            "train/epoch_accuracy",
            "validation/epoch_accuracy",
        ],
        "train/epoch_loss",
        "validation/epoch_loss",
    ),
    (["train_loss_epoch", "train_loss_step", "val_loss_epoch", "epoch"], "train_loss_epoch", "val_loss_epoch"),
    (["metrics/train_loss", "metrics/valid_loss"], "metrics/train_loss", "metrics/valid_loss"),
    (["Loss/training", "Loss/validation"], "Loss/training", "Loss/validation"),
    (["train_batch_loss", "train_loss", "val_loss"], "train_loss", "val_loss"),
    (["BatchLoss/train", "train_loss", "val_loss"], "train_loss", "val_loss"),
    (["train/loss", "train/loss_cls", "train/loss_box", "eval/loss"], "train/loss", "eval/loss"),
]


@pytest.mark.parametrize(("tags", "train", "val"), STYLES, ids=lambda x: x[0] if isinstance(x, list) else None)
def test_naming_styles(tags, train, val):
    pair = pair_tags(tags)
    assert (pair.train, pair.val) == (train, val)


def test_accuracy_like_metrics_are_paired():
    pair = pair_tags(["loss", "val_loss", "acc", "val_acc"])
    assert (pair.train_acc, pair.val_acc) == ("acc", "val_acc")
    pair = pair_tags(["Loss/train", "Loss/val", "Accuracy/train", "Accuracy/val"])
    assert (pair.train_acc, pair.val_acc) == ("Accuracy/train", "Accuracy/val")


def test_no_validation_curve():
    pair = pair_tags(["loss", "lr"])
    assert pair.train == "loss" and pair.val is None


def test_regex_overrides():
    tags = ["train/loss", "eval/loss", "eval/nll", "train/nll"]
    pair = pair_tags(tags, train_pattern=r"train/nll", val_pattern=r"^eval/nll$")
    assert (pair.train, pair.val) == ("train/nll", "eval/nll")


def test_keras_fixture_is_paired(fixtures_copy):
    from tui.live.monitor import Monitor

    monitor = Monitor(str(fixtures_copy / "keras"))
    monitor.refresh()
    verdict = monitor.verdict("k-overfit")
    assert (verdict.train_tag, verdict.val_tag) == ("train/epoch_loss", "validation/epoch_loss")
