"""Per-batch training curves blow up by their level, not by one batch: a batch of four swings from near zero to
several times the mean, so "ten times the lowest point" came by chance on a real run's first epoch (a false
``diverging`` bell on a healthy run, before its first validation point). Their ratio test reads the median of
``BATCH_LEVEL_POINTS`` points against the lowest such median; NaN and blow-ups by range still ring at once."""

from __future__ import annotations

import numpy as np
import pytest
from judging_helpers import REALNET_CURVES, judge

from tui.judging.diverging import BATCH_LEVEL_POINTS


def _batches(name: str) -> np.ndarray:
    return REALNET_CURVES[name]["batch_loss"].astype(float)


def test_a_real_batch_of_four_curve_alone_rings_no_bell(tmp_path):
    """A real MLP trained in batches of four (labelled mild: it learned): its lowest batch reached 0.03 within the
    first epoch, and two batches in a row above 0.3 and half the start followed (the old rule rang there)."""
    batches = _batches("mlp-oscillate-eval-s1")
    judged = judge(tmp_path / "run", {"train/batch_loss": batches[:1000].tolist()})
    assert not judged.bells
    assert judged.verdict.kind != "diverging"


def test_the_same_curve_judged_on_single_points_would_have_rung():
    """The chance the median guards against is there in the data: two batches in a row ten times the lowest before
    them and above half the start, inside the first epoch (200 batches)."""
    batches = _batches("mlp-oscillate-eval-s1")[:200]
    low = np.minimum.accumulate(np.concatenate(([np.inf], batches)))[:-1]
    exploded = (batches >= 10 * low) & (batches > 0.5 * batches[0])
    assert (exploded[1:] & exploded[:-1]).any()


def test_a_per_batch_curve_whose_level_blows_up_rings_within_the_window(tmp_path):
    """The same real curve, every batch from 150 on eight times higher (a blow-up that stays, no batch of it far
    out in the curve's own noise): it rings once the median of the last points has crossed ten times its lowest
    (a level of 0.62: eight times the curve's 0.8 barely clears it, so most of the window is needed), and the
    reason gives that median against the lowest one."""
    batches = _batches("mlp-oscillate-eval-s1")[:300].copy()
    batches[150:] *= 8.0
    judged = judge(tmp_path / "run", {"train/batch_loss": batches.tolist()})
    assert [a.kind for a in judged.bells] == ["diverging"]
    step = judged.bells[0].step
    assert 150 + BATCH_LEVEL_POINTS // 2 <= step < 150 + BATCH_LEVEL_POINTS
    assert f"its median over {BATCH_LEVEL_POINTS} points rose to" in judged.bells[0].reason
    assert "its lowest such median" in judged.bells[0].reason


def test_a_per_batch_curve_that_leaps_far_out_of_its_noise_rings_at_its_second_point(tmp_path):
    """Twenty times higher from 150 on: single batches stand dozens of the curve's noise deviations above its lowest
    level, and two in a row ring without waiting for the median."""
    batches = _batches("mlp-oscillate-eval-s1")[:300].copy()
    batches[150:] *= 20.0
    judged = judge(tmp_path / "run", {"train/batch_loss": batches.tolist()})
    assert [a.kind for a in judged.bells] == ["diverging"]
    bell = judged.bells[0]
    assert bell.step < 150 + BATCH_LEVEL_POINTS // 2
    # the numbers the test read: the point against the lowest median, not against the lowest single batch
    assert f"x its lowest median over {BATCH_LEVEL_POINTS} points 0.6" in bell.reason, bell.reason
    value, ratio = (
        float(bell.reason.split("exploded to ")[1].split(" ")[0]),
        float(bell.reason.split("x its")[0].split()[-1]),
    )
    low = float(bell.reason.split(f"over {BATCH_LEVEL_POINTS} points ")[1].split(" ")[0])
    assert abs(value / low - ratio) <= 0.5 + 0.01 * ratio


@pytest.mark.parametrize("lucky", [[0.008], [2.3, 0.01, 0.02]])
def test_a_few_lucky_first_batches_are_no_start_and_no_low(tmp_path, lucky):
    """The first batch at 0.008 (a resumed or fine-tuned net's luckiest batch) was the start the ranges test measured
    from: every ordinary batch stood 30 of those "ranges" above the lowest. Two lucky batches after the first made
    the median of the first three points a lowest level of 0.02, ten times which any ordinary level passed."""
    batches = _batches("mlp-oscillate-eval-s1")[:400].copy()
    batches[: len(lucky)] = lucky
    judged = judge(tmp_path / "run", {"train/batch_loss": batches.tolist()})
    assert not judged.bells, judged.bells[0].reason


