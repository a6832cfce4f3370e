"""A labelled corpus of real deep nets trained with PyTorch, stored compactly, rewritten as TensorBoard logs.

``benchmarks/corpus.py`` trains NumPy MLPs; this one trains the kinds of nets the held-out
evaluation holds (CNNs, a small ResNet, char-level LSTMs, VAEs, wide MLPs) with PyTorch on one CPU
thread, on data that ships offline (scikit-learn's digits and diabetes, the interpreter's
LICENSE.txt and reference manual), in the regimes of ``realnets_regimes.py``: overfitting ones
above all, healthy runs whose learning rate decays (step, cosine) to a flat finish, healthy runs on
a tiny noisy validation set, losses converging near zero, loss spikes, a one-epoch training bump,
per-batch-only warm-up runs, oscillation, divergence and stuck runs. Most validate on a few
hundred held-out examples, where an overfitting rise is a tenth of the curve's noise per epoch;
the ``*-bigval`` regimes validate on about 11,000 (jittered copies of the held-out digits) or
24,000 characters, as the benchmarks the monitor is judged on do, and train a small set in large
batches, several passes per point: smooth curves where a rise shows within epochs (overfitting,
healthy, converged and mild ones). Each run is labelled after the fact with ``corpus.label``
(the same rules: diverged, overfit with its onset, healthy, stuck, or mild), never by its regime;
``intended`` says what the regime meant to produce. ``summary`` shows how hard each regime's
onsets are to see: the rise per epoch in units of the validation noise (``overfit_stats``).

The curves are kept in ``data/realnets.npz`` (float32 per-epoch train/val loss and accuracy and
learning rate, per-batch loss and learning rate where logged; concatenated, with offsets) and the
labels and run metadata (tags, steps, seeds, settings, times, versions) in ``data/realnets.json``.

    python benchmarks/realnets.py write OUT [--only a,b]  # TensorBoard logs + OUT/labels.json from
        # the stored curves: tensorboardX with a fixed clock, no torch, byte-identical every time
    python benchmarks/realnets.py summary                 # per regime: labels, onsets, rises, noise
    python benchmarks/realnets.py plot OUT                # one PNG per regime (matplotlib)
    python benchmarks/realnets.py train [--logdir DIR] [--only a,b]
        # trains again (pip install torch: the CPU build; about 25 min of one core) and rewrites the
        # data files; --only retrains those regimes and keeps the other stored runs; --logdir keeps
        # the logs PyTorch's own SummaryWriter wrote while training (same tags and steps).

Runs without a validation curve (per-batch-only warm-up runs) are labelled by the same rules
applied to their training curve (the mean of each epoch's batch losses) as the only curve.
Training is seeded (the seed is a hash of the run's name) and single-threaded; the same torch
build gives the same curves, another build or CPU may differ in the last bits and so, for
chaotic runs, in more.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import zlib
from collections import Counter
from dataclasses import MISSING, asdict, fields

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from corpus import centered_smooth, keras_patience, label, prechelt_gl
from realnets_logs import START, RunLogger, plan, write_run
from realnets_regimes import REGIMES, Regime

DATA = os.path.join(HERE, "data")
EPOCH_CURVES = ("train_loss", "val_loss", "train_acc", "val_acc", "lr")
BATCH_CURVES = ("batch_loss", "batch_lr")


def planned_runs(only: set[str] | None = None) -> list[tuple[int, Regime, int, str]]:
    """(index, regime, seed, name) of every run; the index rotates tag styles, the seed comes from the name."""
    runs, index = [], 0
    for regime in REGIMES:
        for k in range(regime.seeds):
            name = f"{regime.name}-s{k}"
            if not only or regime.name in only:
                runs.append((index, regime, zlib.crc32(name.encode()) % 2**31, name))
            index += 1
    return runs


# --- training ---------------------------------------------------------------------------------------


def train_all(data_dir: str, logdir: str | None, only: set[str] | None) -> None:
    """Train the planned runs, store the curves and labels, and print the summary.

    With ``only`` (regime names) just those regimes are trained again; the stored runs of the
    other regimes still in ``REGIMES`` are kept. Every run records its own seed, settings and times.
    """
    import sklearn
    import torch
    from realnets_train import text_digest, train_run

    torch.set_num_threads(1)
    records, curves = {}, {}
    for index, regime, seed, name in planned_runs(only):
        has_acc = regime.model not in ("vae",) and regime.task != "diabetes"
        record = {"regime": regime.name, "intended": regime.intended, "seed": seed, "index": index}
        record.update(plan(index, regime.optimizer, regime.validate, has_acc, regime.log_batch))
        record["lr_per_batch"] = regime.schedule == "warmup-cosine" and "batch" in record["tags"]
        alternate = index % 2 == 1
        record["eval_start"] = regime.validate and (alternate if regime.eval_start is None else regime.eval_start)
        logger, log = None, None
        if logdir:
            logger = RunLogger(os.path.join(logdir, name), record, torch_writer=True)
            log = live_logger(logger, record, regime)
        run = train_run(regime, seed, record["eval_start"], log)
        if logger:
            logger.close()
        record.update({k: run[k] for k in ("steps_per_epoch", "wall_seconds", "cpu_seconds")})
        record["regime_settings"] = {k: v for k, v in asdict(regime).items() if k not in ("name", "intended")}
        curves[name] = {k: np.asarray(run[k], dtype=np.float32) for k in EPOCH_CURVES + BATCH_CURVES}
        if "batch" not in record["tags"]:
            curves[name]["batch_loss"] = curves[name]["batch_loss"][:0]
        if not record["lr_per_batch"]:
            curves[name]["batch_lr"] = curves[name]["batch_lr"][:0]
        records[name] = record
        print(f"{name:24s} {run['wall_seconds']:6.1f} s wall {run['cpu_seconds']:5.1f} s", file=sys.stderr, flush=True)
    commands = ["python benchmarks/realnets.py train" + (f" --only {','.join(sorted(only))}" if only else "")]
    if only and os.path.exists(os.path.join(data_dir, "realnets.json")):  # keep the other regimes' runs
        kept_about, kept, kept_curves = load(data_dir)
        current = {r.name for r in REGIMES} - only
        added = {f.name: f.default for f in fields(Regime) if f.default is not MISSING}
        for name, record in kept.items():
            if record["regime"] in current:
                for key, default in added.items():  # settings added since: the default, which they ran with
                    record["regime_settings"].setdefault(key, default)
                records[name], curves[name] = record, kept_curves[name]
        commands = kept_about.get("commands", []) + commands
    about = {
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "threads": torch.get_num_threads(),
        "text_sha256": text_digest(),
        "docs_sha256": text_digest("docs"),
        "train_seconds": round(sum(r["wall_seconds"] for r in records.values()), 1),
        "train_cpu_seconds": round(sum(r["cpu_seconds"] for r in records.values()), 1),
        "commands": commands,
    }
    save(data_dir, about, records, curves)
    print_summary(*load(data_dir)[1:])


def live_logger(logger: RunLogger, record: dict, regime: Regime):
    """The callback that writes each point with PyTorch's SummaryWriter while the run trains."""
    done = {"batches": 0, "points": 0}
    per_batch = "batch" in record["tags"]

    def log(kind: str, point: dict) -> None:
        if kind == "batch":
            done["batches"] += 1
            if per_batch:
                logger.batch(done["batches"], point["loss"], point["lr"] if record["lr_per_batch"] else None)
        elif regime.validate:  # the same steps as plan_steps gives
            logger.epoch(done["batches"] if per_batch else done["points"], point, not record["lr_per_batch"])
            done["points"] += 1

    return log


