"""Plateau against converged, and a net parked at chance: flat curves are told what to do only when they need it.

Real runs (DeepOBS, realnets, the shared fixtures) and the kinds of curves that were told wrongly before, each
judged as ``check`` reads it and as the live view sees it (``judge`` asserts the two agree).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import DATA, file_version_event, scalar_event, scalar_run, write_records
from judging_helpers import DEEPOBS, REALNET_CURVES, deepobs, flat_after, judge, judge_folder

from tui.judging.kinds import BELL
from tui.judging.verdict import fmt
from tui.live.monitor import Monitor


def test_noisy_validation_is_not_told_to_lower_its_learning_rate():
    monitor = Monitor(str(DATA / "torch"))
    monitor.refresh()
    verdict = monitor.verdict("noisy-7")
    assert verdict.kind != "plateau" and "learning rate" not in verdict.advice
    assert not [a for a in monitor.alerts if a.run == "noisy-7" and a.kind in ("plateau", *BELL)]


def test_flat_with_a_decayed_learning_rate_is_converged(tmp_path):
    lr = [0.1 if i < 30 else 0.01 for i in range(60)]
    judged = judge(tmp_path / "run", {"train_loss": flat_after(60, 30), "val_loss": flat_after(60, 30), "lr": lr})
    assert judged.verdict.kind == "converged" and "decayed" in judged.verdict.reason
    assert "plateau" not in judged.kinds()


def test_flat_at_the_starting_learning_rate_is_a_plateau(tmp_path):
    lr = [0.1] * 60
    judged = judge(tmp_path / "run", {"train_loss": flat_after(60, 30), "val_loss": flat_after(60, 30), "lr": lr})
    assert judged.verdict.kind == "plateau" and "plateau" in judged.kinds()
    assert "lower the learning rate" in judged.verdict.advice


@pytest.mark.parametrize("name", ["cifar10_3c3d-adam-lr3.98e-02-s42", "cifar10_3c3d-adam-lr6.31e-02-s42"])
def test_a_run_parked_at_chance_is_a_plateau_not_converged(tmp_path, name):
    """Real CIFAR-10 runs (Adam, lr 0.04 and 0.06) that blew up and then sat at chance: the loss came down from 3.59
    to 2.30 (predicting every class alike), validation accuracy stayed at 0.1. They ended `converged` ("done: keep
    the best checkpoint") before the accuracy was read; with an accuracy that rose by a tenth of its room, still."""
    run = DEEPOBS[name]
    losses = {"train_loss": run["train"], "val_loss": run["val"]}
    judged = judge(tmp_path / "run", losses | {"train_acc": run["train_acc"], "val_acc": run["val_acc"]})
    assert judged.verdict.kind == "plateau" and "plateau" in judged.kinds()
    first = run["val_acc"][0]
    assert (
        f"val_acc never rose 5% above its first {fmt(first)} (best {fmt(max(run['val_acc']))}, now "
        in judged.verdict.reason
    )
    assert "lower the learning rate" in judged.verdict.advice
    rose = [first] + [first + 0.1 * (1.0 - first)] * (len(run["val_acc"]) - 1)  # by a tenth of its room at once
    learned = judge(tmp_path / "learned", losses | {"train_acc": rose, "val_acc": rose})
    assert learned.verdict.kind == "converged" and "plateau" not in learned.kinds()


def test_a_first_accuracy_of_zero_does_not_hide_a_net_parked_at_chance(tmp_path):
    """An evaluation before the first batch logged accuracy 0.0: measured against 0, any later accuracy was
    learning, and the CIFAR-10 run above, parked at 0.1, ended `converged` again."""
    run = DEEPOBS["cifar10_3c3d-adam-lr3.98e-02-s42"]
    val_acc = [0.0, *run["val_acc"][1:]]
    curves = {"train_loss": run["train"], "val_loss": run["val"], "train_acc": run["train_acc"], "val_acc": val_acc}
    judged = judge(tmp_path / "run", curves)
    assert judged.verdict.kind == "plateau" and "plateau" in judged.kinds()
    assert f"val_acc never rose 5% above its first {fmt(val_acc[1])}" in judged.verdict.reason


def test_an_accuracy_that_left_zeros_it_sat_at_is_read_from_its_first_zero(tmp_path):
    """Twelve evaluations at exactly 0, then 0.40 creeping up: it learned (0 -> 0.4), and only a single leading
    0 is an evaluation before the first batch; zeros that go on are the accuracy's own (and all zeros while the
    loss falls is a net at 0, as before)."""
    n = 40
    loss = (0.5 + 2.0 * np.exp(-np.arange(n) / 8)).tolist()
    left = [0.0] * 12 + [0.40 + 0.0007 * i for i in range(n - 12)]
    judged = judge(tmp_path / "left", {"train_loss": loss, "val_loss": loss, "train_acc": left, "val_acc": left})
    assert judged.verdict.kind == "learning"
    zeros = [0.0] * n
    judged = judge(tmp_path / "zeros", {"train_loss": loss, "val_loss": loss, "train_acc": zeros, "val_acc": zeros})
    assert (
        judged.verdict.kind == "plateau"
        and "val_acc never rose 5% above its first 0 (best 0, now 0)" in judged.verdict.reason
    )


@pytest.mark.parametrize("name", ["cnn-lowlr-s0", "mlp-dead-s0"])
def test_a_net_whose_accuracy_never_leaves_chance_is_a_plateau_while_its_loss_creeps(tmp_path, name):
    """Real nets labelled stuck (a CNN at a learning rate too low to move it, an MLP whose ReLUs died): their losses
    creep by thousandths around 2.30, which against their own tiny ranges reads as falling (or validation rising),
    while validation accuracy sits at chance. They ended `learning`."""
    curves = REALNET_CURVES[name]
    tags = ("train_loss", "val_loss", "train_acc", "val_acc")
    judged = judge(tmp_path / name, {tag: curves[tag].astype(float).tolist() for tag in tags})
    assert judged.verdict.kind == "plateau" and "plateau" in judged.kinds()
    assert f"val_acc never rose 5% above its first {fmt(float(curves['val_acc'][0]))}" in judged.verdict.reason
    assert not judged.bells


@pytest.mark.parametrize(
    ("tag", "values"),
    [
        # a thousand classes: 0.001 at the start, 0.037 at the eighth point, far from a tenth of the room
        ("val_accuracy", 0.001 + 0.6 * (1 - np.exp(-np.arange(40) / 25.0)) ** 2),
        ("val_bleu", np.linspace(0.5, 4.5, 40)),  # not an accuracy: no chance level to sit at
    ],
    ids=["thousand-classes", "bleu"],
)
def test_an_accuracy_that_rises_slowly_from_near_zero_is_not_a_net_at_chance(tmp_path, tag, values):
    """Both losses falling, the metric rising by a few hundredths (or a few BLEU points) of its top: learning. The
    rule's first version measured the rise against the room above the start and called both plateau."""
    loss = 6.9 * np.exp(-np.arange(40) / 10.0) + 2.3
    judged = judge(tmp_path / "run", {"train_loss": (0.98 * loss).tolist(), "val_loss": loss.tolist(), tag: values})
    assert judged.verdict.kind == "learning" and "plateau" not in judged.kinds()


def test_an_lstm_whose_accuracy_waits_at_its_most_frequent_character_is_not_told_it_plateaued(tmp_path):
    """A real char-LSTM (realnets lstm-small-s2): validation accuracy sat at 0.161 (the most frequent character)
    for its first ten epochs while both losses fell, then learned (and later overfitted). A plateau alert at
    its sixth point was a false alarm; the accuracy is read only from ``acc_after`` points on."""
    curves = REALNET_CURVES["lstm-small-s2"]
    tags = ("train_loss", "val_loss", "train_acc", "val_acc")
    judged = judge(tmp_path / "lstm", {tag: curves[tag].astype(float).tolist() for tag in tags})
    assert "plateau" not in judged.kinds() and [a.kind for a in judged.bells] == ["overfitting"]


def test_an_accuracy_logged_every_third_epoch_is_read_at_chance_only_from_its_tenth_point(tmp_path):
    """``acc_after`` counts the accuracy's own points: logged every third validation point, stuck at 0.1, it is
    read at chance from its tenth point (step 27), not from the loss curve's tenth (step 9)."""
    n = 40
    loss = (2.31 - 0.0005 * np.arange(n)).tolist()  # creeping by thousandths
    acc = [0.1 if i % 3 == 0 else None for i in range(n)]
    scalar_run(tmp_path / "run", {"train_loss": loss, "val_loss": loss})
    write_records(
        tmp_path / "run" / "events.out.tfevents.2.host.1.0",
        [file_version_event()]
        + [scalar_event("val_acc", i, a, 1000.0 + i) for i, a in enumerate(acc) if a is not None],
    )
    judged = judge_folder(tmp_path / "run")
    assert judged.verdict.kind == "plateau"
    plateau = judged.first("plateau")
    assert plateau is not None and plateau.step >= 27


def test_a_plateau_is_the_verdict_only_once_its_alert_is_told(tmp_path):
    """At every length of a run that plateaus, and on real runs whose last reading alone was flat, the verdict
    is plateau exactly when the plateau alert was told: ``check`` said plateau (exit 1) at the first flat reading,
    two readings before the alert."""
    lr = [0.1] * 60
    curve = flat_after(60, 30)
    told = []
    for n in range(20, 61):
        judged = judge(tmp_path / f"run-{n}", {"train_loss": curve[:n], "val_loss": curve[:n], "lr": lr[:n]})
        told.append("plateau" in judged.kinds())
        assert (judged.verdict.kind == "plateau") == told[-1], n
        if not told[-1]:
            assert judged.verdict.kind in ("learning", "waiting"), (n, judged.verdict.kind)
    assert told[-1] and not told[0]
    for name in ("resnet-bn-s0", "resnet-spiky-s2"):  # their last reading reads flat, the one before did not
        curves = REALNET_CURVES[name]
        judged = judge(
            tmp_path / name, {tag: curves[tag].astype(float).tolist() for tag in ("train_loss", "val_loss", "lr")}
        )
        assert "plateau" not in judged.kinds() and judged.verdict.kind == "learning", name


def test_a_net_stuck_early_is_a_plateau_whose_reason_states_the_setting_as_set(tmp_path):
    """``stuck_within = 0.0025`` read ``0.2%`` (one decimal of a percentage): the reason says the number set."""
    curve = flat_after(80, 5)
    judged = judge(tmp_path / "run", {"train_loss": curve, "val_loss": curve})
    assert judged.verdict.kind == "plateau"
    assert "training has not bettered its best by 0.25% of its range for the last" in judged.verdict.reason


def test_a_curve_thrown_above_its_start_reads_its_drift_against_how_far_above_it_stands(tmp_path):
    """A real FMNIST VAE (plain SGD at lr 0.158) thrown from 133 to 184 in two epochs, then sitting there: against a
    progress of none, a drift of 0.2 in 12 epochs read "falling", and it ended `learning`, "keep training". Read
    against the 51 it stands above its start, it is flat: a plateau of a net that learned nothing."""
    judged = deepobs(tmp_path, "fmnist_vae-sgd-lr1.58e-01-s42")
    assert judged.verdict.kind == "plateau" and "before training learned anything" in judged.verdict.reason
    assert "lower the learning rate" in judged.verdict.advice


def test_flat_curves_with_validation_rising_since_its_best_are_not_told_to_lower_the_rate(tmp_path):
    """A real CNN that memorised its set (training flat at 0.0056) while validation crept up from its best (0.4916 to
    0.5038, 3.5 of its noise deviations, the early warning standing): told "learning hit a bottleneck: lower the
    learning rate" at epoch 155. The warning is the news: no plateau beside it, and no "no trouble seen" either."""
    import realnets  # benchmarks/, on the path through judging_helpers

    from tui.judging.engine import VerdictEngine
    from tui.judging.replay import _batches
    from tui.judging.thresholds import Thresholds
    from tui.store import Store

    realnets.write_logs(str(tmp_path), only={"cnn-full-bigval-s3"})
    judged = judge_folder(tmp_path / "cnn-full-bigval-s3")  # whole and step by step, the two asserted equal
    assert "val-rising" in judged.kinds() and "plateau" not in judged.kinds()
    assert judged.verdict.kind == "overfitting"  # the rise was confirmed later
    monitor = Monitor(str(tmp_path / "cnn-full-bigval-s3"))
    monitor.refresh()
    run, store = monitor.store.runs["."], Store()
    engine, warned_flat = VerdictEngine(".", Thresholds()), 0
    for batch in _batches(run):
        store.apply(".", batch)
        engine.update(store.runs["."])
        verdict = engine.verdict
        if "val-rising" in verdict.flags and verdict.kind != "overfitting":
            assert verdict.kind != "plateau" and not verdict.reason.startswith("no trouble seen")
            warned_flat += "train flat" in verdict.reason and "val flat" in verdict.reason
    assert warned_flat  # the readings the plateau came from were met


@pytest.mark.parametrize("name", ["cnn-cosine-s3", "lstm-cosine-s2"])
def test_training_still_falling_under_an_annealed_rate_is_converged(tmp_path, name):
    """Real nets at the end of a cosine schedule (a CNN at 1.43e-05 from 0.002, an LSTM at 0.049 from 10): training
    still falls (memorising) while validation's direction is hidden by its noise. Only both curves quiet were read
    done, so these were told "keep training" after their schedule had all but stopped them."""
    import realnets  # benchmarks/, on the path through judging_helpers

    realnets.write_logs(str(tmp_path), only={name})
    judged = judge_folder(tmp_path / name)
    assert judged.verdict.kind == "converged" and "learning rate annealed to" in judged.verdict.reason
    assert "train falling by" in judged.verdict.reason and "direction hidden by its noise" in judged.verdict.reason


def test_an_accuracy_whose_latest_point_is_nan_is_not_said_now_nan(tmp_path):
    """'(best 0.1005, now nan)': the latest accuracy logged NaN; the reason leaves 'now' out instead."""
    run = DEEPOBS["cifar10_3c3d-adam-lr3.98e-02-s42"]
    val_acc = [*run["val_acc"][:-1], math.nan]
    curves = {"train_loss": run["train"], "val_loss": run["val"], "train_acc": run["train_acc"], "val_acc": val_acc}
    judged = judge(tmp_path / "run", curves)
    assert judged.verdict.kind == "plateau"
    assert "nan" not in judged.verdict.reason.lower() and "never rose 5% above its first" in judged.verdict.reason
