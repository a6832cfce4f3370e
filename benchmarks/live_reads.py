"""Does the live view judge a run being written as ``check`` judges the finished run?

Each DeepOBS run (``../shared/deepobs-dev``, written as TensorBoard logs by its ``make_logdir.py``) is written
again record by record into a watched folder, in step order, with a Monitor polling at random record
boundaries (as a live reader lands between a writer's flushes); then its final verdict and alerts are
compared with a whole read of the same files. Two orders within a step: ``file`` (each file's own record
order: a single file writes training first; Keras' two folders, validation first) and ``validation-first``
(every file writes its validation records first, the worst case). ``--no-hold`` turns the hold
(``tui/judging/holding.py``) off, to see what it does.

    python benchmarks/live_reads.py [--order file|validation-first] [--no-hold] [--every N] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

from tensorboard.compat.proto import event_pb2
from verdicts import suite_runs

from tui.live.monitor import Monitor
from tui.sources.tensorboard.kernels import frame_records
from tui.sources.tensorboard.records import MAX_RECORD_BYTES

NAN_NAMED = re.compile(r"\S+ is (nan|inf|-inf) at step")
"""When training and validation went NaN at the same step, the reason names the curve read first."""


def _records(run_dir: Path, order: str) -> tuple[list[tuple[Path, bytes]], list[tuple[tuple, int, bytes]]]:
    """Each event file's header, and every later record with its sort key and file index."""
    headers, records = [], []
    for index, path in enumerate(sorted(run_dir.rglob("events*"))):
        blob = path.read_bytes()
        offsets, lengths, _end = frame_records(blob, 0, MAX_RECORD_BYTES)  # each record's data
        spans = [(offset - 12, offset + length + 4) for offset, length in zip(offsets.tolist(), lengths.tolist())]
        headers.append((path.relative_to(run_dir), blob[spans[0][0] : spans[0][1]]))
        two_files = path.parent.name in ("train", "validation")
        for position, (start, end) in enumerate(spans[1:]):
            event = event_pb2.Event.FromString(blob[start + 12 : end - 4])
            tag = event.summary.value[0].tag if event.summary.value else ""
            validation = path.parent.name == "validation" or any(w in tag for w in ("val", "eval"))
            first = 0 if validation else 1
            within = first if order == "validation-first" or two_files else position
            records.append(((event.step, within, index, position), index, blob[start:end]))
    records.sort(key=lambda record: record[0])
    return headers, records


def _normal(text: str) -> str:
    return NAN_NAMED.sub("* is nan at step", text)


def compare(job: tuple[str, int, str, bool]) -> tuple[str, bool, bool, bool, bool]:
    """(run, verdict equal, alerts equal, equal but for the NaN curve named, final kinds equal)."""
    run_dir, seed, order, hold = job
    if not hold:
        from tui.judging import holding

        holding.Holdback.free = lambda self, steps, values, consumed, end, companions, now: end  # type: ignore[method-assign]
    chance = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="lw-live-"))
    try:
        headers, records = _records(Path(run_dir), order)
        copies = []
        for relative, header in headers:
            copy = folder / "run" / relative
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(header)
            copies.append(copy)
        now = [1000.0]
        live = Monitor(str(folder), clock=lambda: now[0])
        live.refresh()
        for _key, index, data in records:
            with open(copies[index], "ab") as handle:
                handle.write(data)
            if chance.random() < 0.5:
                now[0] += 1.0
                live.refresh()
        now[0] += 1.0
        live.refresh()
        whole = Monitor(str(folder))
        whole.refresh()
        lv, wv = live.verdict("run"), whole.verdict("run")
        assert lv is not None and wv is not None
        flags = {k: v for k, v in lv.flags.items() if k != "stalled"}
        la = sorted((a.kind, a.step, a.reason) for a in live.alerts if a.kind != "stalled")
        wa = sorted((a.kind, a.step, a.reason) for a in whole.alerts)
        same_verdict = (lv.kind, lv.reason, flags) == (wv.kind, wv.reason, wv.flags)
        same_alerts = la == wa
        but_nan = (lv.kind, _normal(lv.reason), flags) == (wv.kind, _normal(wv.reason), wv.flags) and [
            (k, s, _normal(r)) for k, s, r in la
        ] == [(k, s, _normal(r)) for k, s, r in wa]
        return Path(run_dir).name, same_verdict, same_alerts, but_nan, lv.kind == wv.kind
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--order", choices=("file", "validation-first"), default="file")
    parser.add_argument("--no-hold", action="store_true")
    parser.add_argument("--every", type=int, default=1, help="take every Nth run")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    runs = [path for _suite, path, _label in suite_runs("deepobs")][:: args.every]
    jobs = [(path, k, args.order, not args.no_hold) for k, path in enumerate(runs)]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(compare, jobs, chunksize=8))
    n = len(results)
    print(f"{n} DeepOBS runs written live ({args.order} order, hold {'off' if args.no_hold else 'on'}):")
    print(f"  final verdict as check's: {sum(r[1] for r in results)} of {n}")
    print(f"  alerts as check's: {sum(r[2] for r in results)} of {n}")
    print(f"  both, but for which NaN curve a reason names: {sum(r[3] for r in results)} of {n}")
    print(f"  final kind as check's: {sum(r[4] for r in results)} of {n}")
    for name, *same in results:
        if not same[2]:
            print(f"  differs: {name}")


if __name__ == "__main__":
    main()
