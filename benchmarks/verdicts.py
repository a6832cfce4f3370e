"""How good are the verdicts? Replay a labelled corpus through the live engine.

Builds the corpus of real training runs (``benchmarks/corpus.py``) unless one
is given, adds the fixture runs in ``tests/data``, replays every run through
losswatch's live engine, and reports per class: runs caught, mean delay in
validation points after the labelled onset, premature alarms (before the
onset), false alarms (an overfitting alarm on a run that is not overfitting),
next to Keras ``EarlyStopping(patience=5)`` and Prechelt's GL5 on the same
curves, and with a slope test that is told the onset (a floor on delay).

    python benchmarks/verdicts.py [CORPUS_DIR ...] [--set=NAME=VALUE ...]
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from corpus import HINDSIGHT, build, hindsight_slope, keras_patience, prechelt_gl

from tui.judging.replay import replay_run
from tui.judging.thresholds import Thresholds
from tui.live.monitor import Monitor

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "data")
"""The fixture runs (copies of ``../shared/fixtures``), labelled the same way."""


PATIENCES = range(5, 61)
"""Keras patience values tried for the matched comparison (the smallest with no false alarm is reported)."""


def first_alert_index(alerts, kind: str, val_steps: list[int]) -> int | None:
    """Validation-point index at which the first alert of ``kind`` fired."""
    for alert in alerts:
        if alert.kind == kind:
            before = [i for i, s in enumerate(val_steps) if s <= alert.step]
            return before[-1] if before else 0
    return None


def evaluate(folders: list[str], thresholds: Thresholds | None = None) -> dict:
    thresholds = thresholds or Thresholds()
    rows = []
    for folder in folders:
        with open(os.path.join(folder, "labels.json")) as handle:
            labels = json.load(handle)
        monitor = Monitor(folder, thresholds)
        monitor.refresh()
        for name, label in labels.items():
            run = monitor.store.runs.get(name)
            if run is None:
                continue
            alerts = replay_run(run, thresholds)
            val_steps = label["val_steps"]
            val = label.get("val")
            if val is None:
                series = run.scalars[monitor.verdict(name).val_tag]
                val = series.values.tolist()
            val = [float("nan") if v is None else v for v in val]
            rows.append(
                {
                    "run": f"{os.path.basename(os.path.normpath(folder))}/{name}",
                    "kind": label["kind"],
                    "onset": label.get("onset"),
                    "overfit_at": first_alert_index(alerts, "overfitting", val_steps),
                    "diverge_at": first_alert_index(alerts, "diverging", val_steps),
                    "patience5": label.get("keras_patience5", keras_patience(val))
                    if "keras_patience5" in label
                    else keras_patience(val),
                    "gl5": label.get("prechelt_gl5") if "prechelt_gl5" in label else prechelt_gl(val),
                    "patience": {p: keras_patience(val, p) for p in PATIENCES},
                    "hindsight": {
                        test: hindsight_slope(val, label["onset"], *test) if label["kind"] == "overfit" else None
                        for test in HINDSIGHT
                    },
                    "kinds": sorted({a.kind for a in alerts}),
                }
            )
    return {"rows": rows, "summary": summarize(rows)}


def _score(rows, key):
    overfit = [r for r in rows if r["kind"] == "overfit"]
    others = [r for r in rows if r["kind"] in ("healthy", "stuck")]
    mild = [r for r in rows if r["kind"] == "mild"]
    caught = [r for r in overfit if r[key] is not None and r[key] >= r["onset"]]
    premature = [r for r in overfit if r[key] is not None and r[key] < r["onset"]]
    delays = [r[key] - r["onset"] for r in caught]
    false_alarms = [r for r in others if r[key] is not None]
    return {
        "overfit runs": len(overfit),
        "caught": len(caught),
        "mean delay": round(sum(delays) / len(delays), 2) if delays else None,
        "max delay": max(delays) if delays else None,
        "premature": len(premature),
        "false alarms": len(false_alarms),
        "other runs": len(others),
        "mild runs alarmed": f"{len([r for r in mild if r[key] is not None])} of {len(mild)}",
    }


def quiet_patience(rows) -> int | None:
    """The smallest Keras patience with no false alarm and no premature stop on these runs.

    Patience-5 buys its short delay with false alarms; this is the patience a user would
    need to be as quiet as losswatch, so the delays can be compared at the same false-alarm rate.
    """
    for p in PATIENCES:
        for r in rows:
            r["_p"] = r["patience"][p]
        score = _score(rows, "_p")
        if score["false alarms"] == 0 and score["premature"] == 0:
            return p
    return None


def hindsight_name(z: float, anchored: bool = False) -> str:
    told = "the onset and its level" if anchored else "the onset"
    return f"hindsight slope test{', anchored' if anchored else ''}, z = {z:g} (told {told})"


def summarize(rows) -> dict:
    summary = {
        "losswatch": _score(rows, "overfit_at"),
        "keras patience=5": _score(rows, "patience5"),
        "prechelt GL5": _score(rows, "gl5"),
    }
    quiet = quiet_patience(rows)
    if quiet is not None:
        for r in rows:
            r["_p"] = r["patience"][quiet]
        summary[f"keras patience={quiet}"] = _score(rows, "_p")
    for test in HINDSIGHT:
        for r in rows:
            r["_p"] = r.get("hindsight", {}).get(test)
        summary[hindsight_name(*test)] = dict(_score(rows, "_p"), told_the_onset=True)
    for r in rows:
        r.pop("_p", None)
    diverged = [r for r in rows if r["kind"] == "diverged"]
    caught = [r for r in diverged if r["diverge_at"] is not None]
    summary["diverging"] = {
        "runs": len(diverged),
        "caught": len(caught),
        "mean delay": round(sum(r["diverge_at"] - r["onset"] for r in caught) / len(caught), 2) if caught else None,
        "premature": len([r for r in caught if r["diverge_at"] < r["onset"]]),
    }
    by_kind = defaultdict(lambda: defaultdict(int))
    for r in rows:
        for kind in r["kinds"]:
            by_kind[r["kind"]][kind] += 1
    summary["alerts by label"] = {k: dict(v) for k, v in by_kind.items()}
    return summary


def markdown(summary: dict) -> str:
    lines = [
        "| detector | overfit runs | caught | mean delay (val points) | max delay | premature | false alarms "
        "(healthy + stuck runs) | alarms on mildly worsening runs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    detectors = ["losswatch", "keras patience=5", "prechelt GL5"]
    detectors += [name for name in summary if name.startswith("keras patience=") and name not in detectors]
    detectors += [hindsight_name(*test) for test in HINDSIGHT]
    for name in detectors:
        s = summary[name]
        if s.get("told_the_onset"):  # it is only ever run on overfitting runs: no false alarm to count
            quiet, mild = "n/a", "n/a"
        else:
            quiet, mild = f"{s['false alarms']} of {s['other runs']}", s["mild runs alarmed"]
        lines.append(
            f"| {name} | {s['overfit runs']} | {s['caught']} | {s['mean delay']} | {s['max delay']} | "
            f"{s['premature']} | {quiet} | {mild} |"
        )
    d = summary["diverging"]
    lines.append("")
    lines.append(
        f"Diverging runs: {d['caught']} of {d['runs']} caught, mean delay {d['mean delay']} "
        f"validation points after the labelled explosion ({d['premature']} alerted earlier, while both "
        f"curves were already rising)."
    )
    return "\n".join(lines)


def main() -> None:
    args = sys.argv[1:]
    overrides = [a.split("=", 1)[1] for a in args if a.startswith("--set=")]
    folders = [a for a in args if not a.startswith("--set=")]
    from tui.judging.thresholds import load_thresholds

    thresholds, _ = load_thresholds(None, overrides)
    if not folders:
        corpus = os.path.join(HERE, "_work", "corpus")
        if not os.path.exists(os.path.join(corpus, "labels.json")):
            os.makedirs(corpus, exist_ok=True)
            build(corpus)
        folders = [corpus]
        for sub in ("torch", "keras"):
            if os.path.exists(os.path.join(FIXTURES, sub, "labels.json")):
                folders.append(os.path.join(FIXTURES, sub))
    result = evaluate(folders, thresholds)
    for row in result["rows"]:
        print(
            f"{row['run']:32s} {row['kind']:9s} onset={row['onset']!s:5s} losswatch={row['overfit_at']!s:5s} "
            f"p5={row['patience5']!s:5s} gl5={row['gl5']!s:5s} div={row['diverge_at']!s:5s} {','.join(row['kinds'])}"
        )
    print()
    print(markdown(result["summary"]))
    print()
    print(json.dumps(result["summary"]["alerts by label"]))


if __name__ == "__main__":
    main()
