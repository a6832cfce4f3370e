"""The stop-early advice itself (judging/sweeps.py): only the past, NaN runs, late bloomers, scale-free."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sweep_fixtures import EPOCHS, late_bloomer_sweep, lr_sweep

from tui.judging.sweep_advice import Behind
from tui.judging.sweeps import SweepJudge, SweepRules, progress_axis

EPOCH = np.arange(EPOCHS + 1, dtype=np.float64)


def judged(curves: dict[str, np.ndarray], upto: int | None = None, rules: SweepRules | None = None) -> dict:
    """Run -> (epoch, reason) of the advice, the sweep fed whole (up to ``upto`` points)."""
    judge = SweepJudge(rules)
    end = len(EPOCH) if upto is None else upto
    judge.update({name: (EPOCH[:end], EPOCH[:end].astype(int), values[:end]) for name, values in curves.items()})
    return {name: (advice.step, advice.reason()) for name, advice in judge.behind.items()}


def history(curves: dict[str, np.ndarray], upto: int | None = None) -> list[tuple[int, str, str]]:
    """(epoch, run, reason) of every advice given and withdrawn, in order, the sweep fed whole (up to ``upto``)."""
    judge = SweepJudge()
    end = len(EPOCH) if upto is None else upto
    judge.update({name: (EPOCH[:end], EPOCH[:end].astype(int), values[:end]) for name, values in curves.items()})
    return [(event.step, event.run, event.reason()) for event in judge.history]


def best_run(curves: dict[str, np.ndarray]) -> str:
    return min(curves, key=lambda name: np.nanmin(np.where(np.isfinite(curves[name]), curves[name], np.nan)))


@pytest.mark.parametrize("seed", range(4))
def test_advice_at_a_step_never_depends_on_later_points(seed):
    """Cut the sweep at any epoch: the advice given (and withdrawn) up to it is exactly the whole run's up to it."""
    curves = lr_sweep(seed)
    whole = history(curves)
    assert judged(curves)  # it does stop something
    for cut in range(1, EPOCHS + 2, 3):
        assert history(curves, upto=cut) == [event for event in whole if event[0] < cut]


def test_fed_epoch_by_epoch_in_lockstep_equals_fed_whole():
    curves = lr_sweep(1)
    judge = SweepJudge()
    found = []
    for end in range(1, EPOCHS + 2):
        for advice in judge.update({n: (EPOCH[:end], EPOCH[:end].astype(int), v[:end]) for n, v in curves.items()}):
            found.append((advice.step, advice.run, advice.reason()))
    told = [event for event in history(curves) if "caught up" not in event[2]]
    assert found == told  # each told once, when it fell behind
    assert [(e.step, e.run, e.reason()) for e in judge.history] == history(curves)
    assert {name: (a.step, a.reason()) for name, a in judge.behind.items()} == judged(curves)


@pytest.mark.parametrize("seed", range(4))
def test_nan_runs_leave_the_pool_and_do_not_disable_the_advice(seed):
    """Half the sweep turns NaN early: a naive median is infinite and stops nothing; here the NaN runs are
    stopped where they blow up and the slow runs are still judged against the healthy ones."""
    curves = lr_sweep(seed, nan_runs=7)
    advice = judged(curves)
    nan_runs = [name for name, values in curves.items() if np.isnan(values).any()]
    assert len(nan_runs) > len(curves) / 2
    for name in nan_runs:
        first_nan = int(np.argmax(np.isnan(curves[name])))
        assert advice[name][0] == first_nan and "nan" in advice[name][1]
    assert "lr=0.001" in advice  # the crawler is still told to stop
    assert best_run(curves) not in advice


@pytest.mark.parametrize("seed", range(12))
def test_a_late_blooming_best_run_is_not_flagged_but_a_hopeless_one_is(seed):
    """Flat for the first tenth of training, then the sweep's best: never behind; the crawler is."""
    curves = late_bloomer_sweep(seed)
    assert best_run(curves) == "late"
    advice = judged(curves)
    assert "late" not in advice
    assert "crawler" in advice


@pytest.mark.parametrize("seed", range(6))
def test_the_best_run_of_a_coarse_learning_rate_grid_is_not_flagged(seed):
    """A 3x grid: the best learning rate is 3x slower than the next, which plateaus higher."""
    curves = lr_sweep(seed)
    advice = judged(curves)
    assert best_run(curves) not in advice
    assert {"lr=0.001", "lr=1", "lr=2"} <= set(advice)


def test_scale_free_and_shift_free():
    curves = lr_sweep(2)
    moved = {name: 1000.0 * values + 57.0 for name, values in curves.items()}
    assert {n: a[0] for n, a in judged(moved).items()} == {n: a[0] for n, a in judged(curves).items()}


