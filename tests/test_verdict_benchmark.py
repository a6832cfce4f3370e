"""The verdict benchmark's scoring: what the README's quality table is computed with."""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))

from corpus import HINDSIGHT, hindsight_slope
from verdicts import PATIENCES, hindsight_name, keras_patience, markdown, summarize


def _row(kind: str, val: list[float], onset: int | None, overfit_at: int | None) -> dict:
    return {
        "run": kind,
        "kind": kind,
        "onset": onset,
        "overfit_at": overfit_at,
        "diverge_at": None,
        "patience5": keras_patience(val),
        "gl5": None,
        "kinds": [],
        "patience": {p: keras_patience(val, p) for p in PATIENCES},
    }


def test_patience_is_also_compared_at_zero_false_alarms():
    # Overfits from index 10 on; the healthy run goes 7 epochs without a new best before improving again.
    overfit = [1.0 - 0.05 * i for i in range(11)] + [0.5 + 0.01 * i for i in range(1, 40)]
    healthy = [1.0 - 0.05 * i for i in range(6)] + [0.8] * 7 + [0.6 - 0.01 * i for i in range(20)]
    rows = [_row("overfit", overfit, onset=10, overfit_at=20), _row("healthy", healthy, onset=None, overfit_at=None)]
    summary = summarize(rows)
    assert summary["keras patience=5"]["false alarms"] == 1  # patience-5 stops the healthy run
    quiet = summary["keras patience=8"]  # the smallest patience that lets the healthy run through
    assert quiet["false alarms"] == 0 and quiet["premature"] == 0
    assert quiet["mean delay"] == 8  # stops at index 18, eight points after the onset
    assert "keras patience=7" not in summary
    assert summary["losswatch"]["mean delay"] == 10


def test_hindsight_slope_fires_on_a_known_rise_and_never_before_the_onset():
    rng = np.random.default_rng(0)
    noise = rng.normal(0.0, 0.01, 60)
    val = np.concatenate((np.linspace(1.0, 0.5, 21), 0.5 + 0.005 * np.arange(1, 40))) + noise
    for anchored in (False, True):
        at = hindsight_slope(val.tolist(), 20, 3.0, anchored)
        assert at is not None and 20 < at <= 32  # half a sigma a point: about ten points to be sure
        assert hindsight_slope(val.tolist(), 20, 1.645, anchored) <= at  # a looser bound is never later


def test_anchoring_the_line_at_the_onset_level_confirms_a_rise_sooner():
    # Pinning the line at the level of the onset leaves only the slope to estimate.
    free_later = 0
    for seed in range(40):
        noise = np.random.default_rng(seed).normal(0.0, 0.01, 60)
        val = (np.concatenate((np.full(21, 0.5), 0.5 + 0.003 * np.arange(1, 40))) + noise).tolist()
        free, anchored = hindsight_slope(val, 20, 3.0), hindsight_slope(val, 20, 3.0, anchored=True)
        assert anchored is not None and anchored > 20
        free_later += free is None or free > anchored
    assert free_later >= 30


def test_hindsight_slope_false_alarm_rates_on_flat_noise_are_what_the_docstring_says():
    fired = {test: 0 for test in HINDSIGHT}
    for seed in range(200):
        val = (0.5 + np.random.default_rng(seed).normal(0.0, 0.02, 80)).tolist()
        for test in HINDSIGHT:
            fired[test] += hindsight_slope(val, 10, *test) is not None
    assert 60 <= fired[1.645, False] <= 120  # about 45 %: a 5 % test at each of 70 looks
    assert 8 <= fired[3.0, False] <= 32  # about 10 %
    assert 70 <= fired[1.645, True] <= 125  # about 48 %
    assert 30 <= fired[3.0, True] <= 60  # about 22 %: a low anchor biases every look


def test_hindsight_rows_are_reported_without_false_alarm_counts():
    rng = np.random.default_rng(1)
    overfit = np.concatenate((np.linspace(1.0, 0.5, 11), 0.5 + 0.01 * np.arange(1, 40))) + rng.normal(0, 0.01, 50)
    row = _row("overfit", overfit.tolist(), onset=10, overfit_at=20)
    row["hindsight"] = {test: hindsight_slope(overfit.tolist(), 10, *test) for test in HINDSIGHT}
    summary = summarize([row])
    assert summary[hindsight_name(3.0)]["caught"] == 1
    assert summary[hindsight_name(3.0, anchored=True)]["caught"] == 1
    table = markdown(summary)
    assert "told the onset) | 1 | 1 |" in table and "| n/a | n/a |" in table
