"""Each format read by losswatch vs by its own library's reader, on one run of 1M points (10 tags x 100k steps).

    python benchmarks/formats.py [--points N] [--only NAME ...]

Runs are written under benchmarks/_work/formats (MLflow through its own client, W&B offline, trackio
through its storage; the CSV and JSON logs as their writers lay them out). Needs the loggers:
``pip install -e ".[loggers]"``. Each reader runs in a fresh process, losswatch's and the reference's
turns alternating; two times are taken, median of 3: the whole process (start, imports, reading: what a
user waits for) and the reading alone, timed inside the process after the imports on both sides
(losswatch's lazy ones too: pyarrow for CSV, W&B's record classes). losswatch's reading ends with every
point in its store; judging the runs is timed apart. The reference readers:

* MLflow: ``MlflowClient().get_metric_history(run_id, key)`` for every key (SQLite and file stores);
* trackio: ``SQLiteStorage.get_logs(project, run)`` (what its dashboard and API read);
* Lightning / Keras CSV: ``pandas.read_csv`` (neither library ships a reader; pandas is what users use);
* Hugging Face: ``json.load`` of ``trainer_state.json`` (what ``TrainerState.load_from_json`` does);
* JSON lines: ``pandas.read_json(lines=True)``;
* W&B: wandb 0.31 has no Python reader of its logs any more (its Go core reads them for ``wandb sync``),
  so the reference is a loop over the same chunks with W&B's protobuf ``Record`` and ``json.loads``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "_work", "formats")
TAGS = [f"m{i}" for i in range(8)] + ["train_loss", "val_loss"]


def _write(name: str, steps: int) -> str:
    folder = os.path.join(WORK, name)
    if os.path.exists(os.path.join(folder, ".done")):
        return folder
    os.makedirs(folder, exist_ok=True)
    code = WRITERS[name]
    subprocess.run([sys.executable, "-c", textwrap.dedent(code), folder, str(steps)], check=True)
    open(os.path.join(folder, ".done"), "w").close()
    return folder


MLFLOW_WRITER = """
    import os, sys, time
    folder, steps = sys.argv[1], int(sys.argv[2])
    STORE_SETUP
    import mlflow
    from mlflow.entities import Metric
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient()
    run = client.create_run(client.create_experiment("bench"), run_name="big")
    now = int(time.time() * 1000)
    keys = [f"m{i}" for i in range(8)] + ["train_loss", "val_loss"]
    batch = []
    for s in range(steps):
        for i, k in enumerate(keys):
            batch.append(Metric(k, 1.0 / (s + 1) + i, now + s, s))
        if len(batch) >= 1000:
            client.log_batch(run.info.run_id, metrics=batch); batch = []
    if batch:
        client.log_batch(run.info.run_id, metrics=batch)
    open(os.path.join(folder, "run_id"), "w").write(run.info.run_id)
