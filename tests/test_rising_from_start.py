"""A run whose losses rise from their first point on, never below it: diverging once both have doubled, steadily.

Its range (start minus best) is zero, so "back half-way from the best to the start" never held, and the run read
``learning, keep training`` until the loss was ten times its start (the explosion rule). Runs that blow up at once
and bounce, or jump and come down, are the other rules' (unstable, or nothing): on the benchmark's real runs the
rule changes nothing (it rang three healthy or stuck DeepOBS runs until it asked for a steady rise)."""

from __future__ import annotations

import pytest
from judging_helpers import DEEPOBS, deepobs, judge


@pytest.mark.parametrize("factor", [1.05, 1.1])
@pytest.mark.parametrize("start", [2.3, 0.02, -1.0])
def test_losses_rising_steadily_from_their_start_diverge(tmp_path, factor: float, start: float):
    train = [start + abs(start) * (factor**epoch - 1) for epoch in range(40)]
    val = [value + 0.05 * abs(start) for value in train]
    judged = judge(tmp_path / "run", {"train_loss": train, "val_loss": val})
    doubled = next(epoch for epoch, value in enumerate(train) if value - start > abs(start))
    (bell,) = judged.bells
    assert bell.kind == "diverging" and doubled < bell.step <= doubled + 3
    assert judged.verdict.kind == "diverging" and "both rising from their start, never below it" in bell.reason


def test_a_fast_rise_from_the_start_still_rings_by_its_explosion(tmp_path):
    """At 1.3 times per epoch the curve's bend reads as swinging against its start (the guard that keeps runs that
    bounce quiet): the explosion rule rings it, at ten times its start."""
    train = [2.3 * 1.3**epoch for epoch in range(25)]
    judged = judge(tmp_path / "run", {"train_loss": train, "val_loss": [1.05 * value for value in train]})
    assert [(a.kind, a.step) for a in judged.bells] == [("diverging", 9)]


@pytest.mark.parametrize("name", ["tolstoi_char_rnn-mom-lr3.98e+00-s42", "cifar10_3c3d-adam-lr3.98e-02-s42"])
def test_a_run_that_blows_up_at_once_and_bounces_or_comes_down_is_not_this_rule(tmp_path, name: str):
    """A char-RNN at 4 to 9 times its start, swinging, that then learns (healthy); a CNN that jumped to 8 times its
    start and came down, then again (stuck): no diverging bell for either."""
    assert DEEPOBS[name]["kind"] in ("healthy", "stuck")
    assert not [a for a in deepobs(tmp_path, name).bells if a.kind == "diverging"]
