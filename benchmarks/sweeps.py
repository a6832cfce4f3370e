"""Stop-early advice on real learning-rate sweeps: losswatch's behind-peers beside the reference rules.

    python benchmarks/sweeps.py [--data DIR] [--holdout] [--logs]

The DeepOBS development set (``../shared/deepobs-dev``: ``deepobs.npz``, MIT-licensed curves of
Schneider, Balles & Hennig, ICLR 2019) holds 12 learning-rate sweeps (4 problems x 3 optimizers,
36 learning rates each, seed 42). Each rule sees the sweep in lockstep, epoch by epoch, and a run
it stops is stopped there. Per sweep:

* saved: the fraction of run-epochs not trained (a run stopped after epoch s of E saves (E-s)/E);
* best flagged: whether the sweep's best run (lowest best validation loss over the whole run) was stopped;
* regret: the best validation loss still reached after following the advice (each run's best up
  to where it stopped), over the true best, minus 1.

The reference rules, computed on the same curves:

* the median stopping rule (Golovin et al. 2017, as Ray Tune implements it): from the grace period
  on, a run stops when its best so far is worse than the median of the other running runs' running
  means up to now (a NaN run's mean counts as infinite); grace 10 % and 3 % of the epochs;
* successive halving (Li et al.), eta = 3: rungs at 1, 3, 9, ... epochs, a third survives each.

``--holdout`` tunes the two knobs of behind-peers (sweep_slower, sweep_z) on two problems and
checks them on the other two, both ways. ``--logs`` writes the sweeps as TensorBoard logs with the
data's own make_sweeps.py and replays them through losswatch itself (grouping, common axis, the live
judge), checking that it flags exactly what this benchmark's lockstep run flags.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tui.judging.sweeps import SweepJudge, SweepRules

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_CANDIDATES = [
    os.path.join(HERE, "..", "..", "shared", "deepobs-dev"),
    os.path.join(HERE, "..", "..", "..", "shared", "deepobs-dev"),
]
OPTIMIZERS = {"AdamOptimizer": "adam", "GradientDescentOptimizer": "sgd", "MomentumOptimizer": "mom"}
PROBLEMS = ("cifar10_3c3d", "mnist_vae", "quadratic_deep", "tolstoi_char_rnn")
SPLITS = (
    (("cifar10_3c3d", "quadratic_deep"), ("mnist_vae", "tolstoi_char_rnn")),
    (("mnist_vae", "tolstoi_char_rnn"), ("cifar10_3c3d", "quadratic_deep")),
)


@dataclass
class Sweep:
    """One learning-rate sweep: its runs' validation curves (index 0 = before training)."""

    name: str
    problem: str
    lrs: list[float]
    curves: np.ndarray
    """runs x (epochs + 1)"""

    @property
    def epochs(self) -> int:
        return self.curves.shape[1] - 1


def load_sweeps(folder: str) -> list[Sweep]:
    data = np.load(os.path.join(folder, "deepobs.npz"))
    meta = json.loads(str(data["meta"]))
    offsets = data["epoch_off"]
    by_name: dict[str, list[tuple[float, np.ndarray, str]]] = {}
    for i, run in enumerate(meta):
        if run["seed"] != 42:
            continue
        name = f"{run['problem']}-{OPTIMIZERS[run['optimizer']]}"
        by_name.setdefault(name, []).append((run["lr"], data["val_loss"][offsets[i] : offsets[i + 1]], run["problem"]))
    sweeps = []
    for name, runs in sorted(by_name.items()):
        runs.sort(key=lambda item: item[0])
        sweeps.append(Sweep(name, runs[0][2], [lr for lr, _, _ in runs], np.array([c for _, c, _ in runs])))
    return sweeps


def running_best(curves: np.ndarray) -> np.ndarray:
    return np.minimum.accumulate(np.where(np.isfinite(curves), curves, np.inf), axis=1)


def score(sweep: Sweep, stops: np.ndarray) -> tuple[float, bool, float]:
    """(fraction of run-epochs saved, best run flagged, regret) of stopping each run after epoch ``stops[r]``."""
    epochs = sweep.epochs
    best = running_best(sweep.curves)
    final = best[:, -1]
    winner = int(np.argmin(final))
    reached = float(min(best[r, stops[r]] for r in range(len(stops))))
    saved = float(np.sum(epochs - stops) / (len(stops) * epochs))
    return saved, bool(stops[winner] < epochs), reached / float(final[winner]) - 1.0


# ---- the rules -------------------------------------------------------------------------------


