"""The verdict engine on real curves and on each kind of curve that rang a wrong bell before (blow-ups, spikes
and recoveries: ``test_diverging.py``).

Every run here is written as a real event file and judged twice: read whole as ``check`` reads it,
and replayed a step at a time as the live view sees it; the two must give the same verdict, flags
and alerts (``judge`` asserts it).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA, scalar_run
from judging_helpers import (
    REALNET_CURVES,
    REALNETS,
    deepobs,
    flat_after,
    judge,
    overfitting_curves,
    realnet,
)

from tui.judging.kinds import BELL
from tui.judging.replay import replay
from tui.judging.thresholds import Thresholds
from tui.judging.verdict import fmt
from tui.live.monitor import Monitor

# ---- bells that must ring -------------------------------------------------------------------


def test_overfitting_rings_once_after_its_onset(tmp_path):
    train, val = overfitting_curves()
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    over = [a for a in judged.alerts if a.kind == "overfitting"]
    assert len(over) == 1 and 20 <= over[0].step <= 30
    assert judged.first("val-rising").step < over[0].step  # the early warning comes first
    assert "since its best level at step" in over[0].reason and "train still falling" in over[0].reason
    assert "%" in over[0].reason and "x its noise" in over[0].reason  # the numbers behind it
    assert not [a for a in judged.alerts if a.kind == "diverging"]
    assert judged.verdict.kind == "overfitting"


SMOOTH_MINIMA = [
    "cnn-full-bigval-s0",
    "cnn-late-bigval-s2",
    "mlp-full-bigval-s2",
    "lstm-deep-bigval-s0",
    "resnet-bigval-s0",
    "vae-bigval-s0",
]
"""Real nets validated on large sets: validation turns through a smooth, rounded minimum, then climbs."""


def test_a_smooth_minimum_rings_within_a_few_points_of_its_onset(tmp_path):
    delays = []
    for name in SMOOTH_MINIMA:
        judged, onset = realnet(tmp_path, name)
        assert [a.kind for a in judged.bells] == ["overfitting"], name
        warning = judged.first("val-rising")
        assert warning is not None and warning.step < judged.bells[0].step, name  # warned first
        delays.append(judged.bells[0].step - onset)
    # The bend of the minimum is not noise. Measured in a noise that counted it (second differences: three to
    # four times the scatter there), these rises took 7 to 13 points to clear the bar, median 9.5.
    assert min(delays) >= 0 and np.median(delays) <= 7 and max(delays) <= 8, delays


def test_a_rise_of_less_than_a_hundredth_of_a_large_range_rings_when_it_is_many_times_the_noise(tmp_path):
    # Validation from 2.3 down to 0.154, then up 0.012: half a percent of its range, but 6x its noise and
    # 7 standard errors of slope. A 1 % range guard kept this run silent to its end.
    judged, onset = realnet(tmp_path, "cnn-memorise-s1")
    bell = judged.first("overfitting")
    assert bell is not None and bell.step > onset and "x its noise" in bell.reason


def test_a_steady_rise_just_short_of_the_level_bar_rings_on_its_trend(tmp_path):
    # Up 3.8 noise deviations (the level bar is 5) after 29 points of a slope 3.6 standard errors above zero.
    judged, onset = realnet(tmp_path, "mlp-wide-adam-s3")
    bell = judged.first("overfitting")
    assert bell is not None and bell.step > onset and "standard errors" in bell.reason


def test_validation_coming_back_down_after_a_wave_does_not_ring(tmp_path):
    # Blows up, recovers, then drifts up and back down in slow waves of about 1 % of its range: when the
    # waves' crest is reached validation is falling, which is not the onset of overfitting.
    judged = deepobs(tmp_path, "quadratic_deep-adam-lr6.31e+00-s42")
    assert [a.kind for a in judged.bells] == ["diverging"]


@pytest.mark.parametrize("name", ["k-overfit", "overfit-7"])
def test_real_overfitting_runs_ring_overfitting_and_nothing_else(name):
    folder = "keras" if name.startswith("k-") else "torch"
    monitor = Monitor(str(DATA / folder))
    monitor.refresh()
    onset = json.loads((DATA / folder / "labels.json").read_text())[name]["onset"]
    steps = monitor.store.runs[name].scalars[monitor.verdict(name).val_tag].steps.tolist()
    bells = [a for a in monitor.alerts if a.run == name and a.kind in BELL]
    assert [a.kind for a in bells] == ["overfitting"]
    assert bells[0].step >= steps[onset]  # never before the onset


# ---- bells that must not ring ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "tolstoi_char_rnn-mom-lr3.98e+00-s42",  # up to 9x its start for five epochs, then learns fine
        "cifar10_3c3d-adam-lr3.98e-02-s42",  # 4x its start after the first epoch, recovers
        "quadratic_deep-adam-lr2.51e+00-s42",  # a 3x bump, then both curves creep up 2 % of their range
        "quadratic_deep-adam-lr6.31e-01-s42",  # both curves rise together after their best
        "cifar10_3c3d-sgd-lr6.31e-02-s44",  # noisy validation 7 % above its best at the end, labelled healthy
        "mnist_vae-mom-lr1.00e-02-s42",  # stuck from the first epoch
    ],
)
def test_no_bell_on_healthy_or_stuck_real_runs(tmp_path, name):
    judged = deepobs(tmp_path, name)
    assert not judged.bells, judged.bells


def test_lone_per_batch_curve_in_warm_up_rings_nothing(tmp_path):
    rng = np.random.default_rng(3)
    warm_up = np.linspace(2.3, 2.9, 60) + 0.1 * rng.standard_normal(60)  # rises while the LR warms up
    judged = judge(tmp_path / "run", {"train_batch_loss": warm_up.tolist()})
    assert not judged.alerts and judged.verdict.kind in ("waiting", "learning")


# ---- plateau, converged and the flags -------------------------------------------------------


def test_every_reason_shows_the_numbers_behind_its_directions(tmp_path):
    train, val = overfitting_curves(n=16, onset=100)  # still learning
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert judged.verdict.kind == "learning"
    number = r"-?[0-9.]+(e[-+][0-9]+)?"
    pattern = rf"train falling by {number} to {number}, val falling by {number} to {number} over the last 12 validation"
    assert re.fullmatch(pattern + " points", judged.verdict.reason), judged.verdict.reason
    flat = judge(tmp_path / "flat", {"train_loss": flat_after(60, 5), "val_loss": flat_after(60, 5)})
    assert re.search(rf"train flat at {number} \(moved {number}\), val flat at {number}", flat.verdict.reason)


def test_no_trouble_is_said_only_when_nothing_moves_and_short_curves_say_how_short(tmp_path):
    epochs = np.arange(60, dtype=float)
    train = 0.5 + 1.8 * np.exp(-epochs / 4.0)
    train[30:] = 0.5 + 0.015 * (epochs[30:] - 30)  # both creep back up, a quarter of the way to the start
    rising = judge(tmp_path / "rising", {"train_loss": train.tolist(), "val_loss": (train + 0.05).tolist()})
    assert "rising" in rising.verdict.reason and "no trouble" not in rising.verdict.reason
    short = judge(tmp_path / "short", {"train_loss": train[:6].tolist(), "val_loss": (train[:6] + 0.05).tolist()})
    assert "over the last 6 validation points" in short.verdict.reason  # not 12: there are six
    one = judge(tmp_path / "one", {"train_loss": [1.0, 0.9], "val_loss": [1.0, 0.95]}, Thresholds(min_points=1))
    assert "too few points to tell" in one.verdict.reason and "nan" not in one.verdict.reason


def test_an_overfitting_run_is_not_also_called_noisy_but_fine():
    """overfit-7's validation is jagged but rising: "noisy around a trend: not a concern" contradicted the bell."""
    monitor = Monitor(str(DATA / "torch"))
    monitor.refresh()
    verdict = monitor.verdict("overfit-7")
    assert verdict.kind == "overfitting" and "noisy-val" not in verdict.flags
    assert "noisy-val" in monitor.verdict("noisy-7").flags  # a noisy curve whose trend is fine keeps its flag


