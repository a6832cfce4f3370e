"""An `unstable` reason of a loss that made no progress says how far above its start it stands: a character LSTM
(momentum at lr 3.98) thrown to 21 from 4.4 read "swings by ±6.185 around 20.97, against 0 of progress since its
start 4.439", which hid that it sat nearly five times its start."""

from __future__ import annotations

from pathlib import Path

from judging_helpers import deepobs

from tui.judging.verdict import progress_words


def test_a_swinging_loss_above_its_start_says_how_far(tmp_path: Path):
    judged = deepobs(tmp_path, "tolstoi_char_rnn-mom-lr3.98e+00-s42")
    unstable = judged.first("unstable")
    assert unstable is not None
    assert "around 20.97, against no progress: 16.53 above its start 4.439" in unstable.reason
    assert "0 of progress" not in unstable.reason


def test_progress_made_is_said_as_before():
    assert progress_words(0.3953, 2.486, 2.778) == "0.3953 of progress since its start 2.778"
    assert progress_words(0.0, 2.0, 2.0) == "0 of progress since its start 2"  # at its start: no "above"
    assert progress_words(0.0, float("nan"), 2.0) == "0 of progress since its start 2"