"""
"""What MLflow's client writes for one 1M-point run; ``STORE_SETUP`` sets ``uri`` (and the file store's switch)."""

WRITERS = {
    "lightning-csv": """
        import csv, os, sys
        folder, steps = sys.argv[1], int(sys.argv[2])
        keys = sorted([f"m{i}" for i in range(8)] + ["train_loss", "val_loss", "epoch", "step"])
        os.makedirs(os.path.join(folder, "version_0"), exist_ok=True)
        with open(os.path.join(folder, "version_0", "metrics.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=keys); w.writeheader()
            for s in range(steps):
                row = {k: 1.0 / (s + 1) + i for i, k in enumerate(keys) if k not in ("epoch", "step")}
                w.writerow({**row, "epoch": s // 1000, "step": s})
    """,
    "jsonl": """
        import json, os, sys
        folder, steps = sys.argv[1], int(sys.argv[2])
        with open(os.path.join(folder, "log.jsonl"), "w") as f:
            for s in range(steps):
                f.write(json.dumps({"step": s, **{f"m{i}": 1.0 / (s + 1) + i for i in range(8)},
                                    "train_loss": 1.0 / (s + 1), "val_loss": 2.0 / (s + 1)}) + "\\n")
    """,
    # MLflow's two stores, written by the same client code; only the tracking URI differs.
    "mlflow-sqlite": MLFLOW_WRITER.replace("STORE_SETUP", 'uri = "sqlite:///" + os.path.join(folder, "mlflow.db")'),
    "mlflow-files": MLFLOW_WRITER.replace(
        "STORE_SETUP",
        'os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"; uri = "file://" + os.path.join(folder, "mlruns")',
    ),
    "trackio": """
        import os, sys
        folder, steps = sys.argv[1], int(sys.argv[2])
        os.environ["TRACKIO_DIR"] = folder
        from trackio.sqlite_storage import SQLiteStorage
        keys = [f"m{i}" for i in range(8)] + ["train_loss", "val_loss"]
        from datetime import datetime, timedelta, timezone
        start_time = datetime.now(timezone.utc)
        for start in range(0, steps, 10000):
            chunk = range(start, min(steps, start + 10000))
            SQLiteStorage.bulk_log("bench", "big", [{k: 1.0 / (s + 1) + i for i, k in enumerate(keys)} for s in chunk],
                                   steps=list(chunk),  # each step its own time, as trackio.log stamps each call
                                   timestamps=[(start_time + timedelta(seconds=s)).isoformat() for s in chunk])
    """,
    "keras-csv": """
        import csv, os, sys
        folder, steps = sys.argv[1], int(sys.argv[2])
        keys = sorted([f"m{i}" for i in range(8)] + ["loss", "val_loss"])
        with open(os.path.join(folder, "training.log"), "w", newline="") as f:  # keras CSVLogger.on_epoch_end
            w = csv.DictWriter(f, fieldnames=["epoch", *keys]); w.writeheader()
            for s in range(steps):
                w.writerow({"epoch": s, **{k: 1.0 / (s + 1) + i for i, k in enumerate(keys)}})
    """,
    "hf-trainer-state": """
        import json, os, sys
        folder, steps = sys.argv[1], int(sys.argv[2])
        keys = [f"m{i}" for i in range(7)] + ["loss", "eval_loss"]
        history = [{**{k: 1.0 / (s + 1) + i for i, k in enumerate(keys)}, "epoch": s / 1000, "step": s}
                   for s in range(steps)]
        os.makedirs(os.path.join(folder, "checkpoint-1"))
        with open(os.path.join(folder, "checkpoint-1", "trainer_state.json"), "w") as f:  # TrainerState.save_to_json
            f.write(json.dumps({"global_step": steps, "log_history": history}, indent=2, sort_keys=True) + "\\n")
    """,
    "wandb": """
        import os, sys
        os.environ["WANDB_MODE"] = "offline"; os.environ["WANDB_SILENT"] = "true"
        import wandb
        folder, steps = sys.argv[1], int(sys.argv[2])
        run = wandb.init(project="bench", name="big", dir=folder)
        keys = [f"m{i}" for i in range(8)] + ["train_loss", "val_loss"]
        for s in range(steps):
            run.log({k: 1.0 / (s + 1) + i for i, k in enumerate(keys)}, step=s)
        run.finish(); wandb.teardown()
    """,
}

LOSSWATCH = """
    import sys, time
    from tui.live.monitor import Monitor
    {preload}
    start = time.perf_counter()
    m = Monitor(sys.argv[1])
    m.scan()
    for stream in m.streams.values():
        for decoded in stream.read(m.root):
            m.store.apply(stream.run, decoded, stream.prefix)
    read = time.perf_counter() - start
    for name, run in m.store.runs.items():
        m.engine(name).update(run)
    judged = time.perf_counter() - start
    print(read, judged, sum(len(s) for r in m.store.runs.values() for s in r.scalars.values()))
"""
"""Reads every stream into the store (what the formats do), then judges every run (what `check` adds)."""
PRELOAD = {
    "lightning-csv": "import pyarrow.csv",
    "keras-csv": "import pyarrow.csv",
    "wandb": "from tui.sources.wandb.stream import _records_module; _records_module()",
}
"""What losswatch imports lazily for a format: imported before the reading is timed, as the reference's imports are."""

REFERENCE = {
    "lightning-csv": """
        import glob, sys, time
        import pandas as pd
        start = time.perf_counter()
        frame = pd.read_csv(glob.glob(sys.argv[1] + "/*/metrics.csv")[0])
        count = int(frame.drop(columns=["epoch", "step"]).notna().sum().sum())
        print(time.perf_counter() - start, count)
    """,
    "keras-csv": """
        import sys, time
        import pandas as pd
        start = time.perf_counter()
        frame = pd.read_csv(sys.argv[1] + "/training.log")
        count = int(frame.drop(columns=["epoch"]).notna().sum().sum())
        print(time.perf_counter() - start, count)
    """,
    "jsonl": """
        import sys, time
        import pandas as pd
        start = time.perf_counter()
        frame = pd.read_json(sys.argv[1] + "/log.jsonl", lines=True)
        count = int(frame.drop(columns=["step"]).notna().sum().sum())
        print(time.perf_counter() - start, count)
    """,
    "hf-trainer-state": """
        import json, sys, time
        start = time.perf_counter()
        with open(sys.argv[1] + "/checkpoint-1/trainer_state.json") as handle:
            state = json.load(handle)  # what TrainerState.load_from_json does before cls(**data)
        count = sum(len(entry) - 1 for entry in state["log_history"])
        print(time.perf_counter() - start, count)
    """,
    "mlflow-sqlite": """
        import os, sys, time
        import mlflow
        start = time.perf_counter()
        mlflow.set_tracking_uri("sqlite:///" + os.path.join(sys.argv[1], "mlflow.db"))
        client = mlflow.MlflowClient()
        run_id = open(os.path.join(sys.argv[1], "run_id")).read()
        keys = [f"m{i}" for i in range(8)] + ["train_loss", "val_loss"]
        count = sum(len(client.get_metric_history(run_id, key)) for key in keys)
        print(time.perf_counter() - start, count)
    """,
    "mlflow-files": """
        import os, sys, time
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
        import mlflow
        start = time.perf_counter()
        mlflow.set_tracking_uri("file://" + os.path.join(sys.argv[1], "mlruns"))
        client = mlflow.MlflowClient()
        run_id = open(os.path.join(sys.argv[1], "run_id")).read()
        keys = [f"m{i}" for i in range(8)] + ["train_loss", "val_loss"]
        count = sum(len(client.get_metric_history(run_id, key)) for key in keys)
        print(time.perf_counter() - start, count)
    """,
    "trackio": """
        import os, sys, time
        os.environ["TRACKIO_DIR"] = sys.argv[1]
        from trackio.sqlite_storage import SQLiteStorage
        start = time.perf_counter()
        logs = SQLiteStorage.get_logs("bench", "big")
        count = sum(len(entry) - 2 for entry in logs)  # less its step and timestamp
        print(time.perf_counter() - start, count)
    """,
    "wandb": """
        import glob, json, struct, sys, time, zlib
        from wandb.proto import wandb_internal_pb2 as pb
        start = time.perf_counter()
        data = open(glob.glob(sys.argv[1] + "/wandb/*run-*/run-*.wandb")[0], "rb").read()
        pos, count, parts = 7, 0, []
        while pos + 7 <= len(data):
            room = 32768 - pos % 32768
            if room < 7:
                pos += room; continue
            crc, n, t = struct.unpack_from("<IHB", data, pos)
            body = data[pos + 7: pos + 7 + n]
            if zlib.crc32(body, zlib.crc32(bytes([t]))) != crc:
                break
            pos += 7 + n
            parts.append(body)
            if t in (1, 4):
                rec = pb.Record.FromString(b"".join(parts)); parts = []
                if rec.WhichOneof("record_type") == "history":
                    for item in rec.history.item:
                        key = "/".join(item.nested_key) or item.key
                        if not key.startswith("_"):
                            json.loads(item.value_json); count += 1
        print(time.perf_counter() - start, count)
    """,
}


def _time(code: str, folder: str) -> tuple[float, list[str]]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), folder], capture_output=True, text=True, check=True, cwd=HERE
    )
    return time.perf_counter() - start, result.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--only", nargs="*", default=list(WRITERS))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    steps = args.points // len(TAGS)
    print(
        "| format | points | its library's reader: process s (reading s) "
        "| losswatch: process s (reading s, + judging s) | faster by: process (reading) |"
    )
    print("|---|---|---|---|---|")
    for name in args.only:
        folder = _write(name, steps)
        ours, theirs = [], []
        for _ in range(args.repeat):  # alternate, so a busy moment of the machine hits both alike
            ours.append(_time(LOSSWATCH.replace("{preload}", PRELOAD.get(name, "")), folder))
            theirs.append(_time(REFERENCE[name], folder))
        ours_process = statistics.median(t for t, _ in ours)
        ours_read = statistics.median(float(out[0]) for _, out in ours)
        ours_judged = statistics.median(float(out[1]) for _, out in ours)
        theirs_process = statistics.median(t for t, _ in theirs)
        theirs_read = statistics.median(float(out[0]) for _, out in theirs)
        print(
            f"| {name} | {ours[0][1][2]} / {theirs[0][1][1]} | {theirs_process:.2f} ({theirs_read:.2f}) "
            f"| {ours_process:.2f} ({ours_read:.2f}, +{ours_judged - ours_read:.2f}) "
            f"| {theirs_process / ours_process:.1f}× ({theirs_read / ours_read:.1f}×) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
