"""Validation climbing on and on while training keeps falling, past ten times its best: the overfitting goes on,
and its bell rang; it rang a second, wrong-kind bell, ``diverging`` ("val_loss exploded ... 10x its lowest"),
whose advice is a learning rate too high."""

from __future__ import annotations

import numpy as np
from judging_helpers import judge


def test_an_overfitting_run_whose_validation_climbs_tenfold_stays_overfitting(tmp_path):
    epochs = np.arange(300)
    train = 2.0 / (1 + 0.08 * epochs)  # falls the whole way
    val = 2.1 / (1 + 0.08 * epochs) + np.clip(epochs - 40, 0, None) * 0.02  # best near 0.5, then +0.02 an epoch
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [a.kind for a in judged.bells] == ["overfitting"]
    assert judged.verdict.kind == "overfitting"


def test_validation_that_explodes_while_training_stops_falling_still_rings_diverging(tmp_path):
    epochs = np.arange(120)
    train = 2.0 / (1 + 0.08 * epochs)
    val = 2.1 / (1 + 0.08 * epochs) + np.clip(epochs - 40, 0, None) * 0.005
    train[90:] = train[89]  # training stalls ...
    val[90:] = 40.0  # ... and validation blows up
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert "diverging" in [a.kind for a in judged.bells]
