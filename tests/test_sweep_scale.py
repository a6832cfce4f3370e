"""A big sweep costs its points, not its points times its runs: the shared pool gives the advice a naive one gives."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sweep_fixtures import EPOCHS, lr_sweep

from tui.judging import sweeps
from tui.judging.sweep_advice import CaughtUp
from tui.judging.sweeps import SweepJudge, SweepRules

EPOCH = np.arange(EPOCHS + 1, dtype=np.float64)


class _NaivePool:
    """The pool as the advice defines it, rebuilt for each run: np.median, a stable sort, every bent asked anew."""

    def __init__(self, judge: SweepJudge, reference: float) -> None:
        self.entrants = judge._entrants(reference)
        self.rules = judge.rules

    def _without(self, name: str) -> list:
        return [(peer, i) for other, peer, i in self.entrants if other != name]

    def size(self, name: str) -> int:
        return len(self._without(name))

    def settled(self, name: str) -> bool:
        ranked = sorted(self._without(name), key=lambda peer_index: peer_index[0].best[peer_index[1]])
        better = ranked[: math.ceil(len(ranked) / 2)]
        slowed = sum(peer._bent(i, self.rules.bend, self.rules.min_points) for peer, i in better)
        return 2 * slowed >= len(better)

    def median(self, name: str) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.median([peer.best[i] for peer, i in self._without(name)]))


class NaiveJudge(SweepJudge):
    def _pool(self, reference: float):  # type: ignore[override]
        return _NaivePool(self, reference)


def _tied_sweep(seed: int) -> dict[str, np.ndarray]:
    """Runs with equal bests (ties decide who is in the better half), NaN runs, a flat run, a rising one."""
    curves = lr_sweep(seed, nan_runs=3)
    rng = np.random.default_rng(seed)
    for k in range(4):
        curves[f"copy{k}"] = np.round(curves["lr=0.03"] * (1 + rng.normal(0, 0.02, EPOCH.size)), 2)
        curves[f"twin{k}"] = curves["lr=0.01"].copy()
    curves["flat"] = np.full(EPOCH.size, 2.3)
    curves["rising"] = 2.3 + EPOCH * 0.01
    return curves


def _advice(judge: SweepJudge, curves: dict[str, np.ndarray], rounds: int = 1) -> dict:
    cuts = np.linspace(0, EPOCH.size, rounds + 1).astype(int)[1:]
    for end in cuts:
        judge.update({name: (EPOCH[:end], EPOCH[:end].astype(int), v[:end]) for name, v in curves.items()})
    return {name: (a.step, a.median, a.peers, a.reason()) for name, a in judge.behind.items()}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "rules", [SweepRules(), SweepRules(slower=1.0), SweepRules(slower=1.5, z=1.0, min_points=3, bend=0.3)]
)
@pytest.mark.parametrize("rounds", [1, 7])
def test_the_shared_pool_gives_the_advice_of_a_pool_built_per_run(seed, rules, rounds):
    curves = _tied_sweep(seed)
    fast = _advice(SweepJudge(rules), curves, rounds)
    assert fast  # it does stop something
    assert fast == _advice(NaiveJudge(rules), curves, rounds)


def test_runs_at_their_own_steps_get_the_advice_of_a_pool_built_per_run():
    """Not in lockstep: every run validates at its own steps, every decision has a reference of its own."""
    curves = _tied_sweep(1)
    rng = np.random.default_rng(3)
    steps = {name: np.cumsum(rng.integers(90, 110, EPOCH.size)).astype(np.float64) for name in curves}

    def advice(judge: SweepJudge) -> dict:
        judge.update({name: (steps[name], steps[name].astype(int), v) for name, v in curves.items()})
        return {name: (a.step, a.median, a.peers) for name, a in judge.behind.items()}

    fast = advice(SweepJudge())
    assert fast and fast == advice(NaiveJudge())


def test_a_sweep_of_300_runs_asks_each_point_whether_it_slowed_down_once(monkeypatch):
    """The grace period reads each run's bend at each point at most once, and each pool is built once per point:
    a lockstep sweep of 300 runs of 61 points made 1.3 million such calls when every run built its own pool."""
    rng = np.random.default_rng(0)
    curves = {}
    for lr in np.geomspace(1e-4, 1.0, 300):
        floor = 0.3 + 3.0 * lr
        curves[f"lr={lr:.6g}"] = (floor + (2.3 - floor) * np.exp(-EPOCH * lr * 30.0)) * (1 + rng.normal(0, 0.01, 61))
    calls = {"bent": 0, "pools": 0}
    bent, entrants = sweeps._Run._bent, SweepJudge._entrants

    def counted_bent(self, *args):
        calls["bent"] += 1
        return bent(self, *args)

    def counted_entrants(self, *args):
        calls["pools"] += 1
        return entrants(self, *args)

    monkeypatch.setattr(sweeps._Run, "_bent", counted_bent)
    monkeypatch.setattr(SweepJudge, "_entrants", counted_entrants)
    judge = SweepJudge()
    judge.update({name: (EPOCH, EPOCH.astype(int), v) for name, v in curves.items()})
    assert judge.behind  # it judged, and stopped some
    assert calls["bent"] <= 300 * EPOCH.size
    caught_up = sum(isinstance(event, CaughtUp) for event in judge.history)
    assert calls["pools"] <= EPOCH.size + caught_up  # a run counted as told that caught up changes its pool
