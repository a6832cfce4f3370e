"""A labelled corpus of real training runs, for judging the verdict engine.

Small NumPy MLPs trained on CPU on data sets that ship inside scikit-learn
(digits: classification; diabetes: regression, losses in the thousands), in
regimes practitioners know: overfitting, healthy, noisy validation, diverging,
stuck, frozen layers, dead ReLUs; several seeds and tag styles. Runs are
written as real event files (PyTorch's format) and labelled after the fact
from the whole run, the way ``../shared/fixtures/*/labels.json`` are.

    python benchmarks/corpus.py OUTDIR
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import itertools

from scoring import keras_patience, prechelt_gl

from tui.sources.tensorboard.writer import EventWriter

TAG_STYLES = [
    ("loss", "val_loss"),
    ("train_loss", "val_loss"),
    ("Loss/train", "Loss/val"),
    ("train/loss", "eval/loss"),
    ("train_loss_epoch", "val_loss_epoch"),
    ("metrics/train_loss", "metrics/valid_loss"),
    ("keras", "keras"),  # train/ and validation/ folders, tag epoch_loss
]


@dataclass
class Regime:
    name: str
    kind: str  # what the regime is meant to produce; the label is measured, not assumed
    task: str = "digits"
    n_train: int = 1000
    n_val: int = 500
    label_noise: float = 0.0
    hidden: tuple[int, ...] = (64,)
    lr: float = 1e-3
    lr_growth: float = 1.0
    optimizer: str = "adam"
    weight_decay: float = 0.0
    batch: int = 32
    epochs: int = 60
    freeze_first: bool = False
    first_bias: float = 0.0
    restart_every: int = 0
    """SGDR: the learning rate follows a cosine from ``lr`` toward 1 % of it over this many epochs, restarting at ``lr``
    before it gets there (its lowest: 3.4 % of it every 10 epochs, 2.1 % every 15)."""
    per_batch: bool = False
    """The training loss is written at every batch under the style's plain tag (``train/loss``, ``loss`` …), not
    as the epoch's mean: single batches of a small batch size swing far from the curve's level."""
    val_glitch: float = 0.0
    """Two validation passes at 70 % of the run see inputs with Gaussian noise of this deviation (a data-loader
    glitch): a two-point excursion that comes back, to be flagged as a spike and never rung as overfitting."""


REGIMES = [
    Regime("overfit", "overfit", n_train=200, label_noise=0.2, hidden=(256, 256), lr=1e-3, epochs=100),
    Regime(
        "overfit-noisy", "overfit", n_train=150, n_val=80, label_noise=0.15, hidden=(512,), lr=2e-3, epochs=80, batch=16
    ),
    Regime("overfit-fast", "overfit", n_train=300, label_noise=0.1, hidden=(256, 256), lr=3e-3, epochs=80),
    Regime(
        "overfit-reg",
        "overfit",
        task="diabetes",
        n_train=120,
        n_val=200,
        hidden=(256, 256),
        lr=3e-3,
        epochs=100,
        batch=16,
    ),
    Regime("healthy", "healthy", n_train=1200, hidden=(32,), lr=5e-4, weight_decay=1e-3, epochs=50, batch=64),
    HEALTHY_REG := Regime(
        "healthy-reg",
        "healthy",
        task="diabetes",
        n_train=300,
        n_val=120,
        hidden=(16,),
        lr=3e-3,
        weight_decay=1e-2,
        epochs=60,
        batch=32,
    ),
    Regime("noisy", "healthy", n_train=1200, n_val=30, hidden=(64,), lr=3e-3, weight_decay=1e-3, epochs=50, batch=8),
    Regime(
        "noisy-reg",
        "healthy",
        task="diabetes",
        n_train=300,
        n_val=25,
        hidden=(32,),
        lr=1e-2,
        weight_decay=1e-2,
        epochs=60,
        batch=8,
    ),
    Regime("diverge", "diverged", optimizer="sgd", lr=0.05, lr_growth=1.5, hidden=(64,), epochs=30),
    Regime("stuck", "stuck", lr=1e-6, hidden=(64,), epochs=30),
    Regime("frozen", "healthy", hidden=(64,), lr=3e-4, freeze_first=True, epochs=40),
    Regime("dead-relu", "stuck", hidden=(64,), lr=1e-3, first_bias=-20.0, epochs=30),
    # appended last: the runs above keep their seeds and tag styles
    Regime("val-glitch", "healthy", n_train=1200, hidden=(64,), lr=3e-3, weight_decay=1e-3, epochs=60, val_glitch=0.15),
    Regime(
        "val-glitch-reg",
        "healthy",
        task="diabetes",
        n_train=300,
        n_val=120,
        hidden=(16,),
        lr=2e-2,
        weight_decay=1e-2,
        epochs=60,
        val_glitch=1.0,
    ),
    # warm restarts: both curves bump up at each restart and come back down (healthy)
    Regime("sgdr", "healthy", n_train=1200, hidden=(64,), lr=1e-2, weight_decay=1e-3, epochs=60, restart_every=10),
    Regime(
        "sgdr-small",
        "healthy",
        n_train=400,
        n_val=100,
        hidden=(64,),
        lr=1e-2,
        weight_decay=1e-3,
        epochs=60,
        restart_every=15,
    ),
    # the training loss of every batch of four under a plain name, beside validation per epoch (healthy)
    Regime(
        "per-batch",
        "healthy",
        n_train=1200,
        hidden=(64,),
        lr=3e-3,
        weight_decay=1e-3,
        epochs=30,
        batch=4,
        per_batch=True,
    ),
    dataclasses.replace(HEALTHY_REG, name="per-batch-reg", epochs=40, batch=4, per_batch=True),
]


def load_task(task: str, rng: np.random.Generator):
    from sklearn.datasets import load_diabetes, load_digits

    if task == "digits":
        data = load_digits()
        x = data.data / 16.0
        y = data.target
        return x, y, 10
    data = load_diabetes(scaled=True)
    x = (data.data - data.data.mean(0)) / data.data.std(0)
    return x, data.target.astype(np.float64), 0


class MLP:
    """ReLU MLP with softmax cross-entropy (classification) or MSE (regression), trained by hand."""

    def __init__(self, sizes: list[int], rng: np.random.Generator, first_bias: float) -> None:
        self.weights = [rng.normal(0, math.sqrt(2.0 / a), (a, b)) for a, b in itertools.pairwise(sizes)]
        self.biases = [np.zeros(b) for b in sizes[1:]]
        self.biases[0][:] = first_bias
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    @property
    def params(self):
        return self.weights + self.biases

    def forward(self, x):
        activations = [x]
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = x @ w + b
            if i < len(self.weights) - 1:
                x = np.maximum(x, 0)
            activations.append(x)
        return activations

    @staticmethod
    def loss(out, y, classes):
        if classes:
            out = out - out.max(1, keepdims=True)
            logp = out - np.log(np.exp(out).sum(1, keepdims=True))
            return float(-logp[np.arange(len(y)), y].mean()), logp
        diff = out[:, 0] - y
        return float(np.mean(diff**2)), diff

    def step(self, x, y, classes, lr, regime: Regime):
        acts = self.forward(x)
        loss, aux = self.loss(acts[-1], y, classes)
        if classes:
            grad = np.exp(aux)
            grad[np.arange(len(y)), y] -= 1
            grad /= len(y)
        else:
            grad = (2 * aux / len(y))[:, None]
        grads_w, grads_b = [], []
        for i in reversed(range(len(self.weights))):
            grads_w.insert(0, acts[i].T @ grad + regime.weight_decay * self.weights[i])
            grads_b.insert(0, grad.sum(0))
            if i:
                grad = (grad @ self.weights[i].T) * (acts[i] > 0)
        grads = grads_w + grads_b
        if regime.freeze_first:
            grads[0] = np.zeros_like(grads[0])
            grads[len(self.weights)] = np.zeros_like(grads[len(self.weights)])
        self.t += 1
        params = self.params
        for k, (p, g) in enumerate(zip(params, grads)):
            if not np.all(np.isfinite(g)):
                g = np.nan_to_num(g, nan=0.0, posinf=1e30, neginf=-1e30)
            if regime.optimizer == "sgd":
                p -= lr * g
            else:
                self.m[k] = 0.9 * self.m[k] + 0.1 * g
                self.v[k] = 0.999 * self.v[k] + 0.001 * g * g
                mhat = self.m[k] / (1 - 0.9**self.t)
                vhat = self.v[k] / (1 - 0.999**self.t)
                p -= lr * mhat / (np.sqrt(vhat) + 1e-8)
        return loss


def train(regime: Regime, seed: int, folder: str, style: tuple[str, str]) -> dict:
    rng = np.random.default_rng(seed)
    x, y, classes = load_task(regime.task, rng)
    order = rng.permutation(len(x))
    n_val = min(regime.n_val, len(x) - regime.n_train)
    train_idx, val_idx = order[: regime.n_train], order[regime.n_train : regime.n_train + n_val]
    x_tr, y_tr = x[train_idx], y[train_idx].copy()
    x_va, y_va = x[val_idx], y[val_idx]
    if regime.label_noise and classes:
        flip = rng.random(len(y_tr)) < regime.label_noise
        y_tr[flip] = rng.integers(0, classes, flip.sum())
    model = MLP([x.shape[1], *regime.hidden, classes or 1], rng, regime.first_bias)
    if regime.per_batch and style[0] in ("keras", "train_loss_epoch"):  # a per-batch curve under a plain name
        style = ("train/loss", "val/loss")
    keras = style[0] == "keras"
    if keras:
        train_writer = EventWriter(os.path.join(folder, "train"))
        val_writer = EventWriter(os.path.join(folder, "validation"))
        train_tag = val_tag = "epoch_loss"
    else:
        train_writer = val_writer = EventWriter(folder)
        train_tag, val_tag = style
    wall = 1.7e9
    step = 0
    train_curve, val_curve, val_steps = [], [], []
    lr = regime.lr
    for epoch in range(regime.epochs):
        perm = rng.permutation(len(x_tr))
        losses = []
        for start in range(0, len(perm), regime.batch):
            batch = perm[start : start + regime.batch]
            with np.errstate(all="ignore"):
                losses.append(model.step(x_tr[batch], y_tr[batch], classes, lr, regime))
            step += 1
            wall += 0.05
            if style[0] == "train_loss_epoch" and step % 10 == 0:
                train_writer.add_scalar("train_loss_step", losses[-1], step, wall)
            if regime.per_batch:
                train_writer.add_scalar(train_tag, losses[-1], step, wall)
        glitch = regime.val_glitch and epoch in (int(0.7 * regime.epochs), int(0.7 * regime.epochs) + 1)
        with np.errstate(all="ignore"):
            acts = model.forward(x_va + rng.normal(0.0, regime.val_glitch, x_va.shape) if glitch else x_va)
            val_loss, _ = model.loss(acts[-1], y_va, classes)
            train_loss = float(np.mean(losses))
        x_step = epoch if keras else step
        if not regime.per_batch:
            train_writer.add_scalar(train_tag, train_loss, x_step, wall)
        val_writer.add_scalar(val_tag, val_loss, x_step, wall)
        if classes:
            with np.errstate(all="ignore"):
                train_acc = float(np.mean(np.argmax(model.forward(x_tr)[-1], 1) == y_tr))
                val_acc = float(np.mean(np.argmax(acts[-1], 1) == y_va))
            train_writer.add_scalar("epoch_accuracy" if keras else "train_acc", train_acc, x_step, wall)
            val_writer.add_scalar("epoch_accuracy" if keras else "val_acc", val_acc, x_step, wall)
        if np.all(np.isfinite(model.weights[0])):
            train_writer.add_histogram("weights/layer0", model.weights[0], x_step, wall)
            train_writer.add_histogram("activations/layer0", acts[1], x_step, wall)
        train_curve.append(train_loss)
        val_curve.append(val_loss)
        val_steps.append(x_step)
        lr *= regime.lr_growth
        if regime.restart_every:
            phase = (epoch + 1) % regime.restart_every / regime.restart_every
            lr = regime.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * phase)))
        if not math.isfinite(val_loss) and epoch > 3:
            break
    train_writer.close()
    if val_writer is not train_writer:
        val_writer.close()
    return {
        "train": train_curve,
        "val": val_curve,
        "val_steps": val_steps,
        "tags": [train_tag, val_tag],
        "regime": regime.name,
        "seed": seed,
    }


def centered_smooth(values: np.ndarray, width: int = 5) -> np.ndarray:
    """Hindsight smoothing for labels: a centered moving median (it may look at the future)."""
    half = width // 2
    padded = np.concatenate((np.full(half, values[0]), values, np.full(half, values[-1])))
    return np.array([np.median(padded[i : i + width]) for i in range(len(values))])


def label(run: dict) -> dict:
    """Measured after the fact from the whole run."""
    val = np.asarray(run["val"], dtype=np.float64)
    train = np.asarray(run["train"], dtype=np.float64)
    result = {"epochs": len(val)}
    for curve in (train, val):
        bad = ~np.isfinite(curve)
        running_min = np.minimum.accumulate(np.where(bad, np.inf, curve))
        exploded = bad | ((curve > 10 * running_min) & (curve > 0.5 * curve[0]))
        if exploded.any():
            onset = int(np.argmax(exploded))
            result.update(kind="diverged", onset=min(onset, result.get("onset", onset)))
    if result.get("kind") == "diverged":
        return result
    smooth = centered_smooth(val)
    best = int(np.argmin(smooth))
    tail = float(np.median(val[-5:]))
    rise = (tail - smooth[best]) / abs(smooth[best])
    noise = float(np.median(np.abs(val - smooth))) * 1.4826 / abs(smooth[best])
    if rise > max(0.05, 4 * noise) and best < len(val) - 5:
        result.update(kind="overfit", onset=best, rise=round(rise, 3))
    elif abs(train[-1] - train[0]) < 0.05 * abs(train[0]):
        result.update(kind="stuck")
    elif best >= len(val) - 5 or rise < max(0.02, 2 * noise):
        result.update(kind="healthy", best=best)
    else:  # worse at the end than at its best, but not clearly: neither an alarm nor a silence is wrong
        result.update(kind="mild", best=best, rise=round(rise, 3))
    return result


def build(outdir: str, seeds: int = 3) -> dict:
    labels = {}
    index = 0
    for regime in REGIMES:
        for seed in range(seeds):
            style = TAG_STYLES[index % len(TAG_STYLES)]
            index += 1
            name = f"{regime.name}-s{seed}"
            folder = os.path.join(outdir, name)
            run = train(regime, 1000 + seed * 17 + index, folder, style)
            record = label(run)
            record.update(
                regime=regime.name,
                intended=regime.kind,
                tags=run["tags"],
                val_steps=run["val_steps"],
                train=[round(v, 6) if math.isfinite(v) else None for v in run["train"]],
                val=[round(v, 6) if math.isfinite(v) else None for v in run["val"]],
                keras_patience5=keras_patience(run["val"]),
                prechelt_gl5=prechelt_gl(run["val"]),
            )
            labels[name] = record
    with open(os.path.join(outdir, "labels.json"), "w") as handle:
        json.dump(labels, handle, indent=1)
    return labels


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/_work/corpus"
    os.makedirs(target, exist_ok=True)
    built = build(target, seeds=int(os.environ.get("CORPUS_SEEDS", "3")))
    for name, record in built.items():
        print(
            f"{name:22s} {record['kind']:9s} onset={record.get('onset')} rise={record.get('rise')} "
            f"intended={record['intended']}"
        )
