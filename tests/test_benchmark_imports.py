"""Every benchmark script the README names starts: its imports resolve against the package as it is now.

``benchmarks/remote.py`` imported ``frame`` from a module it had left and called a property, so the README's
remote-roots benchmark failed before measuring anything (a newcomer's find); no test ran it."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"
NEEDS_TORCH = {"realnets_train"}
"""Trains the real nets: PyTorch, which the test extra does not install."""


@pytest.mark.parametrize("module", sorted(p.stem for p in BENCHMARKS.glob("*.py") if p.stem not in NEEDS_TORCH))
def test_a_benchmark_script_imports(module: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    fresh = module not in sys.modules  # another test may have imported it already: left as it was
    imported = importlib.import_module(module)
    assert imported.__file__ and Path(imported.__file__).resolve().parent == BENCHMARKS.resolve()
    if module == "remote":  # what it measures with, read at import (a moved helper, a client made once)
        assert callable(imported.frame) and callable(imported.make_logdir)
    if fresh:
        sys.modules.pop(module, None)
