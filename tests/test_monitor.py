"""The Monitor: files changing under it, refused files, flags that need time or pairs (stalled, gap)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import file_version_event, frame, refused, scalar_event, scalar_run, write_records
from judging_helpers import overfitting_curves

from tui.live.monitor import Monitor


def test_truncated_or_replaced_file_is_reread_without_duplicates(tmp_path: Path):
    path = scalar_run(tmp_path / "r", {"loss": [3.0, 2.0, 1.0]})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    replacement = tmp_path / "replacement"
    replacement.write_bytes(path.read_bytes())
    os.replace(replacement, path)  # same content, new inode
    monitor.refresh()
    assert monitor.store.runs["r"].scalars["loss"].values.tolist() == [3.0, 2.0, 1.0]
    with open(path, "r+b") as handle:
        handle.truncate(0)
    scalar_run(tmp_path / "r", {"loss": [9.0, 8.0]})  # rewritten shorter (same name: same timestamp)
    monitor.refresh()
    assert monitor.store.runs["r"].scalars["loss"].values.tolist() == [9.0, 8.0]


def test_after_a_restart_what_rang_before_stays_quiet_and_a_new_jobs_blow_up_rings(tmp_path: Path):
    """Judging afresh after a restart was silent throughout: a new job's log read whole at one poll, its loss NaN
    at step 3, never rang. A copy of the same log put in its place still raises nothing new."""
    falling = [1.0 - 0.05 * i for i in range(12)]
    path = scalar_run(tmp_path / "r", {"loss": [*falling[:6], float("nan")], "val_loss": falling[:7]})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert [(a.step, a.kind) for a in monitor.alerts] == [(6, "diverging")]
    replacement = tmp_path / "replacement"
    replacement.write_bytes(path.read_bytes())
    os.replace(replacement, path)  # the same log again (a sync tool's copy): read from its start
    monitor.refresh()
    assert [(a.step, a.kind) for a in monitor.alerts] == [(6, "diverging")]
    with open(path, "r+b") as handle:
        handle.truncate(0)
    scalar_run(tmp_path / "r", {"loss": [*falling[:3], float("nan"), 0.5], "val_loss": falling[:5]})  # a new job
    monitor.refresh()
    assert [(a.step, a.kind) for a in monitor.alerts] == [(6, "diverging"), (3, "diverging")]


def test_a_new_job_longer_than_what_was_read_is_judged_afresh_and_its_blow_up_rings(tmp_path: Path):
    """The engine saw a restart only when the points it had judged were fewer or moved: a new job (its own event
    file) with more points than the old one by the next poll was never judged afresh, its NaN never rang."""
    falling = [1.0 - 0.05 * i for i in range(20)]
    scalar_run(tmp_path / "r", {"loss": [*falling[:6], float("nan")], "val_loss": falling[:7]}, wall0=1000)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    scalar_run(tmp_path / "r", {"loss": [*falling[:3], float("nan"), *[0.5] * 8], "val_loss": falling[:12]}, wall0=2000)
    monitor.refresh()
    assert [(a.step, a.kind) for a in monitor.alerts] == [(6, "diverging"), (3, "diverging")]
    fresh = Monitor(str(tmp_path))
    fresh.refresh()
    assert fresh.verdict("r").kind == monitor.verdict("r").kind


def test_a_resumed_job_that_blows_up_again_at_the_same_step_rings_again(tmp_path: Path):
    """A job resumed from its checkpoint (its own event file, written later) that blows up at the very step the
    first attempt did is a second blow-up the user must hear of: it was taken for the first one read again."""
    falling = [1.0 - 0.05 * i for i in range(12)]
    curves = {"loss": [*falling[:6], float("nan")], "val_loss": falling[:7]}
    scalar_run(tmp_path / "r", curves, wall0=1000)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert [(a.step, a.kind) for a in monitor.alerts] == [(6, "diverging")]
    scalar_run(tmp_path / "r", curves, wall0=2000)  # resumed from step 0, the same numbers, an hour later
    monitor.refresh()
    assert [(a.step, a.kind) for a in monitor.alerts] == [(6, "diverging"), (6, "diverging")]
    fresh = Monitor(str(tmp_path))  # read whole, the store keeps the latest attempt: its blow-up, once
    fresh.refresh()
    assert [(a.step, a.kind) for a in fresh.alerts] == [(6, "diverging")]
    assert fresh.verdict("r").kind == monitor.verdict("r").kind == "diverging"


def test_a_job_resumed_after_its_overfitting_bell_does_not_ring_the_same_onset_again(tmp_path: Path):
    """Preempted and requeued from an earlier checkpoint, the job writes the steps after it again, later: an
    overfitting onset (a state, not an event) found again where it was is the same onset."""
    train, val = overfitting_curves(60)
    curves = {"train_loss": train.tolist(), "val_loss": val.tolist()}

    def attempt(steps: range, wall0: float) -> list[bytes]:
        points = [scalar_event(tag, i, values[i], wall0 + i) for i in steps for tag, values in curves.items()]
        return [file_version_event(), *points]

    (tmp_path / "r").mkdir()
    write_records(tmp_path / "r" / "events.out.tfevents.1000.host.1.0", attempt(range(50), 1000.0))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    first = [(a.step, a.kind) for a in monitor.alerts]
    assert "overfitting" in [kind for _step, kind in first]
    write_records(tmp_path / "r" / "events.out.tfevents.5000.host.1.0", attempt(range(25, 60), 5000.0))
    monitor.refresh()
    assert monitor.store.runs["r"].restarts == 1
    assert [(a.step, a.kind) for a in monitor.alerts] == first


def test_a_restart_rings_nothing_again_below_the_step_it_purged_from(tmp_path: Path):
    """Keras-style split writers, training's file three polls behind (the hold gives up on it): live, validation's
    blow-up at 10 rang beside a training curve read up to a wobble; judged afresh after the job resumed from its
    checkpoint at 14, the same blow-up was seen at 11 (training read through 10) and rang a second time."""
    n = 20
    train = [1.0 - 0.03 * i for i in range(n)]
    train[7] = train[6] + 0.005  # a batch's wobble up at step 7
    val = [1.1 - 0.04 * i for i in range(10)] + [40.0] * (n - 10)
    run = tmp_path / "r"
    run.mkdir()
    val_file, train_file = run / "events.out.tfevents.1000.host.1.0", run / "events.out.tfevents.1000.host.2.0"
    write_records(val_file, [file_version_event()])
    write_records(train_file, [file_version_event()])
    clock = [10_000.0]
    monitor = Monitor(str(tmp_path), clock=lambda: clock[0])
    for poll in range(n + 3):
        if poll < n:
            write_records(val_file, [scalar_event("val_loss", poll, val[poll], 1000.0 + poll)], "ab")
        if poll >= 3:
            write_records(train_file, [scalar_event("train_loss", poll - 3, train[poll - 3], 1000.5 + poll)], "ab")
        monitor.refresh()
        clock[0] += 100.0
    rang = [(a.step, a.kind) for a in monitor.alerts]
    assert [kind for _step, kind in rang] == ["diverging"]
    resumed = [
        scalar_event(t, s, v[s], 5000.0 + s)
        for s in range(14, n)
        for t, v in (("train_loss", train), ("val_loss", val))
    ]
    write_records(run / "events.out.tfevents.5000.host.1.0", [file_version_event(), *resumed])
    monitor.refresh()
    assert monitor.store.runs["r"].restarts == 1
    assert [(a.step, a.kind) for a in monitor.alerts] == rang


def test_points_a_restart_brings_that_were_never_judged_still_ring(tmp_path: Path):
    """Judged before a restart means judged on that curve: a training file read six steps behind validation's has
    its tail (a NaN at 12) read in the poll that brings the resumed attempt (from 14), and a validation curve new to
    the pair (a NaN at 20) arrives in the poll that brings a resume from 35 of a training curve judged alone."""
    train = [1.0 - 0.03 * i for i in range(20)]
    train[12] = float("nan")
    val = [1.1 - 0.04 * i for i in range(20)]
    lagging = tmp_path / "lagging" / "r"
    lagging.mkdir(parents=True)
    val_file, train_file = lagging / "events.out.tfevents.1000.host.1.0", lagging / "events.out.tfevents.1000.host.2.0"
    write_records(val_file, [file_version_event()])
    write_records(train_file, [file_version_event()])
    clock = [10_000.0]
    monitor = Monitor(str(tmp_path / "lagging"), clock=lambda: clock[0])
    for poll in range(16):
        write_records(val_file, [scalar_event("val_loss", poll, val[poll], 1000.0 + poll)], "ab")
        if poll >= 6:
            write_records(train_file, [scalar_event("train_loss", poll - 6, train[poll - 6], 1000.5 + poll)], "ab")
        monitor.refresh()
        clock[0] += 100.0
    assert not monitor.alerts
    write_records(train_file, [scalar_event("train_loss", s, train[s], 1006.5 + s) for s in range(10, 16)], "ab")
    resumed = [
        scalar_event(t, s, v[s], 5000.0 + s)
        for s in range(14, 20)
        for t, v in (("train_loss", train), ("val_loss", val))
    ]
    write_records(lagging / "events.out.tfevents.5000.host.1.0", [file_version_event(), *resumed])
    monitor.refresh()
    assert monitor.store.runs["r"].restarts == 1
    assert [(a.step, a.kind, a.tag) for a in monitor.alerts] == [(12, "diverging", "train_loss")]

    loss = [1.0 - 0.01 * i for i in range(50)]
    alone = tmp_path / "alone" / "r"
    alone.mkdir(parents=True)
    first = alone / "events.out.tfevents.1000.host.1.0"
    write_records(first, [file_version_event()])
    monitor = Monitor(str(tmp_path / "alone"))
    for s in range(41):
        write_records(first, [scalar_event("train_loss", s, loss[s], 1000.0 + s)], "ab")
        monitor.refresh()
    late_val = [scalar_event("val_loss", s, v, 1000.5 + s) for s, v in ((10, 1.0), (20, float("nan")), (30, 0.8))]
    write_records(alone / "events.out.tfevents.1000.host.2.0", [file_version_event(), *late_val])
    resumed = [scalar_event("train_loss", s, loss[s], 5000.0 + s) for s in range(35, 45)]
    write_records(alone / "events.out.tfevents.5000.host.1.0", [file_version_event(), *resumed])
    monitor.refresh()
    assert monitor.store.runs["r"].restarts == 1
    assert [(a.step, a.kind, a.tag) for a in monitor.alerts] == [(20, "diverging", "val_loss")]


def _two_ranks_one_step_apart(
    tmp_path: Path, curves: dict[str, list[float]], behind: Callable[[int], float]
) -> Monitor:
    """Two processes logging ``curves`` into one folder ``r``, the second a step behind in what is read and its
    point at each step written ``behind(step)`` seconds after the first's; a poll after each write."""
    run = tmp_path / "r"
    run.mkdir()
    ranks = [run / "events.out.tfevents.1000.host.1.0", run / "events.out.tfevents.1000.host.2.0"]
    for path in ranks:
        write_records(path, [file_version_event()])
    monitor = Monitor(str(tmp_path))
    steps = max(len(values) for values in curves.values())
    for step in range(steps + 1):
        for rank, path in enumerate(ranks):
            at = step - rank
            if 0 <= at < steps:
                wall = 1000.0 + at + behind(at) * rank
                write_records(path, [scalar_event(tag, at, values[at], wall) for tag, values in curves.items()], "ab")
            monitor.refresh()
    return monitor


