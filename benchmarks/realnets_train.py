"""Training half of ``realnets.py``: the data, the nets and the loop (needs PyTorch; the regimes live there).

Everything runs on one CPU thread from data that ships offline: scikit-learn's bundled digits
(8x8 images, 1,797 of them), diabetes (regression, losses in the thousands), and for a
character-level LSTM the Python interpreter's own ``LICENSE.txt`` (14 kB of English) and its
reference manual's topics (``pydoc_data.topics``, 465 kB). Where a regime asks for it, the
held-out digits are each used several times, jittered, so that the validation set is large
(about 11,000 images) and its curve smooth, as on the large held-out sets of the benchmarks the
monitor is judged on. Each regime is a way practitioners really train (and mistrain) nets; what a
run turns out to be is measured after the fact by ``realnets.py``, never assumed from the regime.
"""

from __future__ import annotations

import hashlib
import math
import os
import sysconfig
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from realnets_jitter import jittered
from realnets_regimes import Regime, lr_at
from torch import nn
from torch.nn import functional as F

# --- data ------------------------------------------------------------------------------------------


def text_path() -> str:
    """The interpreter's license text: English, on every Python install, the same for a given version."""
    return os.path.join(sysconfig.get_path("stdlib"), "LICENSE.txt")


def load_text(task: str) -> str:
    """``text``: the license (14 kB); ``docs``: the reference manual's topics (465 kB), for a large validation text."""
    if task == "docs":
        from pydoc_data.topics import topics

        return "".join(topics[key] for key in sorted(topics))
    with open(text_path(), encoding="utf-8") as handle:
        return handle.read()


def text_digest(task: str = "text") -> str:
    if task == "text":  # the file's bytes, as recorded since the first corpus
        return hashlib.sha256(open(text_path(), "rb").read()).hexdigest()
    return hashlib.sha256(load_text(task).encode()).hexdigest()


@dataclass
class Data:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    classes: int  # 0: regression or a generative model


def load_data(regime: Regime, rng: np.random.Generator) -> Data:
    """A random split of the regime's data set (the seed decides it), with label noise on training only."""
    from sklearn.datasets import load_diabetes, load_digits

    if regime.task in ("text", "docs"):
        text = load_text(regime.task)
        vocab = {c: i for i, c in enumerate(sorted(set(text)))}
        codes = torch.tensor([vocab[c] for c in text])
        start = int(rng.integers(0, len(text) - regime.n_train - regime.n_val))
        train = _sequences(codes[start : start + regime.n_train])
        val = _sequences(codes[start + regime.n_train : start + regime.n_train + regime.n_val])
        return Data(train, train, val, val, len(vocab))
    if regime.task == "diabetes":
        bunch = load_diabetes()
        x = (bunch.data - bunch.data.mean(0)) / bunch.data.std(0)
        y, classes = bunch.target, 0
    else:
        bunch = load_digits()
        x, y, classes = bunch.data.reshape(-1, 1, 8, 8) / 16.0, bunch.target, 10
        if regime.task.startswith("digits:"):  # a two-class task, e.g. digits:3,8
            pair = [int(c) for c in regime.task.split(":")[1].split(",")]
            keep = np.isin(y, pair)
            x, y, classes = x[keep], (y[keep] == pair[1]).astype(np.int64), 2
    order = rng.permutation(len(x))
    n_val = min(regime.n_val, len(x) - regime.n_train)
    tr, va = order[: regime.n_train], order[regime.n_train : regime.n_train + n_val]
    y_train = y[tr].copy()
    if regime.label_noise:
        flip = rng.random(len(tr)) < regime.label_noise
        y_train[flip] = rng.integers(0, classes, int(flip.sum()))
    x_train, x_val, y_val = x[tr], x[va], y[va]
    if regime.val_variants > 1:
        x_val, y_val = jittered(x_val, regime.val_variants, rng), np.tile(y_val, regime.val_variants)
    if regime.model == "vae":  # statically binarised, as VAEs on MNIST are benchmarked
        x_train, x_val = (x_train > 0.5).astype(np.float64), (x_val > 0.5).astype(np.float64)
    y_type = torch.float32 if regime.task == "diabetes" else torch.int64
    return Data(
        torch.tensor(x_train, dtype=torch.float32),
        torch.tensor(y_train, dtype=y_type),
        torch.tensor(x_val, dtype=torch.float32),
        torch.tensor(y_val, dtype=y_type),
        classes,
    )


