"""Figures on screen that rounding made say something else: a sparsity of 89.6 % shown '90%' beside no dead-units
flag (its bar is 90 %) and 99.6 % shown '100%'; a stop saving minutes shown '0.00 h'; and a warning about one run left
over the next run's distributions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from conftest import scalar_run
from rich.console import Console

from tui.app.distributions import layer_table
from tui.app.sweep_data import SweepRow
from tui.app.sweep_view import saving_text
from tui.judging.layers import layer_reports
from tui.judging.thresholds import Thresholds
from tui.live.monitor import Monitor
from tui.live.sweeps import Saving


def test_the_share_at_zero_is_shown_as_the_flag_reads_it(tmp_path: Path):
    losses = [1.0 / (step + 1) for step in range(12)]
    scalar_run(tmp_path / "r", {"loss": losses, "fc1/sparsity": [0.896] * 12, "fc2/sparsity": [0.9962] * 12})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    reports = layer_reports(monitor.store.runs["r"], Thresholds())
    console = Console(record=True, width=160)
    console.print(layer_table(reports, None, bar=Thresholds().dead_fraction))
    rows = {line.split()[0]: line for line in console.export_text().splitlines() if "sparsity" in line}
    assert "89.6%" in rows["fc1/sparsity"] and "dead-units" not in rows["fc1/sparsity"]
    assert "99.6%" in rows["fc2/sparsity"] and "dead-units" in rows["fc2/sparsity"]


def test_a_saving_under_a_hundredth_of_an_hour_is_not_shown_as_none():
    row = SweepRow("s/lr=0.3", "lr=0.3", {"lr": 0.3}, 1.0, 1.0, 20.0, behind="behind", saving=Saving(40, 0.003, ""))
    assert saving_text(row) == "40 ep · <0.01 h"
    assert saving_text(dataclasses.replace(row, saving=Saving(40, 0.0, ""))) == "40 ep · 0.00 h"


async def test_a_warning_about_the_last_run_does_not_lie_over_the_next_runs_distributions():
    from test_app import fixture_app
    from test_layers import press_h_on

    from tui.app.distributions import DistributionScreen

    app = fixture_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await press_h_on(pilot, "torch/noisy-7")  # no histograms: a warning
        assert len(app._notifications) == 1
        await press_h_on(pilot, "torch/frozen-7")
        assert isinstance(app.screen, DistributionScreen) and len(app._notifications) == 0


def test_the_direction_is_blank_without_enough_points_or_with_a_nan_not_unclear(tmp_path: Path):
    """'~' says the noise is too large to tell: it was shown for a run of one point and for one whose newest value
    is NaN, neither of which is about noise."""
    falling = [1.0 / (step + 1) for step in range(30)]
    scalar_run(tmp_path / "one", {"loss": [1.0], "val_loss": [1.1]})
    scalar_run(tmp_path / "four", {"loss": falling[:4], "val_loss": falling[:4]})
    nan = [float("nan")] * 3
    scalar_run(tmp_path / "nan", {"loss": falling + nan, "val_loss": falling + nan})
    scalar_run(tmp_path / "falling", {"loss": falling, "val_loss": falling})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert {name: monitor.verdict(name).trend for name in ("one", "four", "nan", "falling")} == {
        "one": "",
        "four": "",
        "nan": "",
        "falling": "↓",
    }
