"""Learning-rate sweeps for the sweep tests: curves with the shapes a sweep has, and real event files of them."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tui.sources.tensorboard.writer import EventWriter

EPOCHS = 60
START = 2.3
"""Every run starts at chance level (ln 10)."""


def lr_sweep(seed: int = 0, nan_runs: int = 2, noise: float = 0.01) -> dict[str, np.ndarray]:
    """Validation losses (EPOCHS + 1 points, the first before training) of a learning-rate sweep.

    Larger learning rates learn faster down to a higher floor; the smallest crawls; the largest
    ``nan_runs`` blow up to NaN within a few epochs.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(EPOCHS + 1, dtype=np.float64)
    curves = {}
    for lr in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3):
        floor = 0.3 + 3.0 * lr
        curve = floor + (START - floor) * np.exp(-t * lr * 3.0)
        curves[f"lr={lr:g}"] = curve * (1 + rng.normal(0, noise, t.size))
    for i in range(nan_runs):
        curve = START * (1 + rng.normal(0, noise, t.size))
        curve[2 + i :] = math.nan
        curves[f"lr={1 + i:g}"] = curve
    return curves


def late_bloomer_sweep(seed: int = 0, noise: float = 0.01, flat: int = 6) -> dict[str, np.ndarray]:
    """Peers that keep descending through training, a hopeless crawler, and a run flat for the
    first tenth of training that then drops below everyone (the sweep's best)."""
    rng = np.random.default_rng(seed)
    t = np.arange(EPOCHS + 1, dtype=np.float64)
    curves = {}
    for i, (tau, floor) in enumerate([(5, 0.9), (7, 0.8), (12, 0.7), (18, 0.65), (30, 0.6)]):
        curves[f"peer{i}"] = floor + (START - floor) * np.exp(-t / tau)
    curves["crawler"] = 1.5 + (START - 1.5) * np.exp(-t / 120)
    curves["late"] = np.where(t < flat, START, 0.3 + (START - 0.3) * np.exp(-(t - flat) / 4))
    return {name: curve * (1 + rng.normal(0, noise, t.size)) for name, curve in curves.items()}


def write_run(folder: Path, values: np.ndarray, steps_per_epoch: int = 1, hparams: dict | None = None) -> EventWriter:
    """A run's event file (PyTorch's format): train and validation loss per epoch, at step epoch * steps_per_epoch."""
    writer = _open_run(folder, hparams)
    _write_epochs(writer, values, range(len(values)), steps_per_epoch)
    writer.close()
    return writer


def start_run(
    folder: Path, values: np.ndarray, steps_per_epoch: int = 1, hparams: dict | None = None, left: int = 1
) -> Callable[[], None]:
    """``write_run`` as a job writes it: every epoch but the last ``left`` now, flushed; the rest (and the file's
    close) when the returned function is called: a watch that read the run in between sees it written."""
    writer = _open_run(folder, hparams)
    _write_epochs(writer, values, range(len(values) - left), steps_per_epoch)
    writer.flush()

    def go_on() -> None:
        _write_epochs(writer, values, range(len(values) - left, len(values)), steps_per_epoch)
        writer.close()

    return go_on


def _open_run(folder: Path, hparams: dict | None) -> EventWriter:
    folder.mkdir(parents=True, exist_ok=True)
    writer = EventWriter(str(folder))
    if hparams:
        writer.add_hparams(hparams, 1000.0)
    return writer


def _write_epochs(writer: EventWriter, values: np.ndarray, epochs: range, steps_per_epoch: int) -> None:
    for epoch in epochs:
        step = epoch * steps_per_epoch
        writer.add_scalar("train_loss", float(values[epoch]) * 0.9, step, 1000.0 + 60.0 * epoch)
        writer.add_scalar("val_loss", float(values[epoch]), step, 1000.0 + 60.0 * epoch)


def write_sweep(root: Path, curves: dict[str, np.ndarray], upto: int | None = None) -> None:
    """Every run of ``curves`` as ``root/<name>/`` (points up to ``upto`` epochs)."""
    for name, values in curves.items():
        write_run(root / name, values[: upto if upto is not None else len(values)])
