"""The numbers in a reason tell what the reason says: a rise on a curve levelled far from zero, whose rise is in the
fifth digit (a language model's fine-tuning on a large evaluation set), is not written '3.2 → 3.2'."""

from __future__ import annotations

import re

import numpy as np
from judging_helpers import DEEPOBS, judge


def test_an_overfitting_rise_in_the_fifth_digit_reads_as_a_rise(tmp_path):
    epochs = np.arange(40)
    train = 3.0 + 0.3 * np.exp(-epochs / 6) - 0.002 * epochs
    noise = 0.000003 * np.random.default_rng(3).standard_normal(len(epochs))
    val = 3.2 + 0.01 * np.exp(-epochs / 3) + np.where(epochs > 15, 0.00006 * (epochs - 15), 0.0) + noise
    judged = judge(tmp_path / "lm", {"train/loss": train.tolist(), "val/loss": val.tolist()})
    alert = judged.first("overfitting")
    assert alert is not None and alert.step > 15
    best, now = map(float, re.match(r"val/loss (\S+) → (\S+) since", alert.reason).groups())
    assert now > best
    falling = re.search(r"train still falling \((\S+) → (\S+)\)", alert.reason)
    assert falling is not None and float(falling.group(2)) < float(falling.group(1))


def test_float32_last_digit_wobbles_on_a_curve_at_chance_are_no_spike_and_no_direction(tmp_path):
    """A net stuck at chance from its start (no range, no noise) logs 2.332161 with a last-digit wobble: each wobble
    rang 'Loss/train jumped to 2.332 ... came back', and its reason read 'val falling by 1.192e-07'."""
    level = float(np.float32(2.332161188))
    wobble = float(np.nextafter(np.float32(level), np.float32(3.0)))
    train = [wobble if step % 9 == 4 else level for step in range(60)]
    val = [wobble if step % 7 == 3 else level for step in range(59)] + [float(np.nextafter(np.float32(level), 0))]
    judged = judge(tmp_path / "chance", {"train/loss": train, "val/loss": val})
    assert judged.first("spike") is None
    assert "e-07" not in judged.verdict.reason, judged.verdict.reason


def test_a_blow_up_ratio_is_not_written_with_thirty_digits_of_float_noise(tmp_path):
    epochs = np.arange(30)
    train = (1.0 / (epochs + 1)).tolist()
    val = (1.2 / (epochs + 1)).tolist()
    val[25:] = [5.567e29] * 5
    judged = judge(tmp_path / "blown", {"train/loss": train, "val/loss": val})
    bell = judged.first("diverging")
    assert bell is not None and re.search(r" \d\.\d+e\+\d+x its lowest", bell.reason), bell.reason
    assert not re.search(r"\d{3},\d{3},\d{3},\d{3}", bell.reason)


def test_an_overfitting_reason_says_training_rose_too_when_it_did(tmp_path):
    """Training rose 0.19 → 0.34 while validation went 0.30 → 1.58: the reason read 'train flat (0.3434)'."""
    epochs = np.arange(60)
    train = np.where(epochs < 20, 1.0 * np.exp(-epochs / 6) + 0.15, 0.15 + 0.004 * (epochs - 20))
    val = np.where(epochs < 20, 1.1 * np.exp(-epochs / 6) + 0.25, 0.25 + 0.03 * (epochs - 20))
    judged = judge(tmp_path / "both", {"train/loss": train.tolist(), "val/loss": val.tolist()})
    bell = judged.first("overfitting") or judged.first("diverging")
    assert bell is not None and "train rising too (" in bell.reason, bell.reason if bell else judged.alerts


def test_training_risen_within_its_noise_reads_flat_beside_the_bell(tmp_path):
    """A real CIFAR-100 net (DeepOBS, Adam at lr 4e-4) from its first epoch on: the overfitting bell allows training
    to stand two of its noise deviations above its level at validation's best, and its reason read 'train rising
    too (2.056 → 2.086)' for a rise of half its noise (±0.066): a bell whose words say it is no overfitting."""
    run = DEEPOBS["cifar100_allcnnc-adam-lr3.98e-04-s42"]
    judged = judge(tmp_path / "c100", {"train/loss": run["train"][1:], "val/loss": run["val"][1:]})
    bell = judged.first("overfitting")
    assert bell is not None and "train flat within its noise (2.056 → 2.086, ±0.066" in bell.reason, bell
    assert not any("rising too" in alert.reason for alert in judged.bells)


def test_a_gap_told_before_a_blow_up_is_not_shown_beside_it(tmp_path):
    """Accuracies are not judged while a run is blown up: its gap flag kept the numbers of before."""
    epochs = np.arange(40)
    losses = (1.0 / (epochs + 1)).tolist()
    val_losses = (1.3 / (epochs + 1)).tolist()
    train_acc = np.minimum(0.3 + 0.03 * epochs, 0.98).tolist()
    val_acc = np.minimum(0.3 + 0.015 * epochs, 0.6).tolist()
    for curve in (losses, val_losses):
        curve[30:] = [float("nan")] * 10
    curves = {"loss": losses, "val_loss": val_losses, "accuracy": train_acc, "val_accuracy": val_acc}
    judged = judge(tmp_path / "gap", curves)
    assert any(alert.kind == "gap" for alert in judged.alerts)  # told before the blow-up
    assert judged.verdict.kind == "diverging" and "gap" not in judged.verdict.flags


def test_a_net_parked_at_its_start_reads_flat_and_plateau(tmp_path):
    """A VAE that never learned logs the same loss, to its last digit or one, from its first point on: its curves
    have no range, and a floor for float32's rounding (no spike, no direction of a last digit) read them 'unclear'
    ('learning', no plateau alert) where they are flat."""
    level = float(np.float32(61.25307))
    last = float(np.nextafter(np.float32(level), np.float32(100.0)))
    train = [level if step % 5 else last for step in range(60)]
    val = [float(np.float32(64.8)) for _ in range(60)]
    judged = judge(tmp_path / "parked", {"train/loss": train, "val/loss": val})
    assert judged.verdict.kind == "plateau", judged.verdict.reason
    assert "train flat" in judged.verdict.reason and "val flat" in judged.verdict.reason


def test_a_best_not_clearly_below_its_start_names_the_start(tmp_path):
    """A DNA model fine-tuned with eleven evaluations (the shape of a real run): validation's best, 0.232, is 26 %
    below its start 0.314 but within its noise of it (±0.038), and the reason read "never clearly below its start"
    without the start to read that against."""
    val = [0.314, 0.255, 0.266, 0.232, 0.303, 0.272, 0.254, 0.283, 0.294, 0.294, 0.288]
    train = [0.3215, 0.257, 0.1856, 0.1838, 0.1294, 0.0985, 0.0996, 0.0606, 0.0498, 0.0192, 0.0276]
    judged = judge(tmp_path / "run", {"loss": train, "val_loss": val})
    alert = judged.first("val-rising")
    assert alert is not None
    assert "never clearly below its start 0.314, 1.0x its noise 0.038" in alert.reason
