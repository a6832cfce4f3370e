"""Make the SVG screenshots in ``screenshots/`` from the demo runs, through Textual's pilot.

    python -m tui.app.screenshots [OUTDIR]

The demo jobs are written to a temporary folder in full (seeded: the same
curves every time), then the app is driven like a user would and each screen
is saved with ``App.save_screenshot``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile

from tui.app.app import LossWatchApp
from tui.live.demo import DemoJobs
from tui.live.monitor import Monitor

SIZE = (120, 36)
ALERT_CLOCK = 1_795_400_000.0
"""When the alerts are stamped as raised (a fixed time, so that making the screenshots again changes nothing)."""
DEMO_START = ALERT_CLOCK - 8 * 3600.0
"""When the demo's first epoch is written: the alert log shows each alert's point's time, fixed too."""


async def _shoot(
    logdir: str, outdir: str, name: str, keys: list[str], select: str | None = None, then: DemoJobs | None = None
) -> str:
    """``then``: jobs that write their next epochs after the first read, read next: seen writing."""
    monitor = Monitor(logdir, clock=lambda: ALERT_CLOCK)
    monitor.label = "runs/"
    monitor.refresh()
    if then is not None:
        then.run_to_end(SWEEP_TICKS)
        monitor.refresh()
    newest = max((run.last_write or 0.0) for run in monitor.store.runs.values())
    app = LossWatchApp(monitor, watch=False, clock=lambda: newest + 42.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        if select is not None:
            while app.table.selected != select:
                await pilot.press("down")
            await pilot.pause(0.2)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.1)
        await pilot.pause(0.3)
        return app.save_screenshot(filename=f"{name}.svg", path=outdir)


SWEEP_TICKS = 30
"""The sweep screenshot shows the demo half-way (epoch 30 of 60), when stopping still saves something: read at
epoch 29, then at 30, its jobs are seen writing (a sweep read once, written before the watch, has none to stop)."""


async def make_all(outdir: str) -> list[str]:
    os.makedirs(outdir, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="losswatch-shots-") as logdir,
        tempfile.TemporaryDirectory(prefix="losswatch-shots-") as halfway,
    ):
        DemoJobs(logdir, started=DEMO_START).run_to_end()
        writing = DemoJobs(halfway, started=DEMO_START)
        writing.run_to_end(SWEEP_TICKS - 1, more=True)
        return [
            await _shoot(logdir, outdir, "main", []),
            await _shoot(logdir, outdir, "overfitting", [], select="bert-small-overfit"),
            await _shoot(logdir, outdir, "compare", ["space", "down", "space", "down", "down", "space", "c"]),
            await _shoot(logdir, outdir, "help", ["question_mark"]),
            await _shoot(logdir, outdir, "distributions", ["h"], select="resnet18-lr3e-4"),
            await _shoot(halfway, outdir, "sweep", ["w"], select="lr-sweep/lr=0.03", then=writing),
        ]


def main() -> None:
    outdir = sys.argv[1] if len(sys.argv) > 1 else "screenshots"
    for path in asyncio.run(make_all(outdir)):
        print(path)


if __name__ == "__main__":
    main()