def test_a_gap_needs_the_same_metric_on_both_sides(tmp_path):
    """Training logs its accuracy, validation only its f1: 0.94 against 0.77 compares two different measures."""
    rise = np.linspace(0.0, 1.0, 30)
    loss = (2.0 - rise).tolist()
    curves = {"train_loss": loss, "val_loss": loss, "train_acc": (0.5 + 0.45 * rise).tolist()}
    judged = judge(tmp_path / "run", curves | {"val_f1": (0.5 + 0.28 * rise).tolist()})
    assert "gap" not in judged.kinds() and "gap" not in judged.verdict.flags
    same = judge(tmp_path / "same", curves | {"val_acc": (0.5 + 0.28 * rise).tolist()})
    assert "gap" in same.kinds()


def test_no_gap_near_chance_where_neither_accuracy_learned_anything(tmp_path):
    """0.13 against 0.10 (ten classes, chance 0.1) was called poor generalisation: 23 % of the train accuracy,
    3 points. A gap needs ``gap_min`` points too, on a percent scale as well."""
    rise = np.linspace(0.0, 1.0, 30)
    loss = (2.3 - 0.05 * rise).tolist()
    for scale in (1.0, 100.0):
        near = {"train_acc": (scale * (0.10 + 0.03 * rise)).tolist(), "val_acc": [0.10 * scale] * 30}
        judged = judge(tmp_path / f"near{scale:g}", {"train_loss": loss, "val_loss": loss} | near)
        assert "gap" not in judged.kinds() and "gap" not in judged.verdict.flags
        learned = {
            "train_acc": (scale * (0.10 + 0.20 * rise)).tolist(),
            "val_acc": (scale * (0.10 + 0.12 * rise)).tolist(),
        }
        assert "gap" in judge(tmp_path / f"learned{scale:g}", {"train_loss": loss, "val_loss": loss} | learned).kinds()


