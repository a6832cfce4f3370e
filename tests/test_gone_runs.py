"""A run whose folder is deleted while watched is `gone`, not `unreadable`: its files vanished with the folder,
which the age column and `watch --plain` say, and no file of it was refused."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import until

from tui.app.app import LossWatchApp
from tui.live.monitor import Monitor
from tui.sources.tensorboard.writer import EventWriter


def _write(folder: Path, steps: int = 20) -> None:
    writer = EventWriter(str(folder))
    for step in range(steps):
        writer.add_scalar("train/loss", 1.0 / (step + 1), step, wall_time=1000.0 + step)
        writer.add_scalar("val/loss", 1.1 / (step + 1), step, wall_time=1000.0 + step)
    writer.close()


def test_a_deleted_folder_leaves_its_run_gone_with_no_read_error(tmp_path: Path):
    for name in ("kept", "doomed"):
        _write(tmp_path / name)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    shutil.rmtree(tmp_path / "doomed")
    monitor.read()  # a file event for the deleted file comes before the rescan that finds the folder gone
    monitor.refresh()
    run = monitor.store.runs["doomed"]
    assert run.gone and run.has_points
    assert run.errors == []
    assert monitor.store.runs["kept"].errors == [] and not monitor.store.runs["kept"].gone


async def test_the_tui_shows_a_deleted_folders_run_as_gone_not_unreadable(tmp_path: Path):
    """The table flagged it `unreadable` and the status line said "1 unreadable" (at first "doomed: file
    vanished"), while its age read `gone` and `watch --plain` said `gone: its folder is gone`."""
    for name in ("kept", "doomed"):
        _write(tmp_path / name)
    app = LossWatchApp(Monitor(str(tmp_path)), bell=False)  # watched: watchdog's events drive the rounds
    async with app.run_test(size=(160, 30)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 2 and app.table._rows["doomed"].step == 19, "the runs")
        shutil.rmtree(tmp_path / "doomed")
        await until(pilot, lambda: app.table._rows.get("doomed") is not None and app.table._rows["doomed"].gone, "gone")
        for _ in range(6):  # the trouble check runs every second, the status line four times a second
            await pilot.pause(0.25)
        row = app.table._rows["doomed"]
        assert not row.unreadable and not row.trouble
        assert app.trouble == (0, 0, 1)
        status = str(app.query_one("#status").render())
        assert "unreadable" not in status and "vanished" not in status
        assert "2 runs, 1 gone" in status  # the ``!`` after its name is counted, as a damaged run's is
        assert "unreadable" not in app.table.get_cell("doomed", "flags").plain
        assert app.table.get_cell("doomed", "age").plain == "gone"


async def test_a_gone_runs_mark_is_explained_on_the_status_line_at_80_columns(tmp_path: Path):
    """At 80 columns the table drops its flags and age columns: the ``!`` after a gone run's name was explained
    nowhere, and the status line said only "2 runs"."""
    for name in ("kept", "doomed"):
        _write(tmp_path / name)
    app = LossWatchApp(Monitor(str(tmp_path)), bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 2 and app.table._rows["doomed"].step == 19, "the runs")
        while app.table.selected != "doomed":
            await pilot.press("down")
        shutil.rmtree(tmp_path / "doomed")
        await until(pilot, lambda: "1 gone" in str(app.query_one("#status").render()), "the count")
        assert "flags" not in app.table.shown_columns and "age" not in app.table.shown_columns
        status = str(app.query_one("#status").render())
        assert "doomed: its logs are gone (its folder or its log files were deleted); showing what was read" in status


def test_a_deleted_log_file_in_a_folder_that_stays_is_gone_and_said_so(tmp_path: Path):
    """A Lightning log deleted while its folder (and its hparams.yaml) stays: `gone` (not unreadable)."""
    folder = tmp_path / "lightning_logs" / "version_0"
    folder.mkdir(parents=True)
    (folder / "hparams.yaml").write_text("lr: 0.1\n")
    (folder / "metrics.csv").write_text("epoch,step,train_loss,val_loss\n0,9,1.0,\n0,9,,1.2\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    (folder / "metrics.csv").unlink()
    monitor.refresh()
    [run] = monitor.store.runs.values()
    assert run.gone and not run.errors  # gone, in words that name log files (``kinds.GONE``), not unreadable


def _write_later(folder: Path, steps: int, wall: float) -> None:
    """A new job's event file (its own name: the writer puts the time it was made in it)."""
    writer = EventWriter(str(folder))
    for step in range(steps):
        writer.add_scalar("train/loss", 2.0 / (step + 1), step, wall_time=wall + step)
        writer.add_scalar("val/loss", 2.2 / (step + 1), step, wall_time=wall + step)
    writer.close()


def test_a_run_deleted_and_written_again_is_read_from_its_new_files_with_no_trouble(tmp_path: Path):
    """A hostile tester's find: deleted (gone) and written again, a run kept the flag `unreadable` ("file
    vanished") for good, in the TUI and `watch --plain`, where `check` read it clean. Its old file is set aside;
    the new job's points are the run's."""
    for name in ("kept", "again"):
        _write(tmp_path / name)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    shutil.rmtree(tmp_path / "again")
    monitor.refresh()
    assert monitor.store.runs["again"].gone and monitor.store.runs["again"].has_points
    _write_later(tmp_path / "again", 5, 5000.0)
    monitor.refresh()
    monitor.refresh()
    run = monitor.store.runs["again"]
    assert not run.gone and run.errors == [] and len(run.files) == 1
    assert run.scalars["train/loss"].values.tolist() == pytest.approx([2.0 / (step + 1) for step in range(5)])
    whole = Monitor(str(tmp_path))
    whole.refresh()
    assert whole.verdict("again") == monitor.verdict("again")


async def test_a_narrow_tables_flags_say_gone_where_the_age_column_was_dropped(tmp_path: Path):
    """At 80 to 100 columns the age column (the only place that said `gone`) is the first dropped: a deleted run's
    row looked as before, although `check` and the README list `gone` among the flags."""
    for name in ("kept", "doomed"):
        _write(tmp_path / name)
    app = LossWatchApp(Monitor(str(tmp_path)), bell=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 2 and app.table._rows["doomed"].step == 19, "the runs")
        shutil.rmtree(tmp_path / "doomed")
        await until(pilot, lambda: "gone" in app.table.get_cell("doomed", "flags").plain, "gone among the flags")
        assert "gone" not in app.table.get_cell("kept", "flags").plain


async def test_at_80_columns_a_gone_runs_name_is_marked_as_a_damaged_runs_is(tmp_path: Path):
    """At 80 columns the flags column goes too: a deleted run's row showed no sign it was gone."""
    kept, doomed = "resnet50-cifar100-kept", "resnet50-cifar100-doomed"  # names long enough to crowd the flags out
    for name in (kept, doomed):
        _write(tmp_path / name)
    app = LossWatchApp(Monitor(str(tmp_path)), bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 2 and app.table._rows[doomed].step == 19, "the runs")
        assert "flags" not in app.table.shown_columns and "age" not in app.table.shown_columns
        assert not app.table.get_cell(doomed, "run").plain.endswith(" !")
        shutil.rmtree(tmp_path / doomed)
        await until(pilot, lambda: app.table.get_cell(doomed, "run").plain.endswith(" !"), "the trouble mark")
        assert not app.table.get_cell(kept, "run").plain.endswith(" !")


@pytest.mark.parametrize("how", ["emptied in place", "replaced by a new empty file"])
def test_a_csv_log_emptied_to_be_written_again_is_no_run_gone(tmp_path: Path, how: str):
    """Keras' CSVLogger opens its log with "w" when a job starts again in its folder (so does ``cat new > log``):
    between the truncation and the header the file is empty, and the run was said gone, then read on unsaid. A
    log deleted and made again (a job that removes its old log first, a file moved over it) was gone the same way."""
    rows = ["epoch,loss,val_loss", *(f"{epoch},{1 - epoch * 0.05},{1 - epoch * 0.04}" for epoch in range(8))]
    for name in ("kept", "again"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "training.log").write_text("\n".join(rows) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    log = tmp_path / "again" / "training.log"
    if how == "emptied in place":
        log.write_text("")  # the job started again: truncated, header not yet written
    else:
        (tmp_path / "again" / "new.tmp").write_text("")
        os.replace(tmp_path / "again" / "new.tmp", log)  # another file at the same path: another identity
    monitor.refresh()
    assert not monitor.store.runs["again"].gone
    (tmp_path / "again" / "training.log").write_text("\n".join(rows[:5]) + "\n")
    monitor.refresh()
    run = monitor.store.runs["again"]
    assert not run.gone and run.scalars["val_loss"].steps.tolist() == [0, 1, 2, 3]


def test_a_csv_log_deleted_leaves_its_run_gone(tmp_path: Path):
    """...while one deleted is gone, as a deleted event file's run is."""
    (tmp_path / "doomed").mkdir()
    (tmp_path / "doomed" / "training.log").write_text("epoch,loss,val_loss\n0,1.0,1.1\n1,0.9,1.0\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    (tmp_path / "doomed" / "training.log").unlink()
    monitor.refresh()
    assert monitor.store.runs["doomed"].gone
