"""The overfitting bell's words on a curve without noise, and the settings that hold it (``min_points``)."""

from __future__ import annotations

import numpy as np
from judging_helpers import judge, overfitting_curves

from tui.judging.thresholds import Thresholds


def test_a_curve_without_noise_says_so_instead_of_a_rise_of_quadrillions_of_its_noise(tmp_path):
    """Rounding's scatter on a smooth (synthetic or exactly repeated) curve was counted as its noise: the reason
    read "2198669631906544.0x its noise 2.365e-16 ... (1465451558884099.0 standard errors)"."""
    epochs = np.arange(40)
    train = 2 - 0.03 * epochs
    val = 2 - 0.02 * epochs + np.where(epochs > 20, 0.05 * (epochs - 20), 0.0)  # straight lines, as a test writes
    judged = judge(tmp_path, {"train_loss": train.tolist(), "val_loss": val.tolist()})
    (bell,) = judged.bells
    assert bell.kind == "overfitting" and "on a curve without noise" in bell.reason
    assert "x its noise" not in bell.reason and "standard errors" not in bell.reason


def test_min_points_holds_the_overfitting_bell_too(tmp_path):
    """``--set min_points=100``: 'validation points needed before any trend verdict', yet a 60-point run rang
    overfitting. The bell waits with the verdicts; at the default it rings where it did."""
    train, val = overfitting_curves()
    judged = judge(tmp_path / "default", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [a.kind for a in judged.bells] == ["overfitting"]
    held = judge(
        tmp_path / "held", {"train_loss": train.tolist(), "val_loss": val.tolist()}, Thresholds(min_points=100)
    )
    assert not held.bells and held.verdict.kind == "waiting"


def test_a_share_beside_its_bar_has_the_digits_that_tell_them_apart():
    """A newcomer's find: the gap flag said '15% of train/epoch_accuracy' for a lead of 15.04 % beside its bar of
    'more than 15 %'. The share gets the digits that tell it from the bar; elsewhere none."""
    from tui.text import percent

    assert percent(0.1504, 0.15) == "15.04%"
    assert percent(0.1549, 0.15) == "15.5%"
    assert percent(0.19, 0.15) == "19%"
    assert percent(0.149, 0.15) == "14.9%"


def test_a_blow_up_many_thousand_times_its_lowest_has_thousands_separators(tmp_path):
    """A newcomer's find: '87726x its lowest' beside every other figure written '1,050'."""
    import re

    from judging_helpers import judge

    train = [2.0 * 0.8**i + 1e-4 for i in range(40)] + [10.0] * 3
    val = [2.1 * 0.8**i + 0.05 for i in range(40)] + [10.5] * 3
    bell = judge(tmp_path / "run", {"train/loss": train, "val/loss": val}).first("diverging")
    assert bell is not None and re.search(r"\d{1,3}(,\d{3})+x its lowest", bell.reason), bell and bell.reason


def test_a_stall_under_a_minute_is_said_in_seconds():
    """With ``--set stall_min_seconds=5`` the reason said 'no new events for 0 min (usually every 0.3 s)'."""
    from tui.judging.stalled import stalled_reason
    from tui.judging.thresholds import Thresholds
    from tui.store import Run

    run = Run("job")
    run.last_seen = 100.0
    said = stalled_reason(run, 106.0, 0.3, Thresholds(stall_min_seconds=5))
    assert said == "no new events for 6 s (usually every 0.3 s)"
    assert stalled_reason(run, 100.0 + 12 * 60, 30.0, Thresholds()) == "no new events for 12 min (usually every 30 s)"
