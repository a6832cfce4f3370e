"""How ``realnets.py`` lays a run out as TensorBoard logs: tag styles, steps, and the two writers.

The plan of a run (its tags and steps) depends only on its index in the corpus and on its stored
record, so the logs written while training (PyTorch's ``SummaryWriter``, real wall times) and the
ones rewritten later from the stored curves (tensorboardX, fixed clock: byte-identical every time)
hold the same points under the same names.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from typing import Any

import numpy as np

START = 1_760_000_000.0
"""Fixed wall-clock origin of the rewritten logs (a run starts a day after the one before it)."""
SECONDS_PER_BATCH = 0.05

# name, train loss, val loss, train acc, val acc, per-batch train loss
STYLES = [
    ("torch-slash", "Loss/train", "Loss/val", "Accuracy/train", "Accuracy/val", "BatchLoss/train"),
    ("underscore", "train_loss", "val_loss", "train_acc", "val_acc", "train_loss_step"),
    ("train-eval", "train/loss", "eval/loss", "train/accuracy", "eval/accuracy", "train/batch_loss"),
    ("keras-flat", "loss", "val_loss", "accuracy", "val_accuracy", "batch_loss"),
    ("metrics", "metrics/train_loss", "metrics/valid_loss", "metrics/train_acc", "metrics/valid_acc",
     "metrics/batch_loss"),
    ("keras-dirs", "train/epoch_loss", "validation/epoch_loss", "train/epoch_accuracy", "validation/epoch_accuracy",
     "train/batch_loss"),
]  # fmt: skip
LR_TAGS = ["lr", "learning_rate", "lr-{optimizer}", "train/lr"]
"""Learning-rate tag names as loops write them (Lightning's LearningRateMonitor: ``lr-Adam``)."""
KERAS_LR_TAG = "train/epoch_learning_rate"  # TF >= 2.13 Keras writes the learning rate beside epoch_loss
OPTIMIZER_NAMES = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "sgdm": "SGD"}


def plan(index: int, optimizer: str, validate: bool, has_acc: bool, log_batch: bool) -> dict[str, Any]:
    """Tag names of run number ``index``: the style rotates, a third of the runs also log per batch."""
    style, train, val, train_acc, val_acc, batch = STYLES[index % len(STYLES)]
    tags = {"train": train, "val": val} if validate else {}
    if has_acc and validate:
        tags.update(train_acc=train_acc, val_acc=val_acc)
    lr = KERAS_LR_TAG if style == "keras-dirs" else LR_TAGS[index % len(LR_TAGS)]
    tags["lr"] = lr.format(optimizer=OPTIMIZER_NAMES[optimizer])
    if log_batch or not validate or (index // len(STYLES)) % 3 == 0:
        tags["batch"] = batch
    return {"style": style, "tags": tags}


def epoch_steps(n_points: int, eval_start: bool, steps_per_epoch: int, per_batch: bool) -> list[int]:
    """Step of each per-epoch point: the global step (batches done) where batches are logged, else the epoch."""
    epochs = range(n_points) if eval_start else range(1, n_points + 1)
    if per_batch:
        return [e * steps_per_epoch for e in epochs]
    return list(range(n_points))


class _FixedClock:
    """Stands in for tensorboardX's ``time`` and ``socket`` while a writer is made: fixed file names."""

    def __init__(self, t: float) -> None:
        self.t = t

    def time(self) -> float:
        return self.t

    def gethostname(self) -> str:
        return "realnets"


def _tbx_writer(folder: str, start: float) -> Any:
    from tensorboardX import SummaryWriter, event_file_writer

    # NaN and inf are written on purpose (diverged runs): tensorboardX's warning for each would bury the report
    logging.getLogger("tensorboardX.x2num").setLevel(logging.ERROR)

    clock = _FixedClock(start)
    event_file_writer.time, event_file_writer.socket = clock, clock  # type: ignore[attr-defined]
    try:
        return SummaryWriter(folder, max_queue=1000, flush_secs=3600)
    finally:
        event_file_writer.time, event_file_writer.socket = time, socket  # type: ignore[attr-defined]


class RunLogger:
    """Writes one run's points under its plan, with tensorboardX (fixed clock) or PyTorch's writer.

    With the keras-dirs style the run is two sibling folders, ``train/`` and ``validation/``,
    and the tags lose their folder prefix, as Keras' TensorBoard callback writes them.
    """

    def __init__(self, folder: str, record: dict, start: float | None = None, torch_writer: bool = False) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        self.record, self.start = record, start
        self.keras = record["style"] == "keras-dirs"
        self.torch_writer = torch_writer
        self.train = self._writer(folder, "train" if self.keras else "")
        self.val = self._writer(folder, "validation") if self.keras else self.train

    def _writer(self, folder: str, sub: str) -> Any:
        if self.torch_writer:
            from torch.utils.tensorboard import SummaryWriter

            return SummaryWriter(os.path.join(folder, sub))
        return _tbx_writer(os.path.join(folder, sub), self.start or START)

    def _tag(self, key: str) -> str:
        tag = self.record["tags"][key]
        return tag.split("/", 1)[1] if self.keras else tag

    def _wall(self, step: int, per_batch_steps: bool) -> float | None:
        if self.start is None:
            return None  # the writer's own clock
        batches = step if per_batch_steps else step * self.record["steps_per_epoch"]
        return self.start + SECONDS_PER_BATCH * batches

    def batch(self, step: int, loss: float, lr: float | None) -> None:
        wall = self._wall(step, True)
        self.train.add_scalar(self._tag("batch"), loss, step, walltime=wall)
        if lr is not None:
            self.train.add_scalar(self._tag("lr"), lr, step, walltime=wall)

    def epoch(self, step: int, point: dict, log_lr: bool) -> None:
        wall = self._wall(step, "batch" in self.record["tags"])
        values = {"train": "train_loss", "val": "val_loss", "train_acc": "train_acc", "val_acc": "val_acc"}
        for key, name in values.items():
            if key in self.record["tags"]:
                writer = self.val if key.startswith("val") else self.train
                writer.add_scalar(self._tag(key), point[name], step, walltime=wall)
        if log_lr:
            self.train.add_scalar(self._tag("lr"), point["lr"], step, walltime=wall)

    def close(self) -> None:
        self.train.close()
        if self.val is not self.train:
            self.val.close()


def write_run(folder: str, record: dict, curves: dict[str, np.ndarray], start: float) -> int:
    """Rewrite one stored run as event files (tensorboardX, fixed clock); return the points written.

    Points go in the order the training loop made them: each epoch's batches, then its epoch point.
    """
    logger = RunLogger(folder, record, start)
    per_step_lr = record["lr_per_batch"]
    batch_loss = curves["batch_loss"].tolist()
    batch_lr = curves["batch_lr"].tolist() if per_step_lr else [None] * len(batch_loss)
    epoch_keys = [k for k in ("train", "val", "train_acc", "val_acc") if k in record["tags"]]
    written, points = 0, 0

    def batches_until(step: int) -> int:
        nonlocal written
        count = 0
        while written < len(batch_loss) and written + 1 <= step:
            logger.batch(written + 1, batch_loss[written], batch_lr[written])
            written, count = written + 1, count + 1 + per_step_lr
        return count

    for e, step in enumerate(record["val_steps"] if epoch_keys else []):
        points += batches_until(step)
        point = {k: float(curves[k][e]) for k in ("train_loss", "val_loss", "train_acc", "val_acc", "lr")}
        logger.epoch(step, point, not per_step_lr)
        points += len(epoch_keys) + (not per_step_lr)
    points += batches_until(len(batch_loss))
    logger.close()
    return points
