"""Who sets the bar of behind-peers: runs already told behind count as they stood when told, so the pool does not
shrink to ever faster runs until the slow run that ends best is behind them too."""

from __future__ import annotations

import numpy as np

from tui.judging.sweeps import SweepJudge

EPOCHS = 86


def _grid_sweep(noise: float = 0.01, seed: int = 350) -> dict[str, np.ndarray]:
    """Eight learning rates on a 3x grid: each run three times slower than the one before, the three fastest
    ending lower the slower they are (0.70, 0.64, 0.59), the five slowest too slow to get anywhere near."""
    rng = np.random.default_rng(seed)
    epochs = np.arange(EPOCHS + 1, dtype=float)
    curves = {}
    for i in range(8):
        floor = 0.719 - 0.061 * i
        curve = floor + (2.3 - floor) * np.exp(-epochs / (1.41 * 3.0**i))
        curves[f"lr={0.3 / 3.0**i:.3g}"] = curve * (1 + rng.normal(0, noise, epochs.size))
    return curves


def _behind(curves: dict[str, np.ndarray], lockstep: bool, stop: bool = False) -> dict[str, int]:
    """Run -> the step it was told behind, the sweep fed at once or epoch by epoch (``stop``: a run told
    behind is stopped there, as a user following the advice does)."""
    judge = SweepJudge()
    epochs = np.arange(EPOCHS + 1)
    ends = dict.fromkeys(curves, EPOCHS + 1)
    for upto in range(1, EPOCHS + 2) if lockstep else [EPOCHS + 1]:
        for advice in judge.update(
            {name: (epochs[: min(upto, ends[name])].astype(float), epochs, c) for name, c in curves.items()}
        ):
            if stop:
                ends[advice.run] = advice.step + 1
    return {name: advice.step for name, advice in judge.behind.items()}


def test_the_slow_run_that_ends_best_is_not_behind_once_the_slower_runs_were_told():
    """It was: the five slowest told behind by step 14 left the pool, and at step 28 the run that ends best
    (0.59) was behind the two faster runs' median (+10.2 %, 5.6x its noise; '3 peers')."""
    curves = _grid_sweep()
    best = min(curves, key=lambda name: float(np.min(curves[name])))
    assert best == "lr=0.0333"
    for lockstep, stop in ((False, False), (True, False), (True, True)):
        behind = _behind(curves, lockstep, stop)
        assert best not in behind, (lockstep, stop, behind)
        assert {"lr=0.00123", "lr=0.000412", "lr=0.000137"} <= set(behind)  # the hopeless ones still are


def test_a_run_told_behind_sets_the_bar_as_it_stood_when_told_whatever_it_did_after():
    """Stopped there, or gone on and got better: the advice after is the same, so following it or not (and
    reading the finished logs with replay) changes nothing of what the others are told."""
    curves = _grid_sweep()
    went_on = _behind(curves, lockstep=True)
    stopped = _behind(curves, lockstep=True, stop=True)
    assert went_on == stopped
