"""Scale-free, on real curves: the 14 DeepOBS runs in ``tests/data/deepobs`` and every tenth of this project's
real nets, each judged as written and with its losses multiplied by 1e-4 and by 1000, its steps by 1000, and
shifted up by ten ranges or down to a best of a thousandth of its range: the same verdict, flags and alerts (by
point) every time. The shifts leave out what README's *Verdicts* names as read against a positive loss's zero: a
run that blows up or swings (``diverging``, ``unstable``: ten times its lowest point, a range of at least 30 % of
its start while nothing was learned) and a net that learned nothing (labelled ``stuck``: a classifier at chance
sits at its start level; or whose training never got below its first point: a VAE thrown from 133 to 184, shifted
to a best of a thousandth of its range, stands a thousand times above it, a blow-up)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import file_version_event, scalar_event, write_records
from judging_helpers import DEEPOBS, REALNET_CURVES, REALNETS, Judged, judge_folder

RUNS = [("deepobs", name) for name in DEEPOBS] + [("realnets", name) for name in sorted(REALNET_CURVES)[::10]]
LEVEL_READ = ("diverging", "unstable")
"""Alerts whose rules read the level of a positive loss (its zero) while the curve has no range of its own."""


def _kind(source: str, name: str) -> str:
    return str((DEEPOBS if source == "deepobs" else REALNETS)[name]["kind"])


def _curves(source: str, name: str) -> dict[str, np.ndarray]:
    if source == "deepobs":
        return {
            "train_loss": np.asarray(DEEPOBS[name]["train"], float),
            "val_loss": np.asarray(DEEPOBS[name]["val"], float),
        }
    return {tag: REALNET_CURVES[name][tag].astype(float) for tag in ("train_loss", "val_loss")}


def _judge(folder: Path, curves: dict[str, np.ndarray], step_scale: int = 1) -> Judged:
    folder.mkdir(parents=True)
    payloads = [file_version_event()]
    for i in range(max(len(values) for values in curves.values())):
        for tag, values in curves.items():
            if i < len(values):
                payloads.append(scalar_event(tag, i * step_scale, float(values[i]), 1000.0 + i))
    write_records(folder / "events.out.tfevents.1000.host.1.0", payloads)
    return judge_folder(folder)


def _seen(judged: Judged, step_scale: int = 1) -> tuple:
    verdict = judged.verdict
    alerts = [(a.step // step_scale, a.kind, a.tag) for a in judged.alerts]
    return verdict.kind, sorted(verdict.flags), alerts


@pytest.mark.parametrize(("source", "name"), RUNS, ids=[name for _, name in RUNS])
def test_real_curves_in_other_units_or_offsets_get_the_same_judgement(tmp_path: Path, source: str, name: str):
    curves = _curves(source, name)
    base = _judge(tmp_path / "base", curves)
    seen = _seen(base)
    for scale in (1e-4, 1000.0):
        assert _seen(_judge(tmp_path / f"x{scale}", {t: v * scale for t, v in curves.items()})) == seen, scale
    assert _seen(_judge(tmp_path / "steps", curves, step_scale=1000), step_scale=1000) == seen
    train = curves["train_loss"][np.isfinite(curves["train_loss"])]
    learned_nothing = _kind(source, name) == "stuck" or (len(train) > 1 and train[1:].min() >= train[0])
    if any(a.kind in LEVEL_READ for a in base.alerts) or learned_nothing:
        return  # read against the loss's zero (the module's docstring)
    finite = np.concatenate([v[np.isfinite(v)] for v in curves.values()])
    span = float(finite.max() - finite.min())
    for shift in (10 * span, span / 1000 - float(finite.min())):
        moved = {tag: values + shift for tag, values in curves.items()}
        assert _seen(_judge(tmp_path / f"shift{shift:.3g}", moved)) == seen, shift
