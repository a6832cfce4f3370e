"""How good are the verdicts? Every labelled run through the real engine, as ``check`` and as ``replay``.

Suites (each a log directory with hindsight labels):

* ``corpus``: NumPy MLPs trained by ``benchmarks/corpus.py`` (built under ``benchmarks/_work`` if missing);
* ``realnets``: real PyTorch nets (CNNs, LSTMs, VAEs, ResNets) from ``benchmarks/data/realnets.*``,
  written as event files by ``benchmarks/realnets.py write``;
* ``fixtures``: the runs in ``tests/data`` (real Keras and PyTorch writers);
* ``deepobs``: the 540 DeepOBS runs of ``../shared/deepobs-dev`` (written by its ``make_logdir.py``);
* ``heldout`` (not in the default set): the 540 runs of the four DeepOBS problems outside the dev set, read from
  a clone of the public baselines at $LOSSWATCH_BASELINES (``benchmarks/heldout.py``; never tuned on);
  ``heldout1`` the same runs from their first epoch on, as most loops log them (without DeepOBS' point before
  training, which sets the range every rule reads against; labelled from the whole runs); ``heldout-logged`` the
  same runs written by the development set's ``make_logdir.py`` (its six tag styles, Keras' folders, a third of
  the runs with their per-batch training loss: ``benchmarks/heldout_logged.py``);
* ``stress`` (not in the default set): 2,304 synthetic runs that never overfit, with white, wandering
  (AR(1)) or spiky (Student-t) validation noise (``benchmarks/stress.py``): any bell there is false.

Each run is read by a ``Monitor`` (the ``check`` path: the whole run at once) and replayed one step
at a time (the live path); the two must agree. Scored per ``benchmarks/scoring.py``.

    python benchmarks/verdicts.py [--suites corpus,realnets,fixtures,deepobs] [--set NAME=VALUE ...]
                                  [--jobs 2] [--json OUT] [--runs]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from scoring import Scored, keras_patience, markdown, prechelt_gl, summarize, told_onset
from v1_onset import v1_overfitting

WORK = os.path.join(HERE, "_work")


def _find_deepobs() -> str:
    """``shared/deepobs-dev`` beside the repository (or above it), or $LOSSWATCH_DEEPOBS."""
    if os.environ.get("LOSSWATCH_DEEPOBS"):
        return os.environ["LOSSWATCH_DEEPOBS"]
    folder = ROOT
    while folder != os.path.dirname(folder):
        folder = os.path.dirname(folder)
        candidate = os.path.join(folder, "shared", "deepobs-dev")
        if os.path.isdir(candidate):
            return candidate
    return os.path.join(ROOT, "..", "shared", "deepobs-dev")


DEEPOBS = _find_deepobs()


def _labels(folder: str) -> dict[str, dict]:
    with open(os.path.join(folder, "labels.json")) as handle:
        return json.load(handle)


def _built(suite: str, build: Callable[[str], object]) -> list[tuple[str, str, dict]]:
    """A generated suite's runs under ``benchmarks/_work/SUITE``, written by ``build`` the first time."""
    folder = os.path.join(WORK, suite)
    if not os.path.exists(os.path.join(folder, "labels.json")):
        os.makedirs(folder, exist_ok=True)
        build(folder)
    return [(suite, os.path.join(folder, name), dict(label, id=name)) for name, label in _labels(folder).items()]


def _write_realnets(folder: str) -> None:
    subprocess.run([sys.executable, os.path.join(HERE, "realnets.py"), "write", folder], check=True)


def suite_runs(suite: str) -> list[tuple[str, str, dict]]:
    """(suite, run folder, label) for every labelled run of a suite, building its logs if needed."""
    if suite == "corpus":
        from corpus import build

        return _built(suite, build)
    if suite == "realnets":
        return _built(suite, _write_realnets)
    if suite == "stress":
        from stress import build as build_stress

        return _built(suite, build_stress)
    if suite in ("heldout", "heldout1"):
        from heldout import build as build_heldout

        clone = os.environ.get("LOSSWATCH_BASELINES", "DeepOBS_Baselines")
        first = 1 if suite == "heldout1" else 0
        return _built(suite, lambda folder: build_heldout(folder, clone, first))
    if suite == "heldout-logged":
        from heldout_logged import build as build_logged

        clone = os.environ.get("LOSSWATCH_BASELINES", "DeepOBS_Baselines")
        runs = _built(suite, lambda folder: build_logged(folder, clone, DEEPOBS))
        return [(suite, os.path.join(os.path.dirname(folder), label["run"]), label) for suite, folder, label in runs]
    if suite == "lone":
        from lone import build as build_lone

        return _built(suite, lambda folder: build_lone(folder, DEEPOBS))
    if suite == "fixtures":
        out = []
        for sub in ("torch", "keras"):
            folder = os.path.join(ROOT, "tests", "data", sub)
            out += [(suite, os.path.join(folder, name), label) for name, label in _labels(folder).items()]
        return out
    if suite == "deepobs":
        folder = os.path.join(WORK, "deepobs")
        if not os.path.exists(os.path.join(folder, "runs.txt")):
            script = os.path.join(DEEPOBS, "make_logdir.py")
            subprocess.run([sys.executable, script, folder, "--max-batch-points", "2000"], check=True)
        labels = _labels(DEEPOBS)
        return [(suite, os.path.join(folder, label["run"]), dict(label, id=key)) for key, label in labels.items()]
    known = "corpus, realnets, fixtures, deepobs, stress, heldout, heldout1, heldout-logged, lone"
    raise SystemExit(f"unknown suite {suite!r} ({known})")


