"""Remote roots: one 50-run log directory read locally, from an S3 server and over ssh, side by side.

    python benchmarks/remote.py [--runs 50] [--points 20] [--poll 5]

The S3 server is moto's server mode and the ssh server a local sshd, both on 127.0.0.1, started
here as the tests start them (``tests/servers.py``): the numbers count requests and local work,
not a network's latency. Measured for each root:

* ``check --json`` in a fresh process: wall time until it prints (imports included), median of 3;
* the TUI (headless, in this process): time until the table holds every run, judged;
* the requests each made (LIST/GET/HEAD for S3, ssh operations over the one connection);
* live: a point appended to one run (for S3, the object rewritten whole, as uploaders do) until
  the TUI's table shows it, at the default poll interval; and what polling costs per run per hour.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT), str(ROOT / "tests")]

from servers import start_s3_server, start_sshd
from workloads import frame, make_logdir

from tui.app.app import LossWatchApp
from tui.cli.commands import _load
from tui.judging.thresholds import Thresholds
from tui.live.group import build_monitor
from tui.live.polling import REMOTE_POLL_SECONDS
from tui.sources.roots.parse import parse_root

STEPS, TAGS = 5000, 4
LIVE_RUN = "run-000"


def requests_of(monitor) -> dict[str, int]:
    return dict(getattr(monitor.root, "requests", {}))


def check_seconds(root: str) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "tui", "check", "--json", root], capture_output=True)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"check {root} failed: {done.stderr.decode()}")
    return statistics.median(times)


def check_requests(root: str) -> dict[str, int]:
    monitor = _load([parse_root(root)], Thresholds(), None, None, spread=True)
    counted = requests_of(monitor)
    monitor.root.close()
    return counted


async def tui_fill(root: str, runs: int) -> tuple[float, dict[str, int]]:
    monitor = build_monitor([parse_root(root)])
    app = LossWatchApp(monitor, bell=False)
    start = time.perf_counter()
    async with app.run_test(size=(160, 60)):
        while True:
            rows = app.table._rows
            if len(rows) == runs and all(row.verdict != "waiting" for row in rows.values()):
                break
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - start
    counted = requests_of(monitor)
    monitor.root.close()
    return elapsed, counted


def scalar_record(tag: str, step: int, value: float) -> bytes:
    from tensorboard.compat.proto import event_pb2

    event = event_pb2.Event(wall_time=time.time(), step=step)
    event.summary.value.add(tag=tag, simple_value=value)
    return frame(event.SerializeToString())


async def live_latency(
    root: str, logdir: Path, runs: int, points: int, publish, poll: float | None
) -> dict[str, object]:
    """Append a point to one run at random moments; the seconds until the TUI's table shows it."""
    event_file = next((logdir / LIVE_RUN).glob("*tfevents*"))
    monitor = build_monitor([parse_root(root)])
    app = LossWatchApp(monitor, bell=False, poll_seconds=poll)
    latencies = []
    async with app.run_test(size=(160, 60)):
        while len(app.table._rows) < runs or any(row.verdict == "waiting" for row in app.table._rows.values()):
            await asyncio.sleep(0.05)
        step = app.table._rows[LIVE_RUN].step or 0
        before = requests_of(monitor)
        window_start = time.perf_counter()
        for _ in range(points):
            await asyncio.sleep(random.uniform(1.0, 4.0))
            step += 1
            with open(event_file, "ab") as handle:
                handle.write(scalar_record("train/loss", step, 0.1) + scalar_record("valid/loss", step, 0.2))
            publish(event_file)
            written = time.perf_counter()
            while (app.table._rows[LIVE_RUN].step or 0) < step:
                await asyncio.sleep(0.02)
            latencies.append(time.perf_counter() - written)
        window = time.perf_counter() - window_start
        after = requests_of(monitor)
    monitor.root.close()
    latencies.sort()
    spent = {kind: after.get(kind, 0) - before.get(kind, 0) for kind in after}
    return {
        "p50": round(statistics.median(latencies), 2),
        "p95": round(latencies[max(int(0.95 * len(latencies)) - 1, 0)], 2),
        "max": round(latencies[-1], 2),
        "window_s": round(window, 1),
        "requests_in_window": spent,
        "requests_per_hour": round(sum(spent.values()) * 3600 / window),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--poll", type=float, default=None, help=f"default: {REMOTE_POLL_SECONDS:g} s")
    args = parser.parse_args()
    made = make_logdir(str(HERE / "_work" / f"remote_{args.runs}"), args.runs, STEPS, TAGS)
    scratch = Path(tempfile.mkdtemp(prefix="lw-bench-"))
    logdir = scratch / "runs"  # a copy: the live part appends to it
    shutil.copytree(made, logdir)
    size = sum(path.stat().st_size for path in logdir.rglob("*tfevents*"))
    s3 = start_s3_server()
    sshd = start_sshd(Path(tempfile.mkdtemp(prefix="sshd-", dir=scratch)))
    try:
        os.environ.update(s3.env)
        os.environ.update(sshd.env)
        bucket = s3.new_bucket()
        s3.upload_tree(logdir, bucket, "runs")
        roots = {"local": str(logdir), "s3": f"s3://{bucket}/runs", "ssh": f"lwtest:{logdir}"}
        client = s3.client

        def to_s3(path: Path) -> None:  # the object rewritten whole, as uploaders do
            key = f"runs/{path.relative_to(logdir).as_posix()}"
            client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())

        results: dict[str, object] = {"runs": args.runs, "bytes": size}
        for name, root in roots.items():
            seconds, tui_requests = asyncio.run(tui_fill(root, args.runs))
            results[name] = {
                "check_s": round(check_seconds(root), 2),
                "check_requests": check_requests(root),
                "tui_table_s": round(seconds, 2),
                "tui_requests": tui_requests,
            }
            print(name, json.dumps(results[name]), flush=True)
        for name, publish in (("s3", to_s3), ("ssh", lambda path: None)):
            live = asyncio.run(live_latency(roots[name], logdir, args.runs, args.points, publish, args.poll))
            live["requests_per_run_per_hour"] = round(live["requests_per_hour"] / args.runs, 1)
            results[f"{name}_live"] = live
            print(f"{name} live", json.dumps(live), flush=True)
        print(json.dumps(results, indent=1))
    finally:
        sshd.stop()
        s3.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