def test_two_ranks_writing_one_blow_up_into_one_folder_ring_it_once_at_its_step(tmp_path: Path):
    """Two processes log the same curves into one folder, one poll apart: the lagging rank's points are a second
    writer's, not a restart each (they were: its NaN at 6 purged the first rank's, whose NaN at 7 rang again)."""
    falling = [1.0 - 0.05 * i for i in range(12)]
    curves = {"loss": [*falling[:6], *[float("nan")] * 6], "val_loss": falling}
    monitor = _two_ranks_one_step_apart(tmp_path, curves, lambda _step: 0.4)
    assert [(a.step, a.kind) for a in monitor.alerts] == [(6, "diverging")]
    stored = monitor.store.runs["r"]
    assert stored.restarts == 0
    assert stored.scalars["val_loss"].steps.tolist() == list(range(12))


def test_a_rank_whose_points_were_all_dropped_stays_a_second_writer_when_it_falls_behind_in_time(tmp_path: Path):
    """A reviewer's find: the newest step of a file whose points were all dropped was not kept, so each of its
    batches was told by its wall time alone; once the slower rank wrote a point after the other's next one (1.5 s
    behind), it was a restart again: step 8 purged for good and the blow-up rang at 8 and 9."""
    values = [1 - 0.05 * i for i in range(8)] + [float("nan")] * 6
    monitor = _two_ranks_one_step_apart(tmp_path, {"loss": values}, lambda step: 0.4 if step < 7 else 1.5)
    stored = monitor.store.runs["r"]
    assert stored.restarts == 0
    assert stored.scalars["loss"].steps.tolist() == list(range(14))
    assert [(a.step, a.kind) for a in monitor.alerts] == [(8, "diverging")]


