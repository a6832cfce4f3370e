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
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from tui.sources.base import Found, basename, describe
from tui.sources.roots.base import FileInfo, Listing, Root

CHUNK_ROWS = 200_000
"""Rows per statement: big enough to read a million points in a few statements, short enough not to block."""
BUSY_SECONDS = 2.0
"""How long a read waits for a writer that holds the database (a commit in progress)."""
NEEDS_LOCAL = "a database needs a local file (this root has none): copy it here or mount the folder"
DB_SUFFIXES = (".db", ".sqlite", ".sqlite3")
SQLITE_MAGIC = b"SQLite format 3\x00"
NOT_A_DATABASE = "not an SQLite database, or damaged"

RunRow = TypeVar("RunRow")


CHANGED = "database changed while it was read (its job wrote again); reading it again"


class DatabaseError(Exception):
    """The database cannot be read now; the message says why in plain words."""


def sidecars(path: str) -> tuple[str, ...]:
    """The database and the files SQLite writes beside it: a change to any of them may be new rows."""
    return (path, path + "-wal")


class Reading:
    """A read-only connection to one database, and whether a database read without a lock stayed as it was.

    An idle WAL database is read as immutable (``_idle_wal``): no lock, so a job that wakes and checkpoints into
    the file during the read could tear it. ``fetch`` checks, after each statement, that the file is as it was
    when opened; if not, it raises before the rows are used, and the next read (the file changed lately: the
    shared, locked way) takes them from the same watermark: nothing lost, nothing counted twice.
    """

    def __init__(self, connection: sqlite3.Connection, local: str, as_opened: tuple | None) -> None:
        self.connection = connection
        self._local = local
        self._as_opened = as_opened
        """The file as it was found idle (None: a shared, locked read, which no writer can tear)."""

    def fetch(self, sql: str, parameters: tuple = ()) -> list:
        """The statement's rows, from a database that did not change under an unlocked read."""
        rows = self.connection.execute(sql, parameters).fetchall()
        if self._as_opened is not None and _file_state(self._local) != self._as_opened:
            raise DatabaseError(CHANGED)
        return rows


def _file_state(local: str) -> tuple:
    """What a write to the database changes: its size, time and inode, and whether a ``-wal`` sits beside it."""
    try:
        info = os.stat(local)
    except OSError:
        return ()
    return (info.st_size, info.st_mtime_ns, info.st_ino, os.path.exists(local + "-wal"))


@contextlib.contextmanager
def connect(root: Root, path: str) -> Iterator[Reading]:
    """A read-only connection to the database at ``path`` under ``root``, closed on leaving."""
    local = root.local_path(path)
    if local is None:
        raise DatabaseError(NEEDS_LOCAL)
    wal = _wal_state(local)
    idle = _idle_wal(wal)
    try:
        connection = _open(local, immutable=idle is not None)
        if wal is not None and idle is None:
            try:
                connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            except sqlite3.OperationalError:
                # A WAL database between its job's writes (no -wal) in a folder this user may not write: SQLite
                # cannot make the -wal and -shm a shared read needs. Read it as immutable, checked unchanged after
                # each statement (``Reading``); it was unreadable until idle (30 s) instead.
                connection.close()
                idle = wal
                connection = _open(local, immutable=True)
    except (sqlite3.Error, UnicodeError) as error:
        raise DatabaseError(explain(error)) from None
    try:
        yield Reading(connection, local, idle)
    except (sqlite3.Error, UnicodeError) as error:
        if idle is not None and _file_state(local) != idle:  # an unlocked read torn by a write: not damage
            raise DatabaseError(CHANGED) from None
        raise DatabaseError(explain(error)) from None
    finally:
        connection.close()


def _open(local: str, immutable: bool) -> sqlite3.Connection:
    # A byte that is no UTF-8 in the path (a Latin-1 folder name) is passed on as itself, percent-encoded.
    uri = (
        "file:"
        + urllib.parse.quote(local, errors="surrogateescape")
        + "?mode=ro"
        + ("&immutable=1" if immutable else "")
    )
    return sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)


WAL_HEADER_OFFSET = 18
"""Bytes 18 and 19 of an SQLite file are its write and read versions: 2 for a database in WAL mode."""


IDLE_SECONDS = 30.0
"""A WAL database unchanged this long, without a ``-wal`` file, has no writer: its job has ended."""


def _idle_wal(state: tuple | None) -> tuple | None:
    """A database in WAL mode (trackio's) with no ``-wal`` beside it (``state``, from ``_wal_state``) that no writer
    has touched for ``IDLE_SECONDS``: that state, the baseline a read without a lock is checked against; else None.

    Even read-only, SQLite opens such a database by creating its ``-wal`` and ``-shm`` files, which stay in
    the user's log folder (and it cannot open it at all in a folder it may not write). With no writer, the
    file alone is the whole database, so it is read as immutable: no lock, nothing created. Immutable reads
    take no lock, so a writer that checkpointed into the file during one would tear it: a database changed
    lately (a job that opens, writes and closes it, leaving no ``-wal`` between writes) is read the shared,
    locked way, as is one with a ``-wal`` (a writer has it open). An idle database is read once: it is read
    again only when it changes, and then it is no longer idle.
    """
    if not state or time.time() - state[1] / 1e9 < IDLE_SECONDS:
        return None  # written lately
    return state


