"""The held-out DeepOBS runs logged as the development set's are: ``make_logdir.py``'s six tag styles, Keras'
sibling folders, and a third of the runs with their per-batch training loss at its real step.

``heldout`` writes each held-out run (``heldout.py``) as one event file of ``Loss/train`` and ``Loss/val`` per epoch;
the development set's own writer (``../shared/deepobs-dev/make_logdir.py``) rotates the tag styles and logs a
third of its runs per batch, their epoch points at the step that ends the epoch. Unseen runs may come logged
either way, so this suite puts the held-out runs in the development set's file format (``deepobs.npz``: the
same fields, the minibatch losses thinned to about 2,000 kept ones as there) and has that writer write them,
labelled as ``heldout`` labels them. Nothing is copied into this repository; the suite is read from a clone:

    LOSSWATCH_BASELINES=DeepOBS_Baselines python benchmarks/verdicts.py --suites heldout-logged
"""

from __future__ import annotations

import importlib
import json
import math
import os
import sys
from collections import Counter
from multiprocessing import Pool
from types import ModuleType

import numpy as np
from heldout import label_of, records, write_labels

KEPT_BATCHES = 2_000
"""About as many minibatch losses kept per run as the development set keeps (its ``mb_k``: 39,000 / 20)."""
HAS_ACCURACY = {"svhn_wrn164": True, "cifar100_allcnnc": True, "fmnist_2c2d": True, "fmnist_vae": False}


def _writer_module(deepobs: str) -> ModuleType:
    """The development set's ``make_logdir.py``, imported from its folder (not a package; importable by name, so
    its ``write_run`` reaches the worker processes)."""
    if not os.path.isfile(os.path.join(deepobs, "make_logdir.py")):
        raise SystemExit(f"no make_logdir.py in {deepobs!r}")
    sys.path.insert(0, deepobs)
    return importlib.import_module("make_logdir")


def _npz(outdir: str, clone: str) -> tuple[str, dict[str, dict]]:
    """Write the held-out runs as ``deepobs.npz`` is written; return its path and each run's label by id."""
    metas, curves_of, batches, labels = [], [], [], {}
    for _index, name, record, curves in records(clone):
        problem = name.split("/")[0]
        run_id = name.replace("/", "-", 1)
        minibatch = np.asarray([math.nan if v is None else v for v in record["minibatch_train_losses"]], np.float32)
        keep = max(1, math.ceil(len(minibatch) / KEPT_BATCHES))
        metas.append(
            {
                "id": run_id,
                "problem": problem,
                "optimizer": record["optimizer"],
                "lr": record["learning_rate"],
                "seed": record["random_seed"],
                "batch_size": record["batch_size"],
                "num_epochs": record["num_epochs"],
                "steps_per_epoch": 0,  # set per problem below: a run that stopped early logged fewer batches
                "mb_n": len(minibatch),
                "mb_k": keep * int(record.get("train_log_interval") or 1),
                "mb_full": False,
                "has_acc": HAS_ACCURACY[problem],
            }
        )
        accuracy = [curves.get("Accuracy/train"), curves.get("Accuracy/val")]
        size = len(curves["Loss/val"])
        curves_of.append(
            [curves["Loss/train"], curves["Loss/val"], *[a if a is not None else [math.nan] * size for a in accuracy]]
        )
        batches.append(minibatch[::keep])
        labels[run_id] = label_of(curves)
    per_epoch: dict[str, Counter] = {}
    for meta in metas:  # the batches of an epoch, as most of a problem's runs logged them
        per_epoch.setdefault(meta["problem"], Counter())[meta["mb_n"] // max(1, meta["num_epochs"])] += 1
    for meta in metas:
        meta["steps_per_epoch"] = per_epoch[meta["problem"]].most_common(1)[0][0]
    order = sorted(range(len(metas)), key=lambda i: metas[i]["id"])  # sorted by id, as the development set's
    columns = {}
    for place, key in enumerate(("train_loss", "val_loss", "train_acc", "val_acc")):
        columns[key] = np.concatenate([np.asarray(curves_of[i][place], np.float64) for i in order])
    lengths = [len(curves_of[i][0]) for i in order]
    path = os.path.join(outdir, "heldout.npz")
    np.savez(
        path,
        meta=json.dumps([metas[i] for i in order]),
        epoch_off=np.concatenate([[0], np.cumsum(lengths)]),
        mb=np.concatenate([batches[i] for i in order]),
        mb_off=np.concatenate([[0], np.cumsum([len(batches[i]) for i in order])]),
        **columns,
    )
    return path, labels


def build(outdir: str, clone: str, deepobs: str) -> dict:
    """Write the held-out runs with the development set's writer under ``outdir/<problem>/<id>``; return their
    labels, each with its run folder and the step of each validation point."""
    writer = _writer_module(deepobs)
    path, by_id = _npz(outdir, clone)
    runs = writer.load(path)
    tasks = [(run, outdir, KEPT_BATCHES, 0) for run in runs]
    with Pool(2) as pool:
        list(pool.imap_unordered(writer.write_run, tasks, chunksize=4))
    os.remove(path)
    labels = {}
    for run in runs:
        plan = writer.plan(run)
        labels[run["id"]] = dict(by_id[run["id"]], run=plan["run"], style=plan["style"], val_steps=plan["epoch_steps"])
    return write_labels(outdir, labels)


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/_work/heldout-logged"
    source = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LOSSWATCH_BASELINES", "DeepOBS_Baselines")
    here = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(target, exist_ok=True)
    print(f"{len(build(target, source, os.path.join(here, '..', '..', 'shared', 'deepobs-dev')))} runs -> {target}")
