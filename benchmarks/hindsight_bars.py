"""How early could any bar on the bell's own statistics ring, with zero false bells? Bars fitted in hindsight.

For each statistic the overfitting bell reads (its level test, the five-point median it is confirmed on, its trend
test), at every judged validation point of every labelled run, this takes the engine's own figures (``Moment``
and the noise it measures, recorded where ``Rise.at`` reads them) and asks: what is the lowest bar that no healthy
or stuck run ever passes (the highest value they reach), and how early does that bar ring on the overfitting runs,
first time over, no confirmation? Such a bar is fitted to the very runs it is scored on, so it is an optimistic
bound, not a detector: ``--apply-to`` scores the bars fitted on the first suites on other runs (false bells there
say how well a bar that tight carries over).

The points asked are those where the bell could ring at all: at least ``warn_after`` points since the best, risen
by ``rise_range`` of the range, training held beside validation (``Rise._train_held``), no jump or two-point spike
carrying the rise, a net that learned something (the engine's ``learned_enough`` rule). "train falling" also
asks training to have fallen since validation's best by twice its noise (overfitting's shape: the net still fits
its training set).

    python benchmarks/hindsight_bars.py [--suites corpus,realnets,fixtures,deepobs] [--apply-to heldout] [--jobs 2]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from verdicts import suite_runs

from tui.judging.moment import Moment
from tui.judging.rising import SPIKE_SHARE, Rise

STATISTICS = ("level", "median5", "trend")
TRAIN_FALL_Z = 2.0
"""The "train falling" points: training this many of its noise deviations below its level at validation's best."""


def _figures(rise: Rise, m: Moment, val_range: float, train_range: float) -> dict | None:
    """The statistics at one judged point, or None where the bell could not ring (see the module's docstring)."""
    from tui.judging.chance import wander_factor
    from tui.judging.features import share_of

    t, val, train = rise.t, m.val, m.train
    if val is None:  # a training curve judged alone
        return None
    since, rise_by = m.index - m.best_index, val.level - m.best
    wide, unit = val.level_noise, val.bend_noise
    if not (since >= t.warn_after and val_range > 0 and rise_by >= t.rise_range * val_range and wide > 0 < unit):
        return None
    if not rise._train_held(m, train_range, share_of(rise_by, val_range)):
        return None
    learned_little = val_range < t.learned_enough * unit  # a net at chance: a plateau, never overfitting
    if learned_little and not train_range >= t.flat_range * abs(m.train_first):
        return None
    floor = m.floor
    bar = rise._bar(m, train_range)
    spiky = val.level - m.lasting > SPIKE_SHARE * (val.level - floor)
    if spiky or rise._jumped(m, floor, (unit, wide), val_range, train_range, bar):
        return None
    slope_z = m.rise_slope_z
    trend = slope_z * val.noise / unit / wander_factor(val.rho) if math.isfinite(slope_z) else -math.inf
    fall = m.train_at_best - train.level
    falling = fall > 0 and (not train.noise > 0 or fall >= TRAIN_FALL_Z * train.noise)
    return {
        "index": m.index,
        "level": (val.level - floor) / wide,
        "median5": (m.lasting - floor) / wide,
        "trend": trend,
        "falling": bool(falling),
    }


def record(job: tuple[str, str, dict]) -> tuple[str, str, str, int | None, list[dict]]:
    """Replay one run as the live view does, keeping the figures at every judged validation point."""
    suite, folder, label = job
    from tui.judging import rising
    from tui.judging.replay import replay
    from tui.judging.thresholds import load_thresholds
    from tui.live.monitor import Monitor

    points: list[dict] = []
    judge = rising.Rise.at

    def at(self: Rise, m: Moment, ranges: tuple[float, float], parked: bool, rising: bool = True) -> list:
        figures = None if parked else _figures(self, m, *ranges)  # a run parked at its start rings no bell
        if figures is not None:
            points.append(figures)
        return judge(self, m, ranges, parked, rising)

    thresholds, _ = load_thresholds(None, [])
    monitor = Monitor(folder, thresholds)
    monitor.refresh()
    run = monitor.store.runs.get(".")
    rising.Rise.at = at  # type: ignore[method-assign]
    try:
        if run is not None:
            replay(run, thresholds)
    finally:
        rising.Rise.at = judge  # type: ignore[method-assign]
    return suite, label.get("id", os.path.basename(folder)), label["kind"], label.get("onset"), points


def _peak(points: list[dict], statistic: str, falling: bool) -> float:
    return max((p[statistic] for p in points if p["falling"] or not falling), default=-math.inf)


def _first_over(points: list[dict], bars: dict[str, float], falling: bool) -> int | None:
    """Where any statistic of ``bars`` first passes its bar."""
    over = (p["index"] for p in points if (p["falling"] or not falling) and any(p[s] > b for s, b in bars.items()))
    return next(over, None)


QUIET = ("healthy", "stuck")


def score(runs: list, bars: dict[str, float], falling: bool) -> str:
    """False bells, and the overfitting runs caught, premature, their median delay and how many within 8."""
    false = sum(kind in QUIET and _first_over(points, bars, falling) is not None for *_, kind, _, points in runs)
    delays, premature = [], 0
    for *_, kind, onset, points in runs:
        at = _first_over(points, bars, falling) if kind == "overfit" and onset is not None else None
        if at is not None and at < onset:
            premature += 1
        elif at is not None:
            delays.append(at - onset)
    median = statistics.median(delays) if delays else None
    return f"{false} | {len(delays)} | {premature} | {median} | {sum(d <= 8 for d in delays)}"


def _table(runs: list, fitted: dict[tuple[str, bool], float]) -> None:
    print("| statistic | points | bar | false bells | overfit caught | premature | median delay | within 8 |")
    print("|---|---|---|---|---|---|---|---|")
    for falling in (False, True):
        where = "train falling" if falling else "train held"
        for statistic in STATISTICS:
            bars = {statistic: fitted[statistic, falling]}
            print(f"| {statistic} | {where} | {bars[statistic]:.2f} | {score(runs, bars, falling)} |")
        bars = {statistic: fitted[statistic, falling] for statistic in ("level", "trend")}
        print(f"| level or trend | {where} | each its own | {score(runs, bars, falling)} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suites", default="corpus,realnets,fixtures,deepobs")
    parser.add_argument("--apply-to", default="", help="suites scored with the bars fitted on --suites")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    fit_suites = [s for s in args.suites.split(",") if s]
    other_suites = [s for s in args.apply_to.split(",") if s]
    with ProcessPoolExecutor(args.jobs) as pool:
        fit = list(pool.map(record, [job for s in fit_suites for job in suite_runs(s)], chunksize=4))
        other = list(pool.map(record, [job for s in other_suites for job in suite_runs(s)], chunksize=4))
    quiet = [points for *_, kind, _, points in fit if kind in QUIET]
    if not quiet:
        raise SystemExit(f"no healthy or stuck run in {', '.join(fit_suites)} to fit the bars on")
    fitted = {(s, f): max(_peak(p, s, f) for p in quiet) for s in STATISTICS for f in (False, True)}
    print(f"Bars fitted on {', '.join(fit_suites)} ({len(fit)} runs); first time over the bar, no confirmation.\n")
    _table(fit, fitted)
    if other:
        print(f"\nThe same bars on {', '.join(other_suites)} ({len(other)} runs):\n")
        _table(other, fitted)


if __name__ == "__main__":
    main()
