"""Min/max downsampling for drawing: spikes and order survive."""

from __future__ import annotations

import numpy as np

from tui.app.downsample import minmax_downsample


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
