"""Histograms of a diverged layer: values of inf or NaN (its min or max) neither crash the distribution view nor
make a layer look dead."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main

from tui.sources.points import Histogram


def _write(folder: Path) -> None:
    """A real tensorboardX run whose layers hold 3 values of inf (weights, activations) or NaN (a second layer)
    from step 80 on, as a model that blew up writes them; the losses stay fine."""
    from tensorboardX import SummaryWriter

    rng = np.random.default_rng(0)
    writer = SummaryWriter(str(folder))
    for i in range(12):
        writer.add_scalar("train/loss", 1 / (i + 1), i * 10)
        writer.add_scalar("val/loss", 1.1 / (i + 1), i * 10)
        weights, other, activations = rng.normal(size=100), rng.normal(size=100), 0.1 + rng.random(100)
        if i >= 8:
            weights[:3] = activations[:3] = np.inf
            other[:3] = np.nan
        writer.add_histogram("weights/fc1", weights, i * 10, bins="tensorflow")
        writer.add_histogram("weights/fc2", other, i * 10, bins="tensorflow")
        writer.add_histogram("activations/relu1", activations, i * 10, bins="tensorflow")
    writer.close()


def test_an_edge_of_inf_or_nan_is_put_at_the_finite_end_next_to_it():
    from tui.judging.layers import bucket_counts, finite_edges, percentiles, zero_fraction

    edges = np.array([np.nan, -1.0, 0.0, 1.0, np.inf], dtype=np.float32)
    histogram = Histogram(0, 0.0, edges, np.array([1, 4, 4, 1], dtype=np.float32))
    assert finite_edges(histogram).tolist() == [-1.0, -1.0, 0.0, 1.0, 1.0]
    assert np.isfinite(percentiles(histogram)).all()
    unknown = Histogram(0, 0.0, np.full(3, np.nan, dtype=np.float32), np.array([2, 2], dtype=np.float32))
    assert bucket_counts(unknown).sum() == 0 and zero_fraction(unknown) is None  # not "100 % at zero"
    assert np.isnan(percentiles(unknown)).all()


def test_check_reads_no_dead_units_into_activations_with_inf(tmp_path: Path):
    _write(tmp_path / "blown")
    result = run_main("check", str(tmp_path), "--json")
    (record,) = json.loads(result.stdout)
    assert not [flag for flag in record["flags"] if flag["name"].startswith("dead-units")]
    layers = {layer["tag"]: layer for layer in record["layers"]}
    assert layers["activations/relu1"]["zero_fraction"] in (None, 0.0)  # all of them at 0.1 or more
    for layer in layers.values():
        assert math.isfinite(layer["std"]) and 0.2 < layer["std"] < 2, layer


@pytest.mark.parametrize("tag", ["activations/relu1", "weights/fc1", "weights/fc2"])
async def test_the_distribution_view_draws_a_layer_with_inf_or_nan_and_says_so(tmp_path: Path, tag: str):
    from test_app import select_run

    from tui.app.app import LossWatchApp
    from tui.app.distributions import DistributionScreen
    from tui.live.monitor import Monitor

    _write(tmp_path / "blown")
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await select_run(pilot, "blown")
        await pilot.press("h")
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, DistributionScreen)
        for _ in range(3):  # the tags in name order
            if screen.tag != tag:
                await pilot.press("down")
        await pilot.pause(0.3)
        title = str(screen.query_one("#dist-title").render())
        assert "12 histograms · 4 with inf or NaN values, drawn at their finite ends" in title
        picture = app.export_screenshot().replace("&#160;", " ")  # both plots drawn (a NaN or inf raised in plotext)
        assert "percentiles over steps" in picture and "step 0 vs 110" in picture
    assert app.return_code in (0, None)


def test_a_layer_gone_all_nan_is_not_read_as_frozen():
    """Ten histograms of a layer, then thirty whose min, max and limits are NaN (a TF2 callback's after the blow-up):
    once their edges were made finite, two such histograms stood 0 apart and the layer was flagged
    ``weights-static``, "moved 0 std"; how far it moved is not known."""
    from tui.judging.layers import layer_reports
    from tui.judging.thresholds import Thresholds
    from tui.sources.points import Decoded
    from tui.store import Store

    rng = np.random.default_rng(5)
    store = Store()
    for step in range(40):
        if step < 10:
            counts, edges = np.histogram(rng.normal(size=500), bins=30)
        else:
            counts, edges = np.full(30, 500 / 30), np.full(31, np.nan)
        decoded = Decoded()
        decoded.histograms = {"weights/fc1": [Histogram(step, float(step), edges.astype(np.float32), counts)]}
        store.apply("run", decoded)
    (report,) = layer_reports(store.runs["run"], Thresholds(), shown=True)
    assert not report.static and math.isnan(report.std) and math.isnan(report.change_recent)


def test_a_bucket_reaching_to_inf_holds_no_zeros():
    """Exact zeros, then values up to inf: tensorboardX's edges ``[0, 0, inf]``. Put at its finite neighbour, the
    bucket ``[0, inf]`` was as narrow as the zeros' and all of the layer read as zero (a false ``dead-units``)."""
    from tui.judging.layers import zero_fraction

    edges = np.array([0.0, 0.0, np.inf], dtype=np.float32)
    histogram = Histogram(0, 0.0, edges, np.array([30, 70], dtype=np.float32))
    assert zero_fraction(histogram) == 0.3
