"""The source interface: a local root, streams that read only what is new, formats found side by side."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from conftest import frame, points, scalar_event, scalar_run

from tui.live.monitor import Monitor
from tui.sources.base import Source
from tui.sources.formats import find_sources, open_stream
from tui.sources.roots import local as local_module
from tui.sources.roots.base import Root
from tui.sources.roots.local import LocalRoot


def test_local_root_lists_every_regular_file_relative_and_once(tmp_path: Path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.csv").write_text("1")
    (tmp_path / "top.txt").write_text("22")
    os.symlink(tmp_path, tmp_path / "a" / "loop")  # a loop back to the top
    os.symlink(tmp_path / "a", tmp_path / "z")  # a second link to a folder already walked
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    listing = LocalRoot(str(tmp_path)).list()
    assert sorted(listing.files) == ["a/b/x.csv", "top.txt"]
    assert listing.files["top.txt"].size == 2
    assert not listing.missing


def test_local_root_says_when_it_is_missing(tmp_path: Path):
    listing = LocalRoot(str(tmp_path / "gone")).list()
    assert listing.missing and listing.errors == {".": "no such folder"}


def test_local_root_reads_ranges_and_notices_a_replaced_file(tmp_path: Path):
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    root = LocalRoot(str(tmp_path))
    first = root.stat("f")
    assert root.read("f", 3, 4) == b"3456"
    assert root.read("f", 8, 100) == b"89"
    replacement = tmp_path / "f.new"
    replacement.write_bytes(b"abc")
    os.replace(replacement, path)
    second = root.stat("f")
    assert second.identity != first.identity
    assert root.read("f", 0, 10) == b"abc"  # not the old file through a kept handle


def test_local_root_keeps_few_handles_and_pickles_without_them(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(local_module, "OPEN_FILES", 3)
    root = LocalRoot(str(tmp_path))
    for i in range(10):
        (tmp_path / f"f{i}").write_bytes(b"x")
        assert root.read(f"f{i}", 0, 1) == b"x"
    assert len(root._handles) == 3
    copy = pickle.loads(pickle.dumps(root))
    assert copy.folder == root.folder and copy._handles == {}
    root.close()
    assert root._handles == {}


def test_a_stream_reads_only_what_was_appended_and_changed_is_one_stat(tmp_path: Path):
    path = scalar_run(tmp_path / "run", {"loss": [1.0, 0.5]})
    root = LocalRoot(str(tmp_path))
    [source] = find_sources(root, root.list()).sources
    assert (source.run, source.format, source.paths) == ("run", "tensorboard", ("run/" + path.name,))
    stream = open_stream(source)
    assert stream.changed(root)
    first = [points(d, "loss") for d in stream.read(root)]
    assert [p[2] for batch in first for p in batch] == [1.0, 0.5]
    assert not stream.changed(root)
    assert [points(d, "loss") for d in stream.read(root) if d.scalars] == []
    with open(path, "ab") as handle:
        handle.write(frame(scalar_event("loss", 2, 0.25, 3.0)))
    assert stream.changed(root)
    assert [p for d in stream.read(root) for p in points(d, "loss")] == [(2, 3.0, 0.25)]
    copy = pickle.loads(pickle.dumps(stream))  # workers send streams back: the position travels
    assert copy.position == stream.position > 0


def test_a_vanished_file_is_reported_once_and_keeps_what_was_read(tmp_path: Path):
    path = scalar_run(tmp_path / "run", {"loss": [1.0]})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    path.unlink()
    assert monitor.read(None, only_grown=True) == ([], [])
    assert monitor.store.runs["run"].errors == ["file vanished (points read so far are kept)"]
    assert len(monitor.store.runs["run"].scalars["loss"]) == 1
    assert [s for s in monitor.streams.values() if s.changed(monitor.root)] == []  # said once


class _NoLocalPaths(Root):
    """A root with no local paths, as an object store or a folder over SSH has: nothing is watched by path."""

    def __init__(self, folder: str, label: str) -> None:
        super().__init__(label)
        self._files = LocalRoot(folder)

    def list(self):
        return self._files.list()

    def stat(self, path):
        return self._files.stat(path)

    def read(self, path, offset, size):
        return self._files.read(path, offset, size)


def test_the_monitor_reads_through_any_root(tmp_path: Path):
    path = scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.1, 1.0]})
    monitor = Monitor(_NoLocalPaths(str(tmp_path), "box:/runs"))
    new_runs, _, _ = monitor.refresh()
    assert [(n.run, n.path) for n in new_runs] == [("r", "box:/runs/r")]
    assert len(monitor.store.runs["r"].scalars["val_loss"]) == 2
    with open(path, "ab") as handle:
        handle.write(frame(scalar_event("val_loss", 2, 0.8, 5.0)))
    monitor.refresh()
    assert len(monitor.store.runs["r"].scalars["val_loss"]) == 3


def test_a_run_name_two_formats_claim_is_told_apart(tmp_path: Path):
    from tui.sources.base import Format, Found

    class Twin(Format):
        name = "twin"

        def discover(self, root, listing):
            return Found([Source("twin", "x", "r", paths=("x",))])

        def open(self, source):
            raise NotImplementedError

    scalar_run(tmp_path / "r", {"loss": [1.0]})
    root = LocalRoot(str(tmp_path))
    from tui.sources.formats import FORMATS

    found = find_sources(root, root.list(), (*FORMATS, Twin()))
    assert sorted(s.run for s in found.sources) == ["r", "r [twin]"]


def test_a_format_that_fails_is_a_note_and_the_others_still_count(tmp_path: Path):
    from tui.sources.base import Format
    from tui.sources.formats import FORMATS

    class Broken(Format):
        name = "broken"

        def discover(self, root, listing):
            raise ValueError("bad day")

        def open(self, source):
            raise NotImplementedError

    scalar_run(tmp_path / "r", {"loss": [1.0]})
    root = LocalRoot(str(tmp_path))
    found = find_sources(root, root.list(), (Broken(), *FORMATS))
    assert found.runs == ["r"]
    assert found.notes == ["broken: discovery failed (ValueError: bad day)"]


def test_check_on_tensorboard_runs_imports_no_reader_of_other_formats(tmp_path: Path):
    """pandas, pyarrow and W&B's classes load only for the formats that need them: start-up stays short."""
    import subprocess
    import sys

    scalar_run(tmp_path / "r", {"loss": [1.0, 0.5], "val_loss": [1.1, 0.9]})
    code = (
        "import sys; from tui.cli.main import main; main(['check', sys.argv[1]]); "
        "print(sorted(m for m in ('pandas', 'pyarrow', 'wandb.proto') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr[-2000:]
