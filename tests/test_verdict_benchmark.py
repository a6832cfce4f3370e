"""The verdict benchmark's scoring: what the README's quality table is computed with."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))

from verdicts import PATIENCES, keras_patience, summarize  # noqa: E402


def _row(kind: str, val: list[float], onset: int | None, overfit_at: int | None) -> dict:
    return {"run": kind, "kind": kind, "onset": onset, "overfit_at": overfit_at, "diverge_at": None,
            "patience5": keras_patience(val), "gl5": None, "kinds": [],
            "patience": {p: keras_patience(val, p) for p in PATIENCES}}


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
