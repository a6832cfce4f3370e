"""Weights and activations: per-layer movement, zeros, flags, the distribution view, check --json layers."""

from __future__ import annotations

import json
import math

import numpy as np
from conftest import DATA, run_main

from tui.judging.layers import layer_reports, percentiles, wasserstein, zero_fraction
from tui.judging.thresholds import Thresholds
from tui.live.monitor import Monitor
from tui.sources.points import Decoded
from tui.sources.tensorboard.decode import histo_histogram
from tui.sources.tensorboard.writer import histogram_proto


def run_of(folder, name):
    monitor = Monitor(str(DATA / folder))
    monitor.refresh()
    return monitor.store.runs[name], monitor.verdict(name)


def test_frozen_layer_is_static_and_flagged():
    run, verdict = run_of("torch", "frozen-7")
    reports = {r.tag: r for r in layer_reports(run, Thresholds())}
    assert reports["weights/layer0"].static and reports["weights/layer0"].change_total == 0
    assert "weights-static:weights/layer0" in verdict.flags
    # ReLU activations: about half exactly zero (sparsity/layer0 says 0.51), not dead.
    assert 0.4 < reports["activations/layer0"].zero_fraction < 0.6
    assert not reports["activations/layer0"].dead
    assert reports["sparsity/layer0"].zero_fraction == run.scalars["sparsity/layer0"].values[-1]


def test_keras_kernels_change():
    run, verdict = run_of("keras", "k-healthy")
    kernels = [r for r in layer_reports(run, Thresholds()) if r.tag.endswith("kernel/histogram")]
    assert kernels and all(r.kind == "weights" and not r.static and r.change_total > 0.01 for r in kernels)
    assert not [f for f in verdict.flags if f.startswith("weights-static")]


def test_distance_and_percentiles_on_known_histograms():
    values = np.random.default_rng(0).normal(0, 1, 100_000)
    a = histo_histogram(histogram_proto(values), 0, 0.0)
    b = histo_histogram(histogram_proto(values + 0.5), 1, 0.0)
    assert abs(wasserstein(a, b) - 0.5) < 0.02  # a shift by 0.5 moves the mass by 0.5
    assert wasserstein(a, a) == 0
    q = percentiles(a, (16, 50, 84))
    assert abs(q[1]) < 0.02 and abs(q[0] + 1) < 0.03 and abs(q[2] - 1) < 0.03


def test_dead_relu_activations_are_flagged():
    dead = np.zeros(4096)
    dead[:100] = np.abs(np.random.default_rng(1).normal(size=100))
    histogram = histo_histogram(histogram_proto(dead), 5, 0.0)
    assert zero_fraction(histogram) > 0.97
    all_dead = histo_histogram(histogram_proto(np.zeros(512)), 5, 0.0)
    assert zero_fraction(all_dead) == 1.0


def test_check_json_has_layers():
    result = run_main("check", str(DATA / "torch"), "--json")
    records = {r["run"]: r for r in json.loads(result.stdout)}
    layers = {layer["tag"]: layer for layer in records["frozen-7"]["layers"]}
    assert layers["weights/layer0"]["static"] is True
    assert layers["activations/layer0"]["kind"] == "activations"
    assert "layers" not in records["noisy-7"]  # no histograms, no key


async def press_h_on(pilot, name: str) -> None:
    """Select run ``name`` in the runs table and press h."""
    from test_app import select_run

    await pilot.pause()
    await select_run(pilot, name)
    await pilot.press("h")
    await pilot.pause(0.3)


async def test_distribution_view_opens_with_h_and_lists_tags():
    from test_app import fixture_app

    from tui.app.distributions import DistributionScreen

    app = fixture_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await press_h_on(pilot, "torch/frozen-7")
        screen = app.screen
        assert isinstance(screen, DistributionScreen)
        assert screen.tag == "activations/layer0"
        await pilot.press("down")
        await pilot.pause(0.2)
        assert screen.tag == "weights/layer0"
        from rich.console import Console

        console = Console(record=True, width=160)
        console.print(screen.query_one("#layers").content)
        assert "weights-static" in console.export_text()
        await pilot.press("escape")
        assert not isinstance(app.screen, DistributionScreen)


async def test_h_on_a_run_without_histograms_says_so():
    from test_app import fixture_app, record_notifications

    app = fixture_app()
    sent = record_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_h_on(pilot, "torch/noisy-7")
        assert app.screen is app.screen_stack[0]
        assert sent == ["this run logs no histograms"]


def test_a_step_passed_on_the_way_measures_the_total_change_only_for_static_layers():
    run, _ = run_of("torch", "frozen-7")  # one static layer, one that moves
    shown = {r.tag: r for r in layer_reports(run, Thresholds())}
    passed = {r.tag: r for r in layer_reports(run, Thresholds(), shown=False)}
    assert shown.keys() == passed.keys()
    for tag, report in shown.items():
        other = passed[tag]
        assert (other.static, other.dead, other.change_recent) == (report.static, report.dead, report.change_recent)
        if report.static:
            assert other.change_total == report.change_total and other.static_reason == report.static_reason
        elif report.kind != "sparsity":  # a sparsity scalar has no distribution to move
            assert math.isnan(other.change_total)
    assert any(r.static for r in shown.values()) and any(not r.static for r in shown.values())


def _reports_equal(a: list, b: list) -> bool:
    """Reports field for field, NaN equal to NaN (a step passed on the way has no total change)."""
    return [{k: str(v) for k, v in vars(r).items()} for r in a] == [{k: str(v) for k, v in vars(r).items()} for r in b]


