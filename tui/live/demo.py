"""``losswatch demo``: simulated training jobs writing real event files over time.

Each job writes what PyTorch's ``SummaryWriter`` would (``simple_value``
scalars, ``histo`` histograms) through TensorBoard's own event-file writer, one
epoch at a time, flushed so a tail sees it at once. The curves follow the
shapes practitioners know; the noise is seeded, so every demo looks the same.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from tui.sources.tensorboard.writer import EventWriter

EPOCH_SECONDS = 0.5
"""Seconds per simulated epoch at speed 1."""
STEPS_PER_EPOCH = 100
SIMULATED_EPOCH_SECONDS = 60.0
"""Wall-clock seconds an epoch takes when the demo is written all at once (``run_to_end``)."""


@dataclass
class Job:
    """One simulated run: a curve shape, a noise level, when it starts."""

    name: str
    shape: str
    epochs: int = 60
    val_noise: float = 0.01
    start_epoch: int = 0
    """Global epoch tick at which the job starts writing (a job that appears later)."""
    histograms: bool = False
    seed: int = 0
    hparams: dict[str, float | int | str] = field(default_factory=dict)
    """Written as an HParams summary when the job starts, after its planned ``epochs`` (the sweep jobs log their
    learning rate; the one that diverges plans 60 epochs and stops writing at 20)."""
    writer: EventWriter | None = field(default=None, repr=False)
    epoch: int = 0

    def losses(self, epoch: int, rng: np.random.Generator) -> tuple[float, float]:
        e = float(epoch)
        if self.shape == "learning":
            train = 0.15 + 2.1 * math.exp(-e / 9)
            val = 0.22 + 2.0 * math.exp(-e / 10)
        elif self.shape == "overfitting":
            train = 0.02 + 2.2 * math.exp(-e / 7)
            val = 0.55 + 1.7 * math.exp(-e / 5) + 0.0009 * max(0.0, e - 12) ** 2
        elif self.shape == "diverging":
            train = 0.4 + 1.9 * math.exp(-e / 4) + (0.0 if e < 8 else 0.6 * 2.4 ** (e - 8))
            val = train * 1.08
            if e >= 13:
                return math.nan, math.nan
        elif self.shape == "sweep":  # a learning-rate sweep: faster with lr, to a floor that rises with lr
            lr = float(self.hparams["lr"])
            floor = 0.3 + 4.0 * lr
            train = floor - 0.08 + (2.2 - floor) * math.exp(-e * lr * 2.0)
            val = floor + (2.3 - floor) * math.exp(-e * lr * 1.8)
        else:  # noisy validation around a healthy trend
            train = 0.1 + 1.5 * math.exp(-e / 8)
            val = 0.25 + 1.4 * math.exp(-e / 9)
        train *= 1 + rng.normal(0, 0.01)
        val *= 1 + rng.normal(0, self.val_noise)
        return train, val


def default_jobs() -> list[Job]:
    return [
        Job("resnet18-lr3e-4", "learning", seed=1, histograms=True),
        Job("bert-small-overfit", "overfitting", seed=2),
        Job("lr-sweep/lr=0.3", "diverging", seed=3, epochs=20, hparams={"lr": 0.3, "epochs": 60}),
        *(
            Job(f"lr-sweep/lr={lr:g}", "sweep", seed=6 + i, hparams={"lr": lr, "epochs": 60})
            for i, lr in enumerate((0.1, 0.03, 0.01, 0.003))
        ),
        Job("tiny-val-set", "noisy", val_noise=0.12, seed=4),
        Job("vit-tiny-late", "learning", seed=5, start_epoch=15),
    ]


class DemoJobs:
    """Runs the simulated jobs on a background thread until they finish or ``stop`` is called."""

    def __init__(
        self, logdir: str, speed: float = 1.0, jobs: list[Job] | None = None, started: float | None = None
    ) -> None:
        """``started``: the wall time of the first epoch when written all at once (now if None; the screenshots
        fix it, so that the times they show stay the same)."""
        self.logdir = logdir
        self.interval = EPOCH_SECONDS / max(speed, 1e-3)
        self.jobs = jobs if jobs is not None else default_jobs()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="losswatch-demo", daemon=True)
        self._started = time.time() if started is None else started
        self._ticks: int | None = None
        self._tick = 0
        """The next epoch tick to write (``run_to_end`` may stop at one and go on from it)."""
        self._rngs = {job.name: np.random.default_rng(job.seed) for job in self.jobs}
        self.done = threading.Event()
        self._first_written = threading.Event()

    def start(self) -> None:
        """Start the jobs; return once their first epoch is written, so a watch started next finds runs at once
        (not "no runs yet ... waiting for event files", which a race made the demo say now and then)."""
        self._thread.start()
        self._first_written.wait(timeout=5)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # a stop may come (a signal) before the start did
            self._thread.join(timeout=5)
        self._close()

    def run_to_end(self, ticks: int | None = None, more: bool = False) -> None:
        """Write every epoch of every job now (or up to tick ``ticks``), without waiting (tests, screenshots).
        ``more``: the jobs go on later (another call, from the tick this one reached): their files stay open, as a
        job's between epochs, and a watch that read them now sees them written (``Run.live``)."""
        self.interval = 0.0
        self._ticks = ticks
        self._run(close=not more)

    def _run(self, close: bool = True) -> None:
        while not self._stop.is_set():
            active = False
            tick = self._tick
            for job in self.jobs:
                if tick < job.start_epoch or job.epoch >= job.epochs:
                    active = active or tick < job.start_epoch
                    continue
                active = True
                self._write_epoch(job, self._rngs[job.name], tick)
            self._tick = tick = tick + 1
            self._first_written.set()
            if not active or (self._ticks is not None and tick >= self._ticks):
                break
            if self.interval and self._stop.wait(self.interval):
                break
        if close:
            self._close()
            self.done.set()

    def _write_epoch(self, job: Job, rng: np.random.Generator, tick: int) -> None:
        # Written all at once (tests, screenshots), the epochs are stamped a simulated minute apart.
        now = time.time() if self.interval else self._started + SIMULATED_EPOCH_SECONDS * tick
        if job.writer is None:
            job.writer = EventWriter(os.path.join(self.logdir, job.name))
            # Its planned length, as a training script logs it: a job that ends there finished, not stalled.
            job.writer.add_hparams({"epochs": job.epochs} | job.hparams, now)
        writer = job.writer
        epoch = job.epoch
        step = (epoch + 1) * STEPS_PER_EPOCH
        train, val = job.losses(epoch, rng)
        for i in range(0, STEPS_PER_EPOCH, 20):
            batch = train * (1 + rng.normal(0, 0.08)) if math.isfinite(train) else train
            writer.add_scalar("train/batch_loss", batch, epoch * STEPS_PER_EPOCH + i + 1, now)
        writer.add_scalar("train/loss", train, step, now)
        writer.add_scalar("val/loss", val, step, now)
        if math.isfinite(val):
            accuracy = max(0.0, min(1.0, 1.0 - val / 2.5))
            writer.add_scalar("train/acc", max(0.0, min(1.0, 1.0 - train / 2.5)), step, now)
            writer.add_scalar("val/acc", accuracy, step, now)
        if job.histograms:
            weights = rng.normal(0, 0.05 + 0.002 * epoch, 4096)
            writer.add_histogram("weights/fc1", weights, step, now)
            writer.add_histogram("weights/embedding", np.linspace(-0.1, 0.1, 2048), step, now)  # frozen
            activations = np.maximum(rng.normal(-0.2 - 0.03 * epoch, 1.0, 4096), 0.0)
            writer.add_histogram("activations/fc1", activations, step, now)
        writer.flush()
        job.epoch += 1

    def _close(self) -> None:
        for job in self.jobs:
            if job.writer is not None:
                job.writer.close()
                job.writer = None
