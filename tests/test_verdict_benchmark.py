"""The verdict benchmark's scoring: what the README's quality tables are computed with."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))

import numpy as np
from scoring import Scored, keras_patience, markdown, prechelt_gl, summarize, told_onset
from v1_onset import v1_overfitting


def test_keras_patience_and_gl5_stop_where_their_definitions_say():
    val = [1.0, 0.8, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76]
    assert keras_patience(val, 5) == 7  # five epochs without a new best after index 2
    assert keras_patience(val, 10) is None
    assert prechelt_gl(val, 5.0) == 6  # 0.74 is 5.7 % above the best 0.7
    assert prechelt_gl([1.0, float("nan")]) == 1


def test_the_told_onset_reference_passes_where_the_slope_since_the_onset_reaches_its_standard_errors():
    rng = np.random.default_rng(1)
    noise = 0.01 * rng.standard_normal(60)
    flat_then_rising = 0.5 + np.where(np.arange(60) > 20, 0.004 * (np.arange(60) - 20), 0.0) + noise
    lenient, strict = told_onset(flat_then_rising.tolist(), 20, 3.0), told_onset(flat_then_rising.tolist(), 20, 4.0)
    assert lenient is not None and strict is not None and 20 < lenient <= strict
    slope_z = []  # what the reference computes, by hand, at the point it passes and the one before
    sigma = float(np.std(np.diff(noise, 2)) / np.sqrt(6))
    for end in (lenient - 1, lenient):
        since = flat_then_rising[20 : end + 1]
        slope = np.polyfit(np.arange(len(since)), since, 1)[0]
        slope_z.append(slope * np.sqrt(len(since) * (len(since) ** 2 - 1) / 12) / sigma)
    assert slope_z[0] < 3.3 and slope_z[1] > 2.7  # robust noise against the plain deviation: within a tenth
    assert told_onset((0.5 + noise).tolist(), 20, 3.0) is None  # no rise: never
    assert told_onset([0.5] * 30, 5, 3.0) is None  # no noise to measure against: never


def test_the_v1_cusum_alarms_on_a_rise_beside_falling_training_and_never_beside_rising_training():
    rng = np.random.default_rng(0)
    epochs = np.arange(60, dtype=float)
    val = (
        0.3 + np.exp(-epochs / 5.0) + np.where(epochs > 20, 0.01 * (epochs - 20), 0.0) + 0.005 * rng.standard_normal(60)
    )
    falling, rising = np.exp(-epochs / 6.0).tolist(), (1.0 + 0.05 * epochs).tolist()
    alarm = v1_overfitting(val.tolist(), falling)
    assert alarm is not None and 21 < alarm < 35
    assert v1_overfitting(val.tolist(), rising) is None  # rising together: not overfitting
    flat = 0.3 + np.exp(-epochs / 5.0) + 0.005 * rng.standard_normal(60)
    assert v1_overfitting(flat.tolist(), falling) is None


def _rows() -> list[Scored]:
    return [
        Scored(
            "s",
            "over-a",
            "overfit",
            10,
            {"val-rising": 13, "overfitting": 16},
            final="overfitting",
            patience5=15,
            gl5=9,
        ),
        Scored("s", "over-b", "overfit", 20, {"overfitting": 30}, final="overfitting", patience5=25, gl5=22),
        Scored("s", "calm", "healthy", None, {"val-rising": 40}, final="converged", patience5=33),
        Scored("s", "noisy", "healthy", None, {"plateau": 12}, final="plateau", patience5=8, gl5=8),
        Scored("s", "stuck", "stuck", None, {"diverging": 4}, final="diverging", agree=False),
        Scored("s", "boom", "diverged", 5, {"diverging": 6}, final="diverging", bells=7),
        Scored("s", "late", "diverged", 5, {"diverging": 9, "overfitting": 3}, final="diverging"),
    ]


def test_summary_counts_every_measure_the_readme_reports():
    s = summarize(_rows())
    assert s["false bells"] == 1 and s["false bell runs"] == ["s/stuck"]
    assert s["wrong-kind bells"] == 1 and s["wrong-kind runs"] == ["s/late"]
    assert (s["diverged in time"], s["diverged runs"]) == (1, 2)
    assert s["plateau alerts on healthy"] == 1
    assert s["runs ringing more than twice"] == ["s/boom"] and s["most bells on one run"] == 7
    assert s["check = replay"] == 6 and s["disagree runs"] == ["s/stuck"]
    over = s["overfitting"]
    assert (over["caught"], over["premature"], over["median delay"], over["mean delay"]) == (2, 0, 8.0, 8.0)
    warn = s["val-rising"]
    assert (warn["caught"], warn["median delay"], warn["fires on healthy"]) == (1, 3, 1)
    p5 = s["keras patience=5"]
    assert (p5["caught"], p5["mean delay"], p5["fires on healthy"]) == (2, 5.0, 2)
    gl5 = s["prechelt GL5"]
    assert (gl5["caught"], gl5["premature"], gl5["fires on healthy"]) == (1, 1, 1)
    assert s["confusion"]["healthy"] == {"converged": 1, "plateau": 1}


def test_markdown_shows_the_counts():
    text = markdown(summarize(_rows()))
    assert "| false bells (a bell on a healthy or stuck run) | 1 |" in text
    assert "| runs whose bell rang more than twice (most on one run) | 1 (7) |" in text
    assert "| losswatch `overfitting` (bell) | 2 of 2 | 0 | 8.0 / 8.0 / 10 | 0 of 2 | 0 of 3 |" in text
    assert "| healthy |" in text and "| label \\ final verdict |" in text
    # the reference is told each overfit run's onset and never looks at a healthy one: no false-stop columns
    assert "| *told the onset*: the same at 4 standard errors | 0 of 2 | 0 | None / None / None | — | — |" in text


def test_the_stress_suite_never_rises_and_its_noise_is_what_it_says(tmp_path):
    import numpy as np
    import stress

    from tui.live.monitor import Monitor

    t = np.arange(160, dtype=float)
    for step in (False, True):
        assert np.all(np.diff(stress.curve(t, 16.0, step)) <= 0)  # any bell on these runs is a false one
    rng = np.random.default_rng(0)
    wandering = stress.noise(rng, "ar0.5", 20_000)
    assert abs(np.corrcoef(wandering[1:], wandering[:-1])[0, 1] - 0.5) < 0.03
    assert abs(np.std(wandering) - 1.0) < 0.05 and abs(np.std(stress.noise(rng, "t3", 20_000)) - 1.0) < 0.2
    labels = stress.build(str(tmp_path), seeds=1)
    assert len(labels) == 288 and {label["kind"] for label in labels.values()} == {"healthy"}
    assert [label["train"] for label in labels.values()].count("memorising") == 144
    name = "n40-tau0.1-step-ar0.5-noise0.03-s0"
    monitor = Monitor(str(tmp_path / name))
    monitor.refresh()
    assert len(monitor.store.runs["."].scalars["val_loss"]) == 40
    # Training keeps falling in the memorising half while validation is drawn alike: a widening gap.
    memorising = Monitor(str(tmp_path / (name + "-memorising")))
    memorising.refresh()
    settled = monitor.store.runs["."].scalars["loss"].values
    falling = memorising.store.runs["."].scalars["loss"].values
    assert falling[-1] < settled[-1] - 0.2 and falling[-1] < falling[30] - 0.05
