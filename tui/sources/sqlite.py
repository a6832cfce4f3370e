"""Reading a tracker's SQLite database while its job writes to it, never in its way.

The database is opened read-only (``file:...?mode=ro``): losswatch can never
change it, and never creates a missing one. Each read is a few short statements
that fetch at most ``CHUNK_ROWS`` rows past a watermark (a row id) and finish at
once, so a reader holds SQLite's shared lock for milliseconds: a writer in
rollback-journal mode (MLflow's default) waits at most that long, one in WAL mode
(trackio) not at all. No connection is kept between reads (streams travel between
processes); opening one costs well under a millisecond.
"""

from __future__ import annotations

import contextlib
import sqlite3
import urllib.parse
from collections.abc import Iterator

from tui.sources.roots.base import Root

CHUNK_ROWS = 200_000
"""Rows per statement: big enough to read a million points in a few statements, short enough not to block."""
BUSY_SECONDS = 2.0
"""How long a read waits for a writer that holds the database (a commit in progress)."""
NEEDS_LOCAL = "a database needs a local file (this root has none): copy it here or mount the folder"


class DatabaseError(Exception):
    """The database cannot be read now; the message says why in plain words."""


def sidecars(path: str) -> tuple[str, ...]:
    """The database and the files SQLite writes beside it: a change to any of them may be new rows."""
    return (path, path + "-wal")


@contextlib.contextmanager
def connect(root: Root, path: str) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the database at ``path`` under ``root``, closed on leaving."""
    local = root.local_path(path)
    if local is None:
        raise DatabaseError(NEEDS_LOCAL)
    uri = "file:" + urllib.parse.quote(local) + "?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise DatabaseError(explain(error)) from None
    try:
        yield connection
    except sqlite3.Error as error:
        raise DatabaseError(explain(error)) from None
    finally:
        connection.close()


def explain(error: sqlite3.Error) -> str:
    """SQLite's message in the words of the status line."""
    text = str(error)
    if "unable to open" in text:
        return "database cannot be opened (vanished, or permission denied)"
    if "locked" in text or "busy" in text:
        return "database busy (a writer holds it); trying again next round"
    if "not a database" in text or "malformed" in text:
        return "not an SQLite database, or damaged"
    return f"database error: {text}"


def tables(connection: sqlite3.Connection) -> dict[str, set[str]]:
    """Table name -> its column names."""
    found: dict[str, set[str]] = {}
    for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        columns = connection.execute(f'PRAGMA table_info("{name}")').fetchall()
        found[name] = {column[1] for column in columns}
    return found


def number(text: object) -> object:
    """A parameter's text as a number where it is one (``"0.01"`` -> 0.01, ``"32"`` -> 32), else unchanged."""
    if not isinstance(text, str):
        return text
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text
