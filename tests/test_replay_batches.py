"""``losswatch replay`` feeds a long run's steps in batches, as a live view's polls bring them: the alerts are
those of a step-at-a-time replay, at the same steps (a 100,000-step per-batch run took 70 s a step at a time,
2 s batched; ``check`` took 0.6 s)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from tensorboardX import SummaryWriter

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import realnets

from tui.cli.main import main
from tui.judging import replay as replays
from tui.judging.replay import replay, replay_run
from tui.judging.thresholds import Thresholds
from tui.live.monitor import Monitor


def _alerts(alerts) -> list[tuple]:
    return [(a.step, a.kind, a.tag, a.reason) for a in alerts]


@pytest.mark.parametrize("updates", [None, 1, 2, 3, 2048])
def test_batches_end_at_the_last_step_and_are_at_most_as_many_as_asked(updates):
    steps = np.array([0, 1, 2, 5, 9, 10, 11, 40, 41, 42, 43])
    ends = replays._last_steps(steps, updates)
    assert ends[-1] == 43 and ends == sorted(set(ends))
    assert len(ends) == (len(steps) if updates is None else min(updates, len(steps)))


# Real nets trained in batches of four, their loss logged at every batch (5,000 steps) beside one validation point
# per epoch: one that diverges (a bell), one whose training swings (``unstable``).
LONG_RUNS = {"mlp-oscillate-s0": "diverging", "mlp-batch4-first-epoch-s3": "unstable"}


@pytest.mark.parametrize("updates", [7, 64])
def test_a_long_real_run_replayed_in_batches_raises_the_alerts_of_a_step_at_a_time_replay(tmp_path, updates):
    realnets.write_logs(str(tmp_path), only=set(LONG_RUNS))
    monitor = Monitor(str(tmp_path), Thresholds())
    monitor.refresh()
    for name, kind in LONG_RUNS.items():
        run = monitor.store.runs[name]
        one_by_one = _alerts(replay(run, Thresholds())[0])
        assert kind in {kind for _, kind, _, _ in one_by_one}, name  # alerts to compare
        assert _alerts(replay(run, Thresholds(), updates=updates)[0]) == one_by_one, name


def test_the_command_replays_a_long_run_in_batches_with_the_alerts_at_their_steps(tmp_path, capsys, monkeypatch):
    """A per-step run of 3,000 steps with a blow-up from step 2,101 (rung at its second point, 2,102) and
    histograms: the command feeds it in at most ``LIVE_UPDATES`` updates (set to 50 here: 60 steps each), and says
    what a step-at-a-time replay says."""
    rng = np.random.default_rng(3)
    writer = SummaryWriter(str(tmp_path / "job"))
    for step in range(3000):
        loss = 2.0 * np.exp(-step / 600) + 0.2 + 0.03 * rng.standard_normal()
        writer.add_scalar("train/loss", loss * (40.0 if step > 2100 else 1.0), step)
        if step % 100 == 99:
            writer.add_scalar("val/loss", 2.0 * np.exp(-step / 600) + 0.3 + 0.01 * rng.standard_normal(), step)
            writer.add_histogram("weights/fc", rng.standard_normal(300), step)
    writer.close()
    monitor = Monitor(str(tmp_path), Thresholds())
    monitor.refresh()
    one_by_one = _alerts(replay(monitor.store.runs["job"], Thresholds())[0])
    assert [(step, kind) for step, kind, _, _ in one_by_one if kind == "diverging"] == [(2102, "diverging")]

    updates = []
    update = replays.VerdictEngine.update
    monkeypatch.setattr(replays, "LIVE_UPDATES", 50)
    monkeypatch.setattr(
        replays.VerdictEngine, "update", lambda self, *a, **k: updates.append(1) or update(self, *a, **k)
    )
    assert _alerts(replay_run(monitor.store.runs["job"], Thresholds())) == one_by_one
    assert len(updates) == 50
    capsys.readouterr()
    main(["replay", str(tmp_path), "--json"])
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(a["step"], a["kind"], a["tag"], a["reason"]) for a in printed] == one_by_one
