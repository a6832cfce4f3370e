"""A run that logs accuracies but no loss: it stayed ``waiting`` for 'no paired loss curves yet', and ``check``'s
only word was 'not enough points yet to judge a trend' for 59 points (a hostile tester's find). It says now that
none of its curves is a loss, and how to choose them. Choosing its accuracies with those options judged them as
losses: a healthy run's climbing accuracy rang ``diverging``; higher-is-better curves are passed over now, and said."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA, run_cli, scalar_run

REASON = (
    "none of its 2 curves (train_acc, val_acc) is a loss to judge (yet): --train-tag and --val-tag choose one logged"
    " under another name"
)


def test_a_run_of_accuracies_only_says_no_curve_is_a_loss(tmp_path: Path):
    scalar_run(tmp_path / "acc", {"train_acc": [0.5 + i / 200 for i in range(60)], "val_acc": [0.5] * 60})
    table = run_cli("check", str(tmp_path), columns=200)
    assert table.returncode == 0 and f"acc: {REASON}" in table.stdout
    assert "not enough points" not in table.stdout  # its legend's advice, untrue for 60 points
    assert "nothing to judge yet: too few points, or no loss curve (its reason says which)" in table.stdout
    [row] = json.loads(run_cli("check", "--json", str(tmp_path)).stdout)
    assert (row["verdict"], row["reason"]) == ("waiting", REASON)


def test_a_run_waiting_for_its_first_points_keeps_its_plain_reason(tmp_path: Path):
    scalar_run(tmp_path / "young", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
    [row] = json.loads(run_cli("check", "--json", str(tmp_path)).stdout)
    assert row["verdict"] == "waiting" and "is a loss" not in row["reason"]
    assert "young:" not in run_cli("check", str(tmp_path), columns=200).stdout


def test_tag_patterns_that_pick_no_curve_leave_the_runs_losses_judged_and_say_so(tmp_path: Path):
    """With --train-tag and --val-tag picking nothing, the run was judged on no curve at all; the losses the rules
    choose without the options are judged now, and stderr names what stands in."""
    scalar_run(tmp_path / "run", {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    checked = run_cli("check", "--json", "--train-tag", "nomatch", "--val-tag", "nomatch2", str(tmp_path))
    [row] = json.loads(checked.stdout)
    assert (row["train_tag"], row["val_tag"]) == ("loss", "val_loss")
    assert "--train-tag 'nomatch' matches no tag of 1 run(s) (run): judged instead: 'loss'" in checked.stderr
    assert "--val-tag 'nomatch2' matches no tag of 1 run(s) (run): judged instead: 'val_loss'" in checked.stderr


def test_tag_patterns_that_pick_no_curve_of_a_run_of_accuracies_are_named_in_the_reason(tmp_path: Path):
    scalar_run(tmp_path / "acc", {"train_acc": [0.5 + i / 200 for i in range(60)], "val_acc": [0.5] * 60})
    [row] = json.loads(run_cli("check", "--json", "--val-tag", "nomatch", str(tmp_path)).stdout)
    assert row["reason"] == "--val-tag picks none of its 2 curves (train_acc, val_acc), and none of them is a loss"


def _climbing_accuracies(n: int = 40) -> dict[str, list[float]]:
    """A healthy run's accuracies: up from 0.5 toward 0.95 and 0.9, with a little noise."""
    rng = np.random.default_rng(0)
    rise = 1 - np.exp(-np.arange(n) / 5)
    return {
        "accuracy": (0.5 + 0.45 * rise + 0.003 * rng.standard_normal(n)).tolist(),
        "val_accuracy": (0.5 + 0.4 * rise + 0.003 * rng.standard_normal(n)).tolist(),
    }


def test_accuracies_chosen_as_the_losses_are_passed_over_not_judged_upside_down(tmp_path: Path):
    scalar_run(tmp_path / "acc", _climbing_accuracies())
    checked = run_cli("check", "--json", "--train-tag", "accuracy", "--val-tag", "val_accuracy", str(tmp_path))
    [row] = json.loads(checked.stdout)
    assert checked.returncode == 0 and row["verdict"] == "waiting"  # was diverging, exit 1
    assert row["reason"] == (
        "--train-tag and --val-tag pick only higher-is-better curves (accuracy, val_accuracy), and no curve of it is"
        " a loss: a loss is judged, lower is better"
    )
    assert "--val-tag 'val_accuracy' matches only higher-is-better curves (an accuracy, not a loss)" in checked.stderr
    replayed = run_cli("replay", "--train-tag", "accuracy", "--val-tag", "val_accuracy", str(tmp_path / "acc"))
    assert "diverging" not in replayed.stdout