def test_the_reason_names_the_peers_median_the_gap_and_the_noise():
    step, reason = judged(lr_sweep(0))["lr=0.001"]
    assert f"up to step {step}" in reason and "peers' median" in reason and "its noise" in reason and "peers" in reason
    best, median = (float(x) for x in (reason.split("best val ")[1].split()[0], reason.split("median ")[1].split()[0]))
    assert best > median


def test_runs_in_a_flat_oscillating_tie_are_not_stopped_on_noise():
    """Validation that jumps around a common level (momentum on a noisy problem): nobody is clearly behind."""
    rng = np.random.default_rng(5)
    curves = {
        f"r{i}": 1.0 + 0.8 * np.exp(-EPOCH / 5) + 0.05 * np.sin(EPOCH * (1 + i)) + rng.normal(0, 0.03, EPOCH.size)
        for i in range(6)
    }
    assert judged(curves) == {}


def test_too_few_runs_or_points_give_no_advice_but_nan_is_judged_at_once():
    curves = lr_sweep(0)
    two = {name: curves[name] for name in ("lr=0.001", "lr=0.03")}
    assert judged(two) == {}
    assert judged(curves, upto=3) == {name: a for name, a in judged(curves).items() if a[0] < 3}
    assert all("nan" in reason for _, reason in judged(curves, upto=3).values())


def test_a_rewritten_curve_starts_the_judge_over_without_reporting_twice():
    curves = lr_sweep(0)
    judge = SweepJudge()
    first = judge.update({n: (EPOCH, EPOCH.astype(int), v) for n, v in curves.items()})
    cut = {n: (EPOCH[:30], EPOCH[:30].astype(int), v[:30]) for n, v in curves.items()}  # a restart from epoch 30
    again = judge.update(cut)
    assert first and again == [] and set(judge.behind) <= {a.run for a in first}


def test_runs_counting_steps_differently_are_compared_by_validation_round():
    assert progress_axis({"a": (1.0, 60.0), "b": (390.0, 60.0), "c": (1.0, 58.0)}) == "round"  # epochs vs batches
    assert progress_axis({"a": (100.0, 30.0), "b": (1000.0, 300.0)}) == "step"  # same units, other cadence
    assert progress_axis({"a": (100.0, 30.0), "b": (110.0, 31.0)}) == "step"
    assert progress_axis({"a": (0.0, 0.0)}) == "step"


def test_rules_are_settings():
    curves = lr_sweep(0)
    cautious = judged(curves, rules=SweepRules(slower=4.0, z=6.0))
    assert set(cautious) < set(judged(curves))
    assert math.isfinite(SweepRules().slower)


def test_a_smooth_curves_float32_rounding_is_no_noise_in_the_reason():
    """A DeepOBS char-RNN at a tiny learning rate: its only scatter is float32's last digit, and the reason read
    '+1.279 (+40.9%, 633167.7× its noise)'. Rounding is no noise; a real multiple has thousands separators."""
    smooth = Behind("slow", step=100, progress=6.0, best=4.404, median=3.125, reference=3.0, noise=2e-6, peers=31)
    assert "no noise" in smooth.reason() and "x its noise" not in smooth.reason()
    noisy = Behind("slow", step=100, progress=6.0, best=3.119, median=2.071, reference=6.0, noise=5e-5, peers=17)
    assert "(+50.6%, 20,960.0x its noise)" in noisy.reason()  # x, as the other reasons write it


def test_a_run_thrown_above_its_start_is_not_said_to_have_no_noise():
    """A char-RNN at learning rate 10 (DeepOBS): validation 4.44, then 50.4, 32.2, 47.4 ... — a noise of about 18.
    Its noise is set aside (it went up from its start by more than its peers came down), and the reason said
    'no noise'; it says why the noise is not counted."""
    rng = np.random.default_rng(0)
    curves = lr_sweep(0)
    thrown = np.abs(40.0 + 18.0 * rng.standard_normal(len(EPOCH)))
    thrown[0] = curves["lr=0.001"][0]
    curves["lr=10"] = thrown
    _, reason = judged(curves)["lr=10"]
    assert "no noise" not in reason
    assert "risen from its start by more than its peers fell" in reason
    # ...with the numbers that say so (a hostile tester's find: a run at 1e11 after its start 2.193 read '+1.6%')
    recent = float(reason.split("its recent median ")[1].split()[0])
    above, start = reason.split(" is ")[1].split(" above its start ")
    assert recent > float(thrown[0]) and float(start.split(",")[0]) == pytest.approx(thrown[0], rel=1e-3)
    assert float(above) == pytest.approx(recent - thrown[0], rel=1e-3)
