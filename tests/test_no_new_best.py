"""``no-new-best``: a ``learning`` verdict beside a validation curve that stopped improving long ago says so.

A real CIFAR-10 net (DeepOBS, momentum at lr 0.01) wanders between 1.7 and 2.0 from its fifth epoch to its hundredth,
its best at epoch 28: its direction hidden by its noise, it read "no trouble seen: keep training" with the flag
``noisy-val``, "not a concern". Each run is judged as ``check`` reads it and as the live view sees it.
"""

from __future__ import annotations

from conftest import DATA, run_main
from judging_helpers import DEEPOBS, deepobs, flat_after, judge

from tui.judging.kinds import Kind
from tui.live.monitor import Monitor

STOPPED = "cifar10_3c3d-mom-lr1.00e-02-s42"


def test_a_run_that_stopped_improving_long_ago_is_flagged_with_its_numbers(tmp_path):
    judged = deepobs(tmp_path, STOPPED)
    verdict = judged.verdict
    assert verdict.kind == Kind.LEARNING and Kind.NO_NEW_BEST in verdict.flags
    said = verdict.flags[Kind.NO_NEW_BEST]
    assert said.startswith("val_loss has set no new best level for ") and "of its 101 points" in said
    since = int(said.split("for ", 1)[1].split(" ", 1)[0])
    assert since >= 50  # half the run at least
    assert not verdict.reason.startswith("no trouble seen") and Kind.NOISY_VAL not in verdict.flags
    assert "no-new-best" not in judged.kinds()  # a flag: no alert, no bell


def test_check_says_it_with_its_advice(tmp_path):
    run = DEEPOBS[STOPPED]
    judge(tmp_path / "run", {"train_loss": run["train"], "val_loss": run["val"]})
    out = run_main("check", str(tmp_path / "run"), columns=200)
    assert out.returncode == 0  # learning: no attention needed
    assert "no-new-best  validation stopped improving: keep its best checkpoint" in out.stdout
    assert ".: no-new-best: val_loss has set no new best level for" in out.stdout


def test_a_noisy_run_still_improving_is_not_flagged():
    """The shared fixture ``noisy-7`` (40 validation images): jagged, improving to its end."""
    monitor = Monitor(str(DATA / "torch"))
    monitor.refresh()
    assert Kind.NO_NEW_BEST not in monitor.verdict("noisy-7").flags


def test_a_run_that_converged_is_told_converged_not_flagged(tmp_path):
    """Flat after 30 epochs with its learning rate decayed: ``converged`` says it is done; the flag is for
    ``learning`` alone."""
    lr = [0.1 if i < 30 else 0.01 for i in range(80)]
    judged = judge(tmp_path / "run", {"train_loss": flat_after(80, 20), "val_loss": flat_after(80, 20), "lr": lr})
    assert judged.verdict.kind == Kind.CONVERGED and Kind.NO_NEW_BEST not in judged.verdict.flags