def test_a_three_batch_blow_up_of_a_calm_curve_rings(tmp_path):
    """A smooth per-step curve thrown to 140 times its level for three steps, 25 of its ranges (the ranges test
    wants 30): no median of 24 moves, but each point is far out of the curve's noise."""
    train = 0.3 + 2.0 * np.exp(-np.arange(300) / 40.0)
    train[150:153] = 50.0
    judged = judge(tmp_path / "run", {"train/batch_loss": train.tolist()})
    assert [(a.kind, a.step) for a in judged.bells] == [("diverging", 151)]


def test_a_per_batch_nan_still_rings_at_once(tmp_path):
    batches = _batches("mlp-oscillate-eval-s1")[:300].copy()
    batches[170:] = np.nan
    judged = judge(tmp_path / "run", {"train/batch_loss": batches.tolist()})
    assert [(a.kind, a.step) for a in judged.bells] == [("diverging", 170)]


def test_a_per_batch_curve_thrown_far_out_of_its_range_rings_at_its_second_point(tmp_path):
    """Thirty ranges above its lowest point is no batch's chance: two such points in a row ring there."""
    batches = _batches("mlp-oscillate-eval-s1")[:300].copy()
    batches[170:] = 500.0
    judged = judge(tmp_path / "run", {"train/batch_loss": batches.tolist()})
    assert [(a.kind, a.step) for a in judged.bells] == [("diverging", 171)]
    assert "exploded to 500 at step 171" in judged.bells[0].reason


def _lightning_like(folder, batches: np.ndarray, per_epoch: int) -> None:
    """Lightning's ``self.log("train_loss", on_step=True, on_epoch=True)`` beside ``val_loss``: the per-batch curve
    at every step, the epoch's mean and validation at each epoch's last step, in one file."""
    from conftest import file_version_event, scalar_event, write_records

    folder.mkdir(parents=True)
    payloads = [file_version_event()]
    for step, value in enumerate(batches.tolist()):
        payloads.append(scalar_event("train_loss_step", step, value, 1000.0 + step))
        if (step + 1) % per_epoch == 0:
            epoch = batches[step + 1 - per_epoch : step + 1]
            payloads.append(scalar_event("train_loss_epoch", step, float(epoch.mean()), 1000.0 + step))
            payloads.append(scalar_event("val_loss", step, float(epoch.mean()) + 0.1, 1000.0 + step))
    write_records(folder / "events.out.tfevents.1000.host.1.0", payloads)


def test_a_nan_in_the_first_epoch_of_a_per_batch_and_per_epoch_curve_rings_once(tmp_path):
    """The per-batch curve rang at its NaN (step 30); the first epoch's mean, NaN at step 49, then became the
    training curve judged, whose first point it was: rung again as a second blow-up."""
    from judging_helpers import judge_folder

    from tui.cli.main import main

    batches = 2.0 / (1 + 0.01 * np.arange(250))
    batches[30:] = np.nan
    _lightning_like(tmp_path / "run", batches, per_epoch=50)
    judged = judge_folder(tmp_path / "run")  # check and replay, asserted equal
    assert [(a.step, a.kind, a.tag) for a in judged.bells] == [(30, "diverging", "train_loss_step")]
    assert judged.verdict.kind == "diverging"
    assert main(["replay", str(tmp_path)]) == 0


def test_a_blow_up_after_the_epoch_curve_was_calm_still_rings_again(tmp_path):
    """The per-epoch curve's calm first epoch between the two NaN episodes tells them apart: both ring."""
    from judging_helpers import judge_folder

    batches = 2.0 / (1 + 0.01 * np.arange(400))
    batches[30:32] = np.nan  # the first epoch's batches blow up and come back; its mean is NaN
    batches[320:] = np.nan
    _lightning_like(tmp_path / "run", batches, per_epoch=50)
    judged = judge_folder(tmp_path / "run")
    assert [(a.step, a.kind) for a in judged.bells] == [(30, "diverging"), (349, "diverging")]  # the epoch's NaN


def test_nan_points_never_count_as_a_recovery(tmp_path):
    """A curve's level leaves NaN points out: a NaN epoch, one finite one, then NaN for good was judged back in its
    range by its NaN judgements, "recovered", and rang a second bell three epochs after the first."""
    from conftest import scalar_run
    from judging_helpers import judge_folder

    train = 2.0 / (1 + 0.1 * np.arange(60))
    val = train + 0.2
    train[10] = val[10] = np.nan
    train[12:] = val[12:] = np.nan
    scalar_run(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    judged = judge_folder(tmp_path / "run")
    assert [(a.step, a.kind) for a in judged.bells] == [(10, "diverging")]
    assert judged.verdict.reason.endswith("diverging since step 10")


def test_a_run_back_in_its_range_for_three_judgements_rings_its_next_blow_up(tmp_path):
    from conftest import scalar_run
    from judging_helpers import judge_folder

    train = 2.0 / (1 + 0.1 * np.arange(60))
    val = train + 0.2
    train[10] = val[10] = np.nan
    train[30:] = val[30:] = np.nan
    scalar_run(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [(a.step, a.kind) for a in judge_folder(tmp_path / "run").bells] == [(10, "diverging"), (30, "diverging")]
