"""A held-out suite: the DeepOBS problems outside the development set, read from the public baselines.

The dev set (``../shared/deepobs-dev``) holds four DeepOBS test problems; the public DeepOBS_Baselines repository
(github.com/fsschneider/DeepOBS_Baselines, MIT license, (c) 2019 Frank Schneider) holds four more, run the same
way: svhn_wrn164, cifar100_allcnnc, fmnist_2c2d and fmnist_vae, 3 optimizers x 36 learning rates plus nine more
seeds of the best one (540 runs, 100 to 350 epochs). The thresholds were never tuned on them. Each run is written
as an event file (``Loss/train``, ``Loss/val`` and the accuracies where the problem has them, one point per epoch,
epoch 0 before training; "val" is DeepOBS's test set, the only held-out curve it kept) and labelled by
``corpus.label`` refined by three rules of the dev set's labels for nets that never learned (``refine``): a net
parked at chance accuracy is ``stuck``, a net whose training never fell below 98 % of its first loss is ``failed``
(scored apart from the healthy and stuck runs, as the dev set's are), and a net whose training never fell below 98 %
of its loss after the first epoch is ``stuck`` (the rule that separates the dev set's plain ``stuck`` labels from
its healthy ones). Without the first two 17 such nets read ``overfit``, most from their first point: 8 FMNIST CNNs
at learning rates of 1 or more, 8 FMNIST VAEs at 0.01 to 0.4, and one CNN (momentum, lr 0.063) that learned (0.81)
and then jumped back above its first loss to chance (2.32) for good; the engine rings ``diverging`` there, issue
15's definition, and it is counted as a false bell all the same; without the third, 22 FMNIST VAEs parked from their
first epoch read ``healthy``. The dev set's fourth rule (both curves end 10 % above their best: ``failed``) is left
out: on these problems it reads a training loss wiggling near zero as a rise and took 63 of the 73 overfitting nets.
A validation loss that climbs tenfold while training falls reads ``diverged``. Nothing is copied into this
repository; the suite is read from a clone:

    git clone https://github.com/fsschneider/DeepOBS_Baselines   # or a bare mirror
    LOSSWATCH_BASELINES=DeepOBS_Baselines python benchmarks/verdicts.py --suites heldout
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np
from corpus import centered_smooth, label

from tui.sources.tensorboard.writer import EventWriter

PROBLEMS = ("svhn_wrn164", "cifar100_allcnnc", "fmnist_2c2d", "fmnist_vae")
OPTIMIZERS = {"AdamOptimizer": "adam", "GradientDescentOptimizer": "sgd", "MomentumOptimizer": "momentum"}
START = 1_560_000_000.0
"""A fixed wall-clock origin per run (plus a day per run, a minute per epoch): the files are the same every time."""


def _git(clone: str, *args: str) -> str:
    return subprocess.run(["git", "-C", clone, *args], capture_output=True, text=True, check=True).stdout


def _floats(values: list) -> list[float]:
    """A stored curve as floats (JSON keeps a NaN as null)."""
    return [float("nan") if v is None else float(v) for v in values]


def _curve(record: dict, name: str) -> list[float] | None:
    """The validation curve if the run kept one, else the test curve (DeepOBS kept only that); None without."""
    for prefix in ("valid_", "test_"):
        if prefix + name in record:
            return _floats(record[prefix + name])
    return None


CHANCE = 1.05
"""Chance level: validation accuracy never above 1.05 x its untrained value in the last 75 % of the run."""
NEVER_LEARNED = 0.98
"""Failed: the smoothed training loss never below 98 % of its first value. Stuck: the training loss never below
98 % of its value after the first epoch (the dev set's unexplained ``stuck`` labels: 52 nets, most VAEs parked
after one epoch, fell at most 1.84 % from there, its 315 healthy ones at least 2.08 %; read on the raw points)."""


def refine(labelled: dict, curves: dict[str, list[float]]) -> dict:
    """A net that never learned, labelled as the dev set labels it (its ``labels.json``'s ``why``, and its plain
    ``stuck``), diverged aside."""
    if labelled["kind"] == "diverged":
        return labelled
    train = np.asarray(curves["Loss/train"], dtype=np.float64)
    epochs = len(curves["Loss/val"])
    accuracy = np.asarray(curves.get("Accuracy/val", []), dtype=np.float64)
    late = accuracy[max(1, len(accuracy) // 4) :]  # never the untrained point itself
    known = len(late) and np.isfinite(accuracy[0]) and np.isfinite(late).any()
    if known and np.nanmax(late) <= CHANCE * accuracy[0]:
        return {"epochs": epochs, "kind": "stuck", "why": "chance level"}
    # Smoothed after the first point, as the dev set's "4.439 -> min 5.457 smoothed" reads: a centred median
    # over five points that starts at the first value would keep it.
    if (
        len(train) > 1
        and np.isfinite(train[0])
        and _never_below(float(np.nanmin(centered_smooth(train[1:]))), train[0])
    ):
        return {"epochs": epochs, "kind": "failed", "why": "train never below 98% of its first value"}
    after_first = train[1:][np.isfinite(train[1:])]
    if len(after_first) > 1 and _never_below(np.min(after_first), train[1]):
        return {"epochs": epochs, "kind": "stuck", "why": "train never below 98% of its loss after the first epoch"}
    return labelled


def _never_below(lowest: float, reference: float) -> bool:
    """``lowest`` is at least ``NEVER_LEARNED`` (98 %) of ``reference``: never 2 % of it below (a share of its size)."""
    return bool(lowest >= reference - (1.0 - NEVER_LEARNED) * abs(reference))


def records(clone: str) -> Iterator[tuple[int, str, dict, dict[str, list[float]]]]:
    """(index, name ``<problem>/<optimizer>-lr<lr>-s<seed>``, the stored record, its per-epoch curves under this
    suite's tags) for every run of the four problems that kept a held-out curve, in path order."""
    if not os.path.isdir(clone):
        raise SystemExit(f"no DeepOBS_Baselines clone at {clone!r} (set LOSSWATCH_BASELINES)")
    paths = sorted(_git(clone, "ls-tree", "-r", "--name-only", "HEAD", "--", *PROBLEMS).split())
    for index, path in enumerate(p for p in paths if p.endswith(".json")):
        record = json.loads(_git(clone, "show", f"HEAD:{path}"))
        problem = path.split("/")[0]
        name = f"{problem}/{OPTIMIZERS[record['optimizer']]}-lr{record['learning_rate']:.2e}-s{record['random_seed']}"
        val = _curve(record, "losses")
        if val is None:
            continue
        curves = {"Loss/train": _floats(record["train_losses"]), "Loss/val": val}
        if "train_accuracies" in record and (val_acc := _curve(record, "accuracies")) is not None:
            curves.update({"Accuracy/train": _floats(record["train_accuracies"]), "Accuracy/val": val_acc})
        yield index, name, record, curves


def label_of(curves: dict[str, list[float]]) -> dict:
    """A run's label from its whole curves: ``corpus.label``, refined for nets that never learned (``refine``)."""
    return refine(label({"train": curves["Loss/train"], "val": curves["Loss/val"]}), curves)


def build(outdir: str, clone: str, first: int = 0) -> dict:
    """Write every run of the four problems under ``outdir/<problem>/<run>`` and return their labels; ``first``: the
    first epoch written (1: from the first epoch of training on, as most loops log; labels read the whole run, and
    a point's index stays its epoch)."""
    labels = {}
    for index, name, _record, curves in records(clone):
        val = curves["Loss/val"]
        writer = EventWriter(os.path.join(outdir, name))
        start = START + 86_400.0 * index
        for tag, values in curves.items():
            for epoch, value in enumerate(values[first:], start=first):
                writer.add_scalar(tag, value, epoch, start + 60.0 * epoch)
        writer.close()
        labels[name] = dict(label_of(curves), val_steps=list(range(len(val))))
    return write_labels(outdir, labels)


def write_labels(outdir: str, labels: dict) -> dict:
    """A suite's ``labels.json`` (run -> label), which ``verdicts.py`` reads; the labels returned."""
    with open(os.path.join(outdir, "labels.json"), "w") as handle:
        json.dump(labels, handle, indent=1)
    return labels


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/_work/heldout"
    source = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LOSSWATCH_BASELINES", "DeepOBS_Baselines")
    os.makedirs(target, exist_ok=True)
    print(f"{len(build(target, source))} runs -> {target}")
