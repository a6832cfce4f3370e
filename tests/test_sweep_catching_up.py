"""A run told behind its peers that catches up is no longer behind: the advice is withdrawn, and a run that falls
behind again is told again. A run stopped where it was told cannot catch up, so following the advice changes
nothing of what the others are told."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from tui.cli import commands
from tui.judging.sweep_advice import Behind, CaughtUp
from tui.judging.sweeps import SweepJudge, SweepRules
from tui.judging.thresholds import Thresholds
from tui.live.monitor import Monitor
from tui.sources.tensorboard.writer import EventWriter

EPOCH = np.arange(61, dtype=np.float64)
SLOW = [("lr=0.01", 15, 0.2), ("lr=0.005", 15, 0.3)]
"""The two slow runs, which end best."""
STALLS = "lr=0.05"


def fast_and_slow_sweep(seed: int = 0) -> dict[str, np.ndarray]:
    """Three runs that settle at once (0.9, 1.0, 1.1), two slow ones that end best (0.2, 0.3), and one flat for
    eight epochs that drops to 0.95 in two and stays there while the slow runs pass it."""
    rng = np.random.default_rng(seed)
    curves = {}
    for name, tau, floor in [("lr=0.3", 2, 0.9), ("lr=0.2", 2, 1.0), ("lr=0.1", 2, 1.1), *SLOW]:
        curves[name] = floor + (2.3 - floor) * np.exp(-EPOCH / tau)
    curves[STALLS] = np.where(EPOCH < 8, 2.3, 0.95 + 1.35 * np.exp(-(EPOCH - 8)))
    return {name: values * (1 + rng.normal(0, 0.01, EPOCH.size)) for name, values in curves.items()}


def lockstep(curves: dict[str, np.ndarray], follow: bool = False) -> SweepJudge:
    """The judge fed epoch by epoch; ``follow``: each run stopped where it is told behind."""
    judge = SweepJudge()
    ends = dict.fromkeys(curves, len(EPOCH))
    for upto in range(1, len(EPOCH) + 1):
        shown = {name: min(upto, ends[name]) for name in curves}
        for advice in judge.update({n: (EPOCH[:k], EPOCH[:k].astype(int), curves[n][:k]) for n, k in shown.items()}):
            if follow:
                ends[advice.run] = advice.step + 1
    return judge


def events_of(judge: SweepJudge, run: str) -> list[tuple[str, int]]:
    return [(type(event).__name__, event.step) for event in judge.history if event.run == run]


@pytest.mark.parametrize("seed", range(4))
def test_the_slow_runs_that_end_best_catch_up_and_a_run_that_stalls_is_told_again(seed):
    curves = fast_and_slow_sweep(seed)
    judge = lockstep(curves)
    for best, _, _ in SLOW:  # told at epoch 8 while the fast runs had settled; the sweep's two best
        assert [kind for kind, _ in events_of(judge, best)] == ["Behind", "CaughtUp"]
        assert best not in judge.behind and best in judge.caught_up
    stalls = events_of(judge, STALLS)
    assert [kind for kind, _ in stalls] == ["Behind", "CaughtUp", "Behind"]
    assert stalls[0][1] < stalls[1][1] <= 12 and stalls[2][1] >= 30  # behind again once the slow runs passed it
    assert STALLS in judge.behind and STALLS not in judge.caught_up
    caught = judge.caught_up["lr=0.01"]
    assert caught.best <= caught.median
    assert caught.reason().startswith(f"caught up: best val {caught.best:.4g} up to step {caught.progress:,.0f}")
    assert f"the peers' median {caught.median:.4g} up to step {caught.reference:,.0f}" in caught.reason()
    # fed whole, the same advice given and withdrawn at the same points
    whole = SweepJudge()
    whole.update({name: (EPOCH, EPOCH.astype(int), values) for name, values in curves.items()})
    assert [(type(e).__name__, e.run, e.step) for e in whole.history] == [
        (type(e).__name__, e.run, e.step) for e in judge.history
    ]


def test_a_run_stopped_where_it_was_told_never_catches_up():
    curves = fast_and_slow_sweep(0)
    followed = lockstep(curves, follow=True)
    assert not any(isinstance(event, CaughtUp) for event in followed.history)
    assert {"lr=0.01", "lr=0.005", STALLS} <= set(followed.behind)


def test_the_first_sweep_shape_that_caught_up_is_withdrawn_where_it_catches_up():
    """Before: the second-best learning rate of the test sweep, told behind at epoch 12, stayed behind to the end."""
    from sweep_fixtures import lr_sweep

    curves = lr_sweep(0)
    judge = lockstep(curves)
    assert [kind for kind, _ in events_of(judge, "lr=0.01")] == ["Behind", "CaughtUp"]
    ranked = sorted(curves, key=lambda name: float(np.nanmin(curves[name])))
    assert ranked.index("lr=0.01") == 2 and "lr=0.01" not in judge.behind


def test_a_run_behind_that_turns_nan_stays_behind_and_is_not_told_twice():
    curves = fast_and_slow_sweep(0)
    curves[STALLS] = curves[STALLS].copy()
    curves[STALLS][9:] = math.nan  # told at epoch 8, then NaN: it does not catch up
    judge = lockstep(curves)
    assert events_of(judge, STALLS) == [("Behind", 8)]
    advice = judge.behind[STALLS]
    assert isinstance(advice, Behind) and advice.step == 8 and not advice.diverged


def _write_epoch(writers: dict[str, EventWriter], curves: dict[str, np.ndarray], epoch: int) -> None:
    for name, values in curves.items():
        writers[name].add_scalar("train_loss", float(values[epoch]) * 0.9, epoch, 1000.0 + 60 * epoch)
        writers[name].add_scalar("val_loss", float(values[epoch]), epoch, 1000.0 + 60 * epoch)
        writers[name].flush()


def test_live_the_flag_goes_when_the_run_catches_up_and_replay_and_check_agree(tmp_path: Path, capsys):
    curves = fast_and_slow_sweep(1)
    root = tmp_path / "sweep"
    writers = {name: EventWriter(str(root / name)) for name in curves}
    monitor = Monitor(str(tmp_path))
    flagged: dict[int, set[str]] = {}
    live = []
    for epoch in range(len(EPOCH)):
        _write_epoch(writers, curves, epoch)
        _, _, alerts = monitor.refresh()
        live += [(a.run, a.step) for a in alerts if a.kind == "behind-peers"]
        flagged[epoch] = {name.split("/")[-1] for name in monitor.sweeps.flags}
    for writer in writers.values():
        writer.close()
    judge = lockstep(curves)
    told_at = {name: [step for kind, step in events_of(judge, name) if kind == "Behind"] for name in curves}
    assert sorted(live) == sorted((f"sweep/{name}", step) for name, steps in told_at.items() for step in steps)
    assert [step for run, step in live if run == f"sweep/{STALLS}"] == told_at[STALLS] and len(told_at[STALLS]) == 2
    caught = events_of(judge, "lr=0.01")[1][1]
    assert "lr=0.01" in flagged[caught - 1] and "lr=0.01" not in flagged[caught]  # the flag goes where it catches up
    assert flagged[len(EPOCH) - 1] == set(judge.behind)

    assert commands.replay(str(tmp_path), Thresholds(), None, None, as_json=True) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted((line["run"], line["step"]) for line in lines if line["kind"] == "behind-peers") == sorted(live)
    commands.check(str(tmp_path), Thresholds(), None, None, as_json=True)
    rows = {row["run"].split("/")[-1]: row for row in json.loads(capsys.readouterr().out)}
    behind = {name for name, row in rows.items() if any(flag["name"] == "behind-peers" for flag in row["flags"])}
    assert behind == set(judge.behind)


def test_catching_up_and_falling_behind_again_are_each_confirmed_at_three_points_in_a_row():
    """Neck and neck with the median, one point says nothing: on the DeepOBS sweeps 5 of 7 runs told again were
    told 1 or 2 points after they caught up. The same sweep judged point by point catches up two points earlier."""
    curves = fast_and_slow_sweep(0)
    confirmed, at_once = lockstep(curves), SweepJudge(SweepRules(confirm=1))
    at_once.update({name: (EPOCH, EPOCH.astype(int), values) for name, values in curves.items()})
    for run in ("lr=0.01", "lr=0.005", STALLS):
        (_, told), (_, caught) = events_of(confirmed, run)[:2]
        (_, told_at_once), (_, caught_at_once) = events_of(at_once, run)[:2]
        assert told == told_at_once and caught == caught_at_once + 2


def test_a_run_behind_whose_loss_turns_nan_once_never_catches_up():
    curves = fast_and_slow_sweep(0)
    curves["lr=0.01"] = curves["lr=0.01"].copy()
    curves["lr=0.01"][9] = math.nan  # told at epoch 8, one NaN at 9, then it goes on to end best
    judge = lockstep(curves)
    assert events_of(judge, "lr=0.01") == [("Behind", 8)] and "lr=0.01" in judge.behind


def test_a_judge_started_over_by_a_rewritten_curve_tells_what_is_new_and_only_that():
    """A peer's curve rewritten in the update where a run falls behind again: the run is told (before, every run
    told once was never told again after a start over), and what was told already is not told twice."""
    curves = fast_and_slow_sweep(0)
    again = events_of(lockstep(curves), STALLS)[2][1]
    judge = SweepJudge()
    for upto in range(1, again):
        judge.update({n: (EPOCH[:upto], EPOCH[:upto].astype(int), v[:upto]) for n, v in curves.items()})
    told_before = [(e.run, e.step) for e in judge.history if isinstance(e, Behind)]
    shown = {n: (EPOCH[: again + 3], EPOCH[: again + 3].astype(int), v[: again + 3]) for n, v in curves.items()}
    shown["lr=0.3"] = (EPOCH[: again - 2], EPOCH[: again - 2].astype(int), curves["lr=0.3"][: again - 2])  # rewritten
    found = [(advice.run, advice.step) for advice in judge.update(shown)]
    assert (STALLS, again) in found
    assert not set(found) & set(told_before)
    assert all(step >= again - 1 for _, step in found)


def test_live_a_restarted_run_does_not_tell_its_peers_behind_again_at_points_judged_before(tmp_path: Path):
    """A run resumed from an early checkpoint makes the sweep's judge start over: two of the best runs, told at
    epoch 8 and caught up since, were told behind again at epoch 10 (an --on-alert hook would have stopped them)."""
    curves = fast_and_slow_sweep(6)
    resumed = curves["lr=0.3"].copy()
    resumed[2:] *= 1 + np.random.default_rng(1006).normal(0, 0.06, resumed[2:].size)
    monitor = _watched_for_twenty_epochs(tmp_path, curves)
    assert {"lr=0.01", "lr=0.005"} <= {name for name, advice in told_ever(monitor)}
    _resume(tmp_path, resumed)
    _, _, alerts = monitor.refresh()
    assert [(a.run, a.step) for a in alerts if a.kind == "behind-peers" and a.step <= 19] == []
    judge = next(iter(monitor.sweeps._judged.values())).judge
    assert {name: flag.advice for name, flag in monitor.sweeps.flags.items()} == judge.behind


def told_ever(monitor: Monitor) -> list[tuple[str, Behind]]:
    judge = next(iter(monitor.sweeps._judged.values())).judge
    return [(event.run.split("/")[-1], event) for event in judge.history if isinstance(event, Behind)]


def test_sweep_confirm_is_a_setting():
    from tui.judging.sweeps import rules_from
    from tui.judging.thresholds import load_thresholds

    thresholds, _ = load_thresholds(None, ["sweep_confirm=1"])
    assert rules_from(thresholds).confirm == 1 and rules_from(Thresholds()).confirm == 3


def test_live_a_run_resumed_badly_from_an_early_checkpoint_is_told_even_when_read_in_one_go(tmp_path: Path):
    """The resumed run's new points at steps it had logged before: its advice there is news. Read in one poll, it
    was flagged but never alerted (no line, no --on-alert), while replay told it."""
    curves = fast_and_slow_sweep(0)
    stuck = 2.3 * (1 + np.random.default_rng(5).normal(0, 0.01, len(EPOCH)))  # resumed at epoch 2, learning nothing
    monitor = _watched_for_twenty_epochs(tmp_path, curves)
    flagged_before = set(monitor.sweeps.flags)
    assert "sweep/lr=0.3" not in flagged_before
    _resume(tmp_path, stuck)
    _, _, alerts = monitor.refresh()
    told = {(a.run, a.step) for a in alerts if a.kind == "behind-peers"}
    flagged = {name: flag.advice.step for name, flag in monitor.sweeps.flags.items()}
    assert ("sweep/lr=0.3", flagged["sweep/lr=0.3"]) in told
    assert {(name, step) for name, step in flagged.items() if name not in flagged_before} <= told  # no silent flag


def _watched_for_twenty_epochs(tmp_path: Path, curves: dict[str, np.ndarray]) -> Monitor:
    """The sweep's jobs write 20 epochs, polled after each, and end."""
    root = tmp_path / "sweep"
    writers = {name: EventWriter(str(root / name)) for name in curves}
    monitor = Monitor(str(tmp_path))
    for epoch in range(20):
        _write_epoch(writers, curves, epoch)
        monitor.refresh()
    for writer in writers.values():
        writer.close()
    return monitor


def _resume(tmp_path: Path, values: np.ndarray) -> None:
    """``lr=0.3`` resumed from its epoch-2 checkpoint: epochs 2 to 20 again, in a newer event file, at once."""
    time.sleep(1.1)  # the resumed job's file is newer
    writer = EventWriter(str(tmp_path / "sweep" / "lr=0.3"))
    for epoch in range(2, 21):
        writer.add_scalar("train_loss", float(values[epoch]) * 0.9, epoch, 5000.0 + 60 * epoch)
        writer.add_scalar("val_loss", float(values[epoch]), epoch, 5000.0 + 60 * epoch)
    writer.close()
