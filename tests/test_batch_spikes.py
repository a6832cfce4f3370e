"""Spikes of a curve logged per batch: single batches swing far (heavy tails), so a spike is several logged steps
whose running median leaves the level and comes back, as a large model's loss spike does; the engine flagged one
on every fiftieth batch of a real net before (173 ``spike`` alerts in 9,000 batches)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from judging_helpers import judge_folder
from tensorboardX import SummaryWriter

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import corpus


def _write(folder: Path, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray]) -> None:
    with SummaryWriter(str(folder)) as writer:
        points = [(int(s), "train/loss", float(v)) for s, v in zip(*train, strict=True)]
        points += [(int(s), "val/loss", float(v)) for s, v in zip(*val, strict=True)]
        for step, tag, value in sorted(points):
            writer.add_scalar(tag, value, step, walltime=1000.0 + step)


def test_a_real_per_batch_run_is_not_a_flood_of_spikes(tmp_path):
    """A real MLP trained in batches of four, every batch logged (the corpus's ``per-batch`` regime): healthy."""
    regime = next(r for r in corpus.REGIMES if r.name == "per-batch")
    corpus.train(regime, 5, str(tmp_path / "run"), ("train/loss", "val/loss"))
    judged = judge_folder(tmp_path / "run")
    assert not judged.bells
    assert judged.kinds().count("spike") <= 1, [a.reason for a in judged.alerts if a.kind == "spike"]


def _pretraining(rng: np.random.Generator, at: list[int], held: int = 1) -> tuple[np.ndarray, ...]:
    """A language model's loss every 10 steps (heavy-tailed noise of 1.5 %), validation every 250 steps; a spike
    at each step of ``at`` (2.5x, decaying over about 8 logged steps); ``held``: each value logged that many times
    (gradient accumulation)."""
    steps = np.arange(0, 30_000, 10)
    train = 2.2 + 8.5 * (steps + 300) ** -0.45
    for begin in at:
        since = (steps - begin) / 10.0
        train = train * (1 + 1.5 * np.where(since >= 0, np.exp(-np.clip(since, 0, None) / 4.0), 0.0))
    noise = 0.015 * rng.standard_t(4, steps.size) / np.sqrt(2)
    train = (train * (1 + noise))[np.arange(steps.size) // held * held]
    every = steps % 250 == 0
    val = (2.3 + 8.5 * (steps[every] + 300) ** -0.45) * (1 + 0.002 * rng.standard_normal(int(every.sum())))
    return steps, train, steps[every], val


def test_a_loss_spike_of_several_logged_steps_is_flagged_where_it_is(tmp_path):
    at = [6_000, 14_000, 23_000]
    steps, train, val_steps, val = _pretraining(np.random.default_rng(3), at)
    _write(tmp_path / "run", (steps, train), (val_steps, val))
    judged = judge_folder(tmp_path / "run")
    assert not judged.bells
    spikes = [a for a in judged.alerts if a.kind == "spike"]
    assert len(spikes) == len(at)
    for begin, alert in zip(at, spikes, strict=True):
        assert begin <= alert.step <= begin + 250, alert.reason
        jumped = float(alert.reason.split("jumped to ")[1].split(" ")[0])
        assert jumped > 2.0 * float(np.median(train[(steps > begin - 500) & (steps < begin)]))


def test_values_held_over_gradient_accumulation_are_no_spikes(tmp_path):
    """A loss logged at every micro-step, held over each accumulation window of 8: the running median steps with
    it, and its point-to-point noise is nil, but the level's spread and the excursions before say it is routine."""
    steps, train, val_steps, val = _pretraining(np.random.default_rng(4), [], held=8)
    train = train * np.exp(0.15 * np.random.default_rng(5).standard_normal(train.size))[np.arange(train.size) // 8 * 8]
    _write(tmp_path / "run", (steps, train), (val_steps, val))
    judged = judge_folder(tmp_path / "run")
    assert not judged.bells and "spike" not in judged.kinds()


def test_an_excursion_with_a_nan_in_it_is_a_blow_up_not_a_spike(tmp_path):
    """The running median passes over a NaN; the excursion it sits in is the diverging rule's ("jumped to nan" was
    the reason)."""
    rng = np.random.default_rng(0)
    steps = np.arange(0, 30_000, 10)
    train = (2.2 + 8.5 * (steps + 300) ** -0.45) * (1 + 0.002 * rng.standard_normal(steps.size))
    train[1500:1516] += 0.1
    train[1503] = np.nan
    with SummaryWriter(str(tmp_path / "run")) as writer:
        for step, value in zip(steps.tolist(), train.tolist(), strict=True):
            writer.add_scalar("train/loss", value, step, walltime=1000.0 + step)
    judged = judge_folder(tmp_path / "run")
    assert "spike" not in judged.kinds() and "diverging" in judged.kinds()


def test_two_spikes_that_come_back_at_one_point_are_told_alike_whole_and_live(tmp_path):
    """A two-point and a one-point spike ending at one point, before the training curve is read per batch:
    ``check`` sorted them by where they began, ``replay`` by where they came back (judge_folder asserts equal).
    The two-point spike stays below the curve's start (2.5): two points in a row above it left the range the curve
    made, a divergence by the requirements, not a spike."""
    rng = np.random.default_rng(0)
    n = 3000
    train = 0.5 + 2.0 * np.exp(-np.arange(n) / 300.0) + 0.001 * rng.standard_normal(n)
    level = float(np.median(train[55:60]))
    train[60], train[61], train[62] = level + 0.3, level + 5.0, level
    val_steps = set(range(0, 300, 10)) | set(range(300, n, 100))  # sparse first, then 99 batches between
    with SummaryWriter(str(tmp_path / "run")) as writer:
        for step in range(n):
            writer.add_scalar("train_loss", float(train[step]), step, walltime=1000.0 + step)
            if step in val_steps:
                writer.add_scalar("val_loss", 0.6 + 2.0 * np.exp(-step / 300.0), step, walltime=1000.0 + step)
    judged = judge_folder(tmp_path / "run")
    first = judged.first("spike")
    assert first is not None and first.step == 62, first
