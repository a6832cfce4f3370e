"""Validation at its best at its first evaluation, then rising while training falls: a net that learned before it
was first evaluated (fine-tuned, or trained many passes per point). Real runs (``cnn-first-best-bigval`` of
``benchmarks/realnets.py``: a CNN on 100 digits, 15 passes per point, validated on 11,200 images) doubled their
validation loss and were judged ``learning`` to the end ("keep training"): with no progress to measure the rise
against (validation never below its start), no rise was looked at. The noise-relative tests still hold, and the
reason says the curve never got clearly below its start."""

from __future__ import annotations

import pytest
from judging_helpers import REALNETS, realnet

FIRST_BEST = sorted(name for name in REALNETS if name.startswith("cnn-first-best-bigval"))


def test_there_are_real_runs_of_this_kind():
    assert len(FIRST_BEST) >= 4
    assert all(REALNETS[name]["kind"] == "overfit" and REALNETS[name]["onset"] <= 1 for name in FIRST_BEST)


@pytest.mark.parametrize("name", FIRST_BEST)
def test_a_validation_curve_rising_from_its_first_point_rings_overfitting_within_ten_points(tmp_path, name):
    judged, onset = realnet(tmp_path, name)
    assert [a.kind for a in judged.bells] == ["overfitting"]
    assert onset < judged.bells[0].step <= 10
    assert judged.verdict.kind == "overfitting"


def test_the_reason_says_it_never_got_below_its_start(tmp_path):
    reasons = [realnet(tmp_path / name, name)[0].bells[0].reason for name in FIRST_BEST]
    assert all("never clearly below its start" in reason for reason in reasons), reasons  # no share of no range
    assert all("since its best level at step" in reason and "train still falling" in reason for reason in reasons)
