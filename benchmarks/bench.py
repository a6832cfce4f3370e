"""losswatch benchmarks, side by side with tbparse and TensorBoard's own loaders.

    python benchmarks/bench.py [load] [logdir] [live] [idle] [memory] [tui]   (default: all)

Workloads are generated deterministically under ``benchmarks/_work`` (kept
between runs). Every reader is measured in a fresh process; times are whole
process wall-clock (interpreter start and imports included) unless noted.
"""

from __future__ import annotations

import compileall
import json
import os
import platform
import subprocess
import sys
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
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
    proc = subprocess.run(
        [sys.executable, "-c", wrapper], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=3600
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    line = next(out for out in proc.stdout.splitlines() if out.startswith("BENCH"))
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


# ---- live latency ----------------------------------------------------------------------------------


def bench_live(samples: int = 100) -> dict:
    print(f"\n## Live latency (inotify): writer flush -> store, and -> `watch --plain --json` line, {samples} points")
    store_latency = run_measured(f"""
        import os, tempfile, threading, time
        from tui.live.monitor import Monitor
        from tui.live.watcher import Watcher
        from workloads import frame
        from tensorboard.compat.proto import event_pb2
        root = tempfile.mkdtemp()
        os.makedirs(root + "/run")
        path = root + "/run/events.out.tfevents.1.host.1.0"
        open(path, "wb").close()
        monitor = Monitor(root)
        arrived = {{}}
        seen = threading.Event()
        def callback(new, changes, alerts):
            now = time.perf_counter()
            for change in changes:
                series = monitor.store.runs[change.run].scalars.get("loss")
                if series is not None:
                    arrived.setdefault(len(series), now)
                    seen.set()
        watcher = Watcher(monitor, callback)
        watcher.start()
        time.sleep(0.5)
        latencies = []
        with open(path, "ab", buffering=0) as handle:
            for i in range({samples}):
                event = event_pb2.Event(wall_time=time.time(), step=i + 1)
                event.summary.value.add(tag="loss", simple_value=1.0 / (i + 1))
                seen.clear()
                t0 = time.perf_counter()
                handle.write(frame(event.SerializeToString()))
                os.fsync(handle.fileno())
                seen.wait(5)
                if i + 1 in arrived:
                    latencies.append(arrived[i + 1] - t0)
                time.sleep(0.02)
        watcher.stop()
        latencies.sort()
        __result["p50_ms"] = latencies[len(latencies) // 2] * 1000
        __result["p95_ms"] = latencies[int(len(latencies) * 0.95) - 1] * 1000
        __result["n"] = len(latencies)
    """)
    print(
        f"  flush -> store: p50 {store_latency['p50_ms']:.1f} ms, p95 {store_latency['p95_ms']:.1f} ms "
        f"({store_latency['n']} points)",
        flush=True,
    )
    alert_latency = _alert_line_latency(samples // 2)
    print(
        f"  flush -> alert line on stdout: p50 {alert_latency['p50_ms']:.1f} ms, p95 {alert_latency['p95_ms']:.1f} ms "
        f"({alert_latency['n']} alerts)",
        flush=True,
    )
    print("  peers: TensorBoard reloads every 5 s; W&B's terminal viewer polls every 500 ms; tbtui every 2 s")
    return {"store": store_latency, "alert": alert_latency}


def _alert_line_latency(samples: int) -> dict:
    import selectors
    import tempfile

    from tensorboard.compat.proto import event_pb2
    from workloads import frame

    root = tempfile.mkdtemp()
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "tui", "watch", root, "--plain", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    buffer = b""

    def wait_for(predicate, timeout=10.0):
        nonlocal buffer
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                record = json.loads(line)
                if predicate(record):
                    return time.perf_counter()
            if selector.select(timeout=0.1):
                buffer += os.read(proc.stdout.fileno(), 65536)
        return None

    latencies = []
    time.sleep(1.0)
    try:
        for i in range(samples):
            folder = os.path.join(root, f"run{i:03d}")
            os.makedirs(folder)
            path = os.path.join(folder, "events.out.tfevents.1.host.1.0")
            with open(path, "wb", buffering=0) as handle:
                handle.write(frame(event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString()))
            wait_for(lambda r, name=f"run{i:03d}": r["run"] == name and r["kind"] == "new-run")
            event = event_pb2.Event(wall_time=time.time(), step=1)
            event.summary.value.add(tag="loss", simple_value=float("nan"))
            with open(path, "ab", buffering=0) as handle:
                t0 = time.perf_counter()
                handle.write(frame(event.SerializeToString()))
            seen = wait_for(lambda r, name=f"run{i:03d}": r["run"] == name and r["kind"] == "diverging")
            if seen is not None:
                latencies.append(seen - t0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    latencies.sort()
    return {
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "n": len(latencies),
    }


# ---- idle CPU and memory over a long session ---------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def bench_idle(seconds: float = 30.0) -> dict:
    from workloads import make_logdir

    root = os.path.join(WORK, "idle200")
    make_logdir(root, 200, 2000, 10)
    print(f"\n## Idle: 200 runs watched, nothing written, {seconds:.0f} s")
    results = {}
    ready = os.path.join(WORK, "idle-ready")
    tui_script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {ROOT!r})
        from tui.app.app import LossWatchApp
        from tui.live.firstread import FirstRead, Workers, cores
        from tui.live.monitor import Monitor

        class Measured(LossWatchApp):
            CSS_PATH = LossWatchApp.CSS_PATH and __import__("os").path.join(
                __import__("os").path.dirname(__import__("tui.app.app", fromlist=["x"]).__file__), "app.tcss")

            def _tick(self):
                super()._tick()
                done, total = self.monitor.progress
                if len(self.table.order) == 200 and total and done == total and not os.path.exists({ready!r}):
                    open({ready!r}, "w").close()

        first_read = FirstRead(Workers.start(cores(), whole=True))
        Measured(Monitor({root!r}), bell=False, first_read=first_read).run(headless=True, size=(120, 40))
    """)
    script = os.path.join(WORK, "idle_tui.py")  # a file: Textual finds the app's CSS next to its class
    with open(script, "w") as handle:
        handle.write(tui_script)
    for name, argv in (
        ("watch --plain", [sys.executable, "-u", "-m", "tui", "watch", root, "--plain"]),
        ("TUI (headless)", [sys.executable, script]),
    ):
        if os.path.exists(ready):
            os.remove(ready)
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
        try:
            deadline = time.perf_counter() + 600
            if name == "watch --plain":  # it prints the 200 runs once they are read and judged
                lines = 0
                while lines < 200 and time.perf_counter() < deadline:
                    lines += proc.stdout.readline().count(b"new run")
            else:
                while not os.path.exists(ready) and time.perf_counter() < deadline:
                    time.sleep(0.2)
            time.sleep(2.0)  # settle
            cpu0, t0 = _cpu_seconds(proc.pid), time.perf_counter()
            time.sleep(seconds)
            cpu1, t1 = _cpu_seconds(proc.pid), time.perf_counter()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        share = (cpu1 - cpu0) / (t1 - t0) * 100
        results[name] = share
        print(f"  {name}: {share:.2f} % of one core", flush=True)
    return results


def bench_memory(hours: int = 24) -> dict:
    """A long session at speed: points arrive for many simulated hours, then stop; RSS must flatten."""
    print(f"\n## Memory over a long session: 20 runs, {hours} simulated hours of points at speed, then idle")
    code = f"""
        import asyncio, os, tempfile, time, math
        from tui.app.app import LossWatchApp
        from tui.live.monitor import Monitor
        from workloads import frame
        from tensorboard.compat.proto import event_pb2
        def rss():
            return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
        root = tempfile.mkdtemp()
        handles = []
        for r in range(20):
            os.makedirs(f"{{root}}/run{{r:02d}}")
            handles.append(open(f"{{root}}/run{{r:02d}}/events.out.tfevents.1.h.1.0", "ab", buffering=0))
        samples = []
        async def go():
            app = LossWatchApp(Monitor(root), bell=False)
            async with app.run_test(size=(120, 40)) as pilot:
                step = 0
                for hour in range({hours}):
                    for minute in range(60):
                        step += 1
                        for r, handle in enumerate(handles):
                            event = event_pb2.Event(wall_time=1.7e9 + step * 60, step=step)
                            event.summary.value.add(tag="loss", simple_value=1.0 + math.exp(-step / 500))
                            event.summary.value.add(tag="val_loss", simple_value=1.2 + math.exp(-step / 400))
                            handle.write(frame(event.SerializeToString()))
                    await pilot.pause(0.05)
                    if hour % 4 == 3:
                        await pilot.press("down")
                    samples.append(("writing", hour, rss()))
                for i in range(40):  # data stopped: the view keeps running, redrawing on key presses
                    await pilot.press("right_square_bracket" if i % 2 else "left_square_bracket")
                    await pilot.pause(0.1)
                    samples.append(("idle", i, rss()))
        asyncio.run(go())
        __result["samples"] = samples
        __result["points"] = 20 * 2 * {hours} * 60
    """
    result = run_measured(code)
    writing = [s[2] for s in result["samples"] if s[0] == "writing"]
    idle = [s[2] for s in result["samples"] if s[0] == "idle"]
    print(
        f"  RSS while writing: {writing[0]:.0f} -> {writing[-1]:.0f} MB for {result['points']:,} points; "
        f"after data stopped (40 redraws): {idle[0]:.0f} -> {idle[-1]:.0f} MB",
        flush=True,
    )
    return {"writing": writing, "idle": idle}


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
