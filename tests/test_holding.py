"""A live read that sees a step's validation loss before its training loss judges as a whole read does.

Keras writes ``train/`` and ``validation/`` as two files flushed apart; here the real files of a Keras run
are appended to a watched folder one epoch at a time, the validation file's records first, with a poll in
between — the worst order a live view can meet.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from conftest import KERAS, event_files, frame, frames_of, scalar_event, scalar_run
from tensorboard.compat.proto import event_pb2

from tui.judging.holding import HOLD_SECONDS, Holdback, first_unmatched, keeps_pace
from tui.judging.thresholds import Thresholds
from tui.live.monitor import Monitor


def _records_by_step(path: Path) -> tuple[bytes, list[tuple[int, bytes]]]:
    """The file's first record (its header) and every later record with its event's step."""
    blob = path.read_bytes()
    spans = frames_of(blob)
    header = blob[spans[0][0] : spans[0][1]]
    out = []
    for start, end in spans[1:]:
        event = event_pb2.Event.FromString(blob[start + 12 : end - 4])
        out.append((event.step, blob[start:end]))
    return header, out


def _live_copy(source: Path, target: Path, now: list[float]) -> Monitor:
    """Write ``source`` (a Keras run) into ``target`` epoch by epoch, validation first, polling after each."""
    files = {}
    for part in ("train", "validation"):
        (path,) = event_files(source / part)
        header, records = _records_by_step(path)
        copy = target / source.name / part / path.name
        copy.parent.mkdir(parents=True)
        copy.write_bytes(header)
        files[part] = (
            copy,
            {step: b"".join(r for _, r in group) for step, group in itertools.groupby(records, lambda r: r[0])},
        )
    monitor = Monitor(str(target), clock=lambda: now[0])
    monitor.refresh()
    steps = sorted(set(files["train"][1]) | set(files["validation"][1]))
    for step in steps:
        for part in ("validation", "train"):
            copy, by_step = files[part]
            with open(copy, "ab") as handle:
                handle.write(by_step.get(step, b""))
            now[0] += 1.0
            monitor.refresh()
    return monitor


def _alerts(alerts) -> list[tuple[str, int, str]]:
    return sorted((a.kind, a.step, a.reason) for a in alerts)


def test_validation_read_before_its_training_loss_is_judged_as_check_does(tmp_path: Path):
    now = [1000.0]
    live = _live_copy(KERAS / "k-overfit", tmp_path / "live", now)
    whole = Monitor(str(KERAS))
    whole.refresh()
    live_verdict, whole_verdict = live.verdict("k-overfit"), whole.verdict("k-overfit")
    assert live_verdict is not None and whole_verdict is not None
    assert whole_verdict.kind == "overfitting"
    assert (live_verdict.kind, live_verdict.reason, live_verdict.flags) == (
        whole_verdict.kind,
        whole_verdict.reason,
        whole_verdict.flags,
    )
    assert _alerts(a for a in live.alerts if a.run == "k-overfit") == _alerts(
        a for a in whole.alerts if a.run == "k-overfit"
    )


def test_a_point_waits_at_most_the_hold_and_is_judged_then(tmp_path: Path):
    """The job died between a step's validation and training records: that point is judged after the hold."""
    now = [1000.0]
    path = scalar_run(tmp_path / "job", {"loss": [1.0, 0.8, 0.6, 0.5], "val_loss": [1.1, 0.9, 0.7, 0.65]}, wall0=0)
    monitor = Monitor(str(tmp_path), clock=lambda: now[0])
    monitor.refresh()
    with open(path, "ab") as handle:  # PyTorch-style: one file, this loop logs validation first
        for step, (val, train) in enumerate([(0.6, 0.45), (0.58, 0.4)], start=4):
            handle.write(frame(scalar_event("val_loss", step, val, float(step))))
            handle.write(frame(scalar_event("loss", step, train, float(step))))
        handle.write(frame(scalar_event("val_loss", 6, 0.57, 6.0)))
    monitor.refresh()
    engine = monitor.engines["job"]
    assert engine.val.count == 6  # step 6 waits for its training loss
    now[0] += HOLD_SECONDS / 2
    monitor.refresh()
    assert engine.val.count == 6
    now[0] += HOLD_SECONDS / 2
    monitor.refresh()
    assert engine.val.count == 7
    whole = Monitor(str(tmp_path))
    whole.refresh()
    live_verdict, whole_verdict = monitor.verdict("job"), whole.verdict("job")
    assert live_verdict is not None and whole_verdict is not None
    live_verdict.flags.pop("stalled")  # the job was seen writing, then went quiet
    assert live_verdict == whole_verdict


