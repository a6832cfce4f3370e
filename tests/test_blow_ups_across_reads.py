"""One blow-up, one bell, across reads: a curve whose file is first read a poll after the other's blow-up was
told (the curves paired change and the run is judged afresh), and a job restarted in between."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import file_version_event, scalar_event, scalar_run, write_records
from judging_helpers import overfitting_curves

from tui.judging.kinds import BELL
from tui.live.monitor import Monitor


def _two_files_read_apart(folder, first: tuple, second: tuple) -> Monitor:
    """A run whose two curves are in two files, the second first read a poll after the first."""
    run = folder / "run"
    run.mkdir(parents=True)
    for number, (tag, values) in enumerate((first, second), start=1):
        events = [scalar_event(tag, i, float(v), 1000.0 + i) for i, v in enumerate(values)]
        write_records(run / f"events.out.tfevents.{number}.host.1.0", [file_version_event(), *events])
        if number == 1:
            monitor = Monitor(str(folder))
            monitor.refresh()
    monitor.refresh()
    return monitor


def test_a_curve_first_read_later_rings_its_own_blow_ups_not_the_ones_told(tmp_path):
    """Judged afresh once the training file is read, its NaN at 27 (told when it was read alone) lasted through
    validation's at 25: one blow-up, one bell. A review of a first fix: a later, separate blow-up of the curve read
    later (60, after validation's NaN at 20 came back) must still ring; it did not."""
    train, val = overfitting_curves(n=100)
    val[20], train[60] = np.nan, np.nan
    separate = _two_files_read_apart(tmp_path / "separate", ("val_loss", val), ("train_loss", train))
    assert [(a.step, a.tag) for a in separate.alerts if a.kind == "diverging"] == [(20, "val_loss"), (60, "train_loss")]
    train, val = overfitting_curves(n=60)
    val[25:27], train[27] = np.nan, np.nan
    same = _two_files_read_apart(tmp_path / "same", ("train_loss", train), ("val_loss", val))
    assert [(a.step, a.tag) for a in same.alerts if a.kind == "diverging"] == [(27, "train_loss")]


def test_a_restarted_jobs_blow_up_rings_though_the_old_job_rang_within_it(tmp_path):
    """A review find: the old job's training went NaN at 50 (told); the job restarted from step 10 and its first
    validation file went NaN from 20 on. Judged afresh, its blow-up [20, …) held the old job's told step 50 and
    was taken for it: the new job diverged without a bell."""
    train, val = overfitting_curves(n=100)
    run = tmp_path / "run"
    run.mkdir()
    old = train.copy()
    old[50:] = np.nan
    events = [scalar_event("train_loss", i, float(old[i]), 1000.0 + i) for i in range(60)]
    write_records(run / "events.out.tfevents.1.host.1.0", [file_version_event(), *events])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    val[20:] = np.nan
    for number, (tag, values) in ((3, ("train_loss", train)), (4, ("val_loss", val))):
        events = [scalar_event(tag, i, float(values[i]), 5000.0 + i) for i in range(10, 40)]
        write_records(run / f"events.out.tfevents.{number}.host.1.0", [file_version_event(), *events])
    monitor.refresh()
    assert [(a.step, a.tag) for a in monitor.alerts if a.kind == "diverging"] == [(50, "train_loss"), (20, "val_loss")]


def test_overfitting_judged_on_validation_alone_rings_once_training_is_read(tmp_path):
    """Validation's file read first is judged alone (overfitting, no bell); the training file read later gave the
    pair its bell at a step the validation-only pair had judged, and it was held back as told: it never rang,
    where ``check`` (reading both at once) rings it."""
    train, val = overfitting_curves(n=70, onset=40)
    scalar_run(tmp_path / "run", {"val_loss": val.tolist()}, wall0=1000.0)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert monitor.verdict("run").kind == "overfitting" and not [a for a in monitor.alerts if a.kind in BELL]
    scalar_run(tmp_path / "run", {"loss": train.tolist()}, wall0=2000.0)  # a file of its own
    monitor.refresh()
    whole = Monitor(str(tmp_path))
    whole.refresh()
    rung = [(a.step, a.kind) for a in monitor.alerts if a.kind in BELL]
    assert rung == [(a.step, a.kind) for a in whole.alerts if a.kind in BELL] == [(45, "overfitting")]


def test_an_onset_validation_came_back_from_is_not_rung_when_training_is_read_late(tmp_path):
    """Only the overfitting that lasts rings late: one validation has since come back from (a learning-rate drop
    brought a new best) stays unannounced, as everything else the validation-only pair judged."""
    epochs = np.arange(200, dtype=float)
    rng = np.random.default_rng(0)
    val = 0.3 + 2.0 * np.exp(-epochs / 5.0) + np.where(epochs > 40, 0.012 * (epochs - 40), 0.0)
    val = np.where(epochs >= 80, 0.2 + 0.3 * np.exp(-(epochs - 80) / 3.0), val) + 0.004 * rng.standard_normal(200)
    train = 2.3 * np.exp(-epochs / 6.0) + 1e-3
    scalar_run(tmp_path / "run", {"val_loss": val.tolist()}, wall0=1000.0)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    scalar_run(tmp_path / "run", {"loss": train.tolist()}, wall0=2000.0)
    monitor.refresh()
    assert not [a for a in monitor.alerts if a.kind == "overfitting"]
    whole = Monitor(str(tmp_path))
    whole.refresh()
    assert [a.kind for a in whole.alerts if a.kind == "overfitting"] == ["overfitting"]  # check rings it, in time


def _attempt(run, number: int, start: int, curves: tuple, wall0: float, same_file: bool, val_from: int = 0) -> None:
    """One attempt of a job from ``start`` on (validation from ``val_from`` on): its own event file, or appended to
    the first one (a writer that reopens it)."""
    train, val = curves
    events = [
        scalar_event(tag, i, float(values[i]), wall0 + i)
        for i in range(start, len(val))
        for tag, values in (("train_loss", train), ("val_loss", val))
        if tag == "train_loss" or i >= val_from
    ]
    name = run / f"events.out.tfevents.{1 if same_file else number}.host.1.0"
    write_records(name, events if same_file and number > 1 else [file_version_event(), *events], "ab")


@pytest.mark.parametrize("val_from", [0, 5], ids=["validated-from-0", "validated-from-5"])
@pytest.mark.parametrize("same_file", [False, True], ids=["new-file", "same-file"])
def test_a_resumed_jobs_overfitting_onset_where_it_was_rings_once_a_better_best_or_a_fresh_start_again(
    tmp_path, same_file: bool, val_from: int
):
    """A hostile tester's find: the job overfit (bell at 31, best at 25), was resumed from its step-20 checkpoint
    and overfit again where it had, with other noise: the bell rang a second time (at 30) for the same onset. Told
    once now; a resumed job that reaches a clearly better best, or a job started afresh from step 0, rings again.
    Validation logged from a later step than training (a pair of training alone comes first when the run is judged
    afresh) lost what was told, in a review of the first fix."""

    def bells(second_start: int, second: tuple) -> list[tuple[int, str]]:
        run = tmp_path / f"{second_start}-{second[1][30]:.4f}" / "run"
        run.mkdir(parents=True)
        _attempt(run, 1, 0, overfitting_curves(n=60, onset=25, seed=0), 1000.0, same_file, val_from)
        monitor = Monitor(str(run.parent))
        monitor.refresh()
        _attempt(run, 2, second_start, second, 5000.0, same_file, val_from)
        monitor.refresh()
        return [(a.step, a.kind) for a in monitor.alerts if a.kind in BELL]

    first = bells(20, overfitting_curves(n=70, onset=25, seed=1))
    assert len(first) == 1 and first[0][1] == "overfitting"
    better = bells(20, overfitting_curves(n=70, onset=45, seed=1, floor=0.15))  # learned more after the resume
    assert len(better) == 2 and better[1][0] > 45
    afresh = bells(0, overfitting_curves(n=70, onset=35, seed=1))  # a new job in the same folder, its own onset
    assert len(afresh) == 2 and afresh[1][0] > 35
