"""losswatch benchmarks, side by side with tbparse and TensorBoard's own loaders.

    python benchmarks/bench.py [load] [logdir] [live] [idle] [memory] [tui]   (default: all)

The live, idle and memory sections are in ``bench_session.py``; shared measuring in ``measured.py``.

Workloads are generated deterministically under ``benchmarks/_work`` (kept
between runs). Every reader is measured in a fresh process; times are whole
process wall-clock (interpreter start and imports included) unless noted.
"""

from __future__ import annotations

import compileall
import os
import sys
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from bench_session import bench_idle, bench_live, bench_memory
from measured import ROOT, WORK, machine, run_measured

ONE_M_DIR = os.path.join(WORK, "one_million")
TAGS, STEPS = 10, 100_000


# ---- workloads ---------------------------------------------------------------------------------


def make_one_million() -> str:
    """10 tags x 100k steps = 1M scalar events in one file, written by tensorboardX."""
    if os.path.isdir(ONE_M_DIR) and any("tfevents" in n for n in os.listdir(ONE_M_DIR)):
        return ONE_M_DIR
    import numpy as np
    from tensorboardX import SummaryWriter

    rng = np.random.default_rng(0)
    writer = SummaryWriter(ONE_M_DIR, max_queue=10000, flush_secs=3600)
    noise = rng.normal(0, 0.01, (STEPS, TAGS))
    for step in range(STEPS):
        base = 2.0 * np.exp(-step / 20000)
        for t in range(TAGS):
            writer.add_scalar(
                f"metric_{t}/loss" if t else "train/loss",
                float(base + noise[step, t]),
                step,
                walltime=1.7e9 + step * 0.1,
            )
    writer.close()
    return ONE_M_DIR


# ---- load --------------------------------------------------------------------------------------

