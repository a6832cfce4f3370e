"""A rise's reason names the step it is counted from: the last point of validation's best level (its lowest mean of
three), where "rising for N points" starts. It named the step of the lowest single point (the checkpoint to keep,
shown in the table's best column), which one lucky low point may put elsewhere: a reason said "since its best at
step 158" of a level 95 points later, and another warned "since its best at step 261" at step 261 itself."""

from __future__ import annotations

import numpy as np
from judging_helpers import judge


def _curves() -> dict[str, list[float]]:
    rng = np.random.default_rng(0)
    n = 70
    val = 2.0 * np.exp(-np.arange(n) / 5) + 1.0
    val[20:] = 1.0 + 0.01 * rng.standard_normal(n - 20)
    val[22] = 0.9  # one lucky low point: the checkpoint to keep
    val[30:33] = 0.97
    val[33:] = 0.99 + 0.004 * np.arange(n - 33) + 0.01 * rng.standard_normal(n - 33)
    train = 2.0 * np.exp(-np.arange(n) / 5) + 0.5 - 0.003 * np.arange(n)
    return {"train_loss": train.tolist(), "val_loss": val.tolist()}


def test_the_rise_is_counted_from_the_best_level_and_the_checkpoint_is_the_lowest_point(tmp_path):
    judged = judge(tmp_path / "run", _curves())
    bell = judged.first("overfitting")
    assert bell is not None
    # The best level: the mean of points 22-24 (0.9 and two near 1.0), lower than 30-32's 0.97.
    # ...and the lowest point the table's best column shows, so the two read together (a newcomer's find: the
    # table said '0.6212 @ 1,700' beside a reason '0.6245 → … since its best level at step 1,900')
    assert "since its best level at step 24 (best point 0.9 @ 22):" in bell.reason
    assert f"rising for {bell.step - 24} points" in bell.reason
    assert judged.verdict.best_step == 22  # the table's best column: the lowest point
