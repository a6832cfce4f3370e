"""The logger fixture runs of ``tests/loggers/runs`` (written by the real libraries, see ``write_fixtures.py``),
shared by the format tests: a writable copy per test, what each run holds, and how to read a curve back."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tui.sources.wandb import stream as wandb_stream

if wandb_stream._records_module() is None:  # W&B's record definitions decode its logs (the losswatch[wandb] extra)
    pytest.skip("W&B's record definitions are not installed: pip install -e '.[test]'", allow_module_level=True)

FIXTURES = Path(__file__).parent / "loggers"
sys.path.insert(0, str(FIXTURES))
from write_fixtures import STEPLESS, STEPS, curves  # noqa: E402

__all__ = ["FIXTURES", "RUNS", "STEPLESS", "STEPS", "curve_of", "curves"]

RUNS = {
    # run name -> (train tag, val tag, train steps, val steps)
    "wb-run": ("train/loss", "val/loss", list(range(STEPS)), list(range(STEPS))),
    "exp/ml-sql": ("train_loss", "val_loss", list(range(STEPS)), list(range(STEPS))),
    "mlruns/exp/ml-file": ("train_loss", "val_loss", list(range(STEPS)), list(range(STEPS))),
    "trackio/tproj/tr-run": ("train/loss", "val/loss", list(range(STEPS)), list(range(STEPS))),
    "lightning_logs/version_0": ("train_loss", "val_loss", [e * 10 + 9 for e in range(STEPS)], None),
    "keras": ("loss", "val_loss", list(range(STEPS)), list(range(1, STEPS))),
    "hf-out": ("loss", "eval_loss", [(i + 1) * 100 for i in range(STEPS)], [(i + 1) * 100 for i in range(STEPS)]),
}


def curve_of(run, tag):
    """(steps, values) of one of a stored run's scalar curves, as lists."""
    steps, values, _walls = run.scalars[tag].arrays()
    return steps.tolist(), values.tolist()
