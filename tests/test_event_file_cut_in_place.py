"""An event file cut short in place while watched (``truncate``, a copy stopped half-way over it): read again from
its start up to its new end, the points read past it stand, as for a file written over, but nothing said so: the
live view showed the run as whole while ``check`` of the same folder read half of it (a QA pass)."""

from __future__ import annotations

import os
from pathlib import Path

from servers import Sshd

from tui.live.monitor import Monitor
from tui.sources.roots.ssh import SshRoot
from tui.sources.tensorboard.writer import EventWriter


def _write(folder: Path, steps: range) -> Path:
    writer = EventWriter(str(folder))
    for step in steps:
        writer.add_scalar("loss", 1.0 / (step + 1), step, wall_time=1000.0 + step)
        writer.add_scalar("val_loss", 1.1 / (step + 1), step, wall_time=1000.0 + step)
    writer.close()
    (path,) = folder.glob("*tfevents*")
    return path


def test_a_file_cut_short_in_place_is_said_and_what_was_read_stands(tmp_path: Path):
    path = _write(tmp_path / "run", range(40))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    size = path.stat().st_size
    os.truncate(path, size // 2)
    monitor.refresh()
    run = monitor.store.runs["run"]
    assert run.scalars["val_loss"].steps.tolist() == list(range(40))  # nothing already read is lost
    assert run.damaged
    lost = size - size // 2
    assert run.damage_note() == (
        f"its file is {lost:,} byte(s) shorter than what was read (cut short in place): what was read of it "
        "before stands"
    )


def test_a_file_written_again_to_where_it_was_read_is_whole_again(tmp_path: Path):
    """Written again up to where it had been read (a copy finished over it): no longer cut."""
    path = _write(tmp_path / "run", range(40))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    data = path.read_bytes()
    os.truncate(path, len(data) // 2)
    monitor.refresh()
    with open(path, "r+b") as handle:
        handle.write(data)  # whole again, to where it was read: the cut is gone
    monitor.refresh()
    assert not monitor.store.runs["run"].damaged


def test_a_file_cut_below_its_first_bytes_read_is_said_too(tmp_path: Path):
    """Its first 256 bytes are what tells a cut from a new job's file: a file cut shorter than them read as
    rewritten, and nothing was said (a review's find)."""
    path = _write(tmp_path / "run", range(40))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    os.truncate(path, 200)
    monitor.refresh()
    run = monitor.store.runs["run"]
    assert run.damaged and "shorter than what was read (cut short in place)" in run.damage_note()


def test_a_file_cut_short_over_ssh_is_said_as_locally(sshd: Sshd, tmp_path: Path):
    """A remote root gives a file that shrank a new identity: every cut read as a file replaced (a review's find)."""
    path = _write(tmp_path / "logs" / "run", range(40))
    root = SshRoot("lwtest", str(tmp_path / "logs"))
    try:
        remote = Monitor(root)
        remote.refresh()
        os.truncate(path, path.stat().st_size // 2)
        remote.refresh()
    finally:
        root.close()
    run = remote.store.runs["run"]
    assert run.scalars["val_loss"].steps.tolist() == list(range(40))
    assert run.damaged and "shorter than what was read (cut short in place)" in run.damage_note()


def test_a_file_emptied_then_written_by_a_new_job_over_ssh_is_no_cut(sshd: Sshd, tmp_path: Path):
    """Found empty, it told nothing of a cut, and a remote root never looks at a file's first bytes again: the new
    job's file read on as one cut short (a review's find)."""
    path = _write(tmp_path / "logs" / "run", range(40))
    root = SshRoot("lwtest", str(tmp_path / "logs"))
    try:
        remote = Monitor(root)
        remote.refresh()
        os.truncate(path, 0)
        remote.refresh()
        path.write_bytes(_write(tmp_path / "new", range(10, 20)).read_bytes())  # another job's file, same path
        remote.refresh()
    finally:
        root.close()
    assert not remote.store.runs["run"].damaged