def test_keeps_pace_waits_for_a_lagging_or_late_curve_but_not_a_coarser_one():
    val = np.arange(0, 10)
    assert keeps_pace(np.arange(0, 10), val, 5)  # the same grid
    assert keeps_pace(np.arange(0, 1000, 7), val * 100, 5)  # per batch
    assert keeps_pace(np.arange(0, 3), val, 8)  # a file flushed epochs later: it lags, it is waited for
    assert keeps_pace(np.arange(4, 6), val, 6)  # it started after validation
    assert not keeps_pace(np.array([0, 3, 6, 9]), val, 5)  # every third epoch
    assert keeps_pace(np.array([0, 3]), val, 1)  # nothing to tell by yet


def test_a_point_waits_only_while_its_interval_lacks_the_curve():
    val = np.array([10, 20, 30, 40])
    assert first_unmatched(np.array([9, 19]), val, 1, 4) == 2  # logged at step - 1: 20 has 19, 30 waits
    assert first_unmatched(np.array([10, 20, 30]), val, 1, 4) == 3
    assert first_unmatched(np.array([10, 20, 30, 45]), val, 1, 4) == 4  # it went past 40: skipped, not late
    batches = np.array([2, 4, 6, 8, 10, 12, 14, 16])  # per batch: 5 in (0, 10], 3 so far in (10, 20]
    assert first_unmatched(batches, np.array([10, 20]), 1, 2) == 1


def _holdback_frees(hold: Holdback, consumed: int, end: int, companions: dict, now: float, values=None) -> int:
    steps = np.arange(10)
    values = np.linspace(1.0, 0.5, 10) if values is None else values
    return hold.free(steps, values, consumed, end, companions, now)


def test_holdback_releases_a_blow_up_at_once_and_the_rest_after_the_hold():
    hold = Holdback()
    train = {"loss": np.arange(4)}  # training has reached step 3
    assert _holdback_frees(hold, 3, 6, train, now=0.0) == 4
    assert _holdback_frees(hold, 4, 6, train, now=HOLD_SECONDS - 1) == 4
    assert hold.due(HOLD_SECONDS) and not hold.due(HOLD_SECONDS - 1)
    assert _holdback_frees(hold, 4, 6, train, now=HOLD_SECONDS + 1) == 6
    values = np.linspace(1.0, 0.5, 10)
    values[5] = float("nan")
    assert _holdback_frees(Holdback(), 4, 6, train, now=0.0, values=values) == 6
    assert _holdback_frees(Holdback(), 4, 6, train, now=None) == 6


def test_no_point_waits_longer_than_the_hold_while_others_are_freed():
    """A companion that lags steadily: each point keeps the time it began to wait (the clock used to restart
    whenever one point was freed, so points waited as long as the lag); after one waited in vain, the curve
    is not waited for again, and the points waiting with it go too."""
    hold = Holdback()
    assert _holdback_frees(hold, 2, 5, {"loss": np.arange(3)}, now=0.0) == 3  # 3 and 4 wait from 0
    assert _holdback_frees(hold, 3, 6, {"loss": np.arange(4)}, now=100.0) == 4  # 3 came; 5 waits from 100
    assert _holdback_frees(hold, 4, 6, {"loss": np.arange(4)}, now=HOLD_SECONDS) == 6  # 4 waited in vain
    assert _holdback_frees(hold, 6, 8, {"loss": np.arange(4)}, now=HOLD_SECONDS + 1) == 8


def test_a_curve_on_another_scale_is_given_up_alone():
    """An accuracy logged per epoch index beside losses at global steps made the second point wait in vain,
    and the hold then stopped waiting for the training loss too: it is given up alone."""
    hold = Holdback()
    steps = np.arange(1000, 11000, 1000)
    values = np.linspace(1.0, 0.5, 10)
    epochs = {"acc": np.arange(0, 2), "loss": steps[:2]}
    assert hold.free(steps, values, 1, 2, epochs, now=0.0) == 1
    assert hold.free(steps, values, 1, 2, epochs, now=HOLD_SECONDS) == 2
    lagging = {"acc": np.arange(0, 4), "loss": steps[:3]}
    assert hold.free(steps, values, 2, 4, lagging, now=HOLD_SECONDS + 1) == 3  # the training loss still counts


