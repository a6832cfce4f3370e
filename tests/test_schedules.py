"""Real runs under the learning-rate schedules practitioners use (PyTorch 2.13's ``SummaryWriter``, small nets
trained on CPU on scikit-learn's data; ``tests/schedule_runs/README.md``), judged as ``check`` and ``replay`` do.

ReduceLROnPlateau on a set learned in its first epoch rang ``overfitting`` on 5 of 5 healthy seeds: validation
settled, its rate cut a thousandfold, a few thousandths above a lucky low of its noisy start. A fine-tune whose
validation rose during its warm-up and came back rang at the warm-up's end. Runs whose rate annealed to zero were
told "keep training". Overfitting under the same schedules still rings.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from judging_helpers import judge, judge_folder
from tensorboardX import SummaryWriter

from tui.judging.replay import replay_run
from tui.judging.thresholds import Thresholds
from tui.live.monitor import Monitor

SCHEDULES = Path(__file__).parent / "schedule_runs"


def judged(name: str) -> tuple[str, list[tuple[str, int]]]:
    """The run's final verdict (as ``check`` reads it) and its alerts (as ``replay`` gives them): kind, step."""
    monitor = Monitor(str(SCHEDULES / name))
    monitor.refresh()
    (run,) = monitor.store.runs.values()
    alerts = [(alert.kind, alert.step) for alert in replay_run(run, Thresholds())]
    return monitor.verdicts[run.name].kind.value, alerts


@pytest.mark.parametrize("name", ["rlrop_s2", "rlrop_s3"])
def test_reduce_lr_on_plateau_settling_above_a_lucky_low_is_converged_not_overfitting(name: str) -> None:
    kind, alerts = judged(name)
    assert kind == "converged"
    assert not [alert for alert in alerts if alert[0] in ("overfitting", "val-rising")]


def test_a_fine_tunes_validation_up_during_its_warm_up_and_back_rings_no_bell() -> None:
    kind, alerts = judged("finetune_hot_s1")  # 0.111 at the start, 0.28 at the warm-up's peak, 0.100 at the end
    assert not [alert for alert in alerts if alert[0] == "overfitting"]
    assert kind == "converged"  # its rate annealed to 0 by the end: done, not "keep training"


@pytest.mark.parametrize("name", ["onecycle_s1", "accum_s0"])
def test_a_run_whose_rate_annealed_to_zero_is_converged(name: str) -> None:
    kind, alerts = judged(name)
    assert kind == "converged" and not [alert for alert in alerts if alert[0] in ("overfitting", "diverging")]


def test_a_validation_calmed_by_growing_batches_is_judged_in_the_scatter_of_its_best() -> None:
    """Batches of 16, then 64, then 256 at one rate: validation's scatter fell threefold and more, and a drift of
    0.001 at 0.074 (1.7 of the calm curve's noise deviations) rang."""
    _kind, alerts = judged("mixbatch_s0")
    assert not [alert for alert in alerts if alert[0] == "overfitting"]


def test_a_warm_restart_back_to_the_first_peak_excuses_the_rise_it_brings() -> None:
    """SGDR restarts at 0.1, the rate's first peak, not above it: only a rate that passed its largest so far counted
    as raised, so after the first 24 epochs no restart did, and validation up 0.02 after the restart at epoch 71
    (best level at epoch 28, the rate 0.005 there, 0.097 at epoch 80) warned ``val-rising``."""
    kind, alerts = judged("sgdr_healthy_s2")
    assert kind == "learning"
    assert not [alert for alert in alerts if alert[0] in ("val-rising", "overfitting", "diverging")]


