"""A blow-up's reason says how many times its lowest point it rose only where the ratio is a number."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tui.judging.blowups import Blowup, exploded_words
from tui.live.monitor import Monitor


def test_a_blow_up_past_what_a_ratio_can_hold_says_no_infx(tmp_path: Path):
    """1.7e308 over a lowest of 0.5 is past the float limit: the reason said 'infx its lowest'."""
    epochs = np.arange(30)
    train = [*(2 * np.exp(-epochs / 6) + 0.5), 1.7e308, 1.7e308]
    val = [*(2 * np.exp(-epochs / 6) + 0.6), 1.0, 1.0]
    (tmp_path / "run").mkdir()
    lines = [
        json.dumps({"step": i, "loss": float(t), "val_loss": float(v)}) for i, (t, v) in enumerate(zip(train, val))
    ]
    (tmp_path / "run" / "log.jsonl").write_text("\n".join(lines) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    [alert] = [a for a in monitor.alerts if a.kind == "diverging"]
    assert "exploded to 1.7e+308" in alert.reason
    assert "infx" not in alert.reason and "from its lowest" in alert.reason


@pytest.mark.parametrize(
    ("value", "low", "said"),
    [(45.72, 4.328, "10.6x its lowest 4.328"), (2.144, 0.2017, "10.6x its lowest 0.2017"), (1.5e4, 0.2, "75,000x")],
)
def test_a_ratio_near_the_rule_is_not_rounded_past_it(value: float, low: float, said: str):
    """45.72 over 4.328 is 10.57, beside a rule of ten times: it read "11x its lowest"."""
    assert said in exploded_words(Blowup("val_loss", 40, value, low, 4.439), 40)