# --- storage and labels -----------------------------------------------------------------------------


def save(data_dir: str, about: dict, records: dict, curves: dict) -> None:
    """Concatenated float32 curves with offsets (npz) and the labelled records (json), runs in name order."""
    names = sorted(records)
    arrays: dict[str, np.ndarray] = {"names": np.array(names)}
    for key in EPOCH_CURVES + BATCH_CURVES:
        parts = [curves[n][key] for n in names]
        arrays[key] = np.concatenate(parts).astype(np.float32)
        arrays[key + "_off"] = np.cumsum([0] + [len(p) for p in parts]).astype(np.int64)
    os.makedirs(data_dir, exist_ok=True)
    np.savez_compressed(os.path.join(data_dir, "realnets.npz"), **arrays)
    for name in names:
        records[name].update(measure(records[name], {k: curves[name][k] for k in curves[name]}))
    with open(os.path.join(data_dir, "realnets.json"), "w") as handle:
        json.dump({"about": about, "runs": {n: records[n] for n in names}}, handle, indent=1)
        handle.write("\n")


def load(data_dir: str = DATA) -> tuple[dict, dict, dict]:
    """(about, records by name, curves by name) as stored."""
    with open(os.path.join(data_dir, "realnets.json")) as handle:
        stored = json.load(handle)
    with np.load(os.path.join(data_dir, "realnets.npz")) as z:
        arrays = {key: z[key] for key in z.files}  # each array unzipped once (z[key] unzips it on every access)
    curves = {}
    for i, name in enumerate(arrays["names"].tolist()):
        curves[name] = {
            k: arrays[k][arrays[k + "_off"][i] : arrays[k + "_off"][i + 1]].copy() for k in EPOCH_CURVES + BATCH_CURVES
        }
    return stored["about"], stored["runs"], curves


