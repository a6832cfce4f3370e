"""The hindsight-bars study (``benchmarks/hindsight_bars.py``): it reads the engine's own figures at the points
where the overfitting bell could ring, and scores bars fitted on the quiet runs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))

from hindsight_bars import record, score

from tui.judging import rising

TORCH = Path(__file__).parent / "data" / "torch"


def test_record_keeps_the_figures_of_a_real_overfitting_run_and_puts_the_judge_back():
    judge = rising.Rise.at
    label = json.loads((TORCH / "labels.json").read_text())["overfit-7"]
    suite, name, kind, onset, points = record(("fixtures", str(TORCH / "overfit-7"), dict(label, id="overfit-7")))
    assert rising.Rise.at is judge
    assert (suite, name, kind, onset) == ("fixtures", "overfit-7", "overfit", 14)
    after = [p for p in points if p["index"] >= onset + 8]
    assert after, "no point where the bell could ring after the labelled onset"
    # Validation climbs while training falls: far above its floor for its noise, with training falling.
    assert max(p["level"] for p in after) > 5 and any(p["falling"] for p in after)
    assert all(p["index"] > 0 for p in points)  # the first point is a best: the bell could not ring there


def test_a_bar_at_the_quiet_runs_peak_rings_none_of_them_and_scores_the_overfitting_runs():
    quiet = ("s", "flat", "healthy", None, [{"index": 5, "level": 3.0, "falling": True}])
    early = ("s", "early", "overfit", 10, [{"index": 6, "level": 3.5, "falling": True}])
    later = (
        "s",
        "later",
        "overfit",
        10,
        [{"index": 12, "level": 2.0, "falling": True}, {"index": 14, "level": 4.0, "falling": True}],
    )
    held = ("s", "held", "overfit", 10, [{"index": 11, "level": 9.0, "falling": False}])
    runs = [quiet, early, later, held]
    # false bells | caught | premature | median delay | within 8
    assert score(runs, {"level": 3.0}, falling=True) == "0 | 1 | 1 | 4 | 1"
    assert score(runs, {"level": 3.0}, falling=False) == "0 | 2 | 1 | 2.5 | 2"
    assert score(runs, {"level": 2.5}, falling=True) == "1 | 1 | 1 | 4 | 1"