def test_a_two_rank_job_resumed_into_a_blow_up_at_its_resume_step_rings_it_once(tmp_path: Path):
    """A reviewer's find: each rank's new file first read in its own poll with its NaN at the resume step (the
    other's newest step: a restart, not a second writer); the second rank's NaN, written 0.2 s after the first's,
    rang again as a second blow-up."""
    nan = float("nan")
    run = tmp_path / "r"
    run.mkdir()
    write_records(
        run / "events.out.tfevents.1000.h.1.0",
        [file_version_event(), *[scalar_event("loss", s, 1 - 0.05 * s, 1000.0 + s) for s in range(8)]],
    )
    write_records(
        run / "events.out.tfevents.1000.h.2.0",
        [file_version_event(), *[scalar_event("loss", s, 1 - 0.05 * s, 1000.2 + s) for s in range(7)]],
    )
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    resumed = [run / "events.out.tfevents.2000.h.3.0", run / "events.out.tfevents.2000.h.4.0"]
    for rank, path in enumerate(resumed):
        write_records(path, [file_version_event(), scalar_event("loss", 5, nan, 2000.0 + 0.2 * rank)])
        monitor.refresh()
    for step in (6, 7):
        for rank, path in enumerate(resumed):
            write_records(path, [scalar_event("loss", step, nan, 2000.0 + step - 5 + 0.2 * rank)], "ab")
            monitor.refresh()
    assert [(a.step, a.kind) for a in monitor.alerts] == [(5, "diverging")]


