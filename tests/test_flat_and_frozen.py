"""Real DeepOBS curves a reviewer fed the engine as most training loops log them, from the first epoch on (without
DeepOBS' point before training), and as loggers round them: each rang a bell on a healthy or stuck net.

* Rounded to two decimals, or a float32 near 1e6 (steps of 0.0625): most differences are exactly 0, the noise read
  nothing, and one step up stood any number of noise deviations (``resolution.resolution``).
* A CNN parked at chance, its losses flickering by a float32 step after a first step of 1.3e-4 up from its best:
  a net that stopped changing is not overfitting (``resolution.unmoved``).
* VAEs parked at 68, a positive loss that never moved 1 % from its start: their wander is no divergence
  (``diverging.parked_at_start``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from judging_helpers import DEEPOBS, judge

from tui.judging.resolution import resolution
from tui.judging.windows import curve_noise

HEALTHY_LSTM = "tolstoi_char_rnn-adam-lr2.51e-03-s43"


def _from_first_epoch(name: str, change=lambda values: values) -> dict[str, list[float]]:
    """A DeepOBS run without its point before training, ``change`` applied to both curves."""
    run = DEEPOBS[name]
    return {
        tag: change(np.asarray(run[key][1:], dtype=float)).tolist()
        for tag, key in (("loss", "train"), ("val_loss", "val"))
    }


def test_resolution_is_the_step_a_curve_can_move_by():
    rows = np.array(
        [
            [1.27, 1.27, 1.28, 1.27, 1.27, 1.26],  # logged rounded to two decimals
            [1e6 + 1.25, 1e6 + 1.3125, 1e6 + 1.25, 1e6, 1e6, 1e6 + 0.0625],  # float32 near 1e6
            [0.6209834, 0.6354112, 0.686, 0.6399, 0.6388, 0.6151],  # a real curve: a float32's spacing
            [2.0, 2.0, 2.0, 2.0, 2.0, 2.0],  # one value (two would fit any grid too): a float32's spacing
            [np.nan, 5.0, 5.0, 5.5, np.inf, 5.25],
            [np.nan, np.nan, 0.5, 0.5, 0.6, 0.6],  # two values, padded: no grid (padding is no third value)
            [1e6, 1e6 + 0.0625, 1e6, 1e6, 1e6 + 0.125, 1e6],  # a float32 flickering near 1e6: its step, no grid of 1
        ]
    )
    np.testing.assert_allclose(resolution(rows), [0.01, 0.0625, 2.0**-24, 2.0**-22, 0.01, 2.0**-24, 0.0625])
    assert curve_noise(np.round(np.linspace(1.0, 1.05, 40), 2)) == pytest.approx(0.01 / np.sqrt(12.0))


@pytest.mark.parametrize("decimals", [2, 3])
def test_a_healthy_curve_logged_rounded_rings_no_bell(tmp_path: Path, decimals: int):
    """Two decimals rang overfitting at 1.27 -> 1.28 'on a curve without noise'."""
    judged = judge(tmp_path / "run", _from_first_epoch(HEALTHY_LSTM, lambda v: np.round(v, decimals)))
    assert judged.bells == []


def test_a_healthy_curve_near_a_million_rings_no_bell(tmp_path: Path):
    """Written as float32, 1e6 + 1.26 moves in steps of 0.0625 (30 times the curve's noise): it rang overfitting.
    What it learned late is below what the file holds, so its verdict may read flat where the same curve near 1
    reads learning; no bell either way."""
    plain = judge(tmp_path / "plain", _from_first_epoch(HEALTHY_LSTM))
    lifted = judge(tmp_path / "lifted", _from_first_epoch(HEALTHY_LSTM, lambda v: v + 1e6))
    assert plain.bells == [] and lifted.bells == []


def test_a_net_parked_at_chance_rings_no_bell(tmp_path: Path):
    """It rang overfitting at step 12 for 2.332942 -> 2.333071, its losses repeating to the seventh digit since."""
    judged = judge(tmp_path / "run", _from_first_epoch("fmnist_2c2d-mom-lr2.51e-01-s42"))
    assert judged.bells == [] and judged.verdict.kind == "plateau"


PARKED_VAES = ["fmnist_vae-mom-lr6.31e-04-s42", "fmnist_vae-mom-lr2.51e-03-s42"]


@pytest.mark.parametrize("name", PARKED_VAES)
def test_a_vae_parked_at_its_start_rings_no_bell(tmp_path: Path, name: str):
    """Two VAEs collapsed at 68 in their first epoch learn 0.05 to 0.17 more (under 1 % of their loss), then both
    curves drift back to their start. Against their tiny range that read "back past half-way": they rang diverging
    (and one overfitting). A positive loss that never left 1 % of its first value learned nothing: nothing there is
    blowing up or memorising (``diverging.parked_at_start``): a plateau, whatever its directions read."""
    judged = judge(tmp_path / "run", _from_first_epoch(name))
    assert judged.bells == []
    assert judged.verdict.kind == "plateau" and "loss never 1% below its start" in judged.verdict.reason
    assert "the net has learned nothing" in judged.verdict.reason


@pytest.mark.parametrize("name", PARKED_VAES)
def test_a_parked_vae_that_climbs_out_of_its_band_is_diverging(tmp_path: Path, name: str):
    """The band is no licence: climbing on past 1 % above its start, both curves rising steadily, it diverges."""
    curves = _from_first_epoch(name)
    for tag in curves:
        curves[tag] = curves[tag][:60] + [curves[tag][59] + 0.08 * k for k in range(1, 31)]
    judged = judge(tmp_path / "run", curves)
    assert [alert.kind for alert in judged.bells] == ["diverging"]
    assert "both rising" in judged.bells[0].reason and judged.bells[0].step > 60  # out of the band, not before


@pytest.mark.parametrize("name", PARKED_VAES)
def test_a_loss_that_can_be_negative_has_no_band(tmp_path: Path, name: str):
    """Moved below zero, the same curves' level says nothing of progress: judged on their range and noise alone,
    giving back all they learned is diverging, as the requirements define it."""
    judged = judge(tmp_path / "run", _from_first_epoch(name, lambda values: values - 200.0))
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
    train = [1.3863, *(1.3863 + 0.004 + 0.003 * np.abs(rng.standard_normal(39)))]
    val = [1.3863, *(1.3863 + 0.002 + 0.002 * np.abs(rng.standard_normal(39)))]
    judged = judge(tmp_path / "run", {"loss": train, "val_loss": val})
    assert judged.verdict.kind == "plateau"
    assert "loss never 1% below its start 1.386 (now 1.39" in judged.verdict.reason
    assert "best level" not in judged.verdict.reason
