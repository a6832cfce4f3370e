"""The held-out benchmark suite (``benchmarks/heldout.py``): DeepOBS baseline runs read from a git clone of the
public repository's layout, written as event files and labelled. A real git repository in a temp folder stands in
for the clone (the benchmark reads it with ``git show``, as it reads a bare mirror)."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))

from corpus import label
from heldout import build, refine

from tui.judging.thresholds import Thresholds
from tui.live.monitor import Monitor

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="the suite reads its clone with git")


def _baselines(root, runs: dict[str, dict]) -> str:
    """A git repository holding ``runs`` (path -> DeepOBS result record) in one commit."""
    for path, record in runs.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(json.dumps(record))
    env = dict(
        os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t"
    )
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "runs"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env)
    return str(root)


def _record(optimizer: str, lr: float, seed: int, train: list, test: list, accuracies: bool = True) -> dict:
    record = {"optimizer": optimizer, "learning_rate": lr, "random_seed": seed, "train_losses": train}
    record["test_losses"] = test
    if accuracies:
        record["train_accuracies"] = [0.1 + 0.01 * k for k in range(len(train))]
        record["test_accuracies"] = [0.1 + 0.009 * k for k in range(len(test))]
    return record


def test_the_four_held_out_problems_are_written_as_event_files_with_their_labels(tmp_path):
    epochs = np.arange(40, dtype=float)
    falling = (2.3 * np.exp(-epochs / 6.0) + 0.05).tolist()
    overfit = (0.5 + 2.0 * np.exp(-epochs / 4.0) + np.where(epochs > 15, 0.03 * (epochs - 15), 0.0)).tolist()
    blown = falling[:10] + [None] * 30  # DeepOBS stores a NaN as null
    clone = _baselines(
        tmp_path / "DeepOBS_Baselines",
        {
            "fmnist_2c2d/AdamOptimizer/settings/random_seed__42__2019.json": _record(
                "AdamOptimizer", 1e-3, 42, falling, overfit
            ),
            "fmnist_vae/GradientDescentOptimizer/lr/random_seed__43__2019.json": _record(
                "GradientDescentOptimizer", 10.0, 43, blown, blown, accuracies=False
            ),
            "quadratic_deep/MomentumOptimizer/x/random_seed__42__2019.json": _record(
                "MomentumOptimizer", 1.0, 42, falling, falling
            ),
        },
    )
    labels = build(str(tmp_path / "logs"), clone)
    assert sorted(labels) == [
        "fmnist_2c2d/adam-lr1.00e-03-s42",
        "fmnist_vae/sgd-lr1.00e+01-s43",
    ]  # dev problems left out
    assert labels["fmnist_2c2d/adam-lr1.00e-03-s42"]["kind"] == "overfit"
    assert labels["fmnist_vae/sgd-lr1.00e+01-s43"]["kind"] == "diverged"
    assert json.loads((tmp_path / "logs" / "labels.json").read_text()) == labels
    monitor = Monitor(str(tmp_path / "logs"), Thresholds())
    monitor.refresh()
    run = monitor.store.runs["fmnist_2c2d/adam-lr1.00e-03-s42"]
    assert sorted(run.scalars) == ["Accuracy/train", "Accuracy/val", "Loss/train", "Loss/val"]
    np.testing.assert_allclose(run.scalars["Loss/val"].values, overfit, rtol=1e-6)  # float32 on disk
    assert run.scalars["Loss/val"].steps.tolist() == list(range(40))
    vae = monitor.store.runs["fmnist_vae/sgd-lr1.00e+01-s43"]
    assert sorted(vae.scalars) == ["Loss/train", "Loss/val"]
    assert all(math.isnan(v) for v in vae.scalars["Loss/val"].values[10:])
    verdict = monitor.verdict("fmnist_vae/sgd-lr1.00e+01-s43")
    assert verdict is not None and verdict.kind == "diverging"


def test_from_the_first_epoch_on_the_point_before_training_is_left_out_and_the_labels_kept(tmp_path):
    """``heldout1``: as most loops log, without DeepOBS' evaluation before training; a point's step stays its epoch,
    so the labels (read on the whole run) stay as they are."""
    epochs = np.arange(40, dtype=float)
    falling = (2.3 * np.exp(-epochs / 6.0) + 0.05).tolist()
    overfit = (0.5 + 2.0 * np.exp(-epochs / 4.0) + np.where(epochs > 15, 0.03 * (epochs - 15), 0.0)).tolist()
    path = "fmnist_2c2d/AdamOptimizer/settings/random_seed__42__2019.json"
    clone = _baselines(tmp_path / "clone", {path: _record("AdamOptimizer", 1e-3, 42, falling, overfit)})
    whole = build(str(tmp_path / "whole"), clone)
    labels = build(str(tmp_path / "first"), clone, first=1)
    assert labels == whole
    monitor = Monitor(str(tmp_path / "first"), Thresholds())
    monitor.refresh()
    val = monitor.store.runs["fmnist_2c2d/adam-lr1.00e-03-s42"].scalars["Loss/val"]
    assert val.steps.tolist() == list(range(1, 40))
    np.testing.assert_allclose(val.values, overfit[1:], rtol=1e-6)


def test_nets_that_never_learned_are_labelled_as_the_development_set_labels_them():
    """At a learning rate of 1 or more a net parks at chance from its first epoch, its validation a hair above its
    first point: the corpus's rules read that as overfitting from point 0, the development set's as stuck (accuracy
    at chance) or failed (training never below 98 % of its first loss)."""
    epochs = np.arange(60, dtype=float)
    parked = (2.3026 + 0.0004 * np.sin(epochs) + np.where(epochs > 0, 0.2, 0.0)).tolist()
    first = label({"train": parked, "val": parked})
    assert first["kind"] == "overfit" and first["onset"] == 0  # what the held-out suite read before
    chance = {"Loss/train": parked, "Loss/val": parked, "Accuracy/val": [0.1] * 60}
    assert refine(first, chance)["kind"] == "stuck"
    assert refine(first, {"Loss/train": parked, "Loss/val": parked})["kind"] == "failed"  # a VAE: no accuracy
    learned = (2.3 * np.exp(-epochs / 6.0) + 0.05).tolist()
    overfit = (0.5 + 2.0 * np.exp(-epochs / 4.0) + np.where(epochs > 15, 0.03 * (epochs - 15), 0.0)).tolist()
    curves = {"Loss/train": learned, "Loss/val": overfit, "Accuracy/val": (0.1 + 0.01 * epochs).tolist()}
    assert refine(label({"train": learned, "val": overfit}), curves)["kind"] == "overfit"
    exploded = learned[:10] + [float("nan")] * 50
    blown = label({"train": exploded, "val": exploded})
    at_chance = {"Loss/train": exploded, "Loss/val": exploded, "Accuracy/val": [0.1] * 60}
    assert refine(blown, at_chance) == blown  # diverged stands, whatever its accuracy


@pytest.mark.parametrize(
    ("accuracy_late", "kind"),
    [(0.1049, "stuck"), (0.1051, "overfit")],  # 1.05 times the untrained 0.1, in the last 75 % of the run
)
def test_chance_is_read_on_the_last_three_quarters_at_one_point_zero_five_times_the_untrained_accuracy(
    accuracy_late, kind
):
    epochs = np.arange(40, dtype=float)
    train = (2.3 * np.exp(-epochs / 6.0) + 0.05).tolist()
    val = (0.5 + 2.0 * np.exp(-epochs / 4.0) + np.where(epochs > 15, 0.03 * (epochs - 15), 0.0)).tolist()
    accuracy = [0.1] + [0.5] * 9 + [accuracy_late] * 30  # well above chance in the first quarter only
    curves = {"Loss/train": train, "Loss/val": val, "Accuracy/val": accuracy}
    assert refine(label({"train": train, "val": val}), curves)["kind"] == kind


@pytest.mark.parametrize(("lowest", "kind"), [(0.981, "failed"), (0.979, "overfit")])
def test_failed_is_training_never_below_ninety_eight_percent_of_its_first_loss(lowest, kind):
    """Smoothed from the second point on (a centred median of five): one low point does not count."""
    epochs = np.arange(40, dtype=float)
    train = [1.0] + [lowest + 0.005 * (k % 2) for k in range(39)]
    train[20] = 0.5  # a single low point, smoothed away
    val = (0.5 + 2.0 * np.exp(-epochs / 4.0) + np.where(epochs > 15, 0.03 * (epochs - 15), 0.0)).tolist()
    first = label({"train": train, "val": val})
    assert first["kind"] == "overfit"
    assert refine(first, {"Loss/train": train, "Loss/val": val})["kind"] == kind


def test_a_missing_clone_is_a_clear_message(tmp_path):
    with pytest.raises(SystemExit, match="no DeepOBS_Baselines clone"):
        build(str(tmp_path / "logs"), str(tmp_path / "nowhere"))


@pytest.mark.parametrize(("fall", "kind"), [(0.0184, "stuck"), (0.0208, "healthy")])
def test_stuck_is_training_never_two_percent_below_its_loss_after_the_first_epoch(fall, kind):
    """The dev set's plain ``stuck`` labels: a VAE that collapsed in its first epoch (181 -> 53.4) and sat there fell
    at most 1.84 % from that loss, its healthy nets at least 2.08 % (a slow learner at lr 1e-5 among them). Read on
    the raw points: the labels separate there, and one point 2 % lower is a net that moved."""
    epochs = np.arange(50, dtype=float)
    train = [181.4, *(53.4 - 53.4 * fall * epochs[1:] / 49.0).tolist()]
    val = [181.5, *(53.2 - 53.2 * fall * epochs[1:] / 49.0).tolist()]
    first = label({"train": train, "val": val})
    assert first["kind"] == "healthy"  # what the held-out suite read before: the first epoch's fall is learning
    assert refine(first, {"Loss/train": train, "Loss/val": val})["kind"] == kind
