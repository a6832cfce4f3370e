"""How the verdict benchmark scores one run's alerts against its hindsight label, and sums them up.

A run arrives as a ``Scored`` record: its label (healthy, stuck, overfit, mild, diverged, failed; the
labelled onset as a validation-point index), the validation-point index at which each alert kind first
fired, the final verdict, and what two classic stopping rules do on the same validation curve. The
summary is what the README's verdict tables show.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from tui.judging.windows import curve_noise

BELLS = ("overfitting", "diverging")
QUIET_KINDS = ("healthy", "stuck")
"""Runs on which any bell is a false bell."""


@dataclass
class Scored:
    """One run, scored."""

    suite: str
    run: str
    kind: str
    """The hindsight label."""
    onset: int | None
    """Overfit: the validation minimum; diverged: the first non-finite or exploded point (val index)."""
    first: dict[str, int] = field(default_factory=dict)
    """Alert or flag kind -> validation-point index at which it first fired."""
    final: str = "waiting"
    """The verdict at the end of the run (the live path)."""
    check: str = "waiting"
    """The verdict ``check`` gives (the bulk path); must equal ``final``."""
    agree: bool = True
    """Whether check and replay agree on the verdict, the flags and the alerts."""
    patience5: int | None = None
    gl5: int | None = None
    v1: int | None = None
    """Where losswatch's overfitting test before verdicts v2 alarmed (``v1_onset.py``): a calibration."""
    told3: int | None = None
    told4: int | None = None
    """Overfit runs: where ``told_onset`` at 3 and 4 standard errors first passes (a reference, not a detector)."""
    points: int = 0
    flags: list[str] = field(default_factory=list)
    """The flags shown beside the final verdict (the live path)."""
    bells: int = 0
    """Bells rung over the whole run (a blow-up that stays rings once; a run that recovers may ring again)."""
    final_told: bool = True
    """A final plateau, data-suspect or unstable verdict is the kind of the latest of those alerts (the table and
    the alerts never disagree); True for other verdicts."""


def keras_patience(val: list[float], patience: int = 5) -> int | None:
    """Index at which Keras ``EarlyStopping(patience)`` on validation loss stops (None: never)."""
    best, since = math.inf, 0
    for i, v in enumerate(val):
        if v < best:
            best, since = v, 0
        else:
            since += 1
            if since >= patience:
                return i
    return None


def prechelt_gl(val: list[float], alpha: float = 5.0) -> int | None:
    """Index at which Prechelt's GL_alpha (generalisation loss above alpha %) stops (None: never)."""
    best = math.inf
    for i, v in enumerate(val):
        if not math.isfinite(v):
            return i
        best = min(best, v)
        if best > 0 and 100 * (v / best - 1) > alpha:
            return i
    return None


def told_onset(val: list[float], onset: int, z: float) -> int | None:
    """Index at which validation's least-squares slope since the labelled ``onset`` first stands ``z`` standard
    errors above zero, the noise the whole curve's white-noise deviation (``curve_noise``), None: never (or a
    non-finite point since the onset).

    Not a detector, and not a bound: a reference for the delays. It is told where the rise starts (the hindsight
    minimum, itself low by chance), makes no allowance for looking again at every point, nor for noise that
    wanders, and weighs one statistic; a live test must find the best among noisy points and stay silent on
    healthy runs, but may weigh other evidence (the bell rings before it on some runs)."""
    values = np.asarray(val, dtype=np.float64)
    finite = values[np.isfinite(values)]
    sigma = curve_noise(finite)
    if not sigma > 0:
        return None
    for end in range(onset + 2, len(values)):
        since = values[onset : end + 1]
        if not np.isfinite(since).all():
            return None
        count = len(since)
        slope = np.polyfit(np.arange(count), since, 1)[0]
        if slope * math.sqrt(count * (count * count - 1) / 12) / sigma >= z:
            return end
    return None


def _delays(rows: list[Scored], at: str) -> list[int]:
    return [getattr(r, at) - r.onset if at in PEERS else r.first[at] - r.onset for r in rows]


def _stats(delays: list[int]) -> dict[str, object]:
    if not delays:
        return {"mean delay": None, "median delay": None, "max delay": None}
    return {
        "mean delay": round(statistics.fmean(delays), 1),
        "median delay": statistics.median(delays),
        "max delay": max(delays),
    }


PEERS = ("patience5", "gl5", "v1", "told3", "told4")
"""Detectors scored from the curves beside the engine's alerts (``Scored`` fields)."""


def _when(row: Scored, detector: str) -> int | None:
    if detector in PEERS:
        return getattr(row, detector)
    return row.first.get(detector)


def detector_row(rows: list[Scored], detector: str) -> dict[str, object]:
    """Overfitting runs caught / premature / delays, and stops on quiet runs, for one detector."""
    overfit = [r for r in rows if r.kind == "overfit" and r.onset is not None]
    quiet = [r for r in rows if r.kind in QUIET_KINDS]
    healthy = [r for r in rows if r.kind == "healthy"]
    fired = [(r, _when(r, detector)) for r in overfit]
    caught = [(r, at) for r, at in fired if at is not None and at >= r.onset]
    premature = [r for r, at in fired if at is not None and at < r.onset]
    return {
        "overfit runs": len(overfit),
        "caught": len(caught),
        "premature": len(premature),
        **_stats([at - r.onset for r, at in caught]),
        "fires on healthy": sum(_when(r, detector) is not None for r in healthy),
        "healthy runs": len(healthy),
        "fires on quiet": sum(_when(r, detector) is not None for r in quiet),
        "quiet runs": len(quiet),
    }


