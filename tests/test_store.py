"""The state store: memory per point, notifications, restarts (purge), monitor round trips."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from conftest import file_version_event, scalar_event, scalar_run, write_records

from tui.live.monitor import Monitor
from tui.sources.points import Decoded
from tui.store import Store
from tui.store.series import Series


def test_memory_per_scalar_point_is_at_most_24_bytes():
    n = 1_000_000
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    series = Series()
    steps = np.arange(1000, dtype=np.int64)
    values = np.ones(1000)
    for start in range(0, n, 1000):
        series.extend(steps + start, values, values)
    series.arrays()  # readers fold the tail into exact-size arrays
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(series) == n
    assert series.nbytes <= 24 * n
    assert (after - before) / n <= 24.5  # the arrays plus a few small objects


def test_a_bulk_load_is_kept_as_it_comes_and_cannot_change_after():
    """A first read's million points are not copied again; the reader can no longer write into them, and a
    slice of a bigger array is copied (keeping it would keep the whole array alive)."""
    n = 100_000
    steps, walls, values = np.arange(n, dtype=np.int64), np.full(n, 5.0), np.linspace(0.0, 1.0, n)
    series = Series()
    series.extend(steps, walls, values)
    kept_steps, kept_values, kept_walls = series.arrays()
    assert kept_steps is steps and kept_values is values and kept_walls is walls
    with pytest.raises(ValueError):
        values[0] = 7.0
    bigger = np.arange(2 * n, dtype=np.int64)
    sliced = Series()
    sliced.extend(bigger[:n], np.full(n, 1.0), np.zeros(n, dtype=np.float32))
    held, zeros, _ = sliced.arrays()
    assert not np.shares_memory(held, bigger) and zeros.dtype == np.float64
    bigger[0] = 99
    assert held[0] == 0
    sliced.extend(np.arange(n, 2 * n), np.ones(n), np.ones(n))  # a second bulk load joins the first
    assert sliced.arrays()[0].tolist() == list(range(2 * n))


def test_appends_are_visible_and_ordered():
    series = Series()
    for i in range(100):
        series.append(i, 10.0 + i, float(i) / 2)
        if i % 7 == 0:
            series.arrays()
    steps, values, walls = series.arrays()
    assert steps.tolist() == list(range(100))
    assert values.tolist() == [i / 2 for i in range(100)]
    assert walls[5] == 15.0


def test_apply_says_which_run_and_tags_changed():
    store = Store()
    decoded = Decoded()
    decoded.add_scalar("loss", 1, 1.0, 0.5)
    change = store.apply("run-a", decoded)
    assert change.run == "run-a" and change.tags == {"loss"} and change.new_run and change.purged_from is None
    again = Decoded()
    again.add_scalar("loss", 2, 2.0, 0.4)
    assert not store.apply("run-a", again).new_run


def test_restart_purges_points_from_the_restart_step_on():
    store = Store()
    first = Decoded()
    for step in range(10):
        first.add_scalar("loss", step, float(step), 1.0)
        first.add_scalar("val_loss", step, float(step), 2.0)
    store.apply("r", first)
    again = Decoded()
    for step in range(6, 8):
        again.add_scalar("loss", step, 100.0 + step, 9.0)
    change = store.apply("r", again)
    assert change.purged_from == 6
    run = store.runs["r"]
    assert run.scalars["loss"].steps.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert run.scalars["loss"].values.tolist()[-2:] == [9.0, 9.0]
    # The other curve loses its points from the restart on too: they belong to the abandoned attempt.
    assert run.scalars["val_loss"].steps.tolist() == [0, 1, 2, 3, 4, 5]


def test_a_step_written_again_is_no_restart_and_the_repeat_is_dropped():
    """Lightning logs ``epoch`` with every call: twice at a step where validation ends on a logging step. Taken
    for a restart, it purged every curve from that step on (a Lightning run ended ``waiting`` with its losses
    gone); TensorBoard purges only when a step goes below the newest."""
    store = Store()
    batch = Decoded()
    for step in (49, 99, 149):
        batch.add_scalar("train_loss_step", step, float(step), 1.0)
        batch.add_scalar("epoch", step, float(step), 0.0)
    batch.add_scalar("val_loss", 149, 150.0, 2.0)
    batch.add_scalar("epoch", 149, 150.0, 0.0)  # the validation call's epoch, at the same step
    change = store.apply("r", batch)
    assert change.purged_from is None
    again = Decoded()  # the repeat may come in the next read too
    again.add_scalar("epoch", 149, 151.0, 0.0)
    again.add_scalar("train_loss_epoch", 150, 151.0, 0.9)
    again.add_scalar("epoch", 150, 151.0, 0.0)
    assert store.apply("r", again).purged_from is None
    run = store.runs["r"]
    assert run.restarts == 0
    assert run.scalars["train_loss_step"].steps.tolist() == [49, 99, 149]
    assert run.scalars["val_loss"].steps.tolist() == [149]
    assert run.scalars["epoch"].steps.tolist() == [49, 99, 149, 150]
    assert run.scalars["epoch"].walls.tolist() == [49.0, 99.0, 149.0, 151.0]  # the first of a step's points stays


def test_lightning_tensorboard_logs_keep_every_curve(tmp_path: Path):
    """As Lightning's TensorBoardLogger writes with ``log_every_n_steps=50`` and 300 batches an epoch: step losses
    at 49, 99, ..., validation at the epoch's last batch (a logging step), the epoch loss at the next step, and
    ``epoch`` with each of them."""
    run = tmp_path / "lightning_logs" / "version_0"
    run.mkdir(parents=True)
    payloads, step = [file_version_event()], 0
    for epoch in range(30):
        for batch in range(300):
            if (step + 1) % 50 == 0:
                payloads += [
                    scalar_event("train_loss_step", step, 1.0 / (1 + step / 300)),
                    scalar_event("epoch", step, epoch),
                ]
            if batch == 299:
                val = 0.5 + 0.02 * abs(epoch - 12)
                payloads += [scalar_event("val_loss", step, val), scalar_event("epoch", step, epoch)]
            step += 1
        payloads += [scalar_event("train_loss_epoch", step, 1.0 / (1 + epoch)), scalar_event("epoch", step, epoch)]
    write_records(run / "events.out.tfevents.1000.host.1.0", payloads)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    stored = monitor.store.runs["lightning_logs/version_0"]
    assert len(stored.scalars["val_loss"]) == 30 and len(stored.scalars["train_loss_epoch"]) == 30
    assert len(stored.scalars["train_loss_step"]) == 30 * 6
    verdict = monitor.verdict("lightning_logs/version_0")
    assert (verdict.train_tag, verdict.val_tag, verdict.kind) == ("train_loss_epoch", "val_loss", "overfitting")


def test_restarted_job_second_file_replaces_overlap(tmp_path: Path):
    run = tmp_path / "job"
    scalar_run(run, {"loss": [5.0, 4.0, 3.0, 2.0, 1.0]}, wall0=1000)
    second = run / "events.out.tfevents.2000.host.2.0"
    write_records(second, [file_version_event()] + [scalar_event("loss", s, 10.0 + s, 2000 + s) for s in (3, 4, 5)])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    series = monitor.store.runs["job"].scalars["loss"]
    assert series.steps.tolist() == [0, 1, 2, 3, 4, 5]
    assert series.values.tolist() == [5.0, 4.0, 3.0, 13.0, 14.0, 15.0]


def _two_attempts_in_one_event_file(run: Path) -> None:
    payloads = [file_version_event()]
    for k, step in enumerate([*range(20), *range(5, 30)]):
        attempt = 1.0 if k < 20 else 2.0
        payloads += [scalar_event(tag, step, attempt, 1000.0 + k) for tag in ("train_loss", "val_loss")]
    write_records(run / "events.out.tfevents.1000.host.1.0", payloads)


def _keras_csv_log_resumed_at_epoch_5(run: Path) -> None:
    """Keras ``CSVLogger(append=True)`` after a resume from the epoch-5 checkpoint: epochs 0-19, then 5-29."""
    rows = ["epoch,accuracy,loss,val_accuracy,val_loss"]
    for k, epoch in enumerate([*range(20), *range(5, 30)]):
        attempt = 1.0 if k < 20 else 2.0
        rows.append(f"{epoch},{attempt},{attempt},{attempt},{attempt}")
    (run / "history.csv").write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize("write", [_two_attempts_in_one_event_file, _keras_csv_log_resumed_at_epoch_5])
def test_a_restart_inside_one_file_keeps_every_curve_of_the_second_attempt(tmp_path: Path, write):
    """Both attempts read in one batch: each tag's restart used to purge the points the tags read before it had
    just added after the restart (every curve but the last kept steps 0-4 only)."""
    run = tmp_path / "resumed"
    run.mkdir()
    write(run)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    scalars = monitor.store.runs["resumed"].scalars
    assert len(scalars) >= 2
    for tag, series in scalars.items():
        assert series.steps.tolist() == list(range(30)), tag
        assert series.values.tolist() == [1.0] * 5 + [2.0] * 25, tag


def test_monitor_reads_only_new_bytes_and_keeps_points(tmp_path: Path):
    path = scalar_run(tmp_path / "r", {"loss": [3.0, 2.0]})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    with open(path, "ab") as handle:
        from conftest import frame

        handle.write(frame(scalar_event("loss", 2, 1.0, 1002.0)))
    _, changes, _ = monitor.refresh()
    assert [c.run for c in changes] == ["r"]
    assert monitor.store.runs["r"].scalars["loss"].values.tolist() == [3.0, 2.0, 1.0]
    _, changes, _ = monitor.refresh()
    assert changes == []


def test_deleted_file_keeps_what_was_read(tmp_path: Path):
    path = scalar_run(tmp_path / "r", {"loss": [3.0, 2.0]})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    path.unlink()
    (tmp_path / "r").rmdir()
    monitor.refresh()
    run = monitor.store.runs["r"]
    assert run.gone
    assert run.scalars["loss"].values.tolist() == [3.0, 2.0]


def _attempt(start: int, stop: int, shift: float, wall0: float) -> list[bytes]:
    """Validation every 100 steps (first at a step's head: a job that validates on resume), training every 10."""
    events = [file_version_event()]
    for step in range(start, stop + 1):
        if step % 100 == 0:
            events.append(scalar_event("val_loss", step, 1.0 / (1 + step / 500) + shift, wall0 + step))
        if step % 10 == 0:
            events.append(scalar_event("train_loss", step, 1.0 / (1 + step / 400) + shift, wall0 + step))
    return events


def test_a_job_resumed_at_its_last_validation_step_keeps_every_point_of_its_new_file(tmp_path: Path):
    """Resumed at step 1000 (its last validation), validating first: the new file's validation at 1000 was dropped
    as a repeat, then training's restart at 1000 purged the new validation points read before it (a reviewer's
    find: an overfitting run read 'learning')."""
    run = tmp_path / "run"
    run.mkdir()
    write_records(run / "events.out.tfevents.1000.host.1.0", _attempt(0, 1050, 0.0, 1000.0))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    write_records(run / "events.out.tfevents.2000.host.2.0", _attempt(1000, 1500, 0.5, 5000.0))
    monitor.refresh()
    stored = monitor.store.runs["run"]
    val_steps, val_values, _ = stored.scalars["val_loss"].arrays()
    assert val_steps.tolist()[-6:] == [1000, 1100, 1200, 1300, 1400, 1500]
    assert val_values[-6] == pytest.approx(1.0 / 3 + 0.5)  # the new attempt's, not the old one's
    assert stored.scalars["train_loss"].steps.tolist()[-51:] == list(range(1000, 1501, 10))


def test_a_new_files_first_point_at_the_last_step_is_the_new_attempts(tmp_path: Path):
    """A job resumed at its last step whose first log there is NaN: the point was dropped as a repeat (the old
    value kept), and the blow-up never rang. Within one file a repeat stays a repeat (Lightning's ``epoch``)."""
    run = tmp_path / "r"
    run.mkdir()
    events = [file_version_event()]
    for step in range(101):
        events.append(scalar_event("loss", step, 2.0 / (1 + step / 20), 1000.0 + step))
        if step % 10 == 0:
            events.append(scalar_event("val_loss", step, 2.1 / (1 + step / 20), 1000.0 + step))
    write_records(run / "events.out.tfevents.1000.host.1.0", events)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    # (written at 5000, as its name says: a resumed job writes after the old one's last point, at 1100)
    write_records(
        run / "events.out.tfevents.5000.host.2.0", [file_version_event(), scalar_event("loss", 100, np.nan, 5000.0)]
    )
    monitor.refresh()
    assert np.isnan(monitor.store.runs["r"].scalars["loss"].values[-1])
    assert [(a.step, a.kind) for a in monitor.alerts] == [(100, "diverging")]
    # Resumed again at that step, its new file's header read a poll before its first point (PyTorch's writer
    # flushes the header when it creates the file): the point was dropped as a repeat and the second blow-up lost.
    header_first = run / "events.out.tfevents.9000.host.3.0"
    write_records(header_first, [file_version_event()])
    monitor.refresh()
    write_records(header_first, [scalar_event("loss", 100, np.nan, 9000.0)], "ab")
    monitor.refresh()
    assert monitor.store.runs["r"].restarts == 2
    assert [(a.step, a.kind) for a in monitor.alerts] == [(100, "diverging"), (100, "diverging")]


@pytest.mark.parametrize("behind", [0.0, 0.001, 0.5])
def test_two_ranks_writing_the_same_steps_read_live_as_read_whole(tmp_path: Path, behind: float):
    """Two ranks log every step into one folder, each its own values, rank 1 ``behind`` seconds after rank 0. Read
    whole, the second file is all behind the first: a second writer's, dropped. Read live, the second file's first
    point came at the step just read from the first — a new file repeating the last step, taken for a resumed job's
    new attempt — and replaced rank 0's start: the curves, and so the reason's numbers, differed from ``check``'s. A
    resumed job makes its new file after the point it repeats; both ranks made theirs as the job started."""
    run = tmp_path / "run"
    run.mkdir()
    rank0, rank1 = run / "events.out.tfevents.1000.host.1.0", run / "events.out.tfevents.1000.host2.2.0"
    for path in (rank0, rank1):
        write_records(path, [file_version_event()])
    live = Monitor(str(tmp_path))
    live.refresh()
    for step in range(30):
        for path, value, late in ((rank0, 2.0 / (1 + step), 0.0), (rank1, 2.1 / (1 + step), behind)):
            write_records(path, [scalar_event("loss", step, value, 1000.0 + step + late)], "ab")
        live.refresh()
    whole = Monitor(str(tmp_path))
    whole.refresh()
    expected = [2.0 / (1 + step) for step in range(30)]
    for monitor in (live, whole):
        series = monitor.store.runs["run"].scalars["loss"]
        np.testing.assert_allclose(series.values, expected, rtol=1e-6)  # rank 0's (float32 as written)
        assert monitor.store.runs["run"].restarts == 0
