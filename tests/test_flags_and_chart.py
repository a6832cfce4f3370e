"""Flags that need time or pairs (stalled, gap), min/max downsampling, damage shown in the TUI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import REAL_FILE_FOR_DAMAGE, frame, scalar_event, scalar_run

from tui.app.downsample import minmax_downsample
from tui.live.monitor import Monitor


def test_minmax_downsampling_keeps_spikes_and_order():
    x = np.arange(100_000, dtype=float)
    y = np.sin(x / 5000)
    y[31_337] = 50.0  # a spike
    y[77_000] = -40.0
    dx, dy = minmax_downsample(x, y, 80)
    assert len(dx) <= 160
    assert 50.0 in dy and -40.0 in dy
    assert np.all(np.diff(dx) >= 0)
    small_x, _small_y = minmax_downsample(x[:50], y[:50], 80)
    assert np.array_equal(small_x, x[:50])  # short series are drawn as they are
    nan_y = y.copy()
    nan_y[::7] = np.nan
    assert np.all(np.isfinite(minmax_downsample(x, nan_y, 80)[1]))


def test_stalled_only_for_a_job_seen_writing(tmp_path: Path):
    now = [1000.0]
    path = scalar_run(tmp_path / "job", {"loss": [1.0, 0.9, 0.8, 0.7], "val_loss": [1.0, 0.9, 0.8, 0.7]}, wall0=0)
    scalar_run(tmp_path / "finished", {"loss": [1.0, 0.9, 0.8, 0.7]}, wall0=0)
    monitor = Monitor(str(tmp_path), clock=lambda: now[0])
    monitor.refresh()
    with open(path, "ab") as handle:  # the job writes while we watch: it is live
        for step in range(4, 8):
            handle.write(frame(scalar_event("loss", step, 0.6, float(step))))
            handle.write(frame(scalar_event("val_loss", step, 0.6, float(step))))
    monitor.refresh()
    now[0] += 60
    assert not [a for a in monitor.refresh()[2] if a.kind == "stalled"]
    now[0] += 600  # ten minutes of silence from a job that wrote every second
    alerts = monitor.refresh()[2]
    stalled = [a for a in alerts if a.kind == "stalled"]
    assert [a.run for a in stalled] == ["job"]
    assert "stalled" in monitor.verdict("job").flags
    assert "stalled" not in monitor.verdict("finished").flags
    assert monitor.refresh()[2] == []  # once per onset


def test_gap_flag_when_train_accuracy_runs_away(tmp_path: Path):
    n = 20
    scalar_run(
        tmp_path / "r",
        {
            "loss": list(np.linspace(2, 0.1, n)),
            "val_loss": list(np.linspace(2, 0.8, n)),
            "acc": list(np.linspace(0.3, 0.99, n)),
            "val_acc": list(np.linspace(0.3, 0.7, n)),
        },
    )
    monitor = Monitor(str(tmp_path))
    _, _, alerts = monitor.refresh()
    assert any(a.kind == "gap" for a in alerts)
    assert "gap" in monitor.verdict("r").flags


async def test_tui_marks_damaged_runs(tmp_path: Path):
    from tui.app.app import LossWatchApp

    run = tmp_path / "hurt"
    run.mkdir()
    blob = bytearray(REAL_FILE_FOR_DAMAGE.read_bytes())
    blob[200] ^= 0xFF
    (run / REAL_FILE_FOR_DAMAGE.name).write_bytes(bytes(blob))
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause(0.3)
        assert app.table._rows["hurt"].trouble
        assert "damaged" in app.table.get_cell("hurt", "flags").plain
