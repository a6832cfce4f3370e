"""The early warning (``val-rising``) asks for a rise the noise does not explain by itself: the recent median
``warn_z = 1`` noise deviation up, from the level and in the noise its reason shows (the floor the level test
stands on, or the best), and ``warn_range`` of the range. Against the range alone (1 %) it came later where a
net's range is its first epoch's fall from chance, and it warned on wiggles of a healthy noisy run 0.8 of a
deviation high."""

from __future__ import annotations

import re

import pytest
from conftest import DATA
from judging_helpers import judge_folder, realnet


def _warnings(folder) -> list:
    return [a for a in judge_folder(folder).alerts if a.kind == "val-rising"]


def _noise_multiple(reason: str) -> float:
    found = re.search(r", ([0-9.]+)x its noise", reason)
    assert found, reason
    return float(found.group(1))


def test_the_healthy_noisy_run_gets_no_warning():
    """``noisy-7`` (PyTorch, healthy, noisy validation) was warned at step 1,380: 0.8 of a noise deviation up."""
    assert _warnings(DATA / "torch" / "noisy-7") == []


def test_the_keras_overfitting_run_is_warned_two_epochs_earlier():
    """``k-overfit``: validation 0.583 → 0.589 three epochs after its best, 1.1 noise deviations but 0.5 % of a
    range that is mostly its first epoch's fall; at 1 % of the range it waited for epoch 15."""
    warnings = _warnings(DATA / "keras" / "k-overfit")
    assert [a.step for a in warnings] == [13]
    assert "+0.5% of its range" in warnings[0].reason


def test_every_warning_stands_a_noise_deviation_above_its_best():
    for folder in (DATA / "torch" / "overfit-7", DATA / "keras" / "k-overfit"):
        warnings = _warnings(folder)
        assert warnings
        assert all(_noise_multiple(a.reason) >= 1.0 for a in warnings), [a.reason for a in warnings]


@pytest.mark.parametrize(
    "name",  # each warned at 0.7 to 0.9 of a deviation in its reason while the bar read the trend test's noise
    ["resnet-few-s4", "cnn-noisy-s2", "vae-bigval-s3", "lstm-small-s0", "mlp-wide-adam-s0"],
)
def test_a_warning_never_shows_less_than_a_noise_deviation(tmp_path, name):
    judged, _ = realnet(tmp_path, name)
    warnings = [a for a in judged.alerts if a.kind == "val-rising"]
    assert warnings
    assert all(_noise_multiple(a.reason) >= 1.0 for a in warnings), [a.reason for a in warnings]
