"""A stress test of the bell: 2,304 synthetic runs that never overfit, with noise harsher than the real suites.

Validation falls as ``0.3 + exp(-t / tau)`` (half of the runs take a further drop, a learning-rate decay at
60 % of the run) and then sits on its plateau; training has the same shape, a little lower, always falling, and
in half of the runs keeps falling by half its range while validation sits still.
The validation noise is white, AR(1) with lag-1 autocorrelation 0.5 (noise that wanders, as a fixed
validation set's loss does between epochs), or Student-t with 3 degrees of freedom (spikes up to ~15 deviations),
at 0.3, 1 or 3 % of the curve's range; 40, 80, 160 or 480 validation points (the last: validation every few
hundred steps of a long job); 8 seeds each. Nothing ever rises, so any bell
is a false one. Written as real event files, labelled ``healthy``:

    python benchmarks/stress.py OUTDIR
"""

from __future__ import annotations

import itertools
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tui.sources.tensorboard.writer import EventWriter

LENGTHS = (40, 80, 160, 480)
TAU_SHARES = (0.1, 0.25)
"""The decay's time constant, as a share of the run."""
NOISE_KINDS = ("white", "ar0.5", "t3")
NOISE_LEVELS = (0.003, 0.01, 0.03)
"""Noise deviation, as a share of the curve's range (1.0)."""
TRAIN_SHAPES = ("settling", "memorising")
"""Training settles with validation, or keeps falling (by half its range over the run) while validation sits
on its plateau: the widening gap of a net that memorises, which is not yet overfitting and must not ring."""


def noise(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    """Unit-deviation noise of one kind."""
    if kind == "white":
        return rng.standard_normal(n)
    if kind == "ar0.5":
        shocks = rng.standard_normal(n + 50)
        x = np.zeros(n + 50)
        for k in range(1, n + 50):
            x[k] = 0.5 * x[k - 1] + np.sqrt(0.75) * shocks[k]
        return x[50:]
    return rng.standard_t(3, n) / np.sqrt(3.0)


def curve(t: np.ndarray, tau: float, step: bool) -> np.ndarray:
    """A loss decaying to its plateau; with ``step``, a further drop from 60 % of the run (a decayed learning rate)."""
    y = 0.3 + np.exp(-t / tau)
    if step:
        start = int(0.6 * len(t))
        y = y + 0.3 * np.where(t >= start, np.exp(-(t - start) / (tau / 3)) - 1.0, 0.0)
    return y


def training(t: np.ndarray, tau: float, step: bool, slide: float, level: float, rng: np.random.Generator) -> np.ndarray:
    """The training curve beside a validation ``curve(t, tau, step)``: its shape, lower and a little faster,
    falling by ``slide`` more over the run (0.3: a net that memorises), with a third of validation's noise."""
    return 0.6 * curve(t, tau * 0.8, step) - slide * t / len(t) + level / 3 * rng.standard_normal(len(t))


def build(outdir: str, seeds: int = 8) -> dict:
    labels = {}
    for gap, rng in ((gap, np.random.default_rng(seed)) for gap, seed in zip(TRAIN_SHAPES, (12345, 54321))):
        labels.update(_family(outdir, seeds, gap, rng))
    with open(os.path.join(outdir, "labels.json"), "w") as handle:
        json.dump(labels, handle)
    return labels


def _family(outdir: str, seeds: int, gap: str, rng: np.random.Generator) -> dict:
    """The runs of one training shape (the settling ones are drawn as before the memorising ones came)."""
    labels = {}
    for n, share, step, kind, level in itertools.product(LENGTHS, TAU_SHARES, (False, True), NOISE_KINDS, NOISE_LEVELS):
        for seed in range(seeds):
            t = np.arange(n, dtype=float)
            val = curve(t, share * n, step) + level * noise(rng, kind, n)
            slide = 0.3 if gap == "memorising" else 0.002
            train = training(t, share * n, step, slide, level, rng)
            name = f"n{n}-tau{share}-{'step' if step else 'exp'}-{kind}-noise{level}-s{seed}"
            name += "-memorising" if gap == "memorising" else ""
            writer = EventWriter(os.path.join(outdir, name))
            for epoch in range(n):
                writer.add_scalar("loss", float(train[epoch]), epoch, 1.7e9 + epoch)
                writer.add_scalar("val_loss", float(val[epoch]), epoch, 1.7e9 + epoch)
            writer.close()
            labels[name] = {"kind": "healthy", "onset": None, "noise": kind, "train": gap, "val_steps": list(range(n))}
    return labels


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/_work/stress"
    os.makedirs(target, exist_ok=True)
    print(f"{len(build(target))} runs -> {target}")
