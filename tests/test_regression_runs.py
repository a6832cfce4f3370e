"""Real regression nets whose MSE losses converge toward zero (``tests/regression_runs``; its README says how they
were trained): curves converging to 1e-4 and below, where a test read against the current level would make the
smallest wiggle look large. No bell and no warning on the healthy ones, in any unit; the overfitting one rings once,
after its minimum; the noise floor and the cosine's end read as what they are."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from judging_helpers import judge_folder

from tui.judging.kinds import BELL

RUNS = Path(__file__).parent / "regression_runs"
STILL_FALLING = ("adam_const_s1", "adam_bs256_s1", "sgd_slow_s1")


@pytest.mark.parametrize("name", STILL_FALLING)
def test_a_loss_converging_toward_zero_rings_nothing(name):
    judged = judge_folder(RUNS / name)  # whole and step by step, the two asserted equal
    assert not {"val-rising", "spike", *BELL} & set(judged.kinds())
    assert judged.verdict.kind in ("learning", "plateau")  # a plateau alert is the known price (README)


@pytest.mark.parametrize("name", STILL_FALLING)
def test_the_same_losses_in_other_units_are_judged_alike(tmp_path, name):
    """The losses multiplied by 1000 and by 1e-4 (read by TensorBoard's loader, written again by tensorboardX; the
    copy at scale 1 is the control): the same verdict and alerts, by step and kind."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboardX import SummaryWriter

    source = EventAccumulator(str(RUNS / name))
    source.Reload()
    seen = []
    for scale in (1.0, 1000.0, 1e-4):
        folder = tmp_path / f"x{scale}"
        with SummaryWriter(str(folder)) as writer:
            for tag in source.Tags()["scalars"]:
                for event in source.Scalars(tag):
                    writer.add_scalar(tag, event.value * (scale if tag != "lr" else 1.0), event.step)
        judged = judge_folder(folder)
        seen.append((judged.verdict.kind, [(a.step, a.kind) for a in judged.alerts]))
        shutil.rmtree(folder)
    assert seen[1] == seen[0] and seen[2] == seen[0]


def test_check_reads_the_regression_runs():
    rows = json.loads(run_cli("check", "--json", str(RUNS)).stdout)
    verdicts = {row["run"]: row["verdict"] for row in rows}
    assert verdicts["cosine_s1"] == "converged" and verdicts["overfit_s1"] == "overfitting"
    assert not {name for name in STILL_FALLING if verdicts[name] in BELL}


def test_a_loss_at_its_noise_floor_is_flat():
    """Noise 0.3 on the targets: both losses sit at the MSE floor of 0.09 from epoch 60, at a constant rate."""
    judged = judge_folder(RUNS / "converged_floor_s1")
    assert judged.verdict.kind == "plateau" and "train flat at 0.09051" in judged.verdict.reason
    assert not set(BELL) & set(judged.kinds())


def test_the_overfitting_regression_rings_once_after_its_minimum():
    """Validation's minimum at epoch 69, then up by a sixth while training falls to 1.7e-4."""
    judged = judge_folder(RUNS / "overfit_s1")
    [bell] = judged.bells
    assert bell.kind == "overfitting" and 69 < bell.step <= 69 + 10
