"""The sweep view's words and figures: values as written, why nothing is plotted, peers named as in the table."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from sweep_fixtures import lr_sweep, write_run
from test_sweep_view import _app, _open, _two_sweeps_writing, screen_text

from tui.app.sweep_view import SweepScreen


def _cells(screen: SweepScreen, key: str) -> dict[str, str]:
    """Run label -> the text of one column of the sweep's table (by its key: ``param:lr``)."""
    table = screen.query_one("#sweep-runs")
    column = table.get_column_index(key)
    return {str(table.get_row_at(i)[1]): str(table.get_row_at(i)[column]) for i in range(table.row_count)}


async def test_close_swept_values_are_shown_as_written_not_rounded_alike(tmp_path: Path):
    """A hostile tester's find: lr=1.001 ... lr=1.004 all read '1' (3 significant digits), lr=1.382e-05 '1.38e-05'."""
    written = ["1.001", "1.002", "1.003", "1.004", "1.382e-05", "0.0003"]
    for text, values in zip(written, lr_sweep(2, nan_runs=0).values(), strict=True):
        write_run(tmp_path / "close" / f"lr={text}", values)
    app = _app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, "close/lr=1.001")
        assert _cells(screen, "param:lr") == {f"lr={text}": text for text in written}


async def test_a_sweep_without_a_finite_best_says_so_beside_its_numeric_swept_value(tmp_path: Path):
    """Every run NaN from its first point: the right plot said 'no numeric swept value to plot against' of lr."""
    for lr in ("0.1", "0.2", "0.3"):
        write_run(tmp_path / "nanall" / f"lr={lr}", np.full(12, math.nan))
    app = _app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, "nanall/lr=0.1")
        await pilot.pause(0.3)
        text = "\n".join(screen_text(app))
        assert "no run of this sweep has a finite best value to plot" in text, text
        assert "no numeric swept value" not in text
        assert screen.query_one("#sweep-runs").row_count == 3


async def test_a_sweep_with_one_finite_best_says_one_is_too_few(tmp_path: Path):
    write_run(tmp_path / "nanmix" / "lr=0.1", np.linspace(2.3, 1.0, 12))
    for lr in ("0.2", "0.3"):
        write_run(tmp_path / "nanmix" / f"lr={lr}", np.full(12, math.nan))
    app = _app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.2)
        await _open(pilot, "nanmix/lr=0.1")
        await pilot.pause(0.3)
        assert "only one run of this sweep has a finite best value to plot" in "\n".join(screen_text(app))


async def test_the_note_names_the_peer_a_run_would_run_until_as_the_table_does(tmp_path: Path):
    """The note said '…until step 39, as far as sgd/lr=0.001 went' under a table that calls that run 'lr=0.001'."""
    app = _two_sweeps_writing(tmp_path)  # jobs being written: a saving, until a peer
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, "sgd/lr=1")
        await pilot.pause(0.2)
        note = str(screen.query_one("#sweep-note").render())
        assert note.startswith("lr=1: ") and ", as far as lr=" in note, note
        assert "sgd/" not in note, note


async def test_logged_floats_are_shown_to_the_digits_that_tell_the_sweeps_values_apart(tmp_path: Path):
    """A user's find: tensorboardX's ``add_hparams`` of a log-spaced sweep showed ``0.002511886431509582`` (every digit
    of the double), a column wider than the losses beside it. Four significant digits, more where two values of the
    key would read alike (beta2), as many as a short value has (0.001, 0.01); ``check --json`` keeps the doubles."""
    from tensorboardX import SummaryWriter

    rates = np.logspace(-3, -2, 6).tolist()
    for k, (lr, values) in enumerate(zip(rates, lr_sweep(1, nan_runs=0).values(), strict=True)):
        with SummaryWriter(str(tmp_path / "runs" / f"trial-{k}")) as writer:  # names without hyper-parameters
            for epoch, value in enumerate(values):
                writer.add_scalar("train_loss", float(value) * 0.9, epoch)
                writer.add_scalar("val_loss", float(value), epoch)
            hparams = {"lr": lr, "beta2": 0.999 + k * 1.234567e-6, "layers": 4}
            writer.add_hparams(hparams, {"hparam/val": float(values[-1])})  # a sub-run named by the time
    app = _app(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, "runs/trial-0")
        lrs = _cells(screen, "param:lr")
        betas = _cells(screen, "param:beta2")
    shown = ["0.001", "0.001585", "0.002512", "0.003981", "0.00631", "0.01"]
    assert lrs == {f"trial-{k}": text for k, text in enumerate(shown)}, lrs
    assert betas == {f"trial-{k}": f"{0.999 + k * 1.234567e-6:.6g}" for k in range(6)}, betas
    assert len(set(betas.values())) == 6 and betas["trial-0"] == "0.999"
    assert app.monitor.sweeps.params(app.monitor.store.runs["runs/trial-2"])["lr"] == rates[2]  # exact underneath
