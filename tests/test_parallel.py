"""`check` spread over worker processes prints exactly what one process prints."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from conftest import DATA, scalar_run

from tui import commands, parallel
from tui.config import Thresholds


def _logdir(tmp_path: Path) -> Path:
    """Twelve runs: real fixtures (overfitting, diverging, frozen layers, Keras) and generated ones."""
    root = tmp_path / "runs"
    for folder in ("torch", "keras"):
        shutil.copytree(DATA / folder, root / folder, ignore=shutil.ignore_patterns("*.json"))
    rng = np.random.default_rng(0)
    for i in range(6):
        t = np.arange(400)
        val = 0.3 + np.exp(-t / 50) + 0.002 * np.maximum(t - 100 * (i + 1), 0) + rng.normal(0, 0.01, t.size)
        scalar_run(root / f"gen-{i}", {"loss": list(np.exp(-t / 60) + 0.1), "val_loss": list(val)})
    return root


def _check_json(root: Path, capsys) -> tuple[int, list[dict]]:
    code = commands.check(str(root), Thresholds(), None, None, as_json=True)
    return code, json.loads(capsys.readouterr().out)


def test_check_in_workers_equals_one_process(tmp_path, capsys, monkeypatch):
    root = _logdir(tmp_path)
    assert parallel.workers_for(12) >= 1
    monkeypatch.setattr(commands, "workers_for", lambda count: 2)
    spread = _check_json(root, capsys)
    monkeypatch.setattr(commands, "workers_for", lambda count: 1)
    alone = _check_json(root, capsys)
    assert spread == alone
    assert len(alone[1]) == 12
    assert {r["verdict"] for r in alone[1]} >= {"overfitting", "diverging"}


def test_workers_are_used_only_where_they_pay():
    assert parallel.workers_for(1) == 1
    assert parallel.workers_for(parallel.MIN_RUNS - 1) == 1