def test_a_second_rank_first_read_whole_or_behind_is_no_restart_and_a_resume_still_is(tmp_path: Path):
    """A second rank's file read whole after the first (``check``), or its first points read a poll late, were
    written before the newest point read (TensorBoard's wall times): no restart. A resumed job's file, written
    after, is one; so is a log that goes back within itself (Keras ``CSVLogger(append=True)`` after a resume)."""
    train, val = overfitting_curves(40)
    curves = {"train_loss": train.tolist(), "val_loss": val.tolist()}

    def rank(steps: range, wall0: float, shift: float = 0.0) -> list[bytes]:
        points = [scalar_event(t, i, v[i] + shift, wall0 + i) for i in steps for t, v in curves.items()]
        return [file_version_event(), *points]

    run = tmp_path / "ranks" / "r"
    run.mkdir(parents=True)
    write_records(run / "events.out.tfevents.1000.host.1.0", rank(range(30), 1000.0))
    write_records(run / "events.out.tfevents.1000.host.2.0", rank(range(29), 1000.3, shift=0.01))
    whole = Monitor(str(tmp_path / "ranks"))
    whole.refresh()
    assert whole.store.runs["r"].restarts == 0
    assert whole.store.runs["r"].scalars["val_loss"].values.tolist() == pytest.approx(val[:30].tolist())

    late = tmp_path / "late" / "r"
    late.mkdir(parents=True)
    first, second = late / "events.out.tfevents.1000.host.1.0", late / "events.out.tfevents.1000.host.2.0"
    write_records(first, rank(range(20), 1000.0))
    write_records(second, [file_version_event()])
    monitor = Monitor(str(tmp_path / "late"))
    monitor.refresh()
    write_records(second, rank(range(19), 1000.3, shift=0.01)[1:], "ab")
    monitor.refresh()
    assert monitor.store.runs["r"].restarts == 0
    write_records(late / "events.out.tfevents.5000.host.1.0", rank(range(15, 25), 5000.0, shift=0.5))
    monitor.refresh()
    assert monitor.store.runs["r"].restarts == 1
    assert monitor.store.runs["r"].scalars["val_loss"].values[15] == pytest.approx(val[15] + 0.5)

    appended = tmp_path / "csv" / "r"
    appended.mkdir(parents=True)
    log = appended / "history.csv"
    log.write_text("epoch,loss,val_loss\n" + "".join(f"{e},{1 / (e + 1)},{1 / (e + 1)}\n" for e in range(10)))
    monitor = Monitor(str(tmp_path / "csv"))
    monitor.refresh()
    with log.open("a") as handle:
        handle.write("".join(f"{e},{2 / (e + 1)},{2 / (e + 1)}\n" for e in range(5, 12)))
    monitor.refresh()
    assert monitor.store.runs["r"].restarts == 1
    assert monitor.store.runs["r"].scalars["val_loss"].values[5] == pytest.approx(2 / 6)


