"""A run that logs accuracies but no loss: it stayed ``waiting`` for 'no paired loss curves yet', and ``check``'s
only word was 'not enough points yet to judge a trend' for 59 points (a hostile tester's find). It says now that
none of its curves is a loss, and how to choose them."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli, scalar_run

REASON = "none of its 2 curves (train_acc, val_acc) is a loss to judge: --train-tag and --val-tag choose the curves"


def test_a_run_of_accuracies_only_says_no_curve_is_a_loss(tmp_path: Path):
    scalar_run(tmp_path / "acc", {"train_acc": [0.5 + i / 200 for i in range(60)], "val_acc": [0.5] * 60})
    table = run_cli("check", str(tmp_path), columns=200)
    assert table.returncode == 0 and f"acc: {REASON}" in table.stdout
    [row] = json.loads(run_cli("check", "--json", str(tmp_path)).stdout)
    assert (row["verdict"], row["reason"]) == ("waiting", REASON)


def test_a_run_waiting_for_its_first_points_keeps_its_plain_reason(tmp_path: Path):
    scalar_run(tmp_path / "young", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
    [row] = json.loads(run_cli("check", "--json", str(tmp_path)).stdout)
    assert row["verdict"] == "waiting" and "is a loss" not in row["reason"]
    assert "young:" not in run_cli("check", str(tmp_path), columns=200).stdout


def test_tag_patterns_that_pick_no_curve_are_named_in_the_reason(tmp_path: Path):
    """With --train-tag and --val-tag picking nothing, the reason said the run's losses were no losses."""
    scalar_run(tmp_path / "run", {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    checked = run_cli("check", "--json", "--train-tag", "nomatch", "--val-tag", "nomatch2", str(tmp_path))
    [row] = json.loads(checked.stdout)
    assert row["reason"] == "--train-tag and --val-tag pick none of its 2 curves (loss, val_loss)"
