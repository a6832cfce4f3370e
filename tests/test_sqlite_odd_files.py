"""One SQLite file that cannot be decoded, or a tracker's database in a folder whose name is no UTF-8, hid every
MLflow and trackio run of the root (a hostile tester's find): Python's sqlite3 raised UnicodeDecodeError on
SQLite's message holding the file's byte, or quoting the path raised UnicodeEncodeError, and the format's whole
discovery failed ("no runs under ...", exit 2)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from tui.cli.main import main
from tui.live.monitor import Monitor

RUNS = Path(__file__).parent / "loggers" / "runs"
TRACKED = {"exp/ml-sql", "trackio/tproj/tr-run"}


def _trackers(root: Path) -> Path:
    shutil.copytree(RUNS / "trackio", root / "trackio")
    shutil.copy(RUNS / "mlflow.db", root / "mlflow.db")
    return root


def _damaged_cache(path: Path) -> None:
    """Another program's database whose index statement holds a byte that is no UTF-8 (one byte patched)."""
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE items(payload)")
        db.execute("CREATE INDEX ix ON items ( payload )")
    data = path.read_bytes()
    path.write_bytes(data.replace(b"( payload )", b"( payl\xd5ad )"))


def test_a_database_that_cannot_be_decoded_is_said_and_hides_no_other(tmp_path: Path, capsys):
    root = _trackers(tmp_path / "logs")
    _damaged_cache(root / "other" / "cache.db")
    monitor = Monitor(str(root))
    monitor.refresh()
    assert set(monitor.store.runs) >= TRACKED
    assert monitor.store.runs["other/cache.db"].errors == [
        "not an SQLite database, or damaged (text in it that is no UTF-8)"
    ]
    assert main(["check", str(root)]) == 1
    out = capsys.readouterr().out
    assert "exp/ml-sql" in out and "trackio/tproj/tr-run" in out and "no UTF-8" in out


def test_a_trackers_database_in_a_folder_named_in_latin_1_is_read(tmp_path: Path):
    root = _trackers(tmp_path / "logs")
    shutil.copytree(root / "trackio", os.fsdecode(bytes(root) + b"/caf\xe9"))
    monitor = Monitor(str(root))
    monitor.refresh()
    assert TRACKED | {"caf\udce9/tproj/tr-run"} <= set(monitor.store.runs)
    assert len(monitor.store.runs["caf\udce9/tproj/tr-run"].scalars["val/loss"]) == 30


def test_another_programs_database_with_a_table_named_in_latin_1_is_no_run(tmp_path: Path):
    """Valid, but its schema names a table in bytes that are no UTF-8: Python's sqlite3 could not decode the name,
    and the file showed as a run that cannot be read (check exit 1)."""
    root = _trackers(tmp_path / "logs")
    cache = root / "other" / "cache.db"
    cache.parent.mkdir()
    with sqlite3.connect(cache) as db:
        db.execute('CREATE TABLE "café" (x)')
    latin_1 = b"caf\xe9 "  # as long as the UTF-8 name (5 bytes), so the file stays whole
    cache.write_bytes(cache.read_bytes().replace("café".encode(), latin_1))
    with sqlite3.connect(cache) as db:
        db.text_factory = bytes
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [(latin_1,)]
    monitor = Monitor(str(root))
    monitor.refresh()
    assert set(monitor.store.runs) == TRACKED