def test_a_percent_accuracy_fallen_below_one_percent_is_still_read_in_percent(tmp_path):
    """Accuracies logged in percent that collapse to chance of a 1,000-class problem (0.8 % against 0.1 %) are
    0.7 points apart, not 0.7 of a whole: no gap, as on any point of the run before the collapse."""
    rise = np.linspace(0.0, 1.0, 30)
    loss = (2.3 - 0.5 * rise).tolist()
    train_acc = np.concatenate((20.0 + 30.0 * rise[:15], np.full(15, 0.8)))
    val_acc = np.concatenate((20.0 + 27.0 * rise[:15], np.full(15, 0.1)))
    curves = {"train_loss": loss, "val_loss": loss, "train_acc": train_acc.tolist(), "val_acc": val_acc.tolist()}
    judged = judge(tmp_path / "run", curves)
    assert "gap" not in judged.kinds() and "gap" not in judged.verdict.flags
    as_share = judge(
        tmp_path / "share", curves | {"train_acc": (train_acc / 100).tolist(), "val_acc": (val_acc / 100).tolist()}
    )
    assert "gap" not in as_share.kinds()  # the same run logged as shares: 0.008 against 0.001, no gap either


def test_a_new_best_clears_the_warning_and_re_arms_the_bell(tmp_path):
    train, val = overfitting_curves(n=45, onset=20)
    val[31:] = val[31:] - 0.012 * (np.arange(31, 45) - 20) - 0.03  # it comes back down below its best
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert judged.first("val-rising") is not None
    assert "val-rising" not in judged.verdict.flags and judged.verdict.kind != "overfitting"
    assert judged.verdict.onset_step is None


def _slow_rise(seed: int, n: int = 60, onset: int = 25) -> dict[str, list[float]]:
    """Validation decays to 0.3, then from ``onset`` climbs 0.4 of its noise per epoch (a small validation set)."""
    train, val = overfitting_curves(n, onset, seed, floor=0.3, climb=0.004, noise=0.01)
    return {"train_loss": train.tolist(), "val_loss": val.tolist()}


