"""A training loss back above its start after learning clearly, held two points in a row, is diverging: it left the
range it made. It rang three epochs late when it landed under ten times its best (the slow rule's confirmation).
A loss logged alone back at its start read ``converged``, and a ``spike`` said it "came back": it lost progress."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from judging_helpers import judge, judge_folder
from tensorboardX import SummaryWriter

from tui.cli.main import main
from tui.judging.verdict import fmt_apart


def _epochs(jump_at: int = 200, n: int = 230, scale: float = 1.0, shift: float = 0.0) -> dict[str, list[float]]:
    """Both curves fall from about 2.3 to 0.35 in 230 epochs of noise 0.01; from ``jump_at`` both sit back at their
    start (an LR blow-up to chance, 6.7 times the best, under the ratio test's 10)."""
    rng = np.random.default_rng(0)
    x = np.arange(n)
    train = 0.3 + 2.0 * np.exp(-x / 57.5) + rng.normal(0, 0.01, n)
    val = 0.35 + 2.04 * np.exp(-x / 57.5) + rng.normal(0, 0.01, n)
    train[jump_at:] += 2.0
    val[jump_at:] += 2.04
    return {"train_loss": list(train * scale + shift), "val_loss": list(val * scale + shift)}


def _lone(folder: Path, to: float, n: int = 3000, jump_at: int = 2500) -> None:
    """A language model's loss logged every 10 steps, alone: 10.8 falling to 2.2, then at ``jump_at`` to ``to``."""
    rng = np.random.default_rng(0)
    loss = 2.2 + 8.6 * np.exp(-np.arange(n) / 150) + rng.normal(0, 0.05, n)
    loss[jump_at:] = to + rng.normal(0, 0.1, n - jump_at)
    with SummaryWriter(str(folder)) as writer:
        for index, value in enumerate(loss.tolist()):
            writer.add_scalar("train/loss", value, (index + 1) * 10, walltime=1000.0 + index)


def test_both_curves_back_at_their_start_ring_one_point_after(tmp_path: Path):
    judged = judge(tmp_path / "run", _epochs())
    [bell] = judged.bells
    assert (bell.step, bell.kind, bell.tag) == (201, "diverging", "train_loss")
    assert bell.reason.startswith("train_loss back above its start 2.301: 2.355 at step 201 and the point before")


def test_the_same_curves_scaled_and_shifted_ring_alike(tmp_path: Path):
    for index, (scale, shift) in enumerate([(1e-4, 0.0), (1e3, 0.0), (1.0, -1.0)]):
        judged = judge(tmp_path / f"run{index}", _epochs(scale=scale, shift=shift))
        assert [(bell.step, bell.kind) for bell in judged.bells] == [(201, "diverging")], (scale, shift)


def test_a_climb_above_the_start_before_learning_is_no_divergence(tmp_path: Path):
    """A warm-up: training climbs 40 % above its first point for six epochs, then learns."""
    x = np.arange(120)
    warm = 1 + 0.4 * np.minimum(x, 6) / 6
    rng = np.random.default_rng(1)
    train = 2.3 * warm * np.exp(-np.maximum(x - 6, 0) / 30) + 0.3 + rng.normal(0, 0.01, 120)
    val = train + 0.05 + rng.normal(0, 0.01, 120)
    assert judge(tmp_path / "run", {"train_loss": list(train), "val_loss": list(val)}).bells == []


def test_a_swinging_loss_whose_swings_reach_its_start_is_no_divergence(tmp_path: Path):
    """A WRN under Adam at a learning rate of 0.04 (held out, labelled healthy): training swings between 0.7 and
    2.8 and twice in a row reached past its start 2.78. Calm at its low, it had learned 2.1, under five of the
    swings it makes now (0.46)."""
    rng = np.random.default_rng(1)
    x = np.arange(160)
    swing = np.where(x < 30, 0.2, 0.55)  # calm as it learned, swinging since
    train = 0.9 + 1.9 * np.exp(-x / 3) + np.minimum(np.abs(rng.standard_normal(160)) * swing, 1.8)
    train[0] = 2.78
    train[47], train[48] = 3.9, 3.3
    val = train * 1.05 + rng.normal(0, 0.02, 160)
    judged = judge(tmp_path / "run", {"train_loss": list(train), "val_loss": list(val)})
    assert not any(bell.kind == "diverging" for bell in judged.bells)


def test_a_lone_loss_back_above_its_start_lost_its_progress_and_is_not_converged(tmp_path: Path, capsys):
    """Alone, a loss's start may be a blow-up in its first steps (a CIFAR-10 net at 13.6 falling to 5, labelled
    stuck): a level back at its start, short of the ratio test, is told as progress lost (check exits 1), not rung;
    it read ``converged`` ("done: keep the best checkpoint"), and a ``spike`` said it came back."""
    _lone(tmp_path / "run", to=11.0)
    judged = judge_folder(tmp_path / "run")
    assert judged.bells == []
    assert not any(alert.kind == "spike" for alert in judged.alerts)  # the loss never came back
    assert judged.verdict.kind == "plateau"
    assert judged.verdict.reason.startswith("back since step 25,050: train/loss at 10.95, 102% of the way")
    assert main(["check", str(tmp_path)]) == 1
    assert "the run lost progress it had made" in capsys.readouterr().out


def test_a_lone_loss_that_jumps_back_most_of_the_way_lost_its_progress(tmp_path: Path, capsys):
    """61 % of the way back to its start, then flat for 500 points: not ``converged`` ("done: keep the best
    checkpoint"), and no bell (short of its start, as two curves back are)."""
    _lone(tmp_path / "run", to=7.5)
    judged = judge_folder(tmp_path / "run")
    assert judged.bells == []
    assert judged.verdict.kind == "plateau"
    assert judged.verdict.reason.startswith("back since step 25,050: train/loss at 7.4")
    assert "of the way from its best level 2.1" in judged.verdict.reason
    assert main(["check", str(tmp_path)]) == 1
    capsys.readouterr()


def test_a_per_batch_level_that_moves_up_and_stays_is_no_spike(tmp_path: Path):
    """A per-batch loss whose level steps up for good, beside validation every 1,000 steps: it rings before the
    next validation point, and no spike says it came back (the running level catches up with it; the spike rule's
    own test is the lone curve's above, whose blow-up rings no bell to hide a spike behind)."""
    rng = np.random.default_rng(0)
    steps = np.arange(0, 20_001, 10)
    train = (0.3 + 2.0 * np.exp(-steps / 4000)) * np.exp(rng.normal(0, 0.15, len(steps)))
    train[steps >= 15_000] = 2.3 * np.exp(rng.normal(0, 0.15, int((steps >= 15_000).sum())))
    val_steps = np.arange(1000, 20_001, 1000)
    val = 0.36 + 2.0 * np.exp(-val_steps / 4000) + rng.normal(0, 0.005, len(val_steps))
    val[val_steps >= 16_000] = 2.35
    with SummaryWriter(str(tmp_path / "run")) as writer:
        points = [(int(s), "train/loss", float(v)) for s, v in zip(steps, train, strict=True)]
        points += [(int(s), "val/loss", float(v)) for s, v in zip(val_steps, val, strict=True)]
        for step, tag, value in sorted(points):
            writer.add_scalar(tag, value, step, walltime=1000.0 + step)
    judged = judge_folder(tmp_path / "run")
    assert not any(alert.kind == "spike" and alert.step >= 15_000 for alert in judged.alerts)
    bell = judged.first("diverging")
    assert bell is not None and 15_000 < bell.step < 16_000, bell


def test_a_value_just_above_its_start_is_written_apart_from_it():
    """A per-batch level at 2.2071 over a start of 2.2068 read "at 2.207 … above 2.207": with more digits where four
    read the same, and as every reason writes numbers elsewhere."""
    assert fmt_apart(2.2071, 2.2068) == ("2.2071", "2.2068")
    assert fmt_apart(2.20712e-5, 2.20705e-5) == ("2.20712e-05", "2.20705e-05")
    assert fmt_apart(3.309, 2.778) == ("3.309", "2.778")
