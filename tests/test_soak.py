"""Soak: many writers appending at speed while the engine tails them.

Opt-in: ``python -m pytest -m slow`` (6 s), ``LOSSWATCH_SOAK_SECONDS=600 python -m pytest -m slow`` for a long one.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from conftest import file_version_event, frame, scalar_event

from tui.live.monitor import Monitor

WRITERS = 50
SECONDS = float(os.environ.get("LOSSWATCH_SOAK_SECONDS", "6"))


def curve(kind: str, step: int) -> tuple[float, float]:
    train = 0.05 + 2.0 * math.exp(-step / 15)
    if kind == "overfit":
        val = 0.5 + 1.6 * math.exp(-step / 8) + 0.002 * max(0, step - 20) ** 2
    else:
        val = 0.1 + 2.0 * math.exp(-step / 18)
    return train, val


@pytest.mark.slow
def test_fifty_writers_no_loss_bounded_memory_correct_alerts(tmp_path: Path):
    stop = threading.Event()
    written: dict[str, int] = {}
    lock = threading.Lock()

    def writer(index: int) -> None:
        kind = "overfit" if index == 0 else "healthy"
        name = f"job{index:02d}"
        folder = tmp_path / name
        folder.mkdir()
        path = folder / f"events.out.tfevents.{1700000000 + index}.host.1.0"
        rng = random.Random(index)
        pending = frame(file_version_event())
        step = 0
        with open(path, "ab", buffering=0) as handle:
            while not stop.is_set() and step < 400:
                train, val = curve(kind, step)
                wall = 1.7e9 + step * 60.0  # one point per simulated minute
                pending += frame(scalar_event("loss", step + 1, train * (1 + rng.gauss(0, 0.003)), wall))
                pending += frame(scalar_event("val_loss", step + 1, val * (1 + rng.gauss(0, 0.003)), wall))
                step += 1
                cut = rng.randint(1, len(pending))  # flush an arbitrary prefix: records cut anywhere
                handle.write(pending[:cut])
                pending = pending[cut:]
                time.sleep(rng.uniform(0.0, 0.01))
            handle.write(pending)
        with lock:
            written[name] = step

    monitor = Monitor(str(tmp_path))
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    tracemalloc.start()
    alerts = []
    warm = None
    started = time.monotonic()
    while time.monotonic() - started < SECONDS:
        _, _, new_alerts = monitor.refresh()
        alerts += new_alerts
        if warm is None and time.monotonic() - started > SECONDS / 3:
            warm = (
                tracemalloc.get_traced_memory()[0],
                sum(len(s) for r in monitor.store.runs.values() for s in r.scalars.values()),
            )
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    _, _, new_alerts = monitor.refresh()
    alerts += new_alerts
    end_memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    points = sum(len(s) for r in monitor.store.runs.values() for s in r.scalars.values())

    # No lost or duplicated points: exactly what each writer wrote, in step order.
    assert set(monitor.store.runs) == set(written)
    for name, steps in written.items():
        for tag in ("loss", "val_loss"):
            assert monitor.store.runs[name].scalars[tag].steps.tolist() == list(range(1, steps + 1)), (name, tag)
    # Memory grows with the data only (24 bytes a point in the arrays, plus bounded per-run state).
    grown = end_memory - warm[0]
    assert grown <= 200 * max(points - warm[1], 1) + 2_000_000
    # Alerts: the overfitting job is caught once, if it ran long enough to rise; healthy ones never.
    overfits = [a for a in alerts if a.kind == "overfitting"]
    assert all(a.run == "job00" for a in overfits)
    if written["job00"] >= 60:
        assert len(overfits) == 1
