"""A run parked at its start: a positive training loss and its validation both never ``parked_within`` (0.5 %) of
their first values below them, nor that far above them now (``ranges.parked_at_start``, ``Judge._parked``).

Real DeepOBS VAEs logged from their first epoch on, as most loops log, sit at 68 and move 0.01 to 0.3 %: against
their tiny range that wander rang diverging or overfitting. The band must not hide what does go wrong beside it:
a validation loss that leaves it, a parked net that climbs out, a training loss falling steadily however slowly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from judging_helpers import DEEPOBS, from_first_epoch, judge

PARKED_VAES = ["fmnist_vae-mom-lr6.31e-04-s42", "fmnist_vae-mom-lr2.51e-03-s42"]


@pytest.mark.parametrize("name", [*PARKED_VAES, "fmnist_vae-mom-lr6.31e-05-s42"])
def test_a_vae_parked_at_its_start_rings_no_bell(tmp_path: Path, name: str):
    """Two VAEs collapsed at 68 in their first epoch learn 0.05 to 0.17 more (under 0.3 % of their loss), then both
    curves drift back to their start. Against their tiny range that read "back past half-way": they rang diverging
    (and one overfitting). Nothing there is blowing up or memorising: a plateau at the end. A third, its training
    down 0.001 in five epochs ("still falling"), rang overfitting for 67.94878 → 67.94926."""
    judged = judge(tmp_path / "run", from_first_epoch(name))
    assert judged.bells == []
    assert judged.verdict.kind == "plateau" and "loss never 0.5% below its start" in judged.verdict.reason
    assert "the net has learned nothing" in judged.verdict.reason


@pytest.mark.parametrize("name", PARKED_VAES)
def test_a_parked_vae_that_climbs_out_of_its_band_is_diverging(tmp_path: Path, name: str):
    """The band is no licence: climbing on past 0.5 % above its start, both curves rising steadily, it diverges."""
    curves = from_first_epoch(name)
    for tag in curves:
        curves[tag] = curves[tag][:60] + [curves[tag][59] + 0.08 * k for k in range(1, 31)]
    judged = judge(tmp_path / "run", curves)
    assert [alert.kind for alert in judged.bells] == ["diverging"]
    assert "both rising" in judged.bells[0].reason and judged.bells[0].step > 60  # out of the band, not before


@pytest.mark.parametrize("name", PARKED_VAES)
def test_a_loss_that_can_be_negative_has_no_band(tmp_path: Path, name: str):
    """Moved below zero, the same curves' level says nothing of progress: judged on their range and noise alone,
    giving back all they learned is diverging, as the requirements define it."""
    judged = judge(tmp_path / "run", from_first_epoch(name, lambda values: values - 200.0))
    assert [alert.kind for alert in judged.bells] == ["diverging"]
    assert "of the way from its best" in judged.bells[0].reason


def test_a_net_falling_slowly_from_its_start_is_learning_not_parked(tmp_path: Path):
    """DeepOBS' CIFAR-10 net under plain SGD at lr 1e-5 (healthy) falls 3.585 → 3.563 in twelve epochs, 0.6 % of
    its start, but steadily: read parked, it got a plateau alert at epoch 13 (as did 7 more such healthy nets)."""
    run = DEEPOBS["cifar10_3c3d-sgd-lr1.00e-05-s42"]
    judged = judge(tmp_path / "run", {"loss": run["train"], "val_loss": run["val"]})
    assert "plateau" not in judged.kinds()
    assert judged.verdict.kind == "learning"


def test_a_parked_net_whose_first_point_is_its_lowest_shows_no_best_above_its_start(tmp_path: Path):
    """A classifier of four choices at chance, ln 4 = 1.386, its first loss its lowest: the best level (a
    three-point mean) stands above that start, and "never 1% below its start 1.386 (best level 1.388" read as a
    best worse than the start."""
    rng = np.random.default_rng(3)
    train = [1.3863, *(1.3863 + 0.002 + 0.002 * np.abs(rng.standard_normal(39)))]
    val = [1.3863, *(1.3863 + 0.001 + 0.001 * np.abs(rng.standard_normal(39)))]
    judged = judge(tmp_path / "run", {"loss": train, "val_loss": val})
    assert judged.verdict.kind == "plateau"
    assert "loss never 0.5% below its start 1.386 (now 1.39" in judged.verdict.reason
    assert "best level" not in judged.verdict.reason


def _rise_beside_parked_training(climb: float) -> dict[str, list[float]]:
    """Training 0.2 % below its start and creeping back; validation learns a little, then climbs ``climb`` a point."""
    rng = np.random.default_rng(1)
    i = np.arange(40)
    train = 2.30 - 0.001 * np.minimum(i, 5) + 0.0001 * i + 0.0002 * rng.standard_normal(40)
    val = 2.31 - 0.003 * np.minimum(i, 5) + np.where(i < 10, 0.0, climb * (i - 10)) + 0.001 * rng.standard_normal(40)
    return {"loss": train.tolist(), "val_loss": val.tolist()}


@pytest.mark.parametrize("climb", [0.03, 0.2], ids=["to-3", "to-8"])
def test_validation_leaving_its_band_beside_parked_training_still_rings(tmp_path: Path, climb: float):
    """A band read on training alone took these bells and called the run "learned nothing", validation at 8."""
    judged = judge(tmp_path / "run", _rise_beside_parked_training(climb))
    assert [(a.step, a.kind) for a in judged.bells] == [(13, "overfitting"), (31, "diverging")]


def test_a_steady_slow_fall_of_training_beside_a_rise_of_validation_is_overfitting(tmp_path: Path):
    """Training falls 0.5 % in 60 epochs, steadily; validation learns 2 %, then climbs: a band read without the
    fall silenced the bell and the warning."""
    rng = np.random.default_rng(0)
    i = np.arange(60)
    train = 3.585 - 0.017 * i / 60 + 0.0003 * rng.standard_normal(60)
    val = (
        3.60 - 0.07 * np.minimum(i, 20) / 20 + np.where(i > 20, 0.004 * (i - 20), 0.0) + 0.001 * rng.standard_normal(60)
    )
    judged = judge(tmp_path / "run", {"loss": train.tolist(), "val_loss": val.tolist()})
    assert [a.kind for a in judged.alerts] == ["val-rising", "overfitting"]
    assert judged.first("overfitting").step <= 28  # its onset at 20


def test_a_parked_net_blowing_up_rings_as_soon_as_without_the_band(tmp_path: Path):
    """Training 2.30 → 2.29 for fourteen epochs (a plateau), then 2.30, 2.31, 2.35, 2.5, 3.0 ...: the bell rings
    where it did without the band (a point later while the rise was read only once out of it), and a net
    rising is told no plateau."""
    wobble = [0.0, 0.005, 0.0, 0.002, 0.001, 0.0, 0.005, 0.001, 0.003, 0.0, 0.004, 0.001, 0.002]
    train = [2.30, *(2.29 + w for w in wobble), 2.30, 2.31, 2.35, 2.5, 3.0, 3.6, 4.2, 5.0]
    val = [2.31, *(2.30 + w for w in wobble), 2.31, 2.32, 2.36, 2.52, 3.05, 3.7, 4.3, 5.1]
    judged = judge(tmp_path / "run", {"loss": train, "val_loss": val})
    assert [(alert.step, alert.kind) for alert in judged.alerts] == [(13, "plateau"), (17, "diverging")]
    flat_then_climb = {"loss": [*train[:9], *train[14:]], "val_loss": [*val[:9], *val[14:]]}
    assert [(a.step, a.kind) for a in judge(tmp_path / "short", flat_then_climb).alerts] == [(13, "diverging")]


def test_a_loss_with_a_large_offset_that_learns_most_of_a_percent_is_not_parked(tmp_path: Path):
    """1008 → 1000, then validation up 1001 → 1007: 0.8 % of the level, outside the 0.5 % band, overfitting rings.
    (A loss with a constant far above 0 that learns less than 0.5 % of its level reads parked: the price.)"""
    rng = np.random.default_rng(2)
    i = np.arange(50)
    train = 1000.0 + 8.0 * np.exp(-i / 8) + 0.02 * rng.standard_normal(50)
    val = 1001.0 + 8.0 * np.exp(-i / 6) + np.where(i > 20, 0.2 * (i - 20), 0.0) + 0.08 * rng.standard_normal(50)
    judged = judge(tmp_path / "run", {"loss": train.tolist(), "val_loss": val.tolist()})
    assert [a.kind for a in judged.bells] == ["overfitting"]
