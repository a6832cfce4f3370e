"""``export -o FILE`` replaces FILE only with a whole table: stopped or failing half-way (Ctrl-C, a full disk, a
file-size limit), the old file stays as it was and no part of the new one is left beside it."""

from __future__ import annotations

import errno
import os
import resource
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA

from tui.cli.export import export_scalars


def parts(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.endswith(".part")]


def test_an_export_that_cannot_be_written_whole_keeps_the_old_file(tmp_path: Path):
    """Past the size the process may write (as on a full disk) the old file was gone, a cut table in its place."""
    out = tmp_path / "points.csv"
    out.write_text("old\n")

    def limit() -> None:  # EFBIG on the write past 4 kB, not the signal that would kill the process
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = subprocess.run(
        [sys.executable, "-m", "tui", "export", str(DATA / "torch"), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"losswatch: {out}: ")
    assert out.read_text() == "old\n" and parts(tmp_path) == []


def test_an_export_stopped_half_way_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Ctrl-C while the table is written (a KeyboardInterrupt, or the signal handler's exit, mid-row)."""
    out = tmp_path / "points.csv"
    out.write_text("old\n")
    write = pd.DataFrame.to_csv

    def stopped(frame: pd.DataFrame, path: str, **options: object) -> None:
        write(frame.head(3), path, **options)
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", stopped)
    with pytest.raises(KeyboardInterrupt):
        export_scalars(str(DATA / "torch"), str(out))
    assert out.read_text() == "old\n" and parts(tmp_path) == []


def test_a_whole_export_replaces_the_file_keeping_its_mode_and_a_link_to_it(tmp_path: Path):
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    rows = export_scalars(str(DATA / "torch"), str(link))
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("run,tag,step,value,wall_time\n") and real.read_text().count("\n") == rows + 1
    assert stat.S_IMODE(real.stat().st_mode) == 0o640 and parts(tmp_path) == []


def test_an_export_into_a_fifo_writes_into_it_and_leaves_it_a_fifo(tmp_path: Path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    rows = export_scalars(str(DATA / "torch"), str(fifo))
    reader.join(30)
    assert got and got[0].count(b"\n") == rows + 1
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and parts(tmp_path) == []


def test_a_file_shared_by_hard_links_is_written_in_place_so_every_name_sees_the_table(tmp_path: Path):
    """A new file took the name: the other link still read the old table."""
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("old\n")
    os.link(first, second)
    rows = export_scalars(str(DATA / "torch"), str(first))
    assert second.read_text() == first.read_text() and first.read_text().count("\n") == rows + 1
    assert first.stat().st_ino == second.stat().st_ino and parts(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_file_owned_by_another_user_keeps_its_owner(tmp_path: Path):
    """``sudo losswatch export -o ~/x.csv`` handed the user's file to root."""
    out = tmp_path / "theirs.csv"
    out.write_text("old\n")
    os.chown(out, 65534, 65534)
    export_scalars(str(DATA / "torch"), str(out))
    assert (out.stat().st_uid, out.stat().st_gid) == (65534, 65534)
    assert out.read_text().startswith("run,tag,step") and parts(tmp_path) == []


def test_a_rename_the_system_refuses_is_a_copy_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """EBUSY for a file bind-mounted (a container's ``-v ./points.csv:/out/points.csv``), EPERM for another's file
    in a sticky folder: the export failed where writing in place had worked."""
    out = tmp_path / "points.csv"
    out.write_text("old\n")

    def refused(source: str, target: str) -> None:
        raise OSError(errno.EBUSY, "Device or resource busy", target)

    monkeypatch.setattr(os, "replace", refused)
    rows = export_scalars(str(DATA / "torch"), str(out))
    assert out.read_text().count("\n") == rows + 1 and parts(tmp_path) == []