def test_the_early_warning_comes_within_a_few_points_of_a_slow_rise_and_before_the_bell(tmp_path):
    delays = []
    for seed in range(8):
        judged = judge(tmp_path / f"run{seed}", _slow_rise(seed))
        warning, bell = judged.first("val-rising"), judged.first("overfitting")
        assert warning is not None and bell is not None and warning.step < bell.step
        delays.append(warning.step - 25)
    # The trend since the best is what it asks for, not a level 3 noise deviations up (median 12 points).
    assert 0 < np.median(delays) <= 9, delays
    # warn_z adds a level bar on top of the trend: set far above the rise, the trend no longer warns; what
    # warns then is the bell's own evidence, one point before it is confirmed.
    strict = judge(tmp_path / "strict", _slow_rise(0), Thresholds(warn_z=100.0))
    warning, bell = strict.first("val-rising"), strict.first("overfitting")
    assert bell is not None and warning is not None and warning.step == bell.step - 1
    assert warning.step > 25 + delays[0]


@pytest.mark.parametrize("name", ["cnn-noisyval-s0", "cnn-noisyval-s2", "mlp-noisyval-s2"])
def test_no_warning_while_training_has_settled(tmp_path, name):
    """Real healthy nets on small validation sets: validation wanders up beside a settled training curve.
    Overfitting is validation rising while training goes on falling; without that, no heads-up."""
    record, curves = REALNETS[name], REALNET_CURVES[name]
    assert record["kind"] == "healthy"
    written = {tag: curves[tag].astype(float).tolist() for tag in ("train_loss", "val_loss")}
    assert judge(tmp_path / "default", written).first("val-rising") is None
    # What keeps it quiet is that training settled: ask only for some fall of training, and the warning comes.
    warning = judge(tmp_path / "any", written, Thresholds(warn_train_drop=0.0)).first("val-rising")
    assert warning is not None and "train flat" in warning.reason


def test_the_warning_mark_goes_when_validation_comes_back_down(tmp_path):
    curves = _slow_rise(0, n=60, onset=25)
    val = np.array(curves["val_loss"])
    val[40:] = val[40:] - 0.004 * (np.arange(40, 60) - 25) + 0.004  # back to a little above its best, no new best
    judged = judge(tmp_path / "run", {"train_loss": curves["train_loss"], "val_loss": val.tolist()})
    assert judged.first("val-rising") is not None  # the alert stays in the log
    assert "val-rising" not in judged.verdict.flags  # but the table no longer marks it
    # The healthy noisy fixture: a bump late in the run does not leave it marked at the end.
    monitor = Monitor(str(DATA / "torch"))
    monitor.refresh()
    assert "val-rising" not in monitor.verdict("noisy-7").flags


# ---- scale-free, and the same judgement however the points arrive ---------------------------


@pytest.mark.parametrize(("scale", "shift"), [(1e-4, 0.0), (1000.0, 0.0), (1.0, 5.0), (0.01, -3.0)])
def test_verdicts_do_not_depend_on_units_or_offset(tmp_path, scale, shift):
    train, val = overfitting_curves(n=50)
    base = judge(tmp_path / "a", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    moved = judge(
        tmp_path / "b", {"train_loss": (train * scale + shift).tolist(), "val_loss": (val * scale + shift).tolist()}
    )
    assert [(a.step, a.kind) for a in moved.alerts] == [(a.step, a.kind) for a in base.alerts]
    assert moved.verdict.kind == base.verdict.kind


@pytest.mark.parametrize("window", [8, 24, 100, 150])
def test_bulk_and_live_agree_with_any_window(tmp_path, window):
    train, val = overfitting_curves(n=200, onset=80)
    thresholds = replace(Thresholds(), noise_window=window, trend_window=window)
    judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()}, thresholds)