def measure(record: dict, curves: dict) -> dict:
    """The after-the-fact labels of one run, from its stored (float32) curves."""
    train = curves["train_loss"].astype(np.float64)
    val = curves["val_loss"].astype(np.float64) if record["tags"].get("val") else train
    n = len(train) if record["tags"].get("val") else 0
    steps = plan_steps(record, n)
    found = label({"train": train.tolist(), "val": val.tolist()})
    lr = curves["batch_lr"] if len(curves["batch_lr"]) else curves["lr"]
    out = {
        **found,
        "val_steps": steps,
        "lr_decayed": bool(lr[-1] < 0.5 * np.median(lr)),
        "keras_patience5": keras_patience(val.tolist()) if n else None,
        "prechelt_gl5": prechelt_gl(val.tolist()) if n else None,
        "spikes": spikes(train, "train") + (spikes(val, "val") if n else []),
    }
    return out


def plan_steps(record: dict, n: int) -> list[int]:
    """Step of each per-epoch point: batches done where batches are logged, else the epoch index."""
    if "batch" not in record["tags"]:
        return list(range(n))
    first = 0 if record["eval_start"] else 1
    return [(first + e) * record["steps_per_epoch"] for e in range(n)]


def spikes(curve: np.ndarray, name: str) -> list[list]:
    """Informational: one- or two-point excursions that come back, as [curve, index, size / range so far].

    A point counts when it rises above the median of the five before it by more than a tenth of
    the curve's range so far (first value to best) and ten times their typical step, and the
    curve is back within a quarter of that rise two points later.
    """
    found = []
    for i in range(5, len(curve) - 2):
        before = curve[:i]
        if not np.all(np.isfinite(curve[i - 5 : i + 3])):
            continue
        base = float(np.median(curve[i - 5 : i]))
        span = float(before[0] - np.min(before))
        step = float(np.median(np.abs(np.diff(curve[i - 5 : i]))))
        jump = float(curve[i] - base)
        back = min(curve[i + 1], curve[i + 2]) - base < 0.25 * jump
        if jump > max(0.1 * span, 10 * step) and back and not (found and found[-1][1] == i - 1):
            found.append([name, i, round(jump / span, 3) if span > 0 else None])
    return found


# --- rewriting and reporting ------------------------------------------------------------------------


