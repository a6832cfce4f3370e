"""The first read of the 200-run log directory: forked worker processes (what losswatch does) against a
thread pool in one process (every reading kernel releases the GIL), side by side.

    python benchmarks/first_read.py [repeats]

Each design runs `check`'s first read (read and judge every run, keep the summaries) in a fresh
process, alternating, so both see the same load on a shared machine. Uses the log directory that
``bench.py logdir`` generates (made here if missing, ~5 GB under benchmarks/_work).
"""

from __future__ import annotations

import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import LOGDIR200, RUNS200, STEPS200, TAGS200, _read_through
from measured import run_measured

FORKED = f"""
    import io, contextlib
    from tui.cli.main import main
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["check", {LOGDIR200!r}, "--json"])
    __result["cpu_seconds"] = sum(
        getattr(resource.getrusage(who), field)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for field in ("ru_utime", "ru_stime"))
"""

THREADS = f"""
    from concurrent.futures import ThreadPoolExecutor, as_completed
    from tui.cli.main import _import_numpy_with_one_blas_thread
    _import_numpy_with_one_blas_thread()
    from tui.live import firstread
    from tui.live.monitor import Monitor
    from tui.sources.formats import open_stream

    def read_run(sources):
        # What a forked worker does for `check`, on a thread: its own Monitor for one run, a summary back.
        monitor = Monitor({LOGDIR200!r})
        monitor.streams = {{source.key: open_stream(source) for source in sources}}
        monitor.read()
        run = next(iter(monitor.store.runs.values()))
        return firstread._summary(run), monitor.engines[run.name]

    monitor = Monitor({LOGDIR200!r})
    monitor.scan()
    runs = firstread.cold_runs(monitor)
    with ThreadPoolExecutor(firstread.cores()) as pool:
        futures = [pool.submit(read_run, tuple(s.source for s in streams)) for streams in runs.values()]
        for future in as_completed(futures):
            run, engine = future.result()
            monitor.store.runs[run.name] = run
            monitor.engines[run.name] = engine
    assert len(monitor.store.runs) == {RUNS200}
    __result["cpu_seconds"] = sum(
        getattr(resource.getrusage(who), field)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for field in ("ru_utime", "ru_stime"))
"""


def main() -> None:
    from workloads import make_logdir

    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    make_logdir(LOGDIR200, RUNS200, STEPS200, TAGS200)
    _read_through(LOGDIR200)
    times: dict[str, list[float]] = {"forked workers": [], "thread pool": []}
    for _ in range(repeats):
        for name, code in (("forked workers", FORKED), ("thread pool", THREADS)):
            result = run_measured(code)
            times[name].append(result["wall_seconds"])
            print(
                f"  {name}: {result['wall_seconds']:.1f} s wall, {result['cpu_seconds']:.1f} s CPU, "
                f"peak RSS {result['peak_rss_mb']:.0f} MB",
                flush=True,
            )
    for name, values in times.items():
        print(f"{name}: median {statistics.median(values):.1f} s of {', '.join(f'{v:.1f}' for v in values)}")


if __name__ == "__main__":
    main()
