"""A classifier's loss ten times what guessing at its accuracy scores is a blow-up, even at the first logged epoch.

Most loops log from their first epoch on, without a point before training: a net blown up by then has no start of
its own that its loss could be measured against (DeepOBS' held-out nets at learning rates of 10 and more, 31 of 145
divergences, rang 2 to 150 epochs late or never). Its accuracy says what guessing would score."""

from __future__ import annotations

import math

import numpy as np
import pytest
from judging_helpers import DEEPOBS, judge

from tui.judging.guessing import guessing_loss, times_guessing
from tui.judging.thresholds import Thresholds


def _from_first_epoch(name: str) -> dict[str, list[float]]:
    """A stored DeepOBS run with its accuracies, without its point before training."""
    run = DEEPOBS[name]
    return {tag: list(run[key][1:]) for tag, key in (("loss", "train"), ("val_loss", "val"))} | {
        tag: list(run[tag][1:]) for tag in ("train_acc", "val_acc")
    }


def test_a_real_net_blown_up_at_its_first_epoch_rings_at_its_second(tmp_path):
    """CIFAR-10 under Adam at lr 0.063 (labelled diverged at its first epoch): 36.5, then 29.1, falling back toward
    chance beside an accuracy of 0.10, whose guessing loss is ln 10 = 2.3. Read from its first epoch, no rule had
    a start to measure it from, and it rang nothing."""
    curves = _from_first_epoch("cifar10_3c3d-adam-lr6.31e-02-s42")
    judged = judge(tmp_path / "run", curves)
    assert [(a.kind, a.step, a.tag) for a in judged.bells] == [("diverging", 1, "loss")]
    reason = judged.bells[0].reason
    accuracy = curves["train_acc"][1]
    assert f"loss at 32.81 at step 1 beside train_acc {accuracy:.4g}: " in reason
    assert f"ln(1/{accuracy:.4g}) = {math.log(1 / accuracy):.4g}" in reason
    assert "times the loss of guessing at that accuracy" in reason and "since its first validation point" in reason


def test_a_real_net_six_times_guessing_is_left_to_its_own_curves(tmp_path):
    """The same net at lr 0.04 (labelled stuck): 14.8 after its first epoch beside 0.10, six times guessing, falling
    to 4.6 by epoch 12. Under the bar, a net thrown a few times above chance is read by its own curves, as before:
    they ring when it is thrown back above its start (27 at epoch 13), not at its second epoch."""
    judged = judge(tmp_path / "run", _from_first_epoch("cifar10_3c3d-adam-lr3.98e-02-s42"))
    assert [a.step for a in judged.bells] == [13]
    assert "back above its start" in judged.bells[0].reason and "guessing" not in judged.bells[0].reason


def _blown(n: int = 30, level: float = 40.0, accuracy: float = 0.1) -> dict[str, list[float]]:
    rng = np.random.default_rng(3)
    loss = (level * (1 + 0.2 * rng.standard_normal(n))).tolist()
    acc = (accuracy * (1 + 0.02 * rng.standard_normal(n))).tolist()
    return {"loss": loss, "val_loss": loss, "accuracy": acc, "val_accuracy": acc}


def test_one_point_alone_is_not_a_blow_up_and_two_are(tmp_path):
    """A first epoch at 30 beside chance, then back at chance's 2.3: one judged point past the bar may be one bad
    evaluation (no rule has a start to read the first point against either); the bell waits for the second."""
    chance = [2.3 - 0.001 * i for i in range(29)]
    accuracy = [0.1 + 0.0001 * i for i in range(30)]
    for name, head, rings in (("one", [30.0], []), ("two", [30.0, 31.0], [1])):
        loss = head + chance[: 30 - len(head)]
        curves = {"loss": loss, "val_loss": loss, "accuracy": accuracy, "val_accuracy": accuracy}
        assert [a.step for a in judge(tmp_path / name, curves).bells if a.kind == "diverging"] == rings


def test_an_accuracy_in_percent_is_read_against_its_hundred(tmp_path):
    """10.0 (%) is the same chance as 0.10: ln(100 / 10)."""
    curves = _blown()
    percent = {tag: [v * 100 if "accuracy" in tag else v for v in values] for tag, values in curves.items()}
    judged = judge(tmp_path / "run", percent)
    assert [a.step for a in judged.bells] == [1]
    assert f"ln(100/{percent['accuracy'][1]:.4g}) = " in judged.bells[0].reason


