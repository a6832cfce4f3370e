"""Judging curves the way the engine tests do: each written as a real event file, judged whole (as ``check`` reads
it) and replayed a step at a time (as the live view sees it), the two asserted equal; and the real curves the
tests judge (DeepOBS baselines in ``tests/data/deepobs``, this project's real nets in ``benchmarks/data``)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from conftest import DATA, scalar_run
from tensorboardX import SummaryWriter

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import realnets

from tui.judging.judge import CONFIRMED
from tui.judging.kinds import BELL
from tui.judging.replay import replay
from tui.judging.thresholds import Thresholds
from tui.judging.verdict import Alert, Verdict
from tui.live.monitor import Monitor

DEEPOBS = json.loads((DATA / "deepobs" / "curves.json").read_text())
_, REALNETS, REALNET_CURVES = realnets.load()


@dataclass
class Judged:
    verdict: Verdict
    alerts: list[Alert]

    def kinds(self) -> list[str]:
        return [a.kind for a in self.alerts]

    def first(self, kind: str) -> Alert | None:
        return next((a for a in self.alerts if a.kind == kind), None)

    @property
    def bells(self) -> list[Alert]:
        return [a for a in self.alerts if a.kind in BELL]


def judge(folder: Path, curves: dict[str, list[float]], thresholds: Thresholds | None = None) -> Judged:
    """Write ``curves`` (tag -> one value per step) as an event file; judge it whole and step by step."""
    scalar_run(folder, {tag: [np.nan if v is None else v for v in values] for tag, values in curves.items()})
    return judge_folder(folder, thresholds)


def judge_folder(folder: Path, thresholds: Thresholds | None = None) -> Judged:
    """The run in ``folder`` judged whole (as ``check`` reads it) and replayed a step at a time, asserted equal."""
    thresholds = thresholds or Thresholds()
    monitor = Monitor(str(folder), thresholds)
    monitor.refresh()
    run = monitor.store.runs["."]
    alerts, engine = replay(run, thresholds)
    whole = monitor.verdict(".")
    assert whole is not None
    assert (whole.kind, whole.reason, whole.flags) == (engine.verdict.kind, engine.verdict.reason, engine.verdict.flags)
    assert [(a.step, a.kind, a.tag, a.reason) for a in monitor.alerts] == [
        (a.step, a.kind, a.tag, a.reason) for a in alerts
    ]
    assert_told(engine.verdict, alerts)
    return Judged(engine.verdict, alerts)


def assert_told(verdict: Verdict, alerts: list[Alert]) -> None:
    """A final plateau, data-suspect or unstable verdict is the kind the latest of those alerts told: the table,
    ``check`` and the alerts never disagree."""
    if verdict.kind in CONFIRMED:
        told = [(a.step, a.kind) for a in alerts if a.kind in CONFIRMED]
        assert told[-1:] and told[-1][1] == verdict.kind, (verdict.kind, told)


def deepobs(tmp_path: Path, name: str, upto: int | None = None) -> Judged:
    run = DEEPOBS[name]
    return judge(tmp_path / "run", {"train_loss": run["train"][:upto], "val_loss": run["val"][:upto]})


def from_first_epoch(name: str, change=lambda values: values) -> dict[str, list[float]]:
    """A DeepOBS run of ``curves.json`` without its point before training (as most loops log), ``change`` applied
    to both curves."""
    run = DEEPOBS[name]
    return {
        tag: change(np.asarray(run[key][1:], dtype=float)).tolist()
        for tag, key in (("loss", "train"), ("val_loss", "val"))
    }


def overfitting_curves(
    n: int = 60, onset: int = 20, seed: int = 0, floor: float = 0.25, climb: float = 0.012, noise: float = 0.004
) -> tuple[np.ndarray, np.ndarray]:
    """Train falls to ~1e-3; validation bottoms at ``onset`` near ``floor``, then climbs ``climb`` per epoch
    (by default to ~0.6: a real CNN's shape), with white noise of deviation ``noise``."""
    rng = np.random.default_rng(seed)
    epochs = np.arange(n, dtype=float)
    train = 2.3 * np.exp(-epochs / 6.0) + 1e-3
    val = floor + 2.0 * np.exp(-epochs / 5.0) + np.where(epochs > onset, climb * (epochs - onset), 0.0)
    return train * (1 + 0.01 * rng.standard_normal(n)), val + noise * rng.standard_normal(n)


def realnet(tmp_path: Path, name: str, thresholds: Thresholds | None = None) -> tuple[Judged, int]:
    """One stored real deep-net run (``benchmarks/data/realnets.*``), judged; and its labelled onset."""
    record, curves = REALNETS[name], REALNET_CURVES[name]
    written = {tag: curves[tag].astype(float).tolist() for tag in ("train_loss", "val_loss")}
    judged = judge(tmp_path / name, written, thresholds)
    return judged, int(record["onset"])


def flat_after(n: int, drop: int) -> list[float]:
    """A curve that falls for ``drop`` points, then sits flat with a little noise."""
    rng = np.random.default_rng(4)
    return (1.0 + 2.0 * np.exp(-np.minimum(np.arange(n), drop) / 4.0) + 0.002 * rng.standard_normal(n)).tolist()


EPOCH_NUMBERED = "mlp-dead-more-s1"
"""A real MLP whose ReLUs died (stuck at chance), with its per-batch losses: paired at the epoch's number beside
training's steps, it rang overfitting (``tests/test_epoch_steps.py``)."""


def write_epoch_numbered(folder: Path, val_at_epoch: bool, two_files: bool, start: float = 1_700_000_000.0) -> int:
    """``EPOCH_NUMBERED`` as a hand-written loop logs it with tensorboardX, a second of wall time per batch:
    ``train/loss`` at the global step, ``val/loss`` at the epoch's number (``val_at_epoch``) or the global step, in
    one file or in a file of its own (``two_files``). Returns its steps per epoch."""
    record, curves = REALNETS[EPOCH_NUMBERED], REALNET_CURVES[EPOCH_NUMBERED]
    batches, val = curves["batch_loss"].tolist(), curves["val_loss"].tolist()
    per_epoch = int(record["steps_per_epoch"])
    train_writer = SummaryWriter(str(folder), filename_suffix=".train" if two_files else "")
    val_writer = SummaryWriter(str(folder), filename_suffix=".val") if two_files else train_writer
    first = 0 if record["eval_start"] else 1
    for epoch, value in enumerate(val, start=first):
        for step in range((epoch - 1) * per_epoch + 1, epoch * per_epoch + 1) if epoch else ():
            train_writer.add_scalar("train/loss", batches[step - 1], step, walltime=start + step)
        at = epoch if val_at_epoch else epoch * per_epoch
        val_writer.add_scalar("val/loss", value, at, walltime=start + epoch * per_epoch + 0.5)
    train_writer.close()
    val_writer.close()
    return per_epoch