def test_a_loss_beside_an_accuracy_chosen_for_validation_is_judged_alone_and_the_choice_said(tmp_path: Path):
    curves = _climbing_accuracies()
    curves["loss"] = (2 * np.exp(-np.arange(40) / 5) + 0.1).tolist()
    scalar_run(tmp_path / "run", {"loss": curves["loss"], "val_accuracy": curves["val_accuracy"]})
    checked = run_cli("check", "--json", "--val-tag", "val_accuracy", str(tmp_path))
    [row] = json.loads(checked.stdout)
    assert row["val_tag"] is None and row["train_tag"] == "loss" and row["verdict"] not in ("diverging", "overfitting")
    assert "matches only higher-is-better curves (an accuracy, not a loss) in 1 run(s) (run)" in checked.stderr


def test_an_error_rate_chosen_as_validations_loss_is_judged(tmp_path: Path):
    """Lower is better: ``val_error`` is no accuracy, and the option takes it."""
    scalar_run(
        tmp_path / "run", {"loss": [1.0 - i / 50 for i in range(30)], "val_error": [0.5 - i / 100 for i in range(30)]}
    )
    [row] = json.loads(run_cli("check", "--json", "--val-tag", "val_error", str(tmp_path)).stdout)
    assert row["val_tag"] == "val_error"


def test_an_accuracy_chosen_for_validation_leaves_validations_loss_judged(tmp_path: Path):
    """``--val-tag val_acc`` on a real overfitting run: validation was dropped, training judged alone read a
    plateau ("lower the learning rate", exit 1). Passed over, the accuracy leaves the slot to validation's loss."""
    checked = run_cli("check", "--json", "--val-tag", "val_acc", str(DATA / "torch" / "overfit-7"))
    [row] = json.loads(checked.stdout)
    assert (row["val_tag"], row["verdict"]) == ("val_loss", "overfitting")
    assert "--val-tag 'val_acc' matches only higher-is-better curves" in checked.stderr
    assert "judged instead: 'val_loss'" in checked.stderr


@pytest.mark.parametrize("acc_from", [0, 2000])
def test_an_accuracy_passed_over_late_or_early_leaves_the_same_loss_judged_read_whole_or_live(
    tmp_path: Path, acc_from: int
):
    """A reviewer's find: the loss stood in for ``--val-tag val_acc`` only once the accuracy had come; an accuracy
    logged from step 2,000 left validation's loss judged from there, its history read without its bell (replay and
    a live watch rang none, check said overfitting)."""
    from tensorboardX import SummaryWriter

    from tui.judging.replay import replay
    from tui.judging.thresholds import Thresholds
    from tui.live.monitor import Monitor

    rng = np.random.default_rng(0)
    with SummaryWriter(str(tmp_path / "run")) as writer:
        for step in range(0, 3000, 10):
            writer.add_scalar("train_loss", 2 * np.exp(-step / 800) + 0.1 + 0.01 * rng.standard_normal(), step)
            if step % 100 == 0:
                writer.add_scalar("val_loss", 2 * np.exp(-step / 800) + 0.2 + (max(0, step - 1200) / 1000) ** 1.5, step)
                if step >= acc_from:
                    writer.add_scalar("val_acc", 0.9 - np.exp(-step / 800), step)
    monitor = Monitor(str(tmp_path), val_pattern="val_acc")
    monitor.refresh()
    alerts, engine = replay(monitor.store.runs["run"], Thresholds(), None, "val_acc")
    whole = monitor.verdict("run")
    assert whole is not None and (whole.kind, whole.val_tag) == (engine.verdict.kind, "val_loss") == (
        "overfitting",
        "val_loss",
    )
    bells = [(a.step, a.kind) for a in alerts if a.kind == "overfitting"]
    assert bells and bells == [(a.step, a.kind) for a in monitor.alerts if a.kind == "overfitting"]
