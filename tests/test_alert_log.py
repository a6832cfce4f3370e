"""The alert log in a narrow pane: every number of a reason whole, the reason never dropped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import scalar_run
from test_screen import _alert, screen_lines

from tui.app.app import LossWatchApp
from tui.live.monitor import Monitor

NUMBER = r"\d[\d.,]*\d|\d"
REASON = (
    "v 0.4001 → 0.5857 since its best at step 1,237,467,870: +33.2% of its range, 12.4x its noise 0.01497; "
    "train still falling (0.2192 → 0.05142)"
)


@pytest.mark.parametrize("width", [40, 60, 80])
async def test_a_reason_beside_a_long_step_and_name_keeps_its_numbers_whole(tmp_path: Path, width: int):
    """At 40 columns a step of ten digits left the reason three cells: ``0.5857`` read ``0.5`` over ``857``."""
    scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(width, 40)) as pilot:
        await pilot.pause()
        app.alert_log.show([_alert("experiment-long-1", "overfitting", 1_237_467_890, REASON)])
        await pilot.pause()
        region = app.alert_log.region
        lines = [line for line in screen_lines(app)[region.y : region.bottom] if line.strip()]
        whole = set(re.findall(NUMBER, REASON)) | {"1,237,467,890", "1"}  # "1" of the run's name
        for line in lines:  # the pane shows the first lines of a long reason (it scrolls): each number there whole
            assert set(re.findall(NUMBER, line)) <= whole, (line, lines)
        panel = " ".join(lines)
        assert "1,237,467,890" in panel and "overfitting" in panel and "experiment-long-1" in panel
        assert "0.4001 → 0.5857" in panel