def write_logs(out: str, data_dir: str = DATA, only: set[str] | None = None) -> None:
    """TensorBoard logs of the stored runs (tensorboardX, fixed clock) and OUT/labels.json (name -> label).

    ``only``: run names or regime names to write (default: all).
    """
    t0 = time.perf_counter()
    _, records, curves = load(data_dir)
    if only:
        records = {n: r for n, r in records.items() if n in only or r["regime"] in only}
    os.makedirs(out, exist_ok=True)
    points = 0
    for name, record in records.items():
        points += write_run(os.path.join(out, name), record, curves[name], START + 86_400.0 * record["index"])
    with open(os.path.join(out, "labels.json"), "w") as handle:
        json.dump(records, handle, indent=1)
    print(f"wrote {len(records)} runs, {points:,} points in {time.perf_counter() - t0:.1f} s -> {out}", file=sys.stderr)


def point_noise(values: np.ndarray) -> float:
    """Robust point-to-point noise of a curve, blind to a locally linear trend: its second differences' spread.

    White noise of deviation sigma has second differences of deviation sigma * sqrt(6); the median
    absolute value (times 1.4826) keeps a spike from inflating it. Measured here, not taken from
    the monitor's judging code, so that the corpus's yardstick does not move with what it judges.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size < 3:
        return 0.0
    return 1.4826 * float(np.median(np.abs(x[2:] - 2.0 * x[1:-1] + x[:-2]))) / math.sqrt(6.0)


def overfit_stats(record: dict, curves: dict) -> tuple[float, float, float, float]:
    """Of an overfit run: rise (relative to the best), noise relative to the rise, rise per epoch in noise, noise.

    The third is what makes an onset hard or easy to see: the mean rise per epoch from the onset
    to the end (the median of the last five points less the smoothed best, over the epochs
    between) in units of the point-to-point noise of the 20 points from the onset on, where a
    detector has to see the rise (``point_noise``: second differences, blind to the trend).
    Below about 0.3 a rise takes tens of epochs to stand out of the noise; above 1, a few. The
    fourth is that noise relative to the best loss.
    """
    val = curves["val_loss"].astype(np.float64)
    smooth = centered_smooth(val)
    best = record["onset"]
    rise = float(np.median(val[-5:]) - smooth[best])
    noise = float(np.median(np.abs(val - smooth))) * 1.4826
    sigma = point_noise(val[best : best + 20])
    per_epoch = rise / (len(val) - 3 - best) / sigma if sigma > 0 else math.inf
    return record["rise"], noise / rise if rise > 0 else math.inf, per_epoch, sigma / abs(smooth[best])


def validation_size(record: dict) -> int:
    """Examples in a run's validation set: held-out images times their copies, or characters of text."""
    settings = record["regime_settings"]
    return settings["n_val"] * settings.get("val_variants", 1) if record["tags"].get("val") else 0


def print_summary(records: dict, curves: dict) -> None:
    kinds = ["overfit", "mild", "healthy", "stuck", "diverged"]
    head = f"{'regime':20s} {'intended':13s} {'val':>6s} {'n':>2s} " + " ".join(f"{k[:5]:>5s}" for k in kinds)
    head += "  onset [min-max]   onset%   rise med [min-max]    noise/rise  slope/σ [min-max]  σ/best"
    print(head + "  decayed  cpu s")
    by_regime: dict[str, list[str]] = {}
    for name, record in records.items():
        by_regime.setdefault(record["regime"], []).append(name)
    order = [r.name for r in REGIMES if r.name in by_regime] + sorted(set(by_regime) - {r.name for r in REGIMES})
    for regime in order:
        names = by_regime[regime]
        rs = [records[n] for n in names]
        counts = Counter(r["kind"] for r in rs)
        line = f"{regime:20s} {rs[0]['intended']:13s} {validation_size(rs[0]):6d} {len(rs):2d} "
        line += " ".join(f"{counts[k]:5d}" for k in kinds)
        over = [(records[n], curves[n]) for n in names if records[n]["kind"] == "overfit"]
        if over:
            onsets = [r["onset"] for r, _ in over]
            frac = [r["onset"] / r["epochs"] for r, _ in over]
            stats = [overfit_stats(r, c) for r, c in over]
            rises, ratios, slopes, sigmas = (np.array([s[k] for s in stats]) for k in range(4))
            line += f"  {np.median(onsets):5.0f} [{min(onsets):3d}-{max(onsets):3d}]  {np.median(frac):6.0%}"
            line += f"  {np.median(rises):6.2f} [{min(rises):5.2f}-{max(rises):6.2f}]  {np.median(ratios):9.3f}"
            line += f"  {np.median(slopes):5.2f} [{min(slopes):5.2f}-{max(slopes):5.2f}]  {np.median(sigmas):6.3f}"
        else:
            line += " " * 92
        cpu = sum(r.get("cpu_seconds", r["wall_seconds"]) for r in rs)
        line += f"  {sum(r['lr_decayed'] for r in rs):7d}  {cpu:5.0f}"
        print(line)
    total = Counter(r["kind"] for r in records.values())
    print(f"\n{len(records)} runs: " + ", ".join(f"{k} {total[k]}" for k in kinds if total[k]))
    intended = Counter((r["intended"], r["kind"]) for r in records.values())
    print("intended -> label: " + ", ".join(f"{i}->{k} {c}" for (i, k), c in sorted(intended.items())))


