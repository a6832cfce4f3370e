"""Real DeepOBS curves a reviewer fed the engine as most training loops log them, from the first epoch on (without
DeepOBS' point before training), and as loggers round them: each rang a bell on a healthy or stuck net.

* Rounded to two decimals, or a float32 near 1e6 (steps of 0.0625): most differences are exactly 0, the noise read
  nothing, and one step up stood any number of noise deviations (``resolution.resolution``).
* A CNN parked at chance, its losses flickering by a float32 step after a first step of 1.3e-4 up from its best:
  a net that stopped changing is not overfitting (``resolution.unmoved``).
* VAEs parked at 68: ``tests/test_parked_at_start.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from judging_helpers import from_first_epoch, judge

from tui.judging.resolution import resolution
from tui.judging.windows import curve_noise

HEALTHY_LSTM = "tolstoi_char_rnn-adam-lr2.51e-03-s43"


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
    judged = judge(tmp_path / "run", from_first_epoch(HEALTHY_LSTM, lambda v: np.round(v, decimals)))
    assert judged.bells == []


def test_a_healthy_curve_near_a_million_rings_no_bell(tmp_path: Path):
    """Written as float32, 1e6 + 1.26 moves in steps of 0.0625 (30 times the curve's noise): it rang overfitting.
    What it learned late is below what the file holds, so its verdict may read flat where the same curve near 1
    reads learning; no bell either way."""
    plain = judge(tmp_path / "plain", from_first_epoch(HEALTHY_LSTM))
    lifted = judge(tmp_path / "lifted", from_first_epoch(HEALTHY_LSTM, lambda v: v + 1e6))
    assert plain.bells == [] and lifted.bells == []


def test_a_net_parked_at_chance_rings_no_bell(tmp_path: Path):
    """It rang overfitting at step 12 for 2.332942 -> 2.333071, its losses repeating to the seventh digit since."""
    judged = judge(tmp_path / "run", from_first_epoch("fmnist_2c2d-mom-lr2.51e-01-s42"))
    assert judged.bells == [] and judged.verdict.kind == "plateau"