def test_a_net_that_learned_or_a_metric_that_is_no_accuracy_is_not_read_against_guessing(tmp_path):
    """An accuracy of 0.9 beside a loss of 40 is no net at chance (its own range reads it); an F1 score of 0.1 is
    no accuracy whose guess is ln 10."""
    learned = {tag: [0.9] * 30 if "accuracy" in tag else values for tag, values in _blown().items()}
    assert "diverging" not in judge(tmp_path / "learned", learned).kinds()
    f1 = {tag.replace("accuracy", "f1"): values for tag, values in _blown().items()}
    assert "diverging" not in judge(tmp_path / "f1", f1).kinds()


def test_a_net_that_comes_back_under_the_bar_is_judged_again(tmp_path):
    """No latch: blown up at 40 beside chance for ten epochs, then learning (loss 1.0 falling, accuracy 0.7)."""
    curves = _blown(n=10)
    rng = np.random.default_rng(5)
    learning = (1.0 * np.exp(-np.arange(40) / 15) + 0.3 + 0.01 * rng.standard_normal(40)).tolist()
    joined = {
        "loss": curves["loss"] + learning,
        "val_loss": curves["val_loss"] + [v + 0.05 for v in learning],
        "accuracy": curves["accuracy"] + [0.7 + 0.005 * i for i in range(40)],
        "val_accuracy": curves["val_accuracy"] + [0.68 + 0.005 * i for i in range(40)],
    }
    judged = judge(tmp_path / "run", joined)
    assert [a.kind for a in judged.bells] == ["diverging"]
    assert judged.verdict.kind != "diverging"


def test_the_bar_is_a_setting(tmp_path):
    """``--set guess_ratio=500`` puts a loss of 400 times guessing under it."""
    curves = _blown()
    assert "diverging" not in judge(tmp_path / "run", curves, Thresholds(guess_ratio=500.0)).kinds()


@pytest.mark.parametrize(
    ("accuracy", "expected"),
    [(0.1, math.log(10)), (10.0, math.log(10)), (0.01, math.log(100)), (0.5, math.nan), (0.0, math.nan)],
)
def test_guessing_loss(accuracy, expected):
    got = guessing_loss(accuracy)
    assert got == pytest.approx(expected) if math.isfinite(expected) else math.isnan(got)


def test_times_guessing_needs_an_accuracy_proper():
    assert times_guessing(23.0, 0.1, "val_accuracy") == pytest.approx(10 / math.log(10) * 2.3)
    assert math.isnan(times_guessing(23.0, 0.1, "val_f1"))
    assert math.isnan(times_guessing(math.inf, 0.1, "val_accuracy"))


def test_validation_logged_alone_is_read_against_its_own_accuracy(tmp_path):
    """A loop that logs only its evaluation: the validation loss beside the validation accuracy."""
    curves = _blown()
    judged = judge(tmp_path / "run", {"val_loss": curves["val_loss"], "val_accuracy": curves["val_accuracy"]})
    assert [(a.kind, a.step, a.tag) for a in judged.bells] == [("diverging", 1, "val_loss")]
    assert "beside val_accuracy" in judged.bells[0].reason


def test_a_loss_thrown_past_the_bar_after_its_first_points_is_read_by_its_own_range(tmp_path):
    """A character model at a learning rate too high (DeepOBS' LSTMs under momentum at 4 and SGD at 16, labelled
    healthy) starts near guessing at its first accuracy, then swings between 5 and 11 times guessing at its later
    one: its own start and range read it (here both curves climbing back toward their start), never the guess
    that reads a run blown up before it had a start."""
    rng = np.random.default_rng(7)
    n = 60
    accuracy = [0.01] * 3 + (0.17 + 0.005 * rng.standard_normal(n - 3)).tolist()
    loss = [20.0, 18.0, 16.0, *(14 + 5 * np.sin(np.arange(n - 3) / 2)).tolist()]
    judged = judge(tmp_path / "run", {"loss": loss, "val_loss": loss, "accuracy": accuracy, "val_accuracy": accuracy})
    assert max(np.asarray(loss) / np.log(1 / np.asarray(accuracy))) > 10.5  # past the bar, after its start
    assert [a.step for a in judged.bells] == [20]
    assert not [a for a in judged.alerts if "guessing" in a.reason]
