"""The stored corpus of real deep-net runs (benchmarks/data/realnets.*) and the logs written from it."""

from __future__ import annotations

import filecmp
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))

import realnets

from tui.live.monitor import Monitor

ABOUT, RECORDS, CURVES = realnets.load()
OVERFIT, LARGE_OVERFIT = 85, 35
CURVE_OF_TAG = {"train": "train_loss", "val": "val_loss", "train_acc": "train_acc", "val_acc": "val_acc"}


def _sample() -> list[str]:
    """A few runs that between them meet every way a run is written."""
    want = {
        "keras folders": lambda r: r["style"] == "keras-dirs",
        "per-batch loss": lambda r: "batch" in r["tags"] and "val" in r["tags"],
        "per-batch only, lr per batch": lambda r: "val" not in r["tags"] and r["lr_per_batch"],
        "epoch-0 point": lambda r: r["eval_start"] and "batch" not in r["tags"],
        "NaN": lambda r: not np.all(np.isfinite(CURVES[r["name"]]["val_loss"])) and "val" in r["tags"],
        "accuracy": lambda r: "val_acc" in r["tags"],
    }
    named = [dict(r, name=n) for n, r in RECORDS.items()]
    return sorted({next(r["name"] for r in named if test(r)) for test in want.values()})


def _series(run, tag: str) -> tuple[np.ndarray, np.ndarray]:
    series = run.scalars[tag]
    return series.steps, series.values


def test_rewritten_logs_hold_exactly_the_stored_curves_at_the_recorded_steps(tmp_path):
    names = _sample()
    realnets.write_logs(str(tmp_path), only=set(names))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    for name in names:
        record, curves, run = RECORDS[name], CURVES[name], monitor.store.runs[name]
        for key, curve in CURVE_OF_TAG.items():
            if key in record["tags"]:
                steps, values = _series(run, record["tags"][key])
                assert steps.tolist() == record["val_steps"], (name, key)
                np.testing.assert_array_equal(values, curves[curve].astype(np.float64), err_msg=f"{name} {key}")
        lr_steps, lr_values = _series(run, record["tags"]["lr"])
        if record["lr_per_batch"]:
            np.testing.assert_array_equal(lr_values, curves["batch_lr"].astype(np.float64))
        else:
            assert lr_steps.tolist() == record["val_steps"]
        if "batch" in record["tags"]:
            steps, values = _series(run, record["tags"]["batch"])
            assert steps.tolist() == list(range(1, len(curves["batch_loss"]) + 1))
            np.testing.assert_array_equal(values, curves["batch_loss"].astype(np.float64))


def test_rewriting_gives_byte_identical_files(tmp_path):
    names = set(_sample())
    realnets.write_logs(str(tmp_path / "a"), only=names)
    realnets.write_logs(str(tmp_path / "b"), only=names)
    compared = filecmp.dircmp(tmp_path / "a", tmp_path / "b")
    stack, files = [compared], 0
    while stack:
        here = stack.pop()
        assert not here.left_only and not here.right_only and not here.diff_files, here.report()
        _, mismatch, errors = filecmp.cmpfiles(here.left, here.right, here.common_files, shallow=False)
        assert not mismatch and not errors
        files += len(here.common_files)
        stack.extend(here.subdirs.values())
    assert files > len(names)


def test_the_stored_labels_are_what_the_label_rule_says_of_the_stored_curves():
    for name, record in RECORDS.items():
        measured = realnets.measure(record, CURVES[name])
        assert {k: record.get(k) for k in measured} == measured, name


def test_the_corpus_has_what_it_is_for():
    kinds = [r["kind"] for r in RECORDS.values()]
    assert kinds.count("overfit") >= OVERFIT
    converged = [r for r in RECORDS.values() if r["intended"] == "converged"]
    assert converged and all(r["lr_decayed"] for r in converged)
    assert {"lstm", "vae", "resnet", "cnn", "mlp"} <= {r["regime_settings"]["model"] for r in RECORDS.values()}
    assert ABOUT["torch"] and ABOUT["train_cpu_seconds"] < 40 * 60


def test_the_corpus_has_smooth_runs_validated_on_large_sets_beside_the_noisy_small_ones():
    """Validated on 10,000 examples or more, an overfitting rise stands out of the noise within epochs.

    The rise per epoch after the onset, in units of the validation curve's point-to-point noise,
    is what decides how soon any detector can see it: about a tenth on the small digit
    validation sets, more than one on most of the large ones.
    """
    large = [(n, r) for n, r in RECORDS.items() if realnets.validation_size(r) >= 10_000]
    kinds = [r["kind"] for _, r in large]
    assert kinds.count("overfit") >= LARGE_OVERFIT and kinds.count("healthy") >= 15 and kinds.count("mild") >= 2
    assert any(r["lr_decayed"] and r["kind"] == "healthy" for _, r in large)
    assert {"lstm", "vae", "resnet", "cnn", "mlp"} <= {r["regime_settings"]["model"] for _, r in large}

    def per_epoch(runs) -> float:
        return float(np.median([realnets.overfit_stats(r, CURVES[n])[2] for n, r in runs if r["kind"] == "overfit"]))

    small_digits = [
        (n, r)
        for n, r in RECORDS.items()
        if realnets.validation_size(r) <= 1000 and r["regime_settings"]["task"] == "digits"
    ]
    assert per_epoch(large) > 1.0 > 0.3 > per_epoch(small_digits)


def test_jittered_copies_are_new_images_of_the_same_digits():
    pytest.importorskip("scipy")
    load_digits = pytest.importorskip("sklearn.datasets").load_digits
    from realnets_jitter import jittered

    digits = load_digits()
    images, classes = digits.data[:300].reshape(-1, 1, 8, 8) / 16.0, digits.target[:300]
    out = jittered(images, 4, np.random.default_rng(3))
    np.testing.assert_array_equal(out, jittered(images, 4, np.random.default_rng(3)))
    assert out.shape == (1200, 1, 8, 8) and out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_array_equal(out[:300], images)
    copies, sources = out[300:].reshape(900, 64), np.tile(np.arange(300), 3)
    assert np.abs(copies - images.reshape(300, 64)[sources]).mean() > 0.05  # not copies of the pixels
    nearest = ((copies[:, None, :] - images.reshape(1, 300, 64)) ** 2).sum(-1).argmin(1)
    assert np.mean(classes[nearest] == classes[sources]) > 0.9  # but the digit they were made from