def test_an_onset_before_a_restart_rings_when_read_whole_or_first_read_with_the_restart(tmp_path: Path):
    """Only what was judged before a restart is not told again: a job's two attempts read whole (``check``), or
    a poll that brings the points after the last one judged together with the resumed attempt, ring the first
    attempt's overfitting onset below the step the second resumed from."""
    train, val = overfitting_curves(60)
    curves = {"train_loss": train.tolist(), "val_loss": val.tolist()}

    def attempt(steps: range, wall0: float) -> list[bytes]:
        points = [scalar_event(tag, i, values[i], wall0 + i) for i in steps for tag, values in curves.items()]
        return [file_version_event(), *points]

    whole, live = tmp_path / "whole" / "r", tmp_path / "live" / "r"
    for run in (whole, live):
        run.mkdir(parents=True)
    write_records(whole / "events.out.tfevents.1000.host.1.0", attempt(range(50), 1000.0))
    write_records(whole / "events.out.tfevents.5000.host.1.0", attempt(range(45, 60), 5000.0))
    read_whole = Monitor(str(tmp_path / "whole"))
    read_whole.refresh()
    onset = [(a.step, a.kind) for a in read_whole.alerts if a.kind == "overfitting"]
    assert onset and onset[0][0] < 45
    first = live / "events.out.tfevents.1000.host.1.0"
    write_records(first, attempt(range(20), 1000.0))
    monitor = Monitor(str(tmp_path / "live"))
    monitor.refresh()
    assert not [a for a in monitor.alerts if a.kind == "overfitting"]
    write_records(first, attempt(range(50), 1000.0))  # the rest of the first attempt...
    write_records(live / "events.out.tfevents.5000.host.1.0", attempt(range(45, 60), 5000.0))  # ...and the resume
    monitor.refresh()
    assert monitor.store.runs["r"].restarts == 1
    assert [(a.step, a.kind) for a in monitor.alerts if a.kind == "overfitting"] == onset


def test_a_csv_log_copied_over_itself_later_rings_nothing_again(tmp_path: Path):
    """A CSV's points carry the time the file was read, not written: a sync tool's copy is no new attempt."""
    run = tmp_path / "lightning_logs" / "version_0"  # Lightning's CSVLogger
    run.mkdir(parents=True)
    (run / "hparams.yaml").write_text("lr: 0.001\n")
    rows = [f"{i},{i * 10 + 9},{1.0 - 0.05 * i},{1.0 - 0.05 * i}" for i in range(6)]
    text = "\n".join(["epoch,step,train_loss,val_loss", *rows, "6,69,nan,0.7"]) + "\n"
    log = run / "metrics.csv"
    log.write_text(text)
    os.utime(log, (1000, 1000))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert [(a.step, a.kind) for a in monitor.alerts] == [(69, "diverging")]
    copy = run / "copy"
    copy.write_text(text)
    os.utime(copy, (5000, 5000))
    os.replace(copy, log)  # the same log again, written later: read from its start
    monitor.refresh()
    assert monitor.store.runs["lightning_logs/version_0"].restarts == 1  # judged afresh
    assert [(a.step, a.kind) for a in monitor.alerts] == [(69, "diverging")]


