"""An event file written over in place (a job restarted with ``open(path, "wb")``, same inode) between two reads:
read again from its start. It was read on from the old position once it had grown past it (the two attempts
spliced: a false ``diverging`` bell), and never again when it came back to the same length."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tensorboardX import SummaryWriter

from tui.live.monitor import Monitor


def _attempt(folder: Path, scale: float, epochs: int, started: float) -> bytes:
    """The bytes a writer started at ``started`` leaves for ``epochs`` epochs of loss at ``scale``."""
    with SummaryWriter(str(folder)) as writer:
        for epoch in range(epochs):
            writer.add_scalar("train_loss", scale * 2 / (1 + 0.05 * epoch), epoch, walltime=started + epoch)
            writer.add_scalar("val_loss", scale * 2.1 / (1 + 0.05 * epoch), epoch, walltime=started + epoch)
    (path,) = folder.iterdir()
    return path.read_bytes()


@pytest.mark.parametrize("epochs", [25, 20, 15], ids=["longer", "as-long", "shorter"])
def test_an_event_file_written_over_in_place_is_read_from_its_start(tmp_path: Path, epochs: int):
    first = _attempt(tmp_path / "first", 1.0, 20, 1.7e9)
    second = _attempt(tmp_path / "second", 3.0, epochs, 1.7e9 + 3600)
    path = tmp_path / "root" / "run" / "events.out.tfevents.1700000000.host.1.0"
    path.parent.mkdir(parents=True)
    path.write_bytes(first)
    os.utime(path, (1.7e9 + 20, 1.7e9 + 20))
    monitor = Monitor(str(tmp_path / "root"))
    monitor.refresh()
    inode = os.stat(path).st_ino
    with open(path, "r+b") as handle:  # in place: truncated and written again, the same file
        handle.truncate(0)
        handle.write(second)
    os.utime(path, (1.7e9 + 3600 + epochs, 1.7e9 + 3600 + epochs))  # the new job's writes give it a later time
    assert os.stat(path).st_ino == inode
    monitor.refresh()
    values = monitor.store.runs["run"].scalars["val_loss"].arrays()[1].tolist()
    assert [round(v, 4) for v in values] == [round(3.0 * 2.1 / (1 + 0.05 * e), 4) for e in range(epochs)]
    assert not [alert for alert in monitor.alerts if alert.kind == "diverging"]
    assert not monitor.store.runs["run"].damaged  # its points replaced, not cut short (a review's find)