def _sequences(codes: torch.Tensor) -> torch.Tensor:
    """Cut a text into rows of 65 characters: 64 inputs, each with the next one as its target."""
    return codes[: len(codes) // 65 * 65].view(-1, 65)


# --- nets ------------------------------------------------------------------------------------------


class Block(nn.Module):
    """A ResNet basic block: two 3x3 convolutions (batch norm after each with ``norm``) and a shortcut."""

    def __init__(self, cin: int, cout: int, stride: int, norm: bool) -> None:
        super().__init__()
        bn = (lambda: nn.BatchNorm2d(cout)) if norm else nn.Identity
        self.branch = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=not norm), bn(), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=not norm), bn(),
        )  # fmt: skip
        self.short = nn.Identity() if stride == 1 and cin == cout else nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.branch(x) + self.short(x))


class CharLSTM(nn.Module):
    def __init__(self, vocab: int, width: int, depth: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, 32)
        self.lstm = nn.LSTM(32, width, depth, batch_first=True)
        self.head = nn.Linear(width, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.lstm(self.embed(x))[0])


class VAE(nn.Module):
    """A fully connected VAE on the 64 pixels, Bernoulli likelihood."""

    def __init__(self, width: int, latent: int) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(64, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU())
        self.mu, self.logvar = nn.Linear(width, latent), nn.Linear(width, latent)
        self.dec = nn.Sequential(
            nn.Linear(latent, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 64)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Negative ELBO per image (nats): reconstruction plus KL."""
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        recon = F.binary_cross_entropy_with_logits(self.dec(z), x.flatten(1), reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu**2 - logvar.exp())
        return (recon + kl) / len(x)


def build_net(regime: Regime, data: Data) -> nn.Module:
    w, out = regime.width, data.classes or 1

    def drop() -> nn.Module:
        return nn.Dropout(regime.dropout) if regime.dropout else nn.Identity()

    if regime.model == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.ReLU(), nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2), nn.Flatten(), drop(), nn.Linear(2 * w * 16, 4 * w), nn.ReLU(), drop(),
            nn.Linear(4 * w, out),
        )  # fmt: skip
    if regime.model == "resnet":
        n = regime.norm
        net = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1, bias=not n), nn.BatchNorm2d(w) if n else nn.Identity(), nn.ReLU(),
            Block(w, w, 1, n), Block(w, 2 * w, 2, n), Block(2 * w, 2 * w, 1, n),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * w, out),
        )  # fmt: skip
        for m in net.modules():  # He initialisation, as torchvision's ResNets do
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        return net
    if regime.model == "lstm":
        return CharLSTM(data.classes, w, regime.depth)
    if regime.model == "vae":
        return VAE(w, regime.latent)
    n_in = data.x_train[0].numel()
    layers: list[nn.Module] = [nn.Flatten()]
    for i in range(regime.depth):
        linear = nn.Linear(n_in if i == 0 else w, w)
        if i == 0 and regime.first_bias:
            nn.init.constant_(linear.bias, regime.first_bias)
        layers += [linear, nn.ReLU(), drop()]
    return nn.Sequential(*layers, nn.Linear(w, out))


def build_optimizer(regime: Regime, net: nn.Module) -> torch.optim.Optimizer:
    p, lr, wd = net.parameters(), regime.lr, regime.weight_decay
    if regime.optimizer == "adamw":
        return torch.optim.AdamW(p, lr, weight_decay=wd)
    if regime.optimizer == "sgd":
        return torch.optim.SGD(p, lr, weight_decay=wd)
    if regime.optimizer == "sgdm":
        return torch.optim.SGD(p, lr, momentum=0.9, weight_decay=wd)
    return torch.optim.Adam(p, lr, weight_decay=wd)


# --- the loop --------------------------------------------------------------------------------------


def objective(regime: Regime, net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Mean loss of a batch and its number of correct predictions (0 where there is no accuracy)."""
    if regime.model == "vae":
        return net(x), 0
    if regime.model == "lstm":  # predict each next character
        logits, target = net(x[:, :-1]).flatten(0, 1), x[:, 1:].flatten()
        return F.cross_entropy(logits, target), int((logits.argmax(1) == target).sum())
    out = net(x)
    if regime.task == "diabetes":
        return F.mse_loss(out[:, 0], y), 0
    return F.cross_entropy(out, y), int((out.argmax(1) == y).sum())


def count(regime: Regime, x: torch.Tensor) -> int:
    """How many predictions a batch holds (characters for the LSTM)."""
    return x.shape[0] * (x.shape[1] - 1) if regime.model == "lstm" else x.shape[0]


def evaluate(regime: Regime, net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Loss and accuracy over a whole set, in eval mode (NaN accuracy where there is none)."""
    net.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for i in range(0, len(x), 256):
            loss, right = objective(regime, net, x[i : i + 256], y[i : i + 256])
            total += float(loss) * len(x[i : i + 256])
            correct, n = correct + right, n + count(regime, x[i : i + 256])
    net.train()
    has_acc = regime.model not in ("vae",) and regime.task != "diabetes"
    return total / len(x), correct / n if has_acc else math.nan


def batches(n: int, size: int, gen: torch.Generator, passes: int = 1) -> Iterator[torch.Tensor]:
    """Minibatch indices for ``passes`` shuffled passes over ``n`` examples."""
    for _ in range(passes):
        order = torch.randperm(n, generator=gen)
        for i in range(0, n, size):
            yield order[i : i + size]


Logger = Callable[[str, dict], None]


def train_run(regime: Regime, seed: int, eval_start: bool, log: Logger | None = None) -> dict:
    """Train one run; return its curves. ``log(kind, point)`` sees every point as it is made.

    Per epoch: the training loss is the mean of the epoch's batch losses and the accuracy the share
    of its batches' predictions that were right (as Keras and most PyTorch loops report them); with
    ``train_point`` "eval" both are measured on the whole training set after the epoch (as DeepOBS
    does), with "last" they are the epoch's last batch's (as a loop that logs ``loss.item()``
    once an epoch reports). The validation loss and accuracy are measured on the whole validation
    set after each epoch. An epoch here is ``passes`` passes over the training set (one but where
    a loop validates every so many steps). With ``eval_start`` a first point (epoch 0) is measured
    before any training, on both sets.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    data = load_data(regime, rng)
    net = build_net(regime, data)
    opt = build_optimizer(regime, net)
    steps_per_epoch = math.ceil(len(data.x_train) / regime.batch) * regime.passes
    run: dict = {k: [] for k in ("train_loss", "val_loss", "train_acc", "val_acc", "lr", "batch_loss", "batch_lr")}
    log = log or (lambda kind, point: None)
    t0, cpu0 = time.perf_counter(), time.process_time()

    def epoch_point(train_loss: float, train_acc: float, lr: float) -> None:
        val_loss, val_acc = evaluate(regime, net, data.x_val, data.y_val) if regime.validate else (math.nan,) * 2
        point = {"train_loss": train_loss, "val_loss": val_loss, "train_acc": train_acc, "val_acc": val_acc, "lr": lr}
        for key, value in point.items():
            run[key].append(value)
        log("epoch", point)

    if eval_start:
        epoch_point(*evaluate(regime, net, data.x_train, data.y_train), lr_at(regime, 0, 0, steps_per_epoch))
    step, bad_since = 0, None
    for epoch in range(regime.epochs):
        losses, correct, seen = [], 0, 0
        lr_epoch = lr_at(regime, epoch, step, steps_per_epoch)
        for idx in batches(len(data.x_train), regime.batch, gen, regime.passes):
            lr = lr_at(regime, epoch, step, steps_per_epoch)
            for group in opt.param_groups:
                group["lr"] = lr
            loss, right = objective(regime, net, data.x_train[idx], data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            if regime.clip:
                nn.utils.clip_grad_norm_(net.parameters(), regime.clip)
            opt.step()
            losses.append(loss.item())
            last_right, last_seen = right, count(regime, data.x_train[idx])
            correct, seen = correct + right, seen + last_seen
            run["batch_loss"].append(losses[-1])
            run["batch_lr"].append(lr)
            log("batch", {"loss": losses[-1], "lr": lr})
            step += 1
        has_acc = regime.model != "vae" and regime.task != "diabetes"
        if regime.train_point == "eval":
            epoch_point(*evaluate(regime, net, data.x_train, data.y_train), lr_epoch)
        elif regime.train_point == "last":
            epoch_point(losses[-1], last_right / last_seen if has_acc else math.nan, lr_epoch)
        else:
            epoch_point(float(np.mean(losses)), correct / seen if has_acc else math.nan, lr_epoch)
        finite = math.isfinite(run["train_loss"][-1]) and (not regime.validate or math.isfinite(run["val_loss"][-1]))
        bad_since = bad_since if finite or bad_since is not None else epoch
        if bad_since is not None and epoch >= bad_since + 3:  # a NaN run is stopped by hand a few epochs later
            break
    run.update(
        steps_per_epoch=steps_per_epoch,
        wall_seconds=round(time.perf_counter() - t0, 2),
        cpu_seconds=round(time.process_time() - cpu0, 2),
    )
    return run