def test_a_warm_restarts_cycle_end_is_not_the_runs_end() -> None:
    """Under an annealed rate, training still falling beside a quiet validation reads done (a cosine's end); SGDR's
    rate anneals at every cycle's end, and the real run above read ``converged`` ("done: keep the best
    checkpoint") at one of them in the middle of its run, before its next restart. After a restart it does not."""
    from tui.judging.engine import VerdictEngine
    from tui.judging.replay import _batches
    from tui.store import Store

    monitor = Monitor(str(SCHEDULES / "sgdr_healthy_s2"))
    monitor.refresh()
    store, engine, annealed_ends = Store(), VerdictEngine(".", Thresholds()), 0
    for batch in _batches(monitor.store.runs["."]):
        store.apply(".", batch)
        engine.update(store.runs["."])
        verdict = engine.verdict
        assert not (verdict.kind == "converged" and "train falling" in verdict.reason), verdict.reason
        annealed_ends += "train falling" in verdict.reason and "hidden by its noise" in verdict.reason
    assert annealed_ends  # the readings the cosine's-end rule takes for done were met


def _cycles(folder: Path, lr: list[float], per_epoch: int, epochs: int, seed: int = 1) -> None:
    """Losses per epoch (training still falling at the end, validation's fall hidden by its noise from about epoch
    25), the rate ``lr`` logged at every step, ``per_epoch`` steps to an epoch; written by tensorboardX."""
    rng = np.random.default_rng(seed)
    epoch = np.arange(epochs)
    train = 0.2 + np.exp(-epoch / 8) - 0.002 * epoch + 0.002 * rng.standard_normal(epochs)
    val = 0.35 + np.exp(-epoch / 8) + 0.01 * rng.standard_normal(epochs)
    with SummaryWriter(str(folder)) as writer:
        for step, rate in enumerate(lr):
            writer.add_scalar("lr", rate, step)
            if step % per_epoch == per_epoch - 1:
                writer.add_scalar("loss", float(train[step // per_epoch]), step)
                writer.add_scalar("val_loss", float(val[step // per_epoch]), step)


def test_a_restart_up_a_warm_up_ramp_is_a_restart_and_a_first_warm_up_is_not(tmp_path: Path) -> None:
    """Warm restarts whose every cycle ramps up over 300 logged steps from a floor of 5e-6 (never doubling at one
    step), 2,000 steps to a cycle: the second cycle's end, in the middle of the run, read ``converged``. One cycle
    after a warm-up from 0 (which doubles at its first steps, at its largest so far) ends done."""
    per_epoch, epochs, cycle, ramp = 100, 60, 2000, 300

    def rate(step: int, floor: float, length: int) -> float:
        at = step % length
        if at < ramp:
            return floor + (1e-3 - floor) * at / ramp
        return floor + (1e-3 - floor) * (1 + np.cos(np.pi * (at - ramp) / (length - ramp))) / 2

    restarts = [rate(step, 5e-6, cycle) for step in range(per_epoch * epochs)]
    _cycles(tmp_path / "restarts", restarts, per_epoch, epochs)
    judged = judge_folder(tmp_path / "restarts")
    assert judged.verdict.kind != "converged"
    cut = tmp_path / "restarts-at-4000"  # the same run read at the second cycle's end
    _cycles(cut, restarts[: 2 * cycle], per_epoch, 2 * cycle // per_epoch)
    at_cycle_end = judge_folder(cut)
    assert at_cycle_end.verdict.kind == "learning" and "train falling" in at_cycle_end.verdict.reason
    one = [rate(step, 0.0, per_epoch * epochs) for step in range(per_epoch * epochs)]
    _cycles(tmp_path / "one-cycle", one, per_epoch, epochs)
    done = judge_folder(tmp_path / "one-cycle")
    assert done.verdict.kind == "converged" and "train falling" in done.verdict.reason


def test_training_rising_or_a_validation_falling_under_an_annealed_rate_is_not_done(tmp_path: Path) -> None:
    """The cosine's-end reading asks validation flat or hidden and training not rising: a net whose training climbs
    at the end of its schedule, or whose validation still falls, is not told to stop."""
    n = 80
    rng = np.random.default_rng(4)
    lr = [1e-3 * (1 + np.cos(np.pi * i / (n - 1))) / 2 + 1e-9 for i in range(n)]
    falling = 0.3 + np.exp(-np.arange(n) / 15.0)
    climbing = np.concatenate([falling[:60], falling[59] + 0.004 * np.arange(1, 21)])
    flat_val = np.concatenate([falling[:50], np.full(30, falling[49])]) + 0.002 * rng.standard_normal(n)
    rising = judge(tmp_path / "rising", {"loss": climbing.tolist(), "val_loss": flat_val.tolist(), "lr": lr})
    assert rising.verdict.kind != "converged" and "train rising" in rising.verdict.reason
    slow = (0.3 + np.exp(-np.arange(n) / 40.0)).tolist()  # still 5 % of its range in its last 12 points
    val_falling = judge(tmp_path / "val-falling", {"loss": slow, "val_loss": slow, "lr": lr})
    assert val_falling.verdict.kind == "learning" and "val falling" in val_falling.verdict.reason


@pytest.mark.parametrize(
    ("name", "onset", "latest"), [("rlrop_clf_s0", 6, 14), ("overfit_cos_s0", 2, 10), ("sgdr_overfit_s1", 11, 17)]
)
def test_overfitting_under_these_schedules_still_rings(name: str, onset: int, latest: int) -> None:
    """A guard: label noise under ReduceLROnPlateau (+41 %) and under a cosine schedule (+217 %) ring, 8 points after
    the smoothed minimum as before; a small set under warm restarts, 6 points after it."""
    kind, alerts = judged(name)
    bells = [step for alert_kind, step in alerts if alert_kind == "overfitting"]
    assert kind == "overfitting" and bells and onset < bells[0] <= latest


def _history(folder: Path, rows: list[tuple[int, float, float, float]]) -> Path:
    """A Keras ``CSVLogger`` history with the learning rate Keras logs beside the losses."""
    folder.mkdir(parents=True)
    lines = ["epoch,loss,val_loss,lr"] + [f"{e},{t:.5f},{v:.5f},{lr:.6g}" for e, t, v, lr in rows]
    (folder / "history.csv").write_text("\n".join(lines) + "\n")
    return folder


def _bells(folder: Path) -> tuple[str, list[int]]:
    monitor = Monitor(str(folder))
    monitor.refresh()
    (run,) = monitor.store.runs.values()
    bells = [alert.step for alert in replay_run(run, Thresholds()) if alert.kind == "overfitting"]
    return monitor.verdicts[run.name].kind.value, bells


def test_overfitting_after_the_last_step_of_a_step_schedule_rings(tmp_path: Path) -> None:
    """StepLR 0.1, 0.01, 0.001: validation climbing 40 % (36 of its noise deviations) under the last rate, 1 % of the
    first, is overfitting, not a net stopped by its rate ("keep training" in the schedules' first version)."""
    rng = random.Random(2)
    rows = []
    for e in range(120):
        train = 0.4 + 1.0 / (1 + e / 5) - 0.1 * (e >= 40) - 0.05 * (e >= 80) + rng.gauss(0, 0.003)
        val = 0.5 + 1.1 / (1 + e / 5) - 0.08 * (e >= 40) - 0.03 * (e >= 80) + 0.006 * max(e - 85, 0)
        rows.append((e, train, val + rng.gauss(0, 0.003), 0.1 * 0.1 ** (e // 40)))
    kind, bells = _bells(_history(tmp_path / "step", rows))
    assert kind == "overfitting" and bells and 85 < bells[0] <= 100


def test_a_rise_under_a_rate_held_after_its_warm_up_rings_once_the_warm_up_is_past(tmp_path: Path) -> None:
    """A warm-up to a rate then held (``constant_with_warmup``), validation at its best early in the warm-up and
    climbing from there: the warm-up excuses the rise for a while, not for good (the first version never rang)."""
    rng = random.Random(1)
    rows = []
    for e in range(80):
        train = 1 / (1 + e / 3) + rng.gauss(0, 0.003)
        val = 0.6 + 0.004 * e + rng.gauss(0, 0.003)  # at its best at its first evaluation (a fine-tune's)
        rows.append((e, train, val, 1e-5 + (1e-3 - 1e-5) * min(e / 10, 1)))  # 1e-5 to 1e-3 in 10 epochs, held
    kind, bells = _bells(_history(tmp_path / "warm", rows))
    assert kind == "overfitting" and bells and bells[0] <= 10 + 2 * Thresholds().trend_window + 3


def _rising_after(best: int, n: int = 160, seed: int = 3) -> tuple[list[float], list[float]]:
    """Training falling; validation at its lowest at epoch ``best``, then up by a quadratic, a little noise."""
    rng = np.random.default_rng(seed)
    epochs = np.arange(n, dtype=float)
    train = 2 * np.exp(-epochs / 15) + 0.1 + 0.005 * rng.standard_normal(n)
    val = 0.4 + 0.3 * ((epochs - best) / 40) ** 2 + 0.002 * rng.standard_normal(n)
    return train.tolist(), val.tolist()


def _first_bell(folder: Path, lr: list[float] | None, best: int = 60) -> int | None:
    train, val = _rising_after(best)
    curves = {"train_loss": train, "val_loss": val} | ({"lr": lr} if lr is not None else {})
    judged = judge(folder, curves)
    return next((alert.step for alert in judged.alerts if alert.kind == "overfitting"), None)


def _per_step_run(folder: Path, best: int, lr) -> int | None:
    """Training and the rate logged every 10 steps, validation every 100 (lowest at step ``best``, then up by a
    quadratic), written by tensorboardX; the first overfitting bell's step (whole and replayed, asserted equal)."""
    rng = np.random.default_rng(3)
    with SummaryWriter(str(folder)) as writer:
        for step in range(0, 16_000, 10):
            writer.add_scalar("train/loss", 2 * np.exp(-step / 1500) + 0.1 + 0.005 * rng.standard_normal(), step)
            if lr is not None:
                writer.add_scalar("lr", lr(step), step)
            if step % 100 == 0:
                rise = 0.3 * ((step - best) / 4000) ** 2
                writer.add_scalar("val/loss", 0.4 + rise + 0.002 * rng.standard_normal(), step)
    judged = judge_folder(folder)
    return next((alert.step for alert in judged.alerts if alert.kind == "overfitting"), None)


def test_a_wobbling_rate_or_a_cyclic_climb_back_to_its_peak_is_no_raise_that_excuses_a_rise(tmp_path: Path) -> None:
    """Counting every rise of the logged rate as a raise (a reviewer's finds): a rate warmed up, then logged with a
    wobble of a hundred-thousandth, was always just raised, and a rise from a best set in the warm-up never rang;
    a triangular cyclic schedule (1e-4 to 1e-2 and back every 5,000 steps), best at its low, rang 30 validation
    points late. Each rings as the same run with its rate held exactly, or with none logged."""
    rng = np.random.default_rng(5)
    warm_up = lambda step: min(1.0, (step + 10) / 2000) * 1e-3  # noqa: E731
    exact = _per_step_run(tmp_path / "exact", 600, warm_up)
    assert exact is not None
    wobbling = _per_step_run(
        tmp_path / "wobbling", 600, lambda step: warm_up(step) * (1 + 1e-5 * rng.standard_normal())
    )
    assert wobbling == exact
    triangle = lambda step: 1e-4 + (1e-2 - 1e-4) * (1 - abs((step % 5000) / 2500 - 1))  # noqa: E731
    bare = _per_step_run(tmp_path / "no-rate", 5000, None)
    assert bare is not None and _per_step_run(tmp_path / "cyclic", 5000, triangle) == bare


def test_a_restart_from_a_rate_annealed_to_zero_is_a_raise(tmp_path: Path) -> None:
    """Cosine to exactly 0, then back to its first peak at epoch 50: a rise from a best set at the cycle's end is
    excused while the restart is recent (24 validation points), as a warm-up's is, and judged once it is past."""
    cosine = [1e-3 * (1 + np.cos(np.pi * (epoch % 50) / 49)) / 2 for epoch in range(160)]
    assert cosine[49] == pytest.approx(0.0, abs=1e-12) and cosine[50] == pytest.approx(1e-3)
    bare = _first_bell(tmp_path / "no-rate", None, best=48)
    bell = _first_bell(tmp_path / "restarts", cosine, best=48)
    assert bare is not None and bare < 50 + 24 <= (bell or 0)
