"""Measuring in a fresh interpreter, and the machine measured on: what every benchmark script shares."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "_work")
"""Generated workloads live here (kept between runs)."""


def run_measured(code: str, env: dict | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; return its wall time, peak RSS and whatever it printed as JSON."""
    wrapper = textwrap.dedent("""
        import json, resource, sys, time
        sys.path[:0] = [{root!r}, {here!r}]  # the package, and the workloads beside this file
        __t0 = time.perf_counter()
        __result = {{}}
        exec(compile({code!r}, "<bench>", "exec"))
        __result["inner_seconds"] = time.perf_counter() - __t0
        __result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("BENCH" + json.dumps(__result))
    """).format(root=ROOT, here=HERE, code=textwrap.dedent(code))
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
