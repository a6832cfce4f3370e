"""An ``unstable`` reason read over points that hold a blow-up the run came back from says so.

A DeepOBS quadratic at Adam's learning rate 6.3 blows up to thousands in its first epochs, comes back, and is smooth
again near 100: judged afresh, its training noise (read over its latest 24 points) still held the blow-up, and the
reason said it "swings by ±" hundreds around a level it sat at calmly. Its verdict stands (a run that just blew up
has a learning rate too high); the reason now names what the swing is read on.
"""

from __future__ import annotations

from judging_helpers import deepobs

from tui.judging.kinds import Kind


def test_a_swing_read_over_a_blow_up_says_so(tmp_path):
    judged = deepobs(tmp_path, "quadratic_deep-adam-lr6.31e+00-s42")
    diverged = judged.first(Kind.DIVERGING)
    unstable = judged.first(Kind.UNSTABLE)
    assert diverged is not None and unstable is not None and unstable.step > diverged.step
    points = min(24, unstable.step + 1)  # one point per step: index = step
    assert unstable.reason.endswith(
        f"(its last {points} points, which its noise is read on, hold its blow-up from step {diverged.step:,})"
    ), unstable.reason


def test_a_swing_without_a_blow_up_says_nothing_of_one(tmp_path):
    """Plain SGD at lr 39.8 on a character LSTM swings from its first epochs, never blown up: no such words."""
    judged = deepobs(tmp_path, "tolstoi_char_rnn-sgd-lr3.98e+01-s42")
    unstable = judged.first(Kind.UNSTABLE)
    assert unstable is not None and "blow-up" not in unstable.reason