def test_a_log_written_again_across_polls_raises_nothing_it_raised_before(tmp_path: Path):
    """A copy of the same log written over it in two parts: the second part's blow-up rang a second time."""
    falling = [1.0 - 0.05 * i for i in range(12)]
    curves = {"loss": [*falling[:6], float("nan"), 0.5, 0.5], "val_loss": falling[:9]}
    path = scalar_run(tmp_path / "r", curves)
    whole = path.read_bytes()
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert [(a.step, a.kind) for a in monitor.alerts] == [(6, "diverging")]
    path.write_bytes(whole[: len(whole) // 3])  # the copy, its first part
    monitor.refresh()
    path.write_bytes(whole)
    monitor.refresh()
    assert [(a.step, a.kind) for a in monitor.alerts] == [(6, "diverging")]


def test_permission_denied_on_one_run_keeps_the_others(tmp_path: Path):
    scalar_run(tmp_path / "good", {"loss": [1.0, 0.5]})
    locked = scalar_run(tmp_path / "locked", {"loss": [1.0, 0.5]})
    with refused(locked):  # the file itself (its folder listed): root too meets its permission bits meanwhile
        monitor = Monitor(str(tmp_path))
        monitor.refresh()
    assert len(monitor.store.runs["good"].scalars["loss"]) == 2
    assert monitor.store.runs["locked"].errors == ["permission denied"]
    result_json = __import__("tui.cli.report", fromlist=["run_record"]).run_record(
        monitor.store.runs["locked"], monitor.verdict("locked")
    )
    assert {"name": "unreadable", "reason": "permission denied"} in result_json["flags"]


def test_stalled_only_for_a_job_seen_writing(tmp_path: Path):
    now = [1000.0]
    path = scalar_run(tmp_path / "job", {"loss": [1.0, 0.9, 0.8, 0.7], "val_loss": [1.0, 0.9, 0.8, 0.7]}, wall0=0)
    scalar_run(tmp_path / "finished", {"loss": [1.0, 0.9, 0.8, 0.7]}, wall0=0)
    monitor = Monitor(str(tmp_path), clock=lambda: now[0])
    monitor.refresh()
    with open(path, "ab") as handle:  # the job writes while we watch: it is live
        for step in range(4, 8):
            handle.write(frame(scalar_event("loss", step, 0.6, float(step))))
            handle.write(frame(scalar_event("val_loss", step, 0.6, float(step))))
    monitor.refresh()
    now[0] += 60
    assert not [a for a in monitor.refresh()[2] if a.kind == "stalled"]
    now[0] += 600  # ten minutes of silence from a job that wrote every second
    alerts = monitor.refresh()[2]
    stalled = [a for a in alerts if a.kind == "stalled"]
    assert [a.run for a in stalled] == ["job"]
    assert "stalled" in monitor.verdict("job").flags
    assert "stalled" not in monitor.verdict("finished").flags
    assert monitor.refresh()[2] == []  # once per onset


def test_gap_flag_when_train_accuracy_runs_away(tmp_path: Path):
    n = 20
    scalar_run(
        tmp_path / "r",
        {
            "loss": list(np.linspace(2, 0.1, n)),
            "val_loss": list(np.linspace(2, 0.8, n)),
            "acc": list(np.linspace(0.3, 0.99, n)),
            "val_acc": list(np.linspace(0.3, 0.7, n)),
        },
    )
    monitor = Monitor(str(tmp_path))
    _, _, alerts = monitor.refresh()
    assert any(a.kind == "gap" for a in alerts)
    assert "gap" in monitor.verdict("r").flags


def test_a_validation_file_read_after_the_training_file_has_run_ahead(tmp_path: Path):
    """Keras-style train/ and validation/ folders: the training file was read to step 99 before the validation
    file's first point (step 50) arrived. The engine used to fail on it (a block of negative length)."""
    from tui.sources.tensorboard.writer import EventWriter

    run = tmp_path / "run"
    train = EventWriter(str(run / "train"))
    for step in range(100):
        train.add_scalar("epoch_loss", 1.0 / (1 + step), step)
    train.close()
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert monitor.verdict("run") is not None
    validation = EventWriter(str(run / "validation"))
    for step in range(50, 100):
        validation.add_scalar("epoch_loss", 1.2 / (1 + step) + 0.01, step)
    validation.close()
    monitor.refresh()
    verdict = monitor.verdict("run")
    assert verdict is not None and verdict.val_tag is not None and "validation" in verdict.val_tag
    assert verdict.kind == "learning"