def _val_index(val_steps: list[int], step: int) -> int:
    """Index of the last validation point at or before ``step``."""
    before = [i for i, s in enumerate(val_steps) if s <= step]
    return before[-1] if before else 0


def score_run(job: tuple[str, str, dict, list[str]]) -> Scored:
    """Read one run as ``check`` does and replay it as the live view sees it; score both."""
    suite, folder, label, overrides = job
    from tui.judging.judge import CONFIRMED
    from tui.judging.kinds import BELL
    from tui.judging.replay import replay
    from tui.judging.thresholds import load_thresholds
    from tui.live.monitor import Monitor

    thresholds, _ = load_thresholds(None, overrides)
    monitor = Monitor(folder, thresholds)
    monitor.refresh()
    name = os.path.basename(os.path.normpath(folder))
    run = monitor.store.runs.get(".")
    if run is None:
        return Scored(suite, name, label["kind"], label.get("onset"), final="missing", check="missing", agree=False)
    check_verdict = monitor.verdict(".")
    alerts, engine = replay(run, thresholds)
    judged_tag = engine.verdict.val_tag if engine.verdict.val_tag in run.scalars else engine.verdict.train_tag
    val_steps = label.get("val_steps") or (run.scalars[judged_tag].steps.tolist() if judged_tag else [])
    first: dict[str, int] = {}
    for alert in alerts:
        first.setdefault(alert.kind, _val_index(val_steps, alert.step))
    same_alerts = sorted((a.step, a.kind, a.tag, a.reason) for a in alerts) == sorted(
        (a.step, a.kind, a.tag, a.reason) for a in monitor.alerts
    )
    final = engine.verdict
    agree = (
        check_verdict is not None
        and check_verdict.kind == final.kind
        and check_verdict.reason == final.reason
        and check_verdict.flags == final.flags
        and same_alerts
    )
    val = run.scalars[final.val_tag].values.tolist() if final.val_tag in run.scalars else []
    patience5 = label.get("patience5", label.get("keras_patience5", keras_patience(val)))
    gl5 = label.get("gl5", label.get("prechelt_gl5", prechelt_gl(val)))
    v1 = v1_overfitting(val, engine.moments.train_at_val.tolist()) if val else None
    told = label["kind"] == "overfit" and label.get("onset") is not None and bool(val)
    told3 = told_onset(val, label["onset"], 3.0) if told else None
    told4 = told_onset(val, label["onset"], 4.0) if told else None
    return Scored(
        suite,
        label.get("id", name),
        label["kind"],
        label.get("onset"),
        first,
        final=str(final.kind),
        check=str(check_verdict.kind) if check_verdict else "waiting",
        agree=agree,
        patience5=patience5,
        gl5=gl5,
        v1=v1,
        told3=told3,
        told4=told4,
        points=len(val),
        flags=sorted(str(kind) for kind in final.flags),
        bells=sum(alert.kind in BELL for alert in alerts),
        final_told=final.kind not in CONFIRMED or [a.kind for a in alerts if a.kind in CONFIRMED][-1:] == [final.kind],
    )


def evaluate(suites: list[str], overrides: list[str], jobs: int) -> list[Scored]:
    work = [(*run, overrides) for suite in suites for run in suite_runs(suite)]
    if jobs <= 1:
        return [score_run(job) for job in work]
    with ProcessPoolExecutor(jobs) as pool:
        return list(pool.map(score_run, work, chunksize=4))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", default="corpus,realnets,fixtures,deepobs")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", metavar="OUT", help="write every scored run and the summaries here")
    parser.add_argument("--runs", action="store_true", help="print one line per run")
    args = parser.parse_args(argv)
    suites = [s for s in args.suites.split(",") if s]
    rows = evaluate(suites, args.overrides, args.jobs)
    if args.runs:
        for r in rows:
            print(
                f"{r.suite:8s} {r.run[:44]:44s} {r.kind:9s} onset={r.onset!s:4s} final={r.final:12s} "
                f"{' '.join(f'{k}@{v}' for k, v in sorted(r.first.items(), key=lambda kv: kv[1]))}"
                f"{'' if r.agree else '  CHECK!=REPLAY'}"
            )
    summaries = {"all": summarize(rows)}
    for suite in suites:
        summaries[suite] = summarize([r for r in rows if r.suite == suite])
    for name, summary in summaries.items():
        print(f"\n## {name}\n")
        print(markdown(summary))
        for key in (
            "false bell runs",
            "wrong-kind runs",
            "diverged late or missed",
            "disagree runs",
            "runs ringing more than twice",
        ):
            if summary[key]:
                print(f"\n{key}: {', '.join(summary[key][:20])}{' ...' if len(summary[key]) > 20 else ''}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"runs": [r.__dict__ for r in rows], "summaries": summaries}, handle, indent=1, default=str)


if __name__ == "__main__":
    main()
