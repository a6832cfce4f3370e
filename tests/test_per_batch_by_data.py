"""A training loss logged at every step under a plain name (``train/loss``) beside a validation loss per epoch is
read as per-batch by its data: single batches swing far enough to meet the one-point ratio test of a blow-up."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from tensorboardX import SummaryWriter

from tui.cli.main import main
from tui.judging.diverging import DENSE_TRAIN, per_batch
from tui.judging.tracks import Block, Track

EPOCH = 200
EPOCHS = 20


def _heavy_tailed_run(folder: Path, seed: int, blow_up_at: int | None = None) -> None:
    """Per-batch training loss with heavy-tailed batch-to-batch noise (a batch may read several times the level,
    or a tiny fraction of it), a validation loss per epoch; ``blow_up_at``: training goes 50x up there and stays."""
    rng = np.random.default_rng(seed)
    steps = np.arange(EPOCH * EPOCHS)
    train = (0.35 + 2 * np.exp(-steps / 3000)) * np.exp(0.35 * rng.standard_t(3, steps.size) / np.sqrt(3))
    val_steps = np.arange(1, EPOCHS + 1) * EPOCH - 1
    val = (0.45 + 2 * np.exp(-val_steps / 3000)) * (1 + 0.01 * rng.standard_normal(EPOCHS))
    if blow_up_at is not None:
        train[blow_up_at:] *= 50.0
        val[val_steps >= blow_up_at] *= 50.0
    with SummaryWriter(str(folder)) as writer:
        at = 0
        for step, value in zip(steps.tolist(), train.tolist(), strict=True):
            writer.add_scalar("train/loss", value, step, walltime=1000.0 + step)
            if at < EPOCHS and step == val_steps[at]:
                writer.add_scalar("val/loss", float(val[at]), step, walltime=1000.0 + step)
                at += 1


@pytest.mark.parametrize("seed", range(3))
def test_no_bell_on_a_healthy_per_batch_curve_with_heavy_tails(tmp_path: Path, seed: int, capsys):
    """It rang diverging at one batch ('exploded to 8.886 at step 499, 14x its lowest 0.6439'), and check said
    diverging of runs that never rang whenever the file ended on a high batch."""
    _heavy_tailed_run(tmp_path / "run", seed)
    assert main(["replay", str(tmp_path), "--json"]) == 0
    assert '"kind": "diverging"' not in capsys.readouterr().out
    assert main(["check", str(tmp_path)]) == 0
    assert "diverging" not in capsys.readouterr().out


def test_a_per_batch_blow_up_still_rings_within_a_few_batches(tmp_path: Path, capsys):
    _heavy_tailed_run(tmp_path / "run", 3, blow_up_at=2500)
    assert main(["replay", str(tmp_path), "--json"]) == 0
    bells = [line for line in capsys.readouterr().out.splitlines() if '"kind": "diverging"' in line]
    assert bells and 2500 <= int(bells[0].split('"step": ')[1].split(",")[0]) <= 2500 + 24


def _track(steps: list[int]) -> tuple[Track, Block]:
    track = Track()
    block = track.consume(np.array(steps), np.ones(len(steps)), len(steps))
    return track, block


def test_per_epoch_training_beside_per_epoch_validation_is_not_per_batch():
    track, block = _track(list(range(50)))
    assert not per_batch(track, block, np.arange(50)).any()
    assert not per_batch(track, block, np.arange(0, 50, 5)).any()  # evaluated every 5 epochs: still per epoch


def test_per_batch_from_the_first_interval_that_holds_enough_training_points():
    track, block = _track(list(range(2000)))
    assert per_batch(track, block, np.arange(399, 2000, 400)).tolist() == [i + 1 >= DENSE_TRAIN for i in range(2000)]
    # An evaluation before training (step 0), then one per epoch: per-batch from the eighth batch of the first epoch.
    dense = per_batch(track, block, np.array([0, 400, 800]))
    assert not dense[:DENSE_TRAIN].any() and dense[DENSE_TRAIN:].all()


def test_per_batch_reads_a_point_alike_fed_a_step_at_a_time_or_at_once():
    steps = list(range(1200))
    val_steps = np.arange(0, 1200, 300)
    whole_track, whole_block = _track(steps)
    whole = per_batch(whole_track, whole_block, val_steps)
    track = Track()
    one_by_one = []
    for end in range(1, len(steps) + 1):
        block = track.consume(np.array(steps[:end]), np.ones(end), end)
        one_by_one += per_batch(track, block, val_steps[val_steps <= steps[end - 1]]).tolist()
    assert one_by_one == whole.tolist()


def test_a_real_net_trained_in_batches_of_four_logged_per_batch_rings_no_bell(tmp_path: Path, capsys):
    """The corpus's per-batch-reg-s2 (``benchmarks/corpus.py``): an MLP on the diabetes set, every batch of four's
    loss logged as ``train/loss``. It rang 'train/loss exploded to 5.041e+04 at step 136, 11x its lowest 4600'."""
    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    import corpus

    regime = next(r for r in corpus.REGIMES if r.name == "per-batch-reg")
    corpus.train(regime, 1088, str(tmp_path / "run"), ("train/loss", "val/loss"))
    assert main(["replay", str(tmp_path), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"kind": "diverging"' not in out and '"kind": "overfitting"' not in out


def _epoch_run(folder: Path, train_tag: str, every: int, blow_up_at: int, factor: float) -> None:
    """60 epochs of a falling loss, validation every ``every`` epochs; training ``factor`` times up from
    ``blow_up_at`` on, and validation with it."""
    epochs = np.arange(60)
    train = 0.3 + 2 * np.exp(-epochs / 10)
    train[blow_up_at:] *= factor
    with SummaryWriter(str(folder)) as writer:
        for epoch, value in zip(epochs.tolist(), train.tolist(), strict=True):
            writer.add_scalar(train_tag, value, epoch, walltime=1000.0 + epoch)
            if epoch % every == every - 1:
                writer.add_scalar("val/loss", value * 1.1, epoch, walltime=1000.0 + epoch)


@pytest.mark.parametrize(("tag", "every"), [("train/loss", 10), ("train/loss", 8), ("train_loss_epoch", 30)])
def test_a_per_epoch_curve_validated_every_few_epochs_rings_its_blow_up_at_once(tmp_path, capsys, tag, every):
    """Read as per-batch (8 points between validations made it so), a x13 blow-up at epoch 40 rang only at the next
    validation, 9 epochs on; x11 never rang."""
    _epoch_run(tmp_path / "run", tag, every, 40, 11.0)
    assert main(["replay", str(tmp_path), "--json"]) == 0
    bells = [line for line in capsys.readouterr().out.splitlines() if '"kind": "diverging"' in line]
    assert bells and '"step": 40,' in bells[0]


def test_a_long_per_batch_curve_is_read_alike_in_chunks(monkeypatch):
    """The 24-point windows are read ``LEVEL_CHUNK`` points at a time: the same blow-ups, wherever the cuts fall."""
    from tui.judging import diverging
    from tui.judging.pairing import Pair
    from tui.judging.thresholds import Thresholds

    rng = np.random.default_rng(0)
    values = (0.3 + 2 * np.exp(-np.arange(3000) / 500)) * np.exp(0.3 * rng.standard_normal(3000))
    values[2000:] *= 40.0
    steps = np.arange(3000)

    def events() -> list:
        track = Track()
        divergence = diverging.Divergence(Thresholds(), Pair(train="train/batch_loss", val="val/loss"), track, Track())
        return divergence.train_events(track, steps, values, 3000, np.arange(99, 3000, 100))[1]

    whole = events()
    monkeypatch.setattr(diverging, "LEVEL_CHUNK", 7)
    assert events() == whole and whole
