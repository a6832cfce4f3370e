"""data-suspect: training flat and never learned while validation falls (check the dataset, the labels, the split).

A training curve that never moved has no progress for ``direction`` to read "flat" against (it reads a curve's
change against its own range), so the verdict asked for a flat training curve whose range was also within five
noise deviations, which no curve can be: ``data-suspect`` was never given, not even to a training loss logged as
one constant value. Never learned is now read against the curve's noise and its start, as the rise reads a net
that learned nothing, and validation must have learned (the same test on its own noise and start).
"""

from __future__ import annotations

import numpy as np
from conftest import run_main, scalar_run
from judging_helpers import judge

from tui.judging.kinds import BELL


def _falling_val(n: int, rng: np.random.Generator) -> list[float]:
    return (2.0 - 0.02 * np.arange(n) + rng.normal(0, 0.002, n)).tolist()


def test_a_training_loss_logged_as_one_value_beside_a_falling_validation_is_data_suspect(tmp_path):
    rng = np.random.default_rng(1)
    judged = judge(tmp_path / "run", {"train_loss": [2.3] * 40, "val_loss": _falling_val(40, rng)})
    assert judged.verdict.kind == "data-suspect"
    assert "data-suspect" in judged.kinds()
    assert not judged.bells
    reason = judged.verdict.reason
    assert "train_loss never learned: at 2.3, at best 0 below its start 2.3" in reason
    assert "while val_loss learned" in reason and "val falling by" in reason


def test_a_noisy_training_loss_that_never_moved_beside_a_falling_validation_is_data_suspect(tmp_path):
    rng = np.random.default_rng(2)
    train = (2.3 + rng.normal(0, 0.001, 40)).tolist()
    judged = judge(tmp_path / "run", {"train_loss": train, "val_loss": _falling_val(40, rng)})
    assert judged.verdict.kind == "data-suspect"
    assert "its noise ±" in judged.verdict.reason


def test_a_training_loss_that_learned_is_not_data_suspect_however_flat_it_is_now(tmp_path):
    """Training that fell early and sits still while validation keeps falling (a common healthy shape) learned."""
    rng = np.random.default_rng(3)
    steps = np.arange(40)
    train = (0.2 + 2.0 * np.exp(-steps / 2) + rng.normal(0, 0.001, 40)).tolist()
    judged = judge(tmp_path / "run", {"train_loss": train, "val_loss": _falling_val(40, rng)})
    assert judged.verdict.kind == "learning"
    assert "data-suspect" not in judged.kinds()


def test_validation_that_barely_moved_beside_a_training_loss_that_never_did_is_not_data_suspect(tmp_path):
    """A net stuck at its start (the corpus's ``stuck`` runs: validation 2.35 -> 2.328, under 1 % of its start,
    in their first epochs) is not told to check its data: validation has to have learned."""
    rng = np.random.default_rng(4)
    train = (2.353 + rng.normal(0, 0.002, 40)).tolist()
    val = (2.35 - 0.0005 * np.arange(40) + rng.normal(0, 0.001, 40)).tolist()
    judged = judge(tmp_path / "run", {"train_loss": train, "val_loss": val})
    assert "data-suspect" not in judged.kinds()
    assert judged.verdict.kind != "data-suspect"


def test_check_says_data_suspect_and_exits_1(tmp_path):
    rng = np.random.default_rng(5)
    scalar_run(tmp_path / "logs" / "suspect", {"train_loss": [2.3] * 40, "val_loss": _falling_val(40, rng)})
    result = run_main("check", str(tmp_path / "logs"))
    assert result.returncode == 1, result.stderr
    assert "data-suspect" in result.stdout
    assert "check the dataset, the labels and the train/validation split" in result.stdout
    assert "data-suspect" not in BELL