def _wal_state(local: str) -> tuple | None:
    """The database's state (``_file_state``) if it is in WAL mode with no ``-wal`` beside it (no writer has it
    open), else None."""
    state = _file_state(local)
    if not state or state[3]:
        return None  # gone (the connection says why), or a writer's -wal beside it
    try:
        with open(local, "rb") as handle:
            header = handle.read(WAL_HEADER_OFFSET + 2)
    except OSError:
        return None
    wal_mode = header[:16] == SQLITE_MAGIC and header[WAL_HEADER_OFFSET : WAL_HEADER_OFFSET + 2] == b"\x02\x02"
    return state if wal_mode else None


def explain(error: sqlite3.Error | UnicodeError) -> str:
    """SQLite's message in the words of the status line."""
    if isinstance(error, UnicodeError):  # Python's sqlite3 cannot decode SQLite's message, or a name in the schema
        return f"{NOT_A_DATABASE} (text in it that is no UTF-8)"
    text = str(error)
    if "unable to open" in text:
        return "database cannot be opened (vanished, or permission denied)"
    if "locked" in text or "busy" in text:
        return "database busy: a writer holds it locked"
    if "not a database" in text or "malformed" in text:
        return NOT_A_DATABASE
    return f"database error: {text}"


def tables(connection: sqlite3.Connection) -> dict[str, set[str]]:
    """Table name -> its column names."""
    found: dict[str, set[str]] = {}
    for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        try:  # the name as a parameter: a quote in it is no statement's end
            columns = connection.execute("SELECT * FROM pragma_table_info(?)", (name,)).fetchall()
        except UnicodeEncodeError:  # a name that is no UTF-8 (decoded leniently): no tracker's table
            continue
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


def is_database_name(path: str) -> bool:
    return basename(path).lower().endswith(DB_SUFFIXES)


def not_a_database(head: bytes) -> str:
    """Why a tracker's database whose first bytes are ``head`` (no SQLite header) cannot be read."""
    return "damaged: zero bytes where its SQLite header should be" if not head.strip(b"\0") else NOT_A_DATABASE


class Databases(Generic[RunRow]):
    """The SQLite databases under LOGDIR that hold one tracker's runs, and their runs.

    Discovery runs every round; a database is queried again only when it or its write-ahead log
    changed. ``list_runs(connection, schema)`` returns the runs, or None when the tables are not
    the tracker's. A database that cannot be read (permission denied, damaged) and was never
    answered for is reported in ``found.errors`` at every scan until it can be read; one answered
    before keeps that answer through a passing refusal, and is asked again at the next scan. A file
    that is no SQLite database is another program's, unless ``named(path)``: the tracker's own name
    (``mlflow.db``) makes it the tracker's database, damaged (zero-filled by a crash).
    """

    def __init__(
        self,
        list_runs: Callable[[sqlite3.Connection, dict[str, set[str]]], list[RunRow] | None],
        named: Callable[[str], bool] = lambda path: False,
    ) -> None:
        self._list_runs = list_runs
        self._named = named
        self._runs: dict[str, tuple[tuple, list[RunRow] | None, str]] = {}
        """Database path -> (its files' signature, its runs or None, why it cannot be read or "")."""

    def runs(self, root: Root, listing: Listing, found: Found) -> Iterator[tuple[str, list[RunRow]]]:
        """Each of the tracker's databases in the listing with its runs."""
        for path, info in sorted(listing.files.items()):
            if not is_database_name(path):
                continue
            signature = _signature(listing, info)
            cached = self._runs.get(path)
            # A refusal can end without a change to the file (chmod, a network back); a database on a root
            # without local files can never be opened, and is not asked again until it changes.
            retry = cached is not None and bool(cached[2]) and cached[2] != NEEDS_LOCAL
            if cached is None or cached[0] != signature or retry:
                runs, why = self._query(root, path)
                if not (why and cached is not None and not cached[2]):
                    cached = self._runs[path] = (signature, runs, why)
                # else: answered before (its runs, or not this tracker's): a passing refusal (a writer holding
                # it) keeps that answer and its old signature, so the next scan asks again
            if cached[2]:
                found.errors[path] = cached[2]
            if cached[1] is not None:
                yield path, cached[1]

    def _query(self, root: Root, path: str) -> tuple[list[RunRow] | None, str]:
        """(the tracker's runs in the database or None, why it cannot be read or "")."""
        try:
            head = root.read(path, 0, len(SQLITE_MAGIC))
            if head != SQLITE_MAGIC:  # another program's file, or the tracker's own damaged (not while it is made)
                return None, not_a_database(head) if self._named(path) and len(head) == len(SQLITE_MAGIC) else ""
            with connect(root, path) as reading:
                # Names that are no UTF-8 (another program's table, a run named in Latin-1) kept byte for byte,
                # as the file system's are: while listing only, the reads' own connections decode as SQLite does.
                reading.connection.text_factory = _lenient_text
                return self._list_runs(reading.connection, tables(reading.connection)), ""
        except OSError as error:
            return None, describe(error)
        except DatabaseError as error:
            return None, str(error)
        except (sqlite3.Error, UnicodeError, ValueError) as error:  # one odd file never hides the tracker's others
            return None, f"{NOT_A_DATABASE} ({type(error).__name__}: {error})"


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _signature(listing: Listing, info: FileInfo) -> tuple:
    wal = listing.files.get(info.path + "-wal")
    return (info.size, info.mtime, info.identity, wal.size if wal else None, wal.mtime if wal else None)
