"""A net that overfits fast: its validation climbs, then steps up. The step continues a rise, and the bell
does not wait for it as it waits for a few spoiled evaluations on a calm curve (``tests/test_diverging.py``)."""

from __future__ import annotations

from judging_helpers import DEEPOBS, judge


def test_a_step_up_that_continues_a_rise_the_level_test_stood_on_rings_at_the_step(tmp_path):
    """A real FMNIST CNN (the held-out DeepOBS problem ``fmnist_2c2d``, SGD at lr 0.158, seed 43): validation
    0.287 → 0.329 in five epochs while training falls, then a step to 0.381 that stays. The level before the step
    already stood the level test, so the bell rings at the step's epoch; it waited six epochs more, until the
    step left the latest eight points, when any step that carried half the rise was read as spoiled evaluations."""
    run = DEEPOBS["fmnist_2c2d-sgd-lr1.58e-01-s43"]
    judged = judge(tmp_path / "run", {"train_loss": run["train"], "val_loss": run["val"]})
    assert run["val"][12] - max(run["val"][9:12]) > 0.5 * (run["val"][12] - min(run["val"][:12]))  # it is a jump
    assert [(a.step, a.kind) for a in judged.bells][:1] == [(13, "overfitting")]
    assert judged.first("val-rising").step == 11
