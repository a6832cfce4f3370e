"""Two roots whose names share a start: ``box1`` beside ``box1:/runs``, or ``runs`` beside a folder ``runs:2024``.

The runs of several roots are named after their root (``runs:2024:overfit-7``); a root took every run whose name
began with its own name and ':', so ``runs`` claimed the runs of ``runs:2024`` and judged none of them: `check`
showed them `waiting`, exit 0 (a hostile tester's find, on `losswatch box1 box1:/runs`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import TORCH, run_cli


@pytest.mark.parametrize("order", [("runs", "runs:2024"), ("runs:2024", "runs")])
def test_a_root_named_like_the_start_of_another_judges_its_own_runs(tmp_path: Path, order: tuple[str, str]):
    shutil.copytree(TORCH / "noisy-7", tmp_path / "runs" / "noisy-7")
    shutil.copytree(TORCH / "overfit-7", tmp_path / "runs:2024" / "overfit-7")
    done = run_cli("check", "--json", *order, cwd=tmp_path)
    verdicts = {
        run["run"]: (run["verdict"], [flag["name"] for flag in run["flags"]]) for run in json.loads(done.stdout)
    }
    assert verdicts == {
        "runs:noisy-7": ("learning", ["noisy-val"]),
        "runs:2024:overfit-7": ("overfitting", ["gap"]),
    }, done.stderr
    assert done.returncode == 1  # overfitting needs attention
