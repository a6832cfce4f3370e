"""A finite value too large to square (past about 1.3e154, float64 logs only) is a value like any other.

Its square was inf and the noise of every window holding it NaN: one such point on a validation curve read an
overfitting run as `learning` with "too few points to tell its direction", and a spike that came back was
followed by a false `diverging` bell on the rise after it. Values from 1e154 on behaved, from 1e155 not.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main

from tui.judging.windows import autocorrelation, noise_and_rho

HUGE = ["1e154", "1e155", "1e200", "1.7976931348623157e308"]


def _history(folder: Path, rows: list[tuple[int, float, str]]) -> None:
    """A Keras CSVLogger file (float64 text, so values past float32's range stay as written)."""
    folder.mkdir(parents=True)
    lines = ["epoch,loss,val_loss", *(f"{epoch},{train!r},{val}" for epoch, train, val in rows)]
    (folder / "history.csv").write_text("\n".join(lines) + "\n")


def _overfitting(epoch: int) -> tuple[float, float]:
    """Training falling as 1/(epoch+1); validation with it to epoch 10, then climbing 0.05 an epoch."""
    train = 1.0 / (epoch + 1)
    return train, train + (0.05 * (epoch - 10) if epoch > 10 else 0.0)


def _alerts(root: Path) -> list[tuple[int, str]]:
    result = run_main("replay", str(root), "--json")
    assert result.returncode in (0, 1), result.stderr
    return [(entry["step"], entry["kind"]) for entry in map(json.loads, result.stdout.splitlines())]


def _verdict(root: Path) -> tuple[str, str]:
    result = run_main("check", str(root), "--json")
    (run,) = json.loads(result.stdout)
    return run["verdict"], run["reason"]


@pytest.mark.parametrize("huge", HUGE)
def test_a_huge_spike_on_validation_is_a_spike_and_the_rise_after_it_overfitting(tmp_path: Path, huge: str):
    rows = [(e, _overfitting(e)[0], huge if e == 20 else repr(_overfitting(e)[1])) for e in range(60)]
    _history(tmp_path / "run", rows)
    kinds = _alerts(tmp_path)
    assert (21, "spike") in kinds
    assert "diverging" not in {kind for _, kind in kinds}
    assert _verdict(tmp_path)[0] == "overfitting"


@pytest.mark.parametrize("huge", HUGE)
def test_a_huge_last_validation_point_leaves_the_overfitting_verdict(tmp_path: Path, huge: str):
    rows = [(e, *_overfitting(e)) for e in range(30)]
    _history(tmp_path / "run", [(e, train, repr(val)) for e, train, val in rows] + [(30, 0.032, huge)])
    verdict, reason = _verdict(tmp_path)
    assert verdict == "overfitting", reason
    assert "too few points" not in reason


def test_the_noise_of_a_window_holding_a_huge_value_is_read_and_others_are_untouched():
    rng = np.random.default_rng(7)
    plain = rng.normal(1.0, 0.1, size=(3, 24))
    spiked = plain.copy()
    spiked[1, 12] = 1e200
    sigma, rho = noise_and_rho(spiked)
    assert np.isfinite(sigma).all() and np.isfinite(rho).all()
    # the rows without one give the same bits as before; a row scaled by a power of two the same correlation
    assert np.array_equal(autocorrelation(spiked)[[0, 2]], autocorrelation(plain)[[0, 2]])
    assert np.array_equal(autocorrelation(plain * 2.0**600), autocorrelation(plain))
