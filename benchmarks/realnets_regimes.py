"""The regimes of ``realnets.py``: ways practitioners really train (and mistrain) nets.

Each regime is meant to produce something (``intended``); what its runs turn out to be is
measured after the fact from their curves, never assumed from here. A regime that does not
produce what it means to is changed here, and its runs' labels are left as measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Regime:
    """One way of training; ``intended`` is what it is meant to produce, the label is measured."""

    name: str
    intended: str
    model: str  # cnn, mlp, resnet, lstm, vae
    task: str = "digits"  # digits, digits:A,B (two of the classes), diabetes, text, docs (a longer text)
    n_train: int = 300
    n_val: int = 400  # held-out images (characters for text)
    val_variants: int = 1  # each held-out image and jittered copies of it: a large validation set from few images
    label_noise: float = 0.0
    width: int = 16
    depth: int = 2
    dropout: float = 0.0
    optimizer: str = "adam"  # adam, adamw, sgd, sgdm (momentum 0.9)
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch: int = 32
    epochs: int = 50  # logged epochs: validation points
    passes: int = 1  # passes over the training set per logged epoch (a loop that validates every N steps)
    schedule: str = "const"  # const, step, cosine, warmup-cosine, growth, bump
    schedule_arg: float = 0.0  # growth: factor per epoch; bump: epoch fraction; warmup-cosine: warm-up steps
    clip: float = 0.0  # gradient-norm clipping, 0 = none
    validate: bool = True  # False: only a per-batch training loss is logged
    train_point: str = "mean"  # the epoch's training loss: mean of its batches, eval (whole set after it), last batch
    eval_start: bool | None = None  # a point before training (None: every other run)
    log_batch: bool = False  # always log the per-batch loss (otherwise a third of the runs do)
    first_bias: float = 0.0  # negative: dead ReLUs from the start
    latent: int = 8  # VAE latent dimensions
    norm: bool = True  # ResNet: batch norm after each convolution
    seeds: int = 4


BUMP = 5.0
"""The bump schedule's one epoch at five times the rate (a restart or a resumed checkpoint's wrong rate)."""


def lr_at(regime: Regime, epoch: int, step: int, steps_per_epoch: int) -> float:
    """The learning rate a schedule gives for one batch (epoch-level schedules change per epoch)."""
    base, kind, arg = regime.lr, regime.schedule, regime.schedule_arg
    if kind == "step":
        return base * 0.1 ** sum(epoch >= m * regime.epochs for m in (0.5, 0.75))
    if kind == "cosine":
        return base * (1e-3 + (1 - 1e-3) * 0.5 * (1 + math.cos(math.pi * epoch / regime.epochs)))
    if kind == "warmup-cosine":
        total = regime.epochs * steps_per_epoch
        if step < arg:
            return base * (step + 1) / arg
        return base * 0.5 * (1 + math.cos(math.pi * (step - arg) / max(1, total - arg)))
    if kind == "growth":
        return base * arg**epoch
    if kind == "bump":
        return base * (BUMP if epoch == int(arg * regime.epochs) else 1.0)
    return base


R = Regime
REGIMES = [
    # overfitting: small training sets, label noise, big nets; onsets early and late, rises sharp and slow
    R("cnn-few", "overfit", "cnn", n_train=150, n_val=400, label_noise=0.1, width=32, lr=2e-3, epochs=80, seeds=5),
    R("cnn-noisy", "overfit", "cnn", n_train=300, n_val=800, label_noise=0.25, width=32, epochs=80, seeds=5),
    R("cnn-sgd", "overfit", "cnn", n_train=400, n_val=300, label_noise=0.15, optimizer="sgdm", lr=0.01, epochs=80,
      seeds=5),
    R("cnn-wd", "overfit", "cnn", n_train=250, n_val=400, label_noise=0.2, optimizer="adamw", weight_decay=0.05,
      epochs=70),
    R("mlp-wide", "overfit", "mlp", n_train=200, n_val=100, label_noise=0.2, width=1024, optimizer="sgdm", lr=0.02,
      batch=16, epochs=60, seeds=5),
    R("mlp-wide-adam", "overfit", "mlp", n_train=120, n_val=50, width=512, depth=3, batch=16, epochs=50),
    R("lstm-small", "overfit", "lstm", task="text", n_train=3000, n_val=1500, width=256, depth=1, lr=4e-3, batch=16,
      epochs=50, seeds=5),
    R("lstm-deep", "overfit", "lstm", task="text", n_train=3000, n_val=3000, width=128, depth=2, lr=6e-3, batch=16,
      epochs=70),
    R("vae-few", "overfit", "vae", n_train=100, n_val=500, width=512, latent=16, batch=16, epochs=200, seeds=5),
    R("resnet-few", "overfit", "resnet", n_train=300, n_val=400, label_noise=0.2, norm=False, lr=3e-3, epochs=80,
      seeds=5),
    R("mlp-diabetes", "overfit", "mlp", task="diabetes", n_train=120, n_val=200, width=256, lr=3e-3, batch=16,
      epochs=100),
    R("cnn-bump", "overfit-bump", "cnn", n_train=150, n_val=400, label_noise=0.1, width=32, lr=2e-3,
      schedule="bump", schedule_arg=0.6, epochs=80),
    # healthy: decaying schedules that end flat (converged), constant rates, a tiny noisy validation set
    R("cnn-step", "converged", "cnn", n_train=1300, n_val=497, dropout=0.3, optimizer="sgdm", lr=0.05,
      weight_decay=5e-4, schedule="step", epochs=30),
    R("cnn-cosine", "converged", "cnn", n_train=1300, n_val=497, dropout=0.4, optimizer="adamw", weight_decay=0.05,
      lr=2e-3, schedule="cosine", epochs=20),
    R("mlp-cosine", "converged", "mlp", n_train=1300, n_val=497, width=128, dropout=0.3, optimizer="adamw",
      weight_decay=0.05, lr=3e-3, schedule="cosine", epochs=30, seeds=3),
    R("lstm-cosine", "converged", "lstm", task="text", n_train=8000, n_val=3000, width=128, depth=1, optimizer="sgd",
      lr=10.0, batch=16, schedule="cosine", epochs=25, seeds=3),
    R("vae-cosine", "converged", "vae", n_train=1300, n_val=497, width=256, latent=8, schedule="cosine", epochs=40,
      seeds=3),
    R("mlp-const", "healthy", "mlp", n_train=1300, n_val=497, width=64, lr=2e-4, epochs=40, seeds=3),
    R("lstm-const", "healthy", "lstm", task="text", n_train=8000, n_val=3000, width=128, depth=1, optimizer="sgd",
      lr=5.0, batch=16, epochs=25, seeds=3),
    R("resnet-bn", "healthy", "resnet", n_train=600, n_val=400, lr=3e-3, epochs=30, seeds=3),
    R("cnn-noisyval", "healthy-noisy", "cnn", n_train=1200, n_val=25, dropout=0.3, batch=8, epochs=40),
    R("mlp-noisyval", "healthy-noisy", "mlp", n_train=1000, n_val=30, width=64, lr=3e-3, weight_decay=1e-3, batch=8,
      epochs=40, seeds=3),
    # losses converging near zero: memorisation, and easy two-class tasks where validation gets there too
    R("cnn-memorise", "near-zero", "cnn", n_train=300, n_val=400, epochs=100, seeds=3),
    R("mlp-pair38", "near-zero", "mlp", task="digits:3,8", n_train=250, n_val=100, width=64, lr=3e-3, epochs=60),
    R("cnn-pair17", "near-zero", "cnn", task="digits:1,7", n_train=250, n_val=100, epochs=40, seeds=3),
    # loss spikes that recover (Adam at a high rate; batch-norm statistics at a high SGD rate), oscillation
    R("cnn-spike", "spike", "cnn", n_train=1300, n_val=497, lr=1e-2, batch=16, epochs=20, log_batch=True),
    R("resnet-spiky", "spike", "resnet", n_train=300, n_val=400, optimizer="sgdm", lr=0.05, weight_decay=5e-4,
      epochs=50),
    R("mlp-oscillate", "oscillating", "mlp", n_train=800, n_val=497, width=64, optimizer="sgd", lr=0.3, batch=4,
      epochs=25, train_point="last", log_batch=True),
    R("mlp-oscillate-eval", "oscillating", "mlp", n_train=800, n_val=497, width=64, lr=0.03, batch=4, epochs=25,
      train_point="eval", log_batch=True),
    # only a per-batch training loss, through a warm-up
    R("cnn-warmup", "batch-only", "cnn", n_train=1300, lr=3e-3, schedule="warmup-cosine", schedule_arg=100,
      epochs=8, validate=False, seeds=3),
    R("lstm-warmup", "batch-only", "lstm", task="text", n_train=10000, n_val=0, width=128, depth=1, lr=5e-3,
      batch=16, schedule="warmup-cosine", schedule_arg=20, epochs=10, validate=False, seeds=3),
    # diverging: the learning rate grows until the loss explodes (to NaN for the regression), or is far too high
    R("mlp-lr-ramp", "diverged", "mlp", n_train=1300, n_val=497, width=128, optimizer="sgdm", lr=0.01,
      schedule="growth", schedule_arg=1.4, epochs=30),
    R("cnn-lr-ramp", "diverged", "cnn", n_train=600, n_val=400, lr=1e-3, schedule="growth", schedule_arg=1.35,
      epochs=30, seeds=3),
    R("lstm-lr-ramp", "diverged", "lstm", task="text", n_train=5000, n_val=2000, width=128, depth=1, optimizer="sgd",
      lr=2.0, batch=16, schedule="growth", schedule_arg=1.25, epochs=25, seeds=3),
    R("mlp-diabetes-nan", "diverged", "mlp", task="diabetes", n_train=300, n_val=142, width=256, optimizer="sgd",
      lr=1e-4, schedule="growth", schedule_arg=1.5, epochs=30, seeds=3),
    R("lstm-explode", "diverged", "lstm", task="text", n_train=5000, n_val=2000, width=128, depth=1, optimizer="sgd",
      lr=50.0, batch=16, epochs=20, eval_start=True, seeds=3),
    # stuck: far too low a rate, dead ReLUs
    R("cnn-lowlr", "stuck", "cnn", n_train=1300, n_val=497, optimizer="sgd", lr=1e-5, epochs=20, seeds=3),
    R("mlp-dead", "stuck", "mlp", n_train=1300, n_val=497, width=64, first_bias=-10.0, epochs=20, seeds=3),
    # a large validation set (about 11,000 jittered copies of the held-out digits, 24,000 characters of text), as
    # the benchmarks the monitor is judged on validate: its noise is the net's own jitter, small where each point
    # is a few passes over a small training set in large batches, so an overfitting rise shows within epochs.
    # Appended, so the runs above keep their index (their tag style and clock).
    R("cnn-full-bigval", "overfit", "cnn", n_train=200, n_val=1400, val_variants=8, batch=200, passes=5, epochs=40,
      seeds=5),
    R("cnn-late-bigval", "overfit", "cnn", n_train=400, n_val=1397, val_variants=8, label_noise=0.1, batch=400,
      lr=5e-4, passes=5, epochs=45),
    R("cnn-noisy-bigval", "overfit", "cnn", n_train=300, n_val=1400, val_variants=8, label_noise=0.25, batch=100,
      passes=4, epochs=40, seeds=5),
    R("cnn-sgd-bigval", "overfit", "cnn", n_train=300, n_val=1400, val_variants=8, label_noise=0.2,
      optimizer="sgdm", lr=0.02, batch=50, passes=4, epochs=40),
    R("cnn-epoch-bigval", "overfit", "cnn", n_train=100, n_val=1400, val_variants=8, batch=16, epochs=50, seeds=3),
    R("mlp-wide-bigval", "overfit", "mlp", n_train=200, n_val=1400, val_variants=8, label_noise=0.2, width=512,
      optimizer="sgdm", lr=0.01, batch=20, passes=3, epochs=40),
    R("mlp-full-bigval", "overfit", "mlp", n_train=120, n_val=1400, val_variants=8, width=512, depth=3, lr=3e-4,
      batch=120, passes=5, epochs=40),
    R("resnet-bigval", "overfit", "resnet", n_train=200, n_val=1400, val_variants=8, norm=False, lr=2e-3,
      batch=200, passes=5, epochs=40),
    R("vae-bigval", "overfit", "vae", n_train=100, n_val=1400, val_variants=8, width=256, latent=16, batch=20,
      passes=10, epochs=50),
    R("lstm-bigval", "overfit", "lstm", task="docs", n_train=3000, n_val=24000, width=192, depth=1, lr=5e-3,
      batch=16, passes=2, epochs=40),
    R("lstm-deep-bigval", "overfit", "lstm", task="docs", n_train=3000, n_val=24000, width=128, depth=2, lr=5e-3,
      batch=16, passes=3, epochs=40, seeds=3),
    R("cnn-mild-bigval", "mild", "cnn", n_train=500, n_val=1297, val_variants=8, label_noise=0.1, batch=500,
      lr=5e-4, passes=5, epochs=44, seeds=3),
    R("cnn-cosine-bigval", "converged", "cnn", n_train=1000, n_val=797, val_variants=14, dropout=0.3,
      optimizer="adamw", weight_decay=0.05, lr=2e-3, batch=100, schedule="cosine", epochs=20, seeds=3),
    R("cnn-step-bigval", "converged", "cnn", n_train=1000, n_val=797, val_variants=14, dropout=0.3,
      optimizer="sgdm", lr=0.05, weight_decay=5e-4, batch=50, schedule="step", epochs=20, seeds=3),
    R("cnn-const-bigval", "healthy", "cnn", n_train=1000, n_val=797, val_variants=14, dropout=0.2, lr=5e-4,
      batch=100, epochs=30, seeds=3),
    R("mlp-wd-bigval", "healthy", "mlp", n_train=1000, n_val=797, val_variants=14, width=128, dropout=0.3,
      optimizer="adamw", weight_decay=0.05, lr=3e-4, epochs=25, seeds=3),
    R("resnet-cosine-bigval", "converged", "resnet", n_train=1000, n_val=797, val_variants=14, lr=3e-3, batch=100,
      schedule="cosine", epochs=20, seeds=2),
    R("lstm-cosine-bigval", "converged", "lstm", task="docs", n_train=40000, n_val=24000, width=128, depth=1,
      optimizer="sgd", lr=10.0, batch=16, schedule="cosine", epochs=12, seeds=3),
    R("vae-cosine-bigval", "converged", "vae", n_train=1000, n_val=797, val_variants=14, width=256, latent=8,
      schedule="cosine", epochs=30, seeds=3),
    # validation at its best at its first evaluation (many passes before it, as a fine-tuned net is), then rising:
    # no progress to measure a rise against, only its noise
    R("cnn-first-best-bigval", "overfit", "cnn", n_train=100, n_val=1400, val_variants=8, lr=3e-3, batch=20,
      passes=15, epochs=30, eval_start=False),
    # more seeds of two kinds that rang false bells on held-out seeds: a per-batch loss of batches of four read alone
    # through the first epoch (its first validation point comes after it), and dead ReLUs creeping at chance
    R("mlp-batch4-first-epoch", "healthy-noisy", "mlp", n_train=800, n_val=497, width=64, lr=0.03, batch=4,
      epochs=25, train_point="eval", log_batch=True, eval_start=False),
    R("mlp-dead-more", "stuck", "mlp", n_train=1300, n_val=497, width=64, first_bias=-10.0, epochs=20),
]  # fmt: skip
