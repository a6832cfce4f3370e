"""losswatch benchmarks, side by side with tbparse and TensorBoard's own loaders.

    python benchmarks/bench.py [load] [logdir] [live] [idle] [memory] [tui]   (default: all)

Workloads are generated deterministically under ``benchmarks/_work`` (kept
between runs). Every reader is measured in a fresh process; times are whole
process wall-clock (interpreter start and imports included) unless noted.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "_work")
sys.path.insert(0, ROOT)

ONE_M_DIR = os.path.join(WORK, "one_million")
TAGS, STEPS = 10, 100_000


# ---- helpers -----------------------------------------------------------------------------------


def run_measured(code: str, env: dict | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; return its wall time, peak RSS and whatever it printed as JSON."""
    wrapper = textwrap.dedent("""
        import json, resource, sys, time
        sys.path.insert(0, {root!r})
        __t0 = time.perf_counter()
        __result = {{}}
        exec(compile({code!r}, "<bench>", "exec"))
        __result["inner_seconds"] = time.perf_counter() - __t0
        __result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("BENCH" + json.dumps(__result))
    """).format(root=ROOT, code=textwrap.dedent(code))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=3600)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    line = next(l for l in proc.stdout.splitlines() if l.startswith("BENCH"))
    result = json.loads(line[5:])
    result["wall_seconds"] = wall
    return result


def machine() -> str:
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


# ---- workloads ---------------------------------------------------------------------------------


def make_one_million() -> str:
    """10 tags x 100k steps = 1M scalar events in one file, written by tensorboardX."""
    if os.path.isdir(ONE_M_DIR) and any("tfevents" in n for n in os.listdir(ONE_M_DIR)):
        return ONE_M_DIR
    from tensorboardX import SummaryWriter

    import numpy as np

    rng = np.random.default_rng(0)
    writer = SummaryWriter(ONE_M_DIR, max_queue=10000, flush_secs=3600)
    noise = rng.normal(0, 0.01, (STEPS, TAGS))
    for step in range(STEPS):
        base = 2.0 * np.exp(-step / 20000)
        for t in range(TAGS):
            writer.add_scalar(f"metric_{t}/loss" if t else "train/loss", float(base + noise[step, t]), step,
                              walltime=1.7e9 + step * 0.1)
    writer.close()
    return ONE_M_DIR


# ---- load --------------------------------------------------------------------------------------

LOAD_READERS = {
    "losswatch (reader + store)": """
        from tui.monitor import Tailer
        from tui.discovery import discover
        from tui.store import Store
        store = Store()
        for source in discover(DIR).files:
            tailer = Tailer(source)
            for decoded in tailer.read():
                store.apply(source.run, decoded, source.prefix)
        __result["events"] = sum(len(s) for r in store.runs.values() for s in r.scalars.values())
    """,
    "losswatch check (all verdicts)": """
        from tui.monitor import Monitor
        monitor = Monitor(DIR)
        monitor.refresh()
        __result["events"] = sum(len(s) for r in monitor.store.runs.values() for s in r.scalars.values())
    """,
    "tbparse SummaryReader(...).scalars": """
        from tbparse import SummaryReader
        __result["events"] = len(SummaryReader(DIR).scalars)
    """,
    "TensorBoard EventFileLoader": """
        import glob
        from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
        n = 0
        for path in glob.glob(DIR + "/*tfevents*"):
            for event in EventFileLoader(path).Load():
                n += len(event.summary.value)
        __result["events"] = n
    """,
    "TensorBoard RawEventFileLoader (framing + CRC)": """
        import glob
        from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
        n = 0
        for path in glob.glob(DIR + "/*tfevents*"):
            for _ in RawEventFileLoader(path).Load():
                n += 1
        __result["events"] = n
    """,
}


def bench_load() -> list[dict]:
    directory = make_one_million()
    size = sum(os.path.getsize(os.path.join(directory, n)) for n in os.listdir(directory))
    print(f"\n## Cold load: one file, {TAGS} tags x {STEPS:,} steps (tensorboardX), {size / 1e6:.0f} MB")
    baseline = run_measured("pass")
    rows = []
    for name, code in LOAD_READERS.items():
        result = run_measured(f"DIR = {directory!r}\n" + textwrap.dedent(code))
        result["name"] = name
        rows.append(result)
        print(f"  {name}: {result['wall_seconds']:.2f} s, {result['events']:,} events, "
              f"peak RSS {result['peak_rss_mb']:.0f} MB", flush=True)
    ours = rows[0]
    print(f"\n| reader | wall s | events/s | peak RSS MB | losswatch is faster by |")
    print("|---|---|---|---|---|")
    for row in rows:
        rate = row["events"] / row["wall_seconds"]
        print(f"| {row['name']} | {row['wall_seconds']:.2f} | {rate / 1e6:.2f} M | {row['peak_rss_mb']:.0f} | "
              f"{row['wall_seconds'] / ours['wall_seconds']:.1f}x |")
    stored = ours["peak_rss_mb"] - baseline["peak_rss_mb"]
    print(f"\nPython baseline process: {baseline['peak_rss_mb']:.0f} MB; losswatch peak above it: {stored:.0f} MB "
          f"= {stored * 1024 * 1024 / ours['events']:.0f} bytes per stored point (incl. imports)")
    return rows


def main() -> None:
    wanted = set(sys.argv[1:]) or {"load", "logdir", "live", "idle", "memory", "tui"}
    print(f"# losswatch benchmarks\n\nMachine: {machine()}")
    if "load" in wanted:
        bench_load()


if __name__ == "__main__":
    main()