def behind_peers_advice(sweep: Sweep, rules: SweepRules, follow: bool = True) -> dict[int, int]:
    """Run index -> epoch at which losswatch's judge finds it behind.

    ``follow``: as a user following the advice sees it, in lockstep, epoch by epoch, each run stopped where it is
    told (a stopped run cannot catch up). Else the whole curves fed at once, as the logs of runs that all went on
    to their end read: the runs still behind at the end (one told behind that caught up is not)."""
    judge = SweepJudge(rules)
    epochs = np.arange(sweep.epochs + 1)
    if not follow:
        judge.update({str(r): (epochs.astype(float), epochs, curve) for r, curve in enumerate(sweep.curves)})
        return {int(name): int(advice.progress) for name, advice in judge.behind.items()}
    ends = [len(epochs)] * len(sweep.curves)
    told: dict[int, int] = {}
    for upto in range(1, len(epochs) + 1):
        shown = {str(r): min(upto, ends[r]) for r in range(len(sweep.curves))}
        for advice in judge.update(
            {name: (epochs[:n].astype(float), epochs[:n], sweep.curves[int(name)][:n]) for name, n in shown.items()}
        ):
            told[int(advice.run)] = int(advice.progress)
            ends[int(advice.run)] = advice.step + 1
    return told


def behind_peers(sweep: Sweep, rules: SweepRules) -> np.ndarray:
    stops = np.full(len(sweep.curves), sweep.epochs)
    for run, epoch in behind_peers_advice(sweep, rules).items():
        stops[run] = min(epoch, sweep.epochs)
    return stops


def median_rule(sweep: Sweep, grace: float) -> np.ndarray:
    """The median stopping rule as Ray Tune runs it, in lockstep (reference)."""
    curves, epochs = sweep.curves, sweep.epochs
    start = int(grace * epochs)
    best = running_best(curves)
    finite = np.isfinite(curves)
    means = np.cumsum(np.where(finite, curves, 0.0)[:, 1:], axis=1) / np.arange(1, epochs + 1)
    means = np.where(np.cumsum(~finite[:, 1:], axis=1) > 0, np.inf, means)  # a NaN makes the mean infinite
    stops = np.full(len(curves), epochs)
    running = np.ones(len(curves), dtype=bool)
    for s in range(max(start, 1), epochs + 1):
        stopping = []
        for r in np.flatnonzero(running):
            others = [o for o in np.flatnonzero(running) if o != r]
            if len(others) < 3:
                continue
            if best[r, s] > np.median(means[others, s - 1]):
                stopping.append(r)
        stops[stopping] = s
        running[stopping] = False
    return stops


