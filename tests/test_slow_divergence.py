"""Diverging slowly: losses that climb from their first point ring ``diverging`` once they stand ``explode_floor``
above their start in a steady climb; they read ``learning`` until they were ten times their best. Runs that jumped
at one step and swing (real DeepOBS runs that came back) stay quiet. Each curve is judged whole and replayed point
by point (``judging_helpers.judge``)."""

from __future__ import annotations

import numpy as np
import pytest
from judging_helpers import DEEPOBS, deepobs, judge

from tui.judging.thresholds import Thresholds


def _climb(n: int, start: float, end: float, seed: int, noise: float = 0.02) -> list[float]:
    rng = np.random.default_rng(seed)
    return (np.linspace(start, end, n) + rng.normal(0.0, noise, n)).tolist()


@pytest.mark.parametrize("end", [1.6, 3.0])
def test_both_curves_climbing_from_their_first_point_ring_diverging(tmp_path, end: float):
    """Train 1 → ``end`` and validation with it, steadily: ``learning`` to the end (the rule asked that a curve come
    back half-way from a best below its start, and these never got below it)."""
    judged = judge(tmp_path / "run", {"loss": _climb(40, 1.0, end, 0), "val_loss": _climb(40, 1.1, end + 0.1, 1)})
    assert judged.verdict.kind == "diverging" and judged.bells and judged.bells[0].kind == "diverging"
    bell = judged.bells[0]
    floor = Thresholds().explode_floor
    assert "both rising" in bell.reason and "above its start 1.1" in bell.reason
    assert f"at step {bell.step:,}," in bell.reason  # when the numbers were read: they stay while it lasts
    assert float(bell.reason.split("+")[1].split("%")[0]) > 100 * floor  # the numbers behind it
    assert judged.kinds().count("diverging") == 1  # once


def test_a_lone_training_curve_climbing_rings_diverging(tmp_path):
    judged = judge(tmp_path / "run", {"loss": _climb(40, 1.0, 3.0, 2)})
    assert judged.verdict.kind == "diverging"
    assert "loss rising" in judged.bells[0].reason and "(no validation curve)" in judged.bells[0].reason
    assert f"at step {judged.bells[0].step:,}," in judged.bells[0].reason


def test_a_flat_or_falling_run_is_not_told_it_climbs(tmp_path):
    flat = judge(tmp_path / "flat", {"loss": _climb(40, 1.0, 1.0, 3), "val_loss": _climb(40, 1.1, 1.1, 4)})
    falling = judge(tmp_path / "falling", {"loss": _climb(40, 1.0, 0.2, 5), "val_loss": _climb(40, 1.1, 0.4, 6)})
    assert "diverging" not in flat.kinds() + falling.kinds()


@pytest.mark.parametrize("name", ["tolstoi_char_rnn-mom-lr3.98e+00-s42", "cifar10_3c3d-adam-lr3.98e-02-s42"])
def test_real_runs_that_jumped_at_a_step_and_came_back_are_not_rung(tmp_path, name: str):
    """A char-RNN's loss jumped from 4.44 to 16.9 at its first step and swung up to 40 before coming back to 3;
    a CNN's jumped from 4.6 to 30.8 in one step and fell again. Neither reached ten times its best; both are
    labelled healthy or stuck. A climb one step carries a third of is no steady climb."""
    assert len(DEEPOBS[name]["train"]) > 25
    assert "diverging" not in deepobs(tmp_path, name).kinds()


def test_a_lone_noisy_flat_curve_is_not_told_it_went_back_to_its_start(tmp_path):
    """Alone, a flat curve's best three-point mean and its first point are apart by noise: 'back half-way to its
    start' came by chance, and 3 of 12 white-noise curves rang diverging (a reviewer's find)."""
    for seed in range(12):
        rng = np.random.default_rng(seed)
        judged = judge(tmp_path / f"flat{seed}", {"train_loss": (1.0 + rng.normal(0, 0.02, 400)).tolist()})
        assert "diverging" not in judged.kinds(), seed


@pytest.mark.parametrize("epochs", [6, 8])
def test_a_warm_up_that_climbs_a_few_epochs_then_learns_is_not_rung(tmp_path, epochs: int):
    """A climb well within the trend window (12 points), then learning as usual: rang at the ninth epoch. One of
    ten epochs rings where it turns, at the twelfth (docs/verdicts.md)."""
    up = np.linspace(1.0, 1.4, epochs)
    down = 1.4 * np.exp(-np.arange(1, 41) / 10.0) + 0.2
    rng = np.random.default_rng(epochs)
    train = np.concatenate((up, down)) + rng.normal(0, 0.01, epochs + 40)
    judged = judge(tmp_path / "run", {"loss": train.tolist(), "val_loss": (train + 0.1).tolist()})
    assert "diverging" not in judged.kinds() and judged.verdict.kind == "learning"


def test_a_climb_that_comes_back_below_its_start_is_judged_afresh(tmp_path):
    rise = np.linspace(1.0, 1.8, 20)
    fall = np.linspace(1.8, 0.5, 30)
    rng = np.random.default_rng(7)
    train = np.concatenate((rise, fall, np.full(10, 0.5))) + rng.normal(0, 0.01, 60)
    judged = judge(tmp_path / "run", {"loss": train.tolist(), "val_loss": (train + 0.1).tolist()})
    assert judged.kinds().count("diverging") == 1 and judged.verdict.kind != "diverging"


def test_a_step_to_or_from_an_inf_is_no_step_of_the_climb():
    """One inf (an AMP overflow) made every later largest step infinite: the climb was never steady again."""
    from tui.judging.windows import largest_steps_up

    steps = largest_steps_up(np.array([1.0, np.inf, 2.0, 3.0, 3.5]), np.array([1, 2, 3, 4]))
    assert np.isnan(steps[:2]).all() and steps[2:].tolist() == [1.0, 1.0]
