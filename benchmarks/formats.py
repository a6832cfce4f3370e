"""Each format read by losswatch vs by its own library's reader, on one run of 1M points (10 tags x 100k steps).

    python benchmarks/formats.py [--points N] [--only NAME ...]

Runs are written under benchmarks/_work/formats (MLflow through its own client, W&B offline, trackio
through trackio; the CSV and JSON logs as their writers lay them out). Each reader runs in a fresh
process and is timed from its start (imports included), median of 3. The reference readers:

* MLflow: ``MlflowClient().get_metric_history(run_id, key)`` for every key (SQLite and file stores);
* trackio: ``SQLiteStorage.get_logs(project, run)``;
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
    "mlflow-sqlite": """
        import os, sys, time
        import mlflow
        from mlflow.entities import Metric
        folder, steps = sys.argv[1], int(sys.argv[2])
        mlflow.set_tracking_uri("sqlite:///" + os.path.join(folder, "mlflow.db"))
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
    import sys
    from tui.live.monitor import Monitor
    m = Monitor(sys.argv[1]); m.scan(); m.read()
    print(sum(len(s) for r in m.store.runs.values() for s in r.scalars.values()))
"""

REFERENCE = {
    "lightning-csv": """
        import glob, sys
        import pandas as pd
        frame = pd.read_csv(glob.glob(sys.argv[1] + "/*/metrics.csv")[0])
        print(int(frame.drop(columns=["epoch", "step"]).notna().sum().sum()))
    """,
    "jsonl": """
        import sys
        import pandas as pd
        frame = pd.read_json(sys.argv[1] + "/log.jsonl", lines=True)
        print(int(frame.drop(columns=["step"]).notna().sum().sum()))
    """,
    "mlflow-sqlite": """
        import os, sys
        import mlflow
        mlflow.set_tracking_uri("sqlite:///" + os.path.join(sys.argv[1], "mlflow.db"))
        client = mlflow.MlflowClient()
        run_id = open(os.path.join(sys.argv[1], "run_id")).read()
        keys = [f"m{i}" for i in range(8)] + ["train_loss", "val_loss"]
        print(sum(len(client.get_metric_history(run_id, k)) for k in keys))
    """,
    "wandb": """
        import glob, json, struct, sys, zlib
        from wandb.proto import wandb_internal_pb2 as pb
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
        print(count)
    """,
}


def _time(code: str, folder: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), folder], capture_output=True, text=True, check=True, cwd=HERE
    )
    return time.perf_counter() - start, result.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--only", nargs="*", default=list(WRITERS))
    args = parser.parse_args()
    steps = args.points // len(TAGS)
    print("| format | losswatch s | points | its library's reader s | points | losswatch is faster by |")
    print("|---|---|---|---|---|---|")
    for name in args.only:
        folder = _write(name, steps)
        ours = [_time(LOSSWATCH, folder) for _ in range(3)]
        theirs = [_time(REFERENCE[name], folder) for _ in range(3)]
        ours_s = statistics.median(t for t, _ in ours)
        theirs_s = statistics.median(t for t, _ in theirs)
        print(
            f"| {name} | {ours_s:.2f} | {ours[0][1]} | {theirs_s:.2f} | {theirs[0][1]} | {theirs_s / ours_s:.1f}× |",
            flush=True,
        )


if __name__ == "__main__":
    main()