def successive_halving(sweep: Sweep, eta: int = 3) -> np.ndarray:
    """Successive halving (reference): rungs at 1, eta, eta^2 ... epochs, the best 1/eta go on."""
    best = running_best(sweep.curves)
    epochs = sweep.epochs
    stops = np.full(len(best), epochs)
    alive = list(range(len(best)))
    rung = 1
    while rung < epochs and len(alive) > 1:
        keep = max(1, len(alive) // eta)
        ranked = sorted(alive, key=lambda r: best[r, rung])
        for r in ranked[keep:]:
            stops[r] = rung
        alive, rung = ranked[:keep], rung * eta
    return stops


RULES: dict[str, Callable[[Sweep], np.ndarray]] = {
    "behind-peers": lambda sweep: behind_peers(sweep, SweepRules()),
    "median 10 %": lambda sweep: median_rule(sweep, 0.10),
    "median 3 %": lambda sweep: median_rule(sweep, 0.03),
    "SH eta=3": successive_halving,
}


# ---- reports ---------------------------------------------------------------------------------


def table(sweeps: list[Sweep], results: dict[str, dict[str, tuple[float, bool, float]]]) -> str:
    names = list(results)
    lines = ["| sweep | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for sweep in sweeps:
        cells = []
        for rule in names:
            saved, flagged, regret = results[rule][sweep.name]
            cells.append(
                f"{saved:.0%}{' **best stopped**' if flagged else ''}{f', regret {regret:.2%}' if regret > 0 else ''}"
            )
        lines.append(f"| {sweep.name} | " + " | ".join(cells) + " |")
    lines.append(
        "| **mean saved** | "
        + " | ".join(f"**{np.mean([results[r][s.name][0] for s in sweeps]):.1%}**" for r in names)
        + " |"
    )
    lines.append(
        "| best run stopped | "
        + " | ".join(f"{sum(results[r][s.name][1] for s in sweeps)} of {len(sweeps)}" for r in names)
        + " |"
    )
    lines.append(
        "| largest regret | " + " | ".join(f"{max(results[r][s.name][2] for s in sweeps):.2%}" for r in names) + " |"
    )
    return "\n".join(lines)


def summary(sweeps: list[Sweep], rules: SweepRules) -> tuple[float, int, float]:
    scores = [score(s, behind_peers(s, rules)) for s in sweeps]
    return float(np.mean([x[0] for x in scores])), sum(x[1] for x in scores), max(x[2] for x in scores)


def holdout(sweeps: list[Sweep]) -> str:
    """Tune (slower, z) on two problems (most saved with no best run stopped), check on the other two."""
    grid = [SweepRules(slower=c, z=z) for c, z in itertools.product((1.5, 2.0, 2.5, 3.0), (1.0, 1.5, 2.0, 3.0))]
    lines = [
        "| tuned on | chosen | tuned: saved, best stopped | held out | held out: saved, best stopped, largest regret |",
        "|---|---|---|---|---|",
    ]
    for tune, test in SPLITS:
        tuning = [s for s in sweeps if s.problem in tune]
        checking = [s for s in sweeps if s.problem in test]
        scored = [(rules, summary(tuning, rules)) for rules in grid]
        safe = [(rules, result) for rules, result in scored if result[1] == 0 and result[2] == 0]
        rules, result = max(safe, key=lambda item: item[1][0])
        held = summary(checking, rules)
        lines.append(
            f"| {', '.join(tune)} | slower {rules.slower:g}, z {rules.z:g} | {result[0]:.1%}, {result[1]} | "
            f"{', '.join(test)} | {held[0]:.1%}, {held[1]} of {len(checking)}, {held[2]:.2%} |"
        )
    return "\n".join(lines)


def check_logs(folder: str, sweeps: list[Sweep]) -> str:
    """Write the sweeps as TensorBoard logs (make_sweeps.py) and read them with losswatch's Monitor.

    The Monitor finds the sweeps by their folder names, puts each on a common axis (a third of
    the runs log batch steps, the others epochs: validation rounds it is) and judges them: the
    runs it finds behind, and where, must be the judge's on the whole curves.
    """
    from tui.live.monitor import Monitor

    expected = {
        f"{sweep.name}/lr={sweep.lrs[run]:.3g}": epoch
        for sweep in sweeps
        for run, epoch in behind_peers_advice(sweep, SweepRules(), follow=False).items()
    }
    with tempfile.TemporaryDirectory(prefix="losswatch-sweeps-") as logdir:
        started = time.perf_counter()
        command = [sys.executable, os.path.join(folder, "make_sweeps.py"), logdir, "--max-batch-points", "2000"]
        subprocess.run(command, check=True, capture_output=True)
        written = time.perf_counter() - started
        started = time.perf_counter()
        monitor = Monitor(logdir)
        monitor.refresh()
        read = time.perf_counter() - started
        found = {run: int(flag.advice.progress) for run, flag in monitor.sweeps.flags.items()}
        axes = sorted(set(monitor.sweeps.axes.values()))
    same = found == expected
    return (
        f"TensorBoard logs written in {written:.0f} s, read and judged by the Monitor in {read:.0f} s: "
        f"{len(monitor.sweeps.sweeps)} sweeps found (axis: {', '.join(axes)}), {len(found)} runs behind their peers, "
        f"{'the same runs at the same epochs as' if same else 'DIFFERENT from'} the judge fed the whole curves"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data",
        default=os.environ.get("LOSSWATCH_DEEPOBS"),
        help="the deepobs-dev folder (default: $LOSSWATCH_DEEPOBS, as benchmarks/verdicts.py reads it, else"
        " ../shared/deepobs-dev)",
    )
    parser.add_argument("--holdout", action="store_true", help="tune on two problems, check on the other two")
    parser.add_argument(
        "--logs", action="store_true", help="also replay the sweeps' TensorBoard logs through losswatch"
    )
    args = parser.parse_args(argv)
    folder = args.data or next((d for d in DATA_CANDIDATES if os.path.isfile(os.path.join(d, "deepobs.npz"))), None)
    if folder is None or not os.path.isfile(os.path.join(folder, "deepobs.npz")):
        sys.exit("benchmarks/sweeps.py: no deepobs.npz found; give --data DIR (the deepobs-dev folder)")
    sweeps = load_sweeps(folder)
    started = time.perf_counter()
    results = {rule: {s.name: score(s, fn(s)) for s in sweeps} for rule, fn in RULES.items()}
    print(table(sweeps, results))
    print(f"\n({len(sweeps)} sweeps, {sum(len(s.lrs) for s in sweeps)} runs, {time.perf_counter() - started:.1f} s)")
    if args.holdout:
        print("\n" + holdout(sweeps))
    if args.logs:
        print("\n" + check_logs(folder, sweeps))


if __name__ == "__main__":
    main()