def test_histogram_figures_kept_between_steps_equal_a_fresh_measure_through_thinning_and_a_restart():
    """The engine keeps each histogram's figures (layers.HistogramTrack) and reads them at every step: at each
    step that equals measuring every histogram again, also after the store thinned the series (past its limit)
    and after a restart dropped its newest histograms."""
    from tui.store import Store

    rng = np.random.default_rng(3)
    store = Store()
    tracks: dict = {}
    thresholds = Thresholds()
    frozen = rng.normal(0, 1, 2048)

    def add(step: int) -> None:
        moving = histo_histogram(histogram_proto(rng.normal(step * 0.01, 1, 2048)), step, float(step))
        still = histo_histogram(histogram_proto(frozen), step, float(step))
        relu = histo_histogram(histogram_proto(np.maximum(rng.normal(-step * 0.04, 1, 2048), 0)), step, float(step))
        decoded = Decoded()
        decoded.histograms = {"weights/moving": [moving], "weights/still": [still], "activations/relu": [relu]}
        store.apply("run", decoded)

    for step in range(1, 61):
        add(step)
        run = store.runs["run"]
        run.histograms["weights/moving"].limit = 20  # thinned past 40 histograms
        kept = layer_reports(run, thresholds, upto=step, shown=step % 7 == 0, tracks=tracks)
        assert _reports_equal(kept, layer_reports(run, thresholds, upto=step, shown=step % 7 == 0))
    assert run.histograms["weights/moving"].generation > 0  # it was thinned
    assert any(r.static for r in kept) and any(r.dead for r in kept)  # the figures the flags read
    assert _reports_equal(
        layer_reports(run, thresholds, upto=30, tracks=tracks), layer_reports(run, thresholds, upto=30)
    )
    for series in run.histograms.values():
        series.truncate_from_step(45)  # a restart from step 45
    for step in range(45, 50):
        add(step)
        kept = layer_reports(run, thresholds, upto=step, tracks=tracks)
        assert _reports_equal(kept, layer_reports(run, thresholds, upto=step))


def test_a_sparsity_logged_in_percent_is_percent_below_one_too(tmp_path):
    """``relu1/sparsity_pct`` falls from 40 % to 0.5 % as the net trains: read as a fraction once at 0.94, it rang
    'dead-units ... 94% of units are zero'. A curve seen above 1, or named in percent, is in percent."""
    from conftest import scalar_run

    from tui.judging.replay import replay

    epochs = np.arange(30)
    percent_zero = np.maximum(40.0 * np.exp(-epochs / 4), 0.5)
    curves = {"train/loss": 2.0 * np.exp(-epochs / 6) + 0.1, "val/loss": 2.1 * np.exp(-epochs / 6) + 0.15}
    for name, sparsity in (("pct", "relu1/sparsity_pct"), ("seen", "relu1/sparsity")):
        scalar_run(tmp_path / name, {**{k: v.tolist() for k, v in curves.items()}, sparsity: percent_zero.tolist()})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    for name in ("pct", "seen"):
        assert not [alert for alert in monitor.alerts if alert.run == name and alert.kind == "dead-units"]
        assert not [alert for alert in replay(monitor.store.runs[name], Thresholds())[0] if alert.kind == "dead-units"]
        assert not [flag for flag in monitor.verdict(name).flags if flag.startswith("dead-units")]


def test_a_share_near_all_or_none_is_not_rounded_to_it():
    """'100% of activations are exactly zero' was said of 99.61 %."""
    from tui.text import numbers_apart, percent

    assert [percent(x) for x in (0.9961, 1.0, 0.0, 0.0004, 0.5, 0.95)] == ["99.6%", "100%", "0%", "0.04%", "50%", "95%"]
    assert [percent(x, 0.9) for x in (0.896, 0.9, 0.95, 0.9004)] == ["89.6%", "90%", "95%", "90.04%"]
    assert numbers_apart(3.2, 3.20021, 3.19998) == ["3.2", "3.20021", "3.19998"]  # a rise never '3.2 → 3.2'
    assert numbers_apart(0.5599, 0.4963) == ["0.5599", "0.4963"] and numbers_apart(1.0, 1.0) == ["1", "1"]


def test_a_sparsity_scale_kept_between_steps_equals_a_fresh_reading_and_starts_over_on_a_restart(tmp_path):
    """Whether a sparsity curve is in percent is read from its new points only (``PercentSeen``): read again up to
    every step, a catch-up was quadratic in the curve's length."""
    from conftest import scalar_run

    from tui.judging.layers import PercentSeen

    percent_zero = np.maximum(40.0 * np.exp(-np.arange(30) / 4), 0.5).tolist()
    scalar_run(tmp_path / "r", {"loss": [1.0] * 30, "relu/sparsity": percent_zero})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["r"]
    scales: dict[str, PercentSeen] = {}
    for step in range(30):
        kept = layer_reports(run, Thresholds(), upto=step, scales=scales)
        assert _reports_equal(kept, layer_reports(run, Thresholds(), upto=step))
    assert scales["relu/sparsity"].first == 0
    run.scalars["relu/sparsity"].generation += 1  # points removed: the reading starts over
    layer_reports(run, Thresholds(), scales=scales)
    assert scales["relu/sparsity"].read == 30 and scales["relu/sparsity"].generation == 1