LOAD_READERS = {
    "losswatch (reader + store)": """
        import os
        from tui.sources.formats import find_sources, open_stream
        from tui.sources.roots.local import LocalRoot
        from tui.live.memory import release_free_memory
        from tui.store import Store
        def rss():
            return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        __result["rss_imports_mb"] = rss()
        store = Store()
        root = LocalRoot(DIR)
        for source in find_sources(root, root.list()).sources:
            for decoded in open_stream(source).read(root):
                store.apply(source.run, decoded, source.prefix)
        release_free_memory(1 << 40)
        __result["rss_after_mb"] = rss()
        __result["events"] = sum(len(s) for r in store.runs.values() for s in r.scalars.values())
    """,
    "losswatch check (all verdicts)": """
        from tui.live.monitor import Monitor
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
        repeats = 5 if name.startswith("losswatch") else 3 if name.startswith("tbparse") else 1
        runs = [run_measured(f"DIR = {directory!r}\n" + textwrap.dedent(code)) for _ in range(repeats)]
        result = sorted(runs, key=lambda r: r["wall_seconds"])[len(runs) // 2]  # the median run
        result["name"] = name + (f" (median of {repeats})" if repeats > 1 else "")
        rows.append(result)
        print(
            f"  {name}: {result['wall_seconds']:.2f} s, {result['events']:,} events, "
            f"peak RSS {result['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    ours = rows[0]
    print("\n| reader | wall s | events/s | peak RSS MB | losswatch is faster by |")
    print("|---|---|---|---|---|")
    for row in rows:
        rate = row["events"] / row["wall_seconds"]
        print(
            f"| {row['name']} | {row['wall_seconds']:.2f} | {rate / 1e6:.2f} M | {row['peak_rss_mb']:.0f} | "
            f"{row['wall_seconds'] / ours['wall_seconds']:.1f}x |"
        )
    stored = ours["peak_rss_mb"] - baseline["peak_rss_mb"]
    held = ours["rss_after_mb"] - ours["rss_imports_mb"]
    print(
        f"\nMemory: an empty Python process peaks at {baseline['peak_rss_mb']:.0f} MB. losswatch after its imports: "
        f"{ours['rss_imports_mb']:.0f} MB; holding the 1M points: {ours['rss_after_mb']:.0f} MB, i.e. "
        f"{held * 2**20 / ours['events']:.0f} bytes per stored point above that baseline; peak during the load "
        f"{stored * 2**20 / ours['events']:.0f} bytes per point above the empty process (imports included)."
    )
    return rows


# ---- 200-run log directory ---------------------------------------------------------------------

LOGDIR200 = os.path.join(WORK, "logdir200")
RUNS200, STEPS200, TAGS200 = 200, 50_000, 10


def _read_through(root: str) -> int:
    """Read every file under ``root`` once (into the page cache); return the bytes read."""
    total = 0
    for folder, _, names in os.walk(root):
        for name in names:
            with open(os.path.join(folder, name), "rb") as handle:
                while chunk := handle.read(1 << 22):
                    total += len(chunk)
    return total


def bench_logdir() -> dict:
    from workloads import make_logdir

    scale = float(os.environ.get("BENCH_LOGDIR_SCALE", "1"))
    steps = int(STEPS200 * scale)
    root = LOGDIR200 if scale == 1 else os.path.join(WORK, f"logdir200-{steps}")
    make_logdir(root, RUNS200, steps, TAGS200)
    events = RUNS200 * steps * TAGS200
    print(f"\n## Log directory: {RUNS200} runs x {steps:,} steps x {TAGS200} tags = {events / 1e6:.0f} M events")
    # Measured with the files in the page cache, as they are right after a job wrote them; reading them
    # first also shows what a cold cache costs on this disk (the earlier sections may have evicted them).
    started, size = time.perf_counter(), _read_through(root)
    print(f"  page cache warmed: read {size / 1e9:.1f} GB in {time.perf_counter() - started:.1f} s", flush=True)
    check = run_measured(f"""
        import io, contextlib
        from tui.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            __result["exit"] = main(["check", {root!r}, "--json"])
    """)
    print(
        f"  losswatch check --json: {check['wall_seconds']:.1f} s ({events / check['wall_seconds'] / 1e6:.1f} M "
        f"events/s), peak RSS {check['peak_rss_mb']:.0f} MB",
        flush=True,
    )
    tui = run_measured(f"""
        import asyncio, time
        from tui.app.app import LossWatchApp
        from tui.live.firstread import FirstRead, Workers, cores
        from tui.live.monitor import Monitor
        first_read = FirstRead(Workers.start(cores(), whole=True))  # as `losswatch LOGDIR` does, before the app
        async def go():
            app = LossWatchApp(Monitor({root!r}), bell=False, first_read=first_read)
            t0 = time.perf_counter()
            async with app.run_test(size=(120, 40)) as pilot:
                first = None
                while True:
                    await pilot.pause(0.05)
                    rows = len(app.table.order)
                    if rows and first is None:
                        first = time.perf_counter() - t0
                    done, total = app.monitor.progress
                    if rows == {RUNS200} and total and done == total and all(
                            app.monitor.verdict(name) is not None for name in app.store.runs):
                        break
                __result["first_rows_seconds"] = first
                __result["full_table_seconds"] = time.perf_counter() - t0
                # responsiveness while loaded: a key press round trip
                t1 = time.perf_counter()
                await pilot.press("s")
                await pilot.pause()
                __result["key_seconds"] = time.perf_counter() - t1
        asyncio.run(go())
    """)
    print(
        f"  TUI: first rows after {tui['first_rows_seconds']:.2f} s, full table after "
        f"{tui['full_table_seconds']:.1f} s, a key press then took {tui['key_seconds'] * 1000:.0f} ms",
        flush=True,
    )
    return {"check": check, "tui": tui, "events": events}


# ---- TUI redraw ------------------------------------------------------------------------------------


def bench_tui() -> dict:
    print("\n## TUI redraw: table with 200 runs, chart of a 1M-point series")
    code = """
        import asyncio, time
        import numpy as np
        from tui.app.app import LossWatchApp
        from tui.app.runs_table import RunRow
        from tui.app.chart_data import SmoothingCache, View, chart_spec
        from tui.sources.points import Decoded
        from tui.live.monitor import Monitor
        from tui.store import Store
        import tempfile
        monitor = Monitor(tempfile.mkdtemp())
        store = monitor.store
        for r in range(200):
            batch = Decoded()
            n = 1_000_000 if r == 0 else 100
            steps = np.arange(1, n + 1)
            batch.add_arrays("loss", steps, steps, steps * 0.1, 1 + np.exp(-steps / (n / 5)))
            batch.add_arrays("val_loss", steps + n, steps, steps * 0.1, 1.1 + np.exp(-steps / (n / 4)))
            store.apply(f"run-{r:03d}", batch)
            engine = monitor.engine(f"run-{r:03d}")
            engine.update(store.runs[f"run-{r:03d}"])
        async def go():
            app = LossWatchApp(monitor, watch=False, bell=False)
            async with app.run_test(size=(160, 50)) as pilot:
                await pilot.pause()
                rows = [RunRow.of(run, monitor.verdict(run.name)) for run in store.runs.values()]
                t0 = time.perf_counter()
                app.table.set_filter(None)  # forces a full rebuild
                app.table.show(rows, time.time())
                await pilot.pause()
                __result["table_ms"] = (time.perf_counter() - t0) * 1000
                while app.table.selected != "run-000":
                    app.table.move_cursor(row=app.table.order.index("run-000"))
                    await pilot.pause()
                cache = SmoothingCache()
                t1 = time.perf_counter()
                spec = chart_spec(store, monitor.verdicts, "run-000", View(), cache)
                __result["spec_first_ms"] = (time.perf_counter() - t1) * 1000
                t2 = time.perf_counter()
                app.chart.show(spec)
                app.chart._cache_key = None  # force a full plot build
                app.chart.render()
                __result["draw_ms"] = (time.perf_counter() - t2) * 1000
                t3 = time.perf_counter()
                spec = chart_spec(store, monitor.verdicts, "run-000", View(weight=0.6, log_y=True), cache)
                app.chart.show(spec)
                app.chart.render()
                __result["redraw_cached_smoothing_ms"] = (time.perf_counter() - t3) * 1000
        asyncio.run(go())
    """
    result = run_measured(code)
    print(
        f"  table of 200 runs rebuilt: {result['table_ms']:.0f} ms; 1M-point chart: smoothing (first time) "
        f"{result['spec_first_ms']:.0f} ms, draw {result['draw_ms']:.0f} ms, redraw with cached smoothing "
        f"{result['redraw_cached_smoothing_ms']:.0f} ms",
        flush=True,
    )
    return result


SECTIONS = {
    "load": bench_load,
    "live": bench_live,
    "idle": bench_idle,
    "memory": bench_memory,
    "tui": bench_tui,
    "logdir": bench_logdir,
}
"""In the order they run (the slowest last)."""


def main() -> None:
    wanted = set(sys.argv[1:]) or set(SECTIONS)
    # pip compiles an installed package's bytecode; an editable checkout under PYTHONDONTWRITEBYTECODE
    # would compile every module at every start (~0.1 s), which no user's install pays.
    compileall.compile_dir(os.path.join(ROOT, "tui"), quiet=1)
    print(f"# losswatch benchmarks\n\nMachine: {machine()}")
    for name, section in SECTIONS.items():
        if name in wanted:
            section()


if __name__ == "__main__":
    main()