def summarize(rows: list[Scored]) -> dict[str, object]:
    """Everything the README reports, per suite and overall."""
    quiet = [r for r in rows if r.kind in QUIET_KINDS]
    overfit = [r for r in rows if r.kind == "overfit"]
    diverged = [r for r in rows if r.kind == "diverged" and r.onset is not None]
    healthy = [r for r in rows if r.kind == "healthy"]
    false_bells = [r for r in quiet if any(b in r.first for b in BELLS)]
    wrong_kind = [r for r in overfit if "diverging" in r.first] + [r for r in diverged if "overfitting" in r.first]
    div_in_time = [r for r in diverged if r.first.get("diverging", math.inf) <= r.onset + 1]
    div_delays = [r.first["diverging"] - r.onset for r in diverged if "diverging" in r.first]
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        confusion[r.kind][r.final] += 1
    return {
        "runs": len(rows),
        "labels": dict(Counter(r.kind for r in rows)),
        "false bells": len(false_bells),
        "false bell runs": sorted(f"{r.suite}/{r.run}" for r in false_bells),
        "wrong-kind bells": len(wrong_kind),
        "wrong-kind runs": sorted(f"{r.suite}/{r.run}" for r in wrong_kind),
        "overfitting": detector_row(rows, "overfitting"),
        "val-rising": detector_row(rows, "val-rising"),
        "keras patience=5": detector_row(rows, "patience5"),
        "prechelt GL5": detector_row(rows, "gl5"),
        "losswatch v1": detector_row(rows, "v1"),
        "told onset z3": detector_row(rows, "told3"),
        "told onset z4": detector_row(rows, "told4"),
        "diverged runs": len(diverged),
        "diverged in time": len(div_in_time),
        "diverged late or missed": sorted(f"{r.suite}/{r.run}" for r in diverged if r not in div_in_time),
        "diverged delays": _stats(div_delays),
        "plateau alerts on healthy": sum("plateau" in r.first for r in healthy),
        "runs ringing more than twice": sorted(f"{r.suite}/{r.run}" for r in rows if r.bells > 2),
        "most bells on one run": max((r.bells for r in rows), default=0),
        "healthy runs": len(healthy),
        "check = replay": sum(r.agree for r in rows),
        "final told": sum(r.final_told for r in rows),
        "disagree runs": sorted(f"{r.suite}/{r.run}" for r in rows if not r.agree),
        "confusion": {label: dict(counts) for label, counts in sorted(confusion.items())},
    }


def markdown(summary: dict) -> str:
    """The README's tables for one summary."""
    lines = [
        f"{summary['runs']} runs ({', '.join(f'{n} {k}' for k, n in sorted(summary['labels'].items()))}).",
        "",
        "| measure | result |",
        "|---|---|",
        f"| false bells (a bell on a healthy or stuck run) | {summary['false bells']} |",
        f"| wrong-kind bells (diverging on an overfitting run, overfitting on a diverged one) "
        f"| {summary['wrong-kind bells']} |",
        f"| diverged runs alerted at or before one point after the onset | {summary['diverged in time']} of "
        f"{summary['diverged runs']} |",
        f"| plateau alerts on healthy runs | {summary['plateau alerts on healthy']} of {summary['healthy runs']} |",
        f"| runs whose bell rang more than twice (most on one run) | {len(summary['runs ringing more than twice'])} "
        f"({summary['most bells on one run']}) |",
        f"| `check` = `replay` (verdict, flags, alerts) | {summary['check = replay']} of {summary['runs']} |",
        "| a final plateau, data-suspect or unstable verdict is the latest such alert's kind "
        f"| {summary['final told']} of {summary['runs']} |",
        "",
        "| detector | overfit runs caught | premature | mean / median / max delay (val points) "
        "| fires on healthy runs | fires on healthy + stuck |",
        "|---|---|---|---|---|---|",
    ]
    names = {
        "overfitting": "losswatch `overfitting` (bell)",
        "val-rising": "losswatch `val-rising` (early warning, no bell)",
        "keras patience=5": "Keras `EarlyStopping(patience=5)`",
        "prechelt GL5": "Prechelt GL5",
        "losswatch v1": "the first verdict engine (its CUSUM; median 10 on unseen runs as measured for the rework)",
        "told onset z3": "*told the onset*: slope since it at 3 standard errors (a reference, not a detector)",
        "told onset z4": "*told the onset*: the same at 4 standard errors",
    }
    for key, name in names.items():
        d = summary[key]
        told = key.startswith("told")  # looks at overfit runs alone, from their labelled onset
        lines.append(
            f"| {name} | {d['caught']} of {d['overfit runs']} | {d['premature']} | {d['mean delay']} / "
            f"{d['median delay']} / {d['max delay']} | "
            + ("— | — |" if told else f"{d['fires on healthy']} of {d['healthy runs']} | ")
            + ("" if told else f"{d['fires on quiet']} of {d['quiet runs']} |")
        )
    labels = sorted(summary["confusion"])
    verdicts = sorted({v for counts in summary["confusion"].values() for v in counts})
    lines += ["", "| label \\ final verdict | " + " | ".join(verdicts) + " |", "|---" * (len(verdicts) + 1) + "|"]
    for label in labels:
        counts = summary["confusion"][label]
        lines.append(f"| {label} | " + " | ".join(str(counts.get(v, "")) for v in verdicts) + " |")
    return "\n".join(lines)
