"""Both curves rising, short of a divergence: `learning` with an early warning (`both-rising`), never a bare "keep
training" beside a reason that says both rise (a newcomer's find on DeepOBS quadratics, `check` exit 0)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from conftest import run_cli, scalar_run
from judging_helpers import DEEPOBS, deepobs, judge

from tui.judging.kinds import Kind, shown

REAL = "quadratic_deep-adam-lr6.31e+00-s42"
"""A DeepOBS quadratic at Adam's learning rate 6.31, labelled diverged: it blew up at its start, came back, and ends
with both curves climbing, 7 % of the way back from validation's best to its start."""


def test_a_real_run_ending_with_both_curves_rising_is_warned(tmp_path: Path):
    judged = deepobs(tmp_path, REAL)
    assert judged.verdict.kind == Kind.LEARNING  # short of a divergence: no bell, no exit 1
    reason = judged.verdict.flags[Kind.BOTH_RISING]
    assert "train rising by 10.31 to 109.9, val rising by 10.01 to 111.8" in reason
    assert "7% of the way back from its best 92.9 to its start 353.4" in reason
    assert Kind.BOTH_RISING not in judged.kinds()  # a flag, not an alert
    assert shown(judged.verdict.kind, judged.verdict.flags)[0] == "diverging?"


def test_the_warning_goes_when_the_curves_fall_again(tmp_path: Path):
    """Momentum's overshoot: both curves climb a little and come back; warned while they climb, not after."""
    epochs = np.arange(90, dtype=float)
    bump = np.where((epochs >= 40) & (epochs < 60), 0.02 * (epochs - 40), 0.0)
    bump = np.where((epochs >= 60) & (epochs < 80), 0.4 - 0.02 * (epochs - 60), bump)
    rng = np.random.default_rng(3)
    train = 1.0 + 3.0 * np.exp(-epochs / 8.0) + bump + 0.002 * rng.standard_normal(90)
    val = 1.2 + 3.0 * np.exp(-epochs / 8.0) + bump + 0.002 * rng.standard_normal(90)
    curves = {"train/loss": train.tolist(), "val/loss": val.tolist()}
    climbing = judge(tmp_path / "climbing", {tag: values[:58] for tag, values in curves.items()})
    assert climbing.verdict.kind == Kind.LEARNING and Kind.BOTH_RISING in climbing.verdict.flags
    assert not climbing.bells
    back = judge(tmp_path / "back", curves)
    assert Kind.BOTH_RISING not in back.verdict.flags
    assert not back.bells


def test_check_says_what_to_watch_for_and_why(tmp_path: Path):
    run = DEEPOBS[REAL]
    scalar_run(tmp_path / "runs" / "quadratic", {"train_loss": run["train"], "val_loss": run["val"]})
    done = run_cli("check", str(tmp_path / "runs"), columns=200)
    assert done.returncode == 0, done.stderr
    assert "both-rising  both curves are rising, short of a blow-up: watch it" in done.stdout
    assert "quadratic: both-rising: train rising by 10.31 to 109.9" in done.stdout
    listed = json.loads(run_cli("check", "--json", str(tmp_path / "runs")).stdout)
    assert [flag["name"] for flag in listed[0]["flags"]] == ["both-rising"]


async def test_the_live_table_shows_an_amber_diverging_warning(tmp_path: Path):
    """In the TUI the warning takes the verdict's place, as 'overfitting?' does for val-rising."""
    from test_screen import screen_lines

    from tui.app.app import LossWatchApp
    from tui.live.monitor import Monitor

    run = DEEPOBS[REAL]
    scalar_run(tmp_path / "quadratic", {"train_loss": run["train"], "val_loss": run["val"]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause(0.2)
        row = next(line for line in screen_lines(app) if "quadratic" in line and "@" in line)
        assert "diverging?" in row and "learning" not in row, row
