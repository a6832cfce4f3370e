"""Blow-ups, spikes and recoveries: diverging rings at once for a NaN or an explosion, once per blow-up, again only
after the run learned something; a spike that comes back is a flag; a run back in its range is judged afresh.
Each curve is judged whole and replayed point by point (``judging_helpers.judge``)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import file_version_event, scalar_event, write_records
from judging_helpers import DEEPOBS, REALNET_CURVES, deepobs, judge, judge_folder, overfitting_curves

from tui.judging.kinds import BELL
from tui.judging.thresholds import Thresholds
from tui.judging.verdict import fmt
from tui.live.monitor import Monitor


def test_nan_rings_diverging_at_once(tmp_path):
    train, val = overfitting_curves(n=30)
    train[12] = np.nan
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert judged.bells[0].kind == "diverging" and judged.bells[0].step == 12


def test_a_run_that_stays_nan_says_where_it_began_and_where_it_is_now(tmp_path):
    """check said "val_loss is nan at step 29" of a run whose training went NaN at 12, where the bell rang (a live
    read meets two curves' NaN of one step in either order: the words since then do not depend on it)."""
    train, val = overfitting_curves(n=30)
    train[12:] = np.nan
    val[14:] = np.nan
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [(a.kind, a.step) for a in judged.bells] == [("diverging", 12)]
    assert judged.verdict.reason == "val_loss is nan at step 29; diverging since step 12"


def test_an_earlier_blow_up_read_later_moves_since_back(tmp_path):
    """A validation file read first blew up at 14; the training file, flushed later, had blown up at 12: the
    reason said 'since step 14' live and 'since step 12' read whole."""
    train, val = overfitting_curves(n=30)
    train[12:] = np.nan
    val[14:] = np.nan
    run = tmp_path / "run"
    run.mkdir()
    events = [scalar_event("val_loss", i, float(v), 1000.0 + i) for i, v in enumerate(val)]
    write_records(run / "events.out.tfevents.1.host.1.0", [file_version_event(), *events])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert monitor.verdict("run").reason == "val_loss is nan at step 29; diverging since step 14"
    events = [scalar_event("train_loss", i, float(v), 1000.0 + i) for i, v in enumerate(train)]
    write_records(run / "events.out.tfevents.2.host.1.0", [file_version_event(), *events])
    monitor.refresh()
    assert monitor.verdict("run").reason == "val_loss is nan at step 29; diverging since step 12"
    assert [(a.kind, a.step) for a in monitor.alerts if a.kind == "diverging"] == [("diverging", 14)]  # rang once


@pytest.mark.parametrize(
    ("name", "by"),
    [
        ("cifar10_3c3d-adam-lr6.31e-02-s42", 2),  # 10x its start after the first epoch
        ("tolstoi_char_rnn-adam-lr1.58e+01-s42", 17),  # one training epoch 12x, after recovering from a bump
        ("tolstoi_char_rnn-adam-lr1.00e+00-s42", 4),
    ],
)
def test_real_divergences_ring_at_or_right_after_their_onset(tmp_path, name, by):
    judged = deepobs(tmp_path, name)
    assert judged.bells and judged.bells[0].kind == "diverging"
    assert judged.bells[0].step <= DEEPOBS[name]["onset"] + 1 <= by


def test_a_run_that_explodes_at_once_and_stays_there_rings_once_and_flags_no_spikes(tmp_path):
    """Adam at lr 15.8: 3.6 before training, 3.8e6 after the first epoch, and there for 100 epochs. Its best level
    is the exploded one, so its range says nothing: it is out of range until it is back near where it started."""
    judged = deepobs(tmp_path, "cifar10_3c3d-adam-lr1.58e+01-s42")
    assert [a.kind for a in judged.bells] == ["diverging"] and judged.bells[0].step == 1
    assert judged.verdict.kind == "diverging"
    assert not judged.first("spike")  # wobbles at 3.8e6 are not spikes of a curve that sits there


def test_a_later_blow_up_rings_again_only_after_the_run_learned_something_in_between(tmp_path):
    epochs = np.arange(80, dtype=float)
    train = np.where(epochs < 45, 0.5 + 1.8 * np.exp(-epochs / 4.0), 0.2 + 0.3 * np.exp(-(epochs - 45) / 4.0))
    val = train + 0.05
    for at in (20, 32, 60):  # blow-ups: back to 0.5 in between, then down to 0.2 before the third
        train[at], val[at] = 40.0, 41.0
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [(a.kind, a.step) for a in judged.bells] == [("diverging", 20), ("diverging", 60)]


def test_a_noisy_curve_that_keeps_blowing_up_rings_once(tmp_path):
    """A char-RNN with Adam at lr 15.8 blows up four times in 200 epochs (12-20x its lowest), swinging from 3.3 up
    to 4-10 and back between them: its new lows in between (3.37 -> 3.31 -> 3.25 -> 3.20) are within its noise,
    chance rather than learning. It rang four times when a new low by 1 % of the progress counted as learning."""
    judged = deepobs(tmp_path, "tolstoi_char_rnn-adam-lr1.58e+01-s42")
    assert [a.kind for a in judged.bells] == ["diverging"]


def test_losses_converging_to_zero_wiggle_without_diverging(tmp_path):
    rng = np.random.default_rng(1)
    epochs = np.arange(80, dtype=float)
    train = np.maximum(np.exp(-epochs / 8.0), 0.005) + np.where(epochs > 45, 0.025 * rng.random(80), 0.0)
    val = 0.02 + np.exp(-epochs / 8.0) + np.where(epochs > 45, 0.02 * rng.random(80), 0.0)
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert not judged.bells


def test_one_validation_spike_is_a_spike_not_divergence(tmp_path):
    train, val = overfitting_curves(n=40, onset=100)  # no overfitting here
    val[25] = 12 * val[:25].min() + 2.5  # 12x its lowest and above its first value, for one epoch
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert not judged.bells
    spike = judged.first("spike")
    assert spike is not None and spike.step == 26 and "at step 25" in spike.reason
    assert f"{val[25]:.4g}" in spike.reason


def test_an_infinite_point_is_never_a_routine_spike(tmp_path):
    """An infinite validation loss right after a NaN training loss was flagged a spike ("routine, unless it
    repeats"): infinity is a blow-up, the diverging rule's; alone it rings, after a blow-up that rang it is part of
    that one."""
    train, val = overfitting_curves(n=40, onset=100)
    train[30], val[32] = np.nan, np.inf
    judged = judge(tmp_path / "after", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [(a.step, a.kind) for a in judged.alerts] == [(30, "diverging")]
    train, val = overfitting_curves(n=40, onset=100)
    val[32] = np.inf
    judged = judge(tmp_path / "alone", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [(a.step, a.kind) for a in judged.alerts] == [(32, "diverging")]


def _with_excursion(val: list[float] | np.ndarray, at: float, factor: float) -> list[float]:
    """Validation with two points well above their level at ``at`` of the run (a bad evaluation pass, twice)."""
    out = np.array(val, dtype=float)
    k = int(at * len(out))
    out[k] += (factor - 1.0) * abs(out[k])
    out[k + 1] += (factor - 1.0) * 0.97 * abs(out[k + 1])
    return out.tolist()


@pytest.mark.parametrize(
    ("name", "factor"),
    [("cnn-const-bigval-s2", 1.6), ("lstm-cosine-s2", 1.15), ("resnet-spiky-s0", 1.3), ("vae-cosine-s1", 1.15)],
)
def test_a_two_point_validation_excursion_on_a_real_healthy_run_rings_no_bell(tmp_path, name, factor):
    """The three-point median stands high at two judgements in a row: it confirmed overfitting on each of these."""
    curves = REALNET_CURVES[name]
    val = _with_excursion(curves["val_loss"], 0.9, factor)
    judged = judge(tmp_path / name, {"train_loss": curves["train_loss"].astype(float).tolist(), "val_loss": val})
    assert not judged.bells


@pytest.mark.parametrize(
    ("name", "at", "factor"),  # each rang overfitting before two-point excursions had to stand on five points
    [
        ("tolstoi_char_rnn-mom-lr3.98e+00-s42", 0.9, 1.3),
        ("tolstoi_char_rnn-mom-lr3.98e+00-s42", 0.9, 1.6),
        ("cifar10_3c3d-sgd-lr6.31e-02-s44", 0.75, 1.3),
        ("cifar10_3c3d-sgd-lr6.31e-02-s44", 0.9, 1.6),
        ("quadratic_deep-adam-lr6.31e-01-s42", 0.75, 1.6),
        # validation drifts up slowly with training; training had held only beside the excursion's larger rise
        ("quadratic_deep-adam-lr2.51e+00-s42", 0.75, 1.3),
        ("quadratic_deep-adam-lr2.51e+00-s42", 0.9, 1.6),
    ],
)
def test_a_two_point_validation_excursion_on_a_healthy_deepobs_run_rings_no_bell(tmp_path, name, at, factor):
    run = DEEPOBS[name]
    judged = judge(tmp_path / "run", {"train_loss": run["train"], "val_loss": _with_excursion(run["val"], at, factor)})
    assert not judged.bells


def _with_level_jump(val: list[float], at: float, width: int, factor: float = 1.3) -> tuple[int, list[float]]:
    """Validation ``factor`` times higher for ``width`` points from ``at`` of the run (a jump; back after it)."""
    out = np.array(val, dtype=float)
    k = int(at * len(out))
    out[k : k + width] += (factor - 1.0) * np.abs(out[k : k + width])
    return k, out.tolist()


@pytest.mark.parametrize("width", [3, 4, 5, 6, 7])
@pytest.mark.parametrize(
    "name",  # each rang overfitting on widths 3 and 4 before a jump had to stand, and on 5 until it stood nine points
    ["tolstoi_char_rnn-mom-lr3.98e+00-s42", "quadratic_deep-adam-lr2.51e+00-s42", "quadratic_deep-adam-lr6.31e-01-s42"],
)
def test_a_three_to_seven_epoch_validation_jump_that_comes_back_rings_no_bell(tmp_path, name, width):
    """A few bad evaluations in a row (batch-norm statistics spoiled for some epochs) on a calm healthy curve:
    one step of a spike's size carries the rise. It warns (val-rising), it does not ring."""
    run = DEEPOBS[name]
    _, val = _with_level_jump(run["val"], 0.75, width)
    judged = judge(tmp_path / "run", {"train_loss": run["train"], "val_loss": val})
    assert not judged.bells
    assert judged.first("val-rising") is not None


@pytest.mark.parametrize("width", [3, 4])
def test_a_jump_on_a_noisy_curve_that_comes_back_rings_no_bell(tmp_path, width):
    """The same on a noisy CIFAR-10 curve, where +30 % is under 8 noise deviations: it rang while a jump had to be
    a spike's size (``spike_z``); ``jump_z`` is 4."""
    run = DEEPOBS["cifar10_3c3d-sgd-lr6.31e-02-s44"]
    _, val = _with_level_jump(run["val"], 0.75, width)
    judged = judge(tmp_path / "run", {"train_loss": run["train"], "val_loss": val})
    assert not judged.bells


def test_a_jump_that_stands_rings_once_it_stood_nine_points(tmp_path):
    """The same jump kept to the end of the run, training still falling: the bell rings at the ninth point of the
    new level (the jump is no longer among the latest eight), not before."""
    run = DEEPOBS["quadratic_deep-adam-lr6.31e-01-s42"]
    k, val = _with_level_jump(run["val"], 0.75, len(run["val"]))
    judged = judge(tmp_path / "run", {"train_loss": run["train"], "val_loss": val})
    assert [(a.step, a.kind) for a in judged.bells] == [(k + 8, "overfitting")]


def test_the_way_back_from_a_two_point_dip_is_not_a_jump(tmp_path):
    """Two low points on a rise, then the curve where it was: the step back up is no jump over the three points
    before it (over two, the dip's, it held the bell three points longer)."""
    train, val = overfitting_curves(seed=1, climb=0.012)
    val[26:28] = val[20]
    judged = judge(tmp_path / "dip", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [(a.step, a.kind) for a in judged.bells] == [(30, "overfitting")]


def test_an_excursion_on_a_real_rise_rings_only_where_the_rise_stands_without_it(tmp_path):
    """Two high points on a real rise: the bell rings where it rings without them (while the latest three points'
    median stands on their jump it waits; before jumps had to stand it rang a point early, on the five-point
    median the excursion lifted), and its reason gives a level the excursion does not hold, and no trend (the
    slope since the best is the excursion's too)."""
    train, val = overfitting_curves(seed=1, climb=0.004)
    plain = judge(tmp_path / "plain", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [(a.step, a.kind) for a in plain.bells] == [(35, "overfitting")]
    val[32], val[33] = val[32] * 1.3, val[33] * 1.3 * 0.97
    judged = judge(tmp_path / "excursion", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    bell = judged.bells[0]
    assert [(a.step, a.kind) for a in judged.bells] == [(35, "overfitting")]
    assert f"→ {fmt(float(np.median(val[33:36])))} since its best" in bell.reason
    assert float(np.median(val[33:36])) < min(val[32], val[33]) / 1.2
    assert "standard errors" not in bell.reason


def test_a_validation_glitch_in_a_real_training_run_is_a_spike_not_overfitting(tmp_path):
    """A real run of the corpus (``benchmarks/corpus.py``, regime val-glitch): two validation passes on
    corrupted inputs near its end. The slope over the few points since validation's best is the glitch's too,
    so it rang overfitting through the trend test before."""
    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    import corpus

    regime = next(r for r in corpus.REGIMES if r.name == "val-glitch")
    run = corpus.train(regime, 1073, str(tmp_path / "run"), ("train/loss", "eval/loss"))
    glitch = int(0.7 * regime.epochs)
    assert min(run["val"][glitch : glitch + 2]) > 1.5 * max(run["val"][glitch - 3 : glitch])  # the glitch is there
    judged = judge_folder(tmp_path / "run")
    assert not judged.bells
    spike = judged.first("spike")
    values = [float(np.float32(v)) for v in run["val"][glitch : glitch + 2]]
    peak = int(np.argmax(values))  # the height named is the point's at the step named (they came from two points)
    assert spike is not None and f"to {fmt(values[peak])} at step {run['val_steps'][glitch + peak]:,}" in spike.reason


def test_one_epoch_training_bump_does_not_hide_overfitting(tmp_path):
    train, val = overfitting_curves()
    train[30] = 10 * train[29]  # 1e-3 -> 1e-2 for one epoch
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [a.kind for a in judged.bells] == ["overfitting"]


def test_oscillating_training_loss_is_unstable_not_diverging(tmp_path):
    judged = deepobs(tmp_path, "tolstoi_char_rnn-adam-lr6.31e-01-s42", upto=55)  # before it finally blows up
    assert judged.verdict.kind == "unstable"
    assert not [a for a in judged.bells if a.step > 5]  # its first epochs are an explosion; the swings are not


def test_a_jump_then_a_long_flat_stretch_is_not_still_diverging(tmp_path):
    train = [2.3, 2.9] + [2.9 + 0.002 * (i % 3) for i in range(98)]
    val = [2.31, 2.95] + [2.95 + 0.002 * (i % 2) for i in range(98)]
    judged = judge(tmp_path / "run", {"train_loss": train, "val_loss": val})
    assert not judged.bells and judged.verdict.kind != "diverging"


def test_recovered_run_is_judged_again_and_a_later_overfitting_still_rings(tmp_path):
    train, val = overfitting_curves(n=70, onset=40)
    train[8], val[8] = 40.0, 41.0  # a blow-up that comes back
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [a.kind for a in judged.bells] == ["diverging", "overfitting"]
    assert judged.verdict.kind == "overfitting"


def _falling(n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    train = 0.5 + 1.8 * np.exp(-np.arange(n, dtype=float) / 4.0)
    return train, train + 0.05


def test_a_blow_up_of_the_other_curve_without_learning_in_between_stays_quiet(tmp_path):
    train, val = _falling()
    train[20] = np.nan  # training rings
    val[40], val[41] = 41.0, 42.0  # then validation alone, training still where it was
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [(a.kind, a.step) for a in judged.bells] == [("diverging", 20)]
    then = judge(tmp_path / "then", {"train_loss": train[:42].tolist(), "val_loss": val[:42].tolist()})
    assert then.verdict.kind == "diverging" and "val_loss exploded" in then.verdict.reason  # the verdict says it


def test_after_a_slow_divergence_an_explosion_without_learning_stays_quiet(tmp_path):
    """The slow path and the explosions measure learning alike (each curve's lowest point), so a noisy curve's
    lowest point, below its best three-point mean, does not pass for progress."""
    rng = np.random.default_rng(1)
    train, _ = _falling(120)
    train[30:50] = np.linspace(0.5, 2.2, 20)  # back up to the start: a slow divergence
    train[50:] = 0.55
    val = train + 0.05 + 0.03 * rng.standard_normal(120)
    val[90], val[91] = 60.0, 61.0
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert len(judged.bells) == 1 and judged.bells[0].step < 90


def test_a_curve_that_logged_zero_first_recovers_from_a_nan(tmp_path):
    train, val = _falling()
    train[0] = 0.0  # a placeholder logged before the first batch
    train[20] = np.nan
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [a.step for a in judged.bells] == [20] and judged.verdict.kind != "diverging"


def test_whether_a_later_blow_up_rings_does_not_depend_on_which_file_was_read_first():
    """Keras writes train/ and validation/ as two files: one may be read ahead of the other."""
    from tui.judging.engine import VerdictEngine
    from tui.judging.thresholds import Thresholds
    from tui.sources.points import Decoded
    from tui.store import Store

    train, val = _falling()
    val[20] = val[21] = 40.0  # validation blows up and rings
    train[60] = train[61] = 40.0  # later training blows up, nothing learned in between

    def bells(order: list[tuple[str, int]]) -> list[int]:
        store, engine, rung = Store(), VerdictEngine("r", Thresholds()), []
        for tag, i in order:
            decoded = Decoded()
            decoded.add_scalar(tag, i, 1000.0 + i, float((train if tag == "train_loss" else val)[i]))
            store.apply("r", decoded)
            rung += [a.step for a in engine.update(store.runs["r"]) if a.kind == "diverging"]
        return rung

    together = [(tag, i) for i in range(80) for tag in ("train_loss", "val_loss")]
    lag = 10
    val_ahead = [("val_loss", i) for i in range(lag)]
    val_ahead += [pair for i in range(lag, 80) for pair in (("val_loss", i), ("train_loss", i - lag))]
    val_ahead += [("train_loss", i) for i in range(80 - lag, 80)]
    assert bells(together) == bells(val_ahead) == [21]


@pytest.mark.parametrize("first", [3.6, -1.0])
def test_a_run_blown_up_from_its_first_step_stays_diverging_whatever_the_sign_of_its_start(tmp_path, first):
    rng = np.random.default_rng(0)
    train = [first, *(1e6 * (1 + 0.001 * rng.standard_normal(59)))]
    val = [first + 0.01, *(1.1e6 * (1 + 0.001 * rng.standard_normal(59)))]
    judged = judge(tmp_path / "run", {"train_loss": train, "val_loss": val})
    assert judged.verdict.kind == "diverging" and [a.kind for a in judged.bells] == ["diverging"]
    assert "unstable" not in judged.kinds()


def _per_step_training_then_validation(folder: Path, train: list[float], val: dict[int, float]) -> Path:
    """A training loss at every step from step 0 and validation only at the steps of ``val`` (the end of each
    epoch): the pair judged changes at the first validation point."""
    folder.mkdir(parents=True)
    payloads = [file_version_event()]
    for step, value in enumerate(train):
        payloads.append(scalar_event("train_loss", step, value, 1000.0 + step))
        if step in val:
            payloads.append(scalar_event("val_loss", step, val[step], 1000.0 + step))
    write_records(folder / "events.out.tfevents.1000.host.1.0", payloads)
    return folder


def test_a_nan_in_the_first_epoch_rings_once_when_validation_first_appears(tmp_path):
    """The training curve alone rings at its NaN; the first validation point then changes the pair, which reads
    the curves again from their start: that NaN was announced already (it rang twice before)."""
    train = 0.3 + 2.0 * np.exp(-np.arange(300) / 40.0)
    train[50:] = np.nan
    folder = _per_step_training_then_validation(tmp_path / "run", train.tolist(), {100: np.nan, 200: np.nan})
    judged = judge_folder(folder)
    assert [(a.step, a.kind) for a in judged.bells] == [(50, "diverging")]
    assert judged.verdict.kind == "diverging" and judged.verdict.val_tag == "val_loss"


def test_a_blow_up_before_the_first_validation_point_rings_once(tmp_path):
    train = 0.3 + 2.0 * np.exp(-np.arange(300) / 40.0)
    train[30:32] *= 100.0  # two exploded steps, then back
    val = {step: 0.5 + 2.0 * np.exp(-step / 40.0) for step in range(100, 300, 10)}
    judged = judge_folder(_per_step_training_then_validation(tmp_path / "run", train.tolist(), val))
    assert [a.kind for a in judged.bells] == ["diverging"]
    assert judged.verdict.kind == "learning"


def test_a_training_file_read_ahead_of_validation_rings_each_blow_up_once(tmp_path):
    """Training and validation in two files of one run; the monitor reads the training file up to step 199
    before the validation file (from step 100) is there. The pair judged with validation then reads the curves
    from their start: the blow-up at step 150, rung by the training curve alone, rang a second time."""
    train = 0.3 + 2.0 * np.exp(-np.arange(300) / 40.0)
    train[30:32] *= 100.0
    train[150:153] = 50.0
    val = {step: 0.5 + 2.0 * np.exp(-step / 40.0) for step in range(100, 300, 10)}
    monitor = _read_training_first(tmp_path / "run", train, val)
    assert [a.kind for a in monitor.alerts if a.kind in BELL] == ["diverging", "diverging"]


def test_validation_news_in_the_stretch_the_training_file_was_read_ahead_still_rings(tmp_path):
    """What only validation shows (a NaN at step 150) is new to the pair judged with it, though training had been
    read past that step: it rings."""
    train = 0.3 + 2.0 * np.exp(-np.arange(300) / 40.0)
    val = {step: 0.5 + 2.0 * np.exp(-step / 40.0) for step in range(100, 300, 10)}
    val[150] = np.nan
    monitor = _read_training_first(tmp_path / "run", train, val)
    assert [(a.step, a.kind, a.tag) for a in monitor.alerts if a.kind in BELL] == [(150, "diverging", "val_loss")]


def _read_training_first(folder: Path, train: np.ndarray, val: dict[int, float]) -> Monitor:
    """Training and validation in two files of one run, the monitor reading the training file up to step 199
    before the validation file (from step 100) is there; then the rest of both."""
    folder.mkdir()
    train_file, val_file = folder / "events.out.tfevents.1000.host.1.0", folder / "events.out.tfevents.1001.host.2.0"

    def write(path: Path, tag: str, points: dict[int, float], mode: str) -> None:
        head = [file_version_event()] if mode == "wb" else []
        write_records(path, head + [scalar_event(tag, s, v, 1000.0 + s) for s, v in points.items()], mode)

    monitor = Monitor(str(folder), Thresholds())
    write(train_file, "train_loss", {s: float(train[s]) for s in range(200)}, "wb")
    monitor.refresh()
    write(val_file, "val_loss", {s: v for s, v in val.items() if s < 200}, "wb")
    monitor.refresh()
    write(train_file, "train_loss", {s: float(train[s]) for s in range(200, len(train))}, "ab")
    write(val_file, "val_loss", {s: v for s, v in val.items() if s >= 200}, "ab")
    monitor.refresh()
    return monitor


def test_a_glitch_the_training_curve_alone_let_pass_does_not_ring_when_validation_appears(tmp_path):
    """One exploded step of a per-step training curve is a glitch (single batches swing); judged with validation
    from step 100 on, one exploded point of a per-epoch curve rings: read again from the start, it rang late."""
    train = 0.3 + 2.0 * np.exp(-np.arange(150) / 40.0)
    train[80] *= 100.0
    val = {step: 0.5 + 2.0 * np.exp(-step / 40.0) for step in range(100, 150, 10)}
    judged = judge_folder(_per_step_training_then_validation(tmp_path / "run", train.tolist(), val))
    assert not judged.bells


def test_a_run_logging_validation_alone_recovers_from_a_nan_and_is_overfitting_without_a_bell(tmp_path):
    """No training curve holds a validation-only run in ``diverging`` once validation is back in its range; its
    later rise warns (``val-rising``) and is then judged ``overfitting``, but never rings: without training beside
    it a rise is not told from a wander (the bell's evidence alone rang on 16 of 476 healthy and stuck benchmark
    runs with training left out). It was ``learning`` ("keep training") with validation 2.3 times its best."""
    _, val = _falling()
    val[20] = np.nan
    judged = judge(tmp_path / "run", {"val_loss": val.tolist()})
    assert [a.step for a in judged.bells] == [20] and judged.verdict.kind == "learning"
    assert "(no training curve)" in judged.verdict.reason and "nan" not in judged.verdict.reason
    _, val = overfitting_curves(n=70, onset=40)
    val[8] = np.nan
    later = judge(tmp_path / "later", {"val_loss": val.tolist()})
    assert [(a.kind, a.step) for a in later.alerts if a.kind in ("diverging", "overfitting", "val-rising")] == [
        ("diverging", 8),
        ("val-rising", 44),  # the bell's evidence, first at 43 while its level test's noise was read on 24 points
    ]
    assert later.verdict.kind == "overfitting" and later.verdict.reason.endswith(
        "no training curve (no bell without one)"
    )


def test_an_overfitting_run_back_from_a_training_nan_is_overfitting_again(tmp_path):
    """The NaN rings and takes the verdict; once both curves are back the verdict is overfitting again (it stayed
    `diverging` with the overfitting reason, "learning rate too high" as its advice)."""
    epochs = np.arange(60, dtype=float)
    wiggle = 0.005 * ((epochs * 7) % 3 - 1)
    train = 2 * np.exp(-epochs / 8) + 0.05 + wiggle
    val = 2 * np.exp(-epochs / 8) + 0.3 + np.where(epochs > 20, 0.03 * (epochs - 20), 0.0) + wiggle[::-1]
    train[45] = np.nan
    judged = judge(tmp_path / "run", {"train_loss": train.tolist(), "val_loss": val.tolist()})
    assert [(a.kind, a.step) for a in judged.bells] == [("overfitting", 26), ("diverging", 45)]
    assert judged.verdict.kind == "overfitting" and judged.verdict.reason.startswith("val_loss")


def test_validation_alone_confirmed_at_its_first_judgement_still_warns(tmp_path):
    """With ``rise_confirm = 1`` the rise is confirmed at the judgement that would have warned: the run turned
    overfitting with no alert at all."""
    from dataclasses import replace

    _, val = overfitting_curves(n=70, onset=40)
    judged = judge(tmp_path / "run", {"val_loss": val.tolist()}, replace(Thresholds(), rise_confirm=1))
    assert judged.verdict.kind == "overfitting" and [a.kind for a in judged.alerts] == ["val-rising"]