@pytest.mark.parametrize(("n", "onset"), [(120, 50), (1500, 1100)], ids=["short", "past-400-judged-by-stride"])
def test_any_chunking_gives_the_same_alerts(tmp_path, n, onset):
    from tui.judging.engine import VerdictEngine
    from tui.sources.points import Decoded
    from tui.store import Store

    train, val = overfitting_curves(n=n, onset=onset)
    val[70] = np.nan
    reference = None
    for seed in range(4):
        rng = np.random.default_rng(seed)
        store, engine, alerts = Store(), VerdictEngine("r"), []
        cuts = np.unique(np.concatenate(([0, n], rng.integers(1, n, 10 + n // 50))))
        for lo, hi in itertools.pairwise(cuts):
            batch = Decoded()
            for tag, values in (("train_loss", train), ("val_loss", val)):
                steps = np.arange(lo, hi)
                batch.add_arrays(tag, steps, steps, steps.astype(float), values[lo:hi])
            store.apply("r", batch)
            alerts += engine.update(store.runs["r"])
        result = ([(a.step, a.kind, a.reason) for a in alerts], engine.verdict.kind, engine.verdict.flags)
        reference = reference or result
        assert result == reference
        assert any(a.kind == "overfitting" and a.step > onset for a in alerts)


def test_a_noise_free_rise_is_overfitting_too(tmp_path):
    epochs = np.arange(40, dtype=float)
    train = (2.0 * np.exp(-epochs / 5) + 0.01).tolist()
    val = np.where(epochs < 15, 2.0 - 0.1 * epochs, 0.5 + 0.02 * (epochs - 15)).tolist()  # straight lines, no noise
    judged = judge(tmp_path / "run", {"train_loss": train, "val_loss": val})
    assert [a.kind for a in judged.bells] == ["overfitting"]  # float32 files leave a trace of rounding noise


def _wandering_plateau() -> dict[str, list[float]]:
    """A run that decays to a plateau and never rises, its validation noise wandering (AR(1), 0.5): 160 epochs."""
    rng = np.random.default_rng(0)
    t = np.arange(160.0)
    shocks = rng.standard_normal(210)
    wander = np.zeros(210)
    for k in range(1, 210):
        wander[k] = 0.5 * wander[k - 1] + np.sqrt(0.75) * shocks[k]
    val = 0.3 + np.exp(-t / 16.0) + 0.03 * wander[50:]
    train = 0.6 * (0.3 + np.exp(-t / 12.8)) - 0.002 * t / 160 + 0.01 * rng.standard_normal(160)
    return {"loss": train.tolist(), "val_loss": val.tolist()}


def test_noise_that_wanders_on_a_long_plateau_does_not_ring(tmp_path, monkeypatch):
    from tui.judging import moments as moments_module
    from tui.judging import rising as rising_module

    assert judge(tmp_path / "run", _wandering_plateau()).bells == []
    # What keeps it quiet: the best of 160 three-point means of wandering noise sits low by chance, and the
    # level test pays for it; without that allowance the return to the plateau rings (with the level test's noise
    # read on the noise window alone: read over the long window too, that alone keeps this one quiet).
    read = moments_module.validation_noise

    def short_only(values, ends, base):
        sigma, rho, bent, _ = read(values, ends, base)
        return sigma, rho, bent, bent

    monkeypatch.setattr(moments_module, "validation_noise", short_only)
    assert judge(tmp_path / "short", _wandering_plateau()).bells == []
    monkeypatch.setattr(rising_module, "best_bias_excess", lambda count, rho: 0.0)
    assert [a.kind for a in judge(tmp_path / "again", _wandering_plateau()).bells] == ["overfitting"]


def test_the_best_levels_allowance_grows_with_the_curve_and_with_noise_that_wanders():
    from tui.judging.chance import best_bias_excess

    assert best_bias_excess(40, 0.0) == best_bias_excess(80, 0.0) == 0.0  # rise_z alone, up to 80 points
    assert 0.0 < best_bias_excess(160, 0.0) < best_bias_excess(160, 0.5)
    assert best_bias_excess(40, 0.5) > 0.0 and best_bias_excess(3, 0.5) == 0.0


@pytest.mark.parametrize("seed", [16, 24, 51])
def test_a_wandering_plateau_while_training_memorises_rings_no_bell(tmp_path: Path, seed: int, monkeypatch):
    """Validation on its plateau with noise that wanders (AR(1), autocorrelation 0.5), training still falling:
    measured on 24 points alone, the wander read as a rise and these rang overfitting (the stress suite's
    commonest false bell); with the autocorrelation read over 48 points too, they do not."""
    import stress

    from tui.judging import windows

    rng = np.random.default_rng(seed)
    t = np.arange(80, dtype=float)
    val = stress.curve(t, 8.0, False) + 0.01 * stress.noise(rng, "ar0.5", 80)
    train = stress.training(t, 8.0, False, 0.3, 0.01, rng)
    scalar_run(tmp_path / "r", {"loss": train.tolist(), "val_loss": val.tolist()})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["r"]
    assert [a for a in replay(run, Thresholds())[0] if a.kind in BELL] == []
    monkeypatch.setattr(windows, "RHO_LONG", 1)  # the window alone, as before: the bell rang
    assert [a.kind for a in replay(run, Thresholds())[0] if a.kind in BELL] == ["overfitting"]


def test_the_bell_bars_are_lower_while_training_keeps_falling(tmp_path: Path):
    """The same slowly rising validation curve: with training still falling (by a tenth of its range since
    validation's best: the net memorises) the level, trend and CUSUM tests ring at step 46; with training settled,
    or with ``memorising_bar = 1`` (the full bars whatever training does), at step 53."""
    from dataclasses import replace as with_setting

    rng = np.random.default_rng(26)
    t = np.arange(70, dtype=float)
    val = 0.5 + np.exp(-t / 5) + 0.004 * np.maximum(t - 20, 0) + 0.02 * rng.standard_normal(70)
    falling = 0.3 + np.exp(-t / 5) - 0.004 * t + 0.003 * rng.standard_normal(70)
    settled = 0.3 + np.exp(-t / 5) + 0.003 * rng.standard_normal(70)

    def first_bell(train: np.ndarray, thresholds: Thresholds) -> int | None:
        folder = tmp_path / f"r{len(list(tmp_path.iterdir()))}"
        scalar_run(folder, {"loss": train.tolist(), "val_loss": val.tolist()})
        monitor = Monitor(str(folder))
        monitor.refresh()
        bells = [a.step for a in replay(monitor.store.runs["."], thresholds)[0] if a.kind == "overfitting"]
        return bells[0] if bells else None

    without_shift = with_setting(Thresholds(), shift_z=math.inf)  # the bars of the level, trend and CUSUM tests
    assert first_bell(falling, without_shift) == 46
    assert first_bell(settled, without_shift) == 53
    assert first_bell(falling, with_setting(without_shift, memorising_bar=1.0)) == 53
    # The shift test (a mean since a change point) sees this steady rise first, whatever training does: step 40.
    assert [first_bell(train, Thresholds()) for train in (falling, settled)] == [40, 40]


def test_the_reason_measures_the_rise_from_the_floor_the_level_test_stands_on(tmp_path):
    """One lucky low point pulls validation's best three-point mean down; the bell's words give the rise from the
    lowest three-point median instead (what the level test measured), never the larger rise from that mean."""
    rng = np.random.default_rng(0)
    t = np.arange(60, dtype=float)
    val = 0.5 + np.exp(-t / 5) + 0.01 * rng.standard_normal(60)
    val[25] -= 0.1  # one lucky low point
    val += np.where(t > 30, 0.004 * (t - 30), 0.0)
    train = 2.0 * np.exp(-t / 6) + 0.01
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    bell = judged.first("overfitting")
    assert bell is not None
    means = (val[:-2] + val[1:-1] + val[2:]) / 3
    medians = np.median(np.stack((val[:-2], val[1:-1], val[2:])), axis=0)
    index = bell.step  # one validation point per step, from 0
    floor = medians[: index - 1].min()
    assert floor > means[: index - 1].min() + 0.01  # the mean sits a noise deviation lower
    assert bell.reason.startswith(f"val_loss {fmt(floor)} → ")


def test_a_rise_that_is_gone_is_no_longer_the_verdict_and_does_not_ring_again(tmp_path):
    """Validation overfits, then comes back just below its best level without setting a new best (two points of
    every three there, the third above): the verdict no longer says it rose (before, ``overfitting`` stayed with the
    reason of its last rise, a level long gone); the bell does not ring again for that onset."""
    train, val = overfitting_curves(n=45, onset=20)
    best = float(np.convolve(val[:30], np.ones(3) / 3, "valid").min())
    back = np.array([best - 0.002, best - 0.002, best + 0.02] * 10)  # medians below the best, means above it
    judged = judge(
        tmp_path / "run",
        {"train_loss": np.concatenate((train, train[-1] * np.ones(30))).tolist(), "val_loss": [*val, *back]},
    )
    assert [a.kind for a in judged.bells] == ["overfitting"]
    assert judged.verdict.kind != "overfitting" and judged.verdict.onset_step is None
    assert "since its best" not in judged.verdict.reason