def test_a_late_validation_accuracy_is_waited_for_too(tmp_path: Path):
    now = [1000.0]
    tags = {"loss": [1.0, 0.8, 0.6], "val_loss": [1.1, 0.9, 0.7], "acc": [0.3, 0.5, 0.6], "val_acc": [0.3, 0.4, 0.5]}
    path = scalar_run(tmp_path / "job", tags, wall0=0)
    monitor = Monitor(str(tmp_path), clock=lambda: now[0])
    monitor.refresh()
    engine = monitor.engines["job"]
    with open(path, "ab") as handle:
        for tag, value in (("loss", 0.5), ("acc", 0.7), ("val_loss", 0.65)):
            handle.write(frame(scalar_event(tag, 3, value, 3.0)))
    monitor.refresh()
    assert engine.val.count == 3  # its accuracy is not read yet
    with open(path, "ab") as handle:
        handle.write(frame(scalar_event("val_acc", 3, 0.55, 3.0)))
    monitor.refresh()
    assert engine.val.count == 4 and engine.moments.val_acc_at_val[-1] == pytest.approx(0.55)


def test_a_restart_while_a_point_waits_leaves_nothing_waiting_and_validation_back_in_the_pair(tmp_path: Path):
    """A job restarted from scratch, read between its new training points and its new validation points: the
    emptied validation curve came back but was never read again (the pair lost it for good, while check had
    it), and the wait begun before the restart kept the watcher judging the run at every round."""
    now = [1000.0]
    path = scalar_run(tmp_path / "job", {"loss": [1.0, 0.8, 0.6, 0.5], "val_loss": [1.1, 0.9, 0.7, 0.65]}, wall0=0)
    monitor = Monitor(str(tmp_path), clock=lambda: now[0])
    monitor.refresh()

    def write(*records: tuple[str, int, float]) -> None:
        with open(path, "ab") as handle:
            for tag, step, value in records:
                handle.write(frame(scalar_event(tag, step, value, float(step))))
        now[0] += 10
        monitor.refresh()

    write(("val_loss", 4, 0.6))  # waits for its training loss
    write(("loss", 0, 1.0), ("loss", 1, 0.8))  # the restarted attempt: training first
    write(("val_loss", 0, 1.1), ("val_loss", 1, 0.9), ("loss", 2, 0.6), ("val_loss", 2, 0.7))
    for _ in range(5):
        now[0] += 60
        assert monitor.judge_held()[0] == []
    whole = Monitor(str(tmp_path))
    whole.refresh()
    live_verdict, whole_verdict = monitor.verdict("job"), whole.verdict("job")
    assert live_verdict is not None and whole_verdict is not None
    assert live_verdict.val_tag == whole_verdict.val_tag == "val_loss"
    assert live_verdict.kind == whole_verdict.kind


def test_the_watcher_tells_the_view_when_a_held_point_is_judged(tmp_path: Path):
    """A point judged after the hold may change the verdict without an alert: the view must still redraw."""
    from tui.live.watcher import Watcher

    now = [1000.0]
    path = scalar_run(tmp_path / "job", {"loss": [1.0, 0.8, 0.6], "val_loss": [1.1, 0.9, 0.7]}, wall0=0)
    quiet_is_fine = Thresholds(stall_min_seconds=1e9)  # no stalled alert to redraw on
    monitor = Monitor(str(tmp_path), quiet_is_fine, clock=lambda: now[0])
    calls: list[tuple[int, int, int]] = []
    watcher = Watcher(monitor, lambda new, changes, alerts: calls.append((len(new), len(changes), len(alerts))))
    watcher.start()
    try:
        _wait_for(lambda: "job" in monitor.engines)
        with open(path, "ab") as handle:
            handle.write(frame(scalar_event("val_loss", 3, 0.65, 3.0)))  # its training loss never comes
        _wait_for(
            lambda: (
                monitor.store.runs["job"].scalars["val_loss"].last() is not None
                and monitor.store.runs["job"].scalars["val_loss"].last()[0] == 3
            )
        )
        engine = monitor.engines["job"]
        assert engine.val.count == 3
        calls.clear()
        now[0] += HOLD_SECONDS + 1
        _wait_for(lambda: engine.val.count == 4)
        _wait_for(lambda: bool(calls))
    finally:
        watcher.stop()


def _wait_for(condition, seconds: float = 15.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
