"""A training loss logged alone at every step (a language model's pretraining, a fine-tuning job without validation)
is read over a tenth of its points, up to a thousand. Its single batches scatter far more than the curve moves in the
60 points a curve of epochs is read on, so a run stuck since its first epochs, one that levelled off and one still
learning all read "direction hidden by its noise", and a logged learning rate never told a stalled run from a
finished one. The curves: real per-step losses of three DeepOBS baselines (``tests/data/deepobs/minibatch.json``),
validation left out, written by tensorboardX as a job logging at every step writes them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from conftest import DATA
from judging_helpers import Judged, judge_folder
from tensorboardX import SummaryWriter

MINIBATCH = json.loads((DATA / "deepobs" / "minibatch.json").read_text())
STUCK = "mnist_vae-mom-lr2.51e-05-s42"
"""A VAE at a learning rate too small to leave the level its first epoch reached (labelled stuck)."""
LEVELLED = "tolstoi_char_rnn-adam-lr2.51e-03-s42"
"""A character LSTM that learned 4.4 → 1.3 and sat there for its last epochs (labelled healthy)."""
STILL_LEARNING = "tolstoi_char_rnn-sgd-lr1.58e-03-s42"
"""The same net under plain SGD, still falling at its end (labelled healthy)."""
BLOWN_AT_ONCE = "cifar10_3c3d-adam-lr1.00e+00-s42"
"""A CIFAR-10 net under Adam at a learning rate of 1: 3.56 before training, 1.6e8 at its next logged step, then
about 13,000 for good (labelled diverged at its first epoch, step 390)."""


def _alone(folder: Path, name: str, learning_rate: str | None = None) -> Judged:
    """The run's per-step training loss alone; with ``learning_rate`` ("constant" or "cosine"), its schedule too."""
    run = MINIBATCH[name]
    points = len(run["train"])
    with SummaryWriter(str(folder)) as writer:
        for j, value in enumerate(run["train"]):
            step = j * run["every"]
            writer.add_scalar("train/loss", value, step, walltime=1000.0 + j)
            if learning_rate is not None:
                decay = 0.5 * (1 + math.cos(math.pi * j / points)) if learning_rate == "cosine" else 1.0
                writer.add_scalar("train/lr", run["lr"] * decay, step, walltime=1000.0 + j)
    return judge_folder(folder)


def test_a_net_stuck_since_its_first_epochs_reads_plateau_and_says_so_once(tmp_path):
    judged = _alone(tmp_path / "run", STUCK)
    assert judged.verdict.kind == "plateau"
    assert "over the last 195 points (no validation curve)" in judged.verdict.reason
    assert "training has not bettered its best by" in judged.verdict.reason
    assert "for the last 83% of the run" in judged.verdict.reason
    # Read at every step, it hovers between flat and a direction its noise hides: one alert, not one per return.
    assert judged.kinds().count("plateau") == 1
    assert not judged.bells


def test_a_net_that_learned_and_levelled_off_reads_converged(tmp_path):
    judged = _alone(tmp_path / "run", LEVELLED)
    assert judged.verdict.kind == "converged"
    assert judged.verdict.reason.startswith("train flat at 1.")
    assert "after learning 3.1" in judged.verdict.reason
    assert set(judged.kinds()) <= {"spike"}


def test_a_net_still_learning_reads_falling(tmp_path):
    judged = _alone(tmp_path / "run", STILL_LEARNING)
    assert judged.verdict.kind == "learning"
    assert judged.verdict.reason.startswith("train falling by ")
    assert set(judged.kinds()) <= {"spike"}


def test_a_logged_learning_rate_tells_a_stalled_run_from_a_finished_one(tmp_path):
    """The rule of a curve read beside validation: flat at its first learning rate, a plateau to act on; flat with
    the rate decayed, done."""
    constant = _alone(tmp_path / "constant", LEVELLED, "constant")
    assert constant.verdict.kind == "plateau"
    assert constant.verdict.reason.endswith("(no validation curve); learning rate still 0.002512")
    assert constant.kinds().count("plateau") == 1
    cosine = _alone(tmp_path / "cosine", LEVELLED, "cosine")
    assert cosine.verdict.kind == "converged"
    assert "learning rate decayed to" in cosine.verdict.reason
    # Flat while the rate was still above half its start is a plateau by the same rule; never once it decayed.
    half_way = len(MINIBATCH[LEVELLED]["train"]) * MINIBATCH[LEVELLED]["every"] / 2
    plateaus = [alert for alert in cosine.alerts if alert.kind == "plateau"]
    assert len(plateaus) <= 1 and all(alert.step < half_way for alert in plateaus)


def test_a_blow_up_in_the_first_steps_rings_though_the_start_sits_in_it(tmp_path):
    """A per-step curve's start is the median of its first 24 points (one batch may sit far below the curve), so a
    net blown up from its second step on started, as read, at 13,000 and never left its range."""
    judged = _alone(tmp_path / "run", BLOWN_AT_ONCE)
    assert judged.verdict.kind == "diverging"
    first = judged.bells[0]
    assert (first.kind, first.step) == ("diverging", 24 * 20)  # the second full window of 24 points, in epoch 1
    assert "its median over 24 points rose to 1.351e+04" in first.reason
    assert "3,791x its first point 3.563" in first.reason
    assert len(judged.bells) == 1


def test_a_first_batch_low_by_chance_is_no_blow_up(tmp_path):
    """Batches of four of a regression loss scatter over decades: a first batch fifty times below the curve's level
    sits within the noise, not under a blow-up."""
    rng = np.random.default_rng(7)
    losses = 0.7 * np.exp(1.2 * rng.standard_normal(3000)) * (1 + 2 * np.exp(-np.arange(3000) / 400))
    losses[0] = 0.04
    with SummaryWriter(str(tmp_path / "run")) as writer:
        for step, value in enumerate(losses.tolist()):
            writer.add_scalar("train/loss", value, step, walltime=1000.0 + step)
    judged = judge_folder(tmp_path / "run")
    assert not judged.bells
    assert judged.verdict.kind != "diverging"
