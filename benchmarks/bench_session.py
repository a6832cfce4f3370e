"""What a running session costs: alert latency (file write to store, and to a `watch --plain` line), idle CPU
of the TUI on 200 runs, and memory over a simulated day. Sections of ``bench.py`` (``live``, ``idle``,
``memory``); run through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

from measured import ROOT, WORK, run_measured

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