def plot(out: str, data_dir: str = DATA) -> None:
    """One PNG per regime: each seed's train and validation loss (log scale), onset and spikes marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, records, curves = load(data_dir)
    os.makedirs(out, exist_ok=True)
    by_regime: dict[str, list[str]] = {}
    for name, record in records.items():
        by_regime.setdefault(record["regime"], []).append(name)
    for regime, names in by_regime.items():
        fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), squeeze=False)
        for ax, name in zip(axes[0], names):
            record, c = records[name], curves[name]
            if len(c["batch_loss"]):
                spe = record["steps_per_epoch"]
                ax.plot(np.arange(1, len(c["batch_loss"]) + 1) / spe, c["batch_loss"], lw=0.3, color="0.7")
            x = np.arange(len(c["train_loss"])) + (0 if record["eval_start"] else 1)
            ax.plot(x, c["train_loss"], label="train")
            if record["tags"].get("val"):
                ax.plot(x, c["val_loss"], label="val")
            if record["kind"] == "overfit":
                ax.axvline(x[record["onset"]], color="r", lw=0.8)
            ax.set_yscale("log")
            ax.set_title(f"{name}\n{record['kind']} onset={record.get('onset')}", fontsize=8)
            ax.tick_params(labelsize=6)
        fig.tight_layout()
        fig.savefig(os.path.join(out, f"{regime}.png"), dpi=80)
        plt.close(fig)
    print(f"wrote {len(by_regime)} plots -> {out}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="re-train every run (needs torch) and rewrite the data files")
    train.add_argument("--logdir", help="also keep the logs PyTorch's SummaryWriter writes while training")
    train.add_argument("--only", help="comma-separated regime names (for trying a regime out)")
    train.add_argument("--data", default=DATA, help="where realnets.npz and realnets.json go")
    write = sub.add_parser("write", help="TensorBoard logs and labels.json from the stored curves (no torch)")
    write.add_argument("out")
    write.add_argument("--only", help="comma-separated run or regime names")
    write.add_argument("--data", default=DATA)
    summary = sub.add_parser("summary", help="the per-regime table")
    summary.add_argument("--data", default=DATA)
    plots = sub.add_parser("plot", help="one PNG per regime")
    plots.add_argument("out")
    plots.add_argument("--data", default=DATA)
    args = parser.parse_args(argv)
    if args.command == "train":
        train_all(args.data, args.logdir, set(args.only.split(",")) if args.only else None)
    elif args.command == "write":
        write_logs(args.out, args.data, set(args.only.split(",")) if args.only else None)
    elif args.command == "summary":
        print_summary(*load(args.data)[1:])
    else:
        plot(args.out, args.data)


if __name__ == "__main__":
    main()
