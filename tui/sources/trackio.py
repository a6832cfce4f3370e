"""trackio's project databases (``~/.cache/huggingface/trackio/<project>.db``, or any copy under LOGDIR).

Tables (trackio ``sqlite_storage.py``, 0.43): ``metrics(id, run_id, run_name, step,
timestamp, metrics)`` with ``metrics`` a JSON object of the values logged at that
step (``"NaN"``, ``"Infinity"`` for the non-finite ones; media as nested objects,
skipped) and ``timestamp`` ISO 8601; ``configs(run_id, run_name, config)`` with the
run's config as JSON (trackio's own keys start with ``_``). The database is in WAL
mode, so reading never waits for the writer. Each run is a stream reading rows past
the last ``id`` it saw; runs are named ``project/run name``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime

import numpy as np

from tui.sources import jsontext
from tui.sources.base import Format, Found, Source, Stream, basename, parent
from tui.sources.cells import step_cell
from tui.sources.columns import ObjectColumns, Points
from tui.sources.hparams import flattened
from tui.sources.kept_names import KeptNames
from tui.sources.mlflow_sqlite import database_sources, id_named
from tui.sources.points import Decoded
from tui.sources.roots.base import Listing, Root
from tui.sources.sqlite import CHUNK_ROWS, DatabaseError, Databases, Reading, connect, is_database_name

FORMAT = "trackio"
FOLDER_NAME = "trackio"
_NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
_VALUES = ObjectColumns(strings=_NON_FINITE, nested=False, bools=True)
"""Top-level numbers (media are nested objects: left out); trackio writes non-finite values as text."""


_BY_ID = "SELECT id, step, timestamp, metrics FROM metrics WHERE +run_id = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?"
"""Walk the table from the watermark on, in id order ("+run_id": not by an index on the run)."""
_BY_RUN = "SELECT id, step, timestamp, metrics FROM metrics WHERE run_id = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?"
"""Take the run's rows by trackio's index on run_id, then sort them by id (a small run in a big table)."""


class TrackioStream(Stream):
    """One trackio run: its metric rows past an id watermark, and its config."""

    WALLS_LOGGED = True

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.last_id = 0
        self.rows = 0
        self._config_read = False

    @property
    def position(self) -> int:
        return self.rows * 64

    @staticmethod
    def _mostly_this_run(reading: Reading, run_id: str, top: int) -> bool:
        """Whether the run holds a good part of the table: then walking the table in id order beats its index."""
        [(count,)] = reading.fetch("SELECT count(*) FROM metrics WHERE run_id = ?", (run_id,))
        return count * 4 >= top

    def read(self, root: Root) -> Iterator[Decoded]:
        path, run_id = self.source.paths[0], self.source.detail
        try:
            with connect(root, path) as reading:
                out = Decoded()
                if not self._config_read:
                    configs = reading.fetch("SELECT config FROM configs WHERE run_id = ? LIMIT 1", (run_id,))
                    if configs:  # handed over at once: a statement that fails later must not lose it
                        config = Decoded()
                        config.hparams.update(_config(configs[0][0]))
                        yield config
                        self._config_read = True
                top = reading.fetch("SELECT max(id) FROM metrics")[0][0] or 0
                query = _BY_ID if self.last_id or self._mostly_this_run(reading, run_id, top) else _BY_RUN
                while self.last_id < top:
                    rows = reading.fetch(query, (run_id, self.last_id, top, CHUNK_ROWS))
                    if len(rows) < CHUNK_ROWS:  # every row of the run up to ``top`` is read
                        self.last_id = top
                    if rows:
                        self.health.skipped_records += _add_rows(rows, out)
                        self.last_id = max(self.last_id, rows[-1][0])
                        self.rows += len(rows)
                    if self.last_id < top:
                        yield out
                        out = Decoded()
                self.health.error = None
                yield out
        except DatabaseError as error:
            self.health.error = str(error)


def _add_rows(rows: list[tuple], out: Decoded) -> int:
    """Rows (id, step, timestamp, metrics JSON) as points, a column per metric; returns how many rows are no
    points (metrics that are no JSON object, a step that is no 64-bit integer: SQLite keeps whatever was
    written), left out so that the run keeps its other rows."""
    _ids, steps, stamps, blobs = zip(*rows)
    parsed = jsontext.loads_each(list(blobs))
    steps_array = np.asarray(steps)  # what trackio writes, integers, in one conversion
    has_step = None
    if steps_array.dtype.kind != "i" or (steps_array < 0).any():  # text, a fraction, a blob: step by step
        cells = [step_cell(step) for step in steps]
        has_step = [cell is not None for cell in cells]
        steps_array = np.asarray([cell or 0 for cell in cells], dtype=np.int64)
    kept = [
        position
        for position, values in enumerate(parsed)
        if type(values) is dict and (has_step is None or has_step[position])
    ]
    if not kept:
        return len(rows)
    walls = _walls(stamps)
    at = np.asarray(kept, dtype=np.int64)
    points = Points()
    _VALUES.add(
        points,
        [parsed[position] for position in kept],  # type: ignore[misc]
        at,
        steps_array[at],
        walls[at],
    )
    points.flush(out)
    return len(rows) - len(kept)


_UTC = "+00:00"


def _walls(stamps: tuple) -> np.ndarray:
    """ISO 8601 times as seconds since the epoch; trackio's own (``datetime.now(timezone.utc).isoformat()``,
    all UTC) in one NumPy conversion, any other one by one."""
    if all(type(stamp) is str and stamp.endswith(_UTC) for stamp in stamps):
        try:
            local = np.array([stamp[: -len(_UTC)] for stamp in stamps], dtype="datetime64[us]")
            return local.astype(np.int64) / 1e6
        except ValueError:
            pass
    seconds: dict[object, float] = {}
    return np.fromiter(
        (seconds[stamp] if stamp in seconds else seconds.setdefault(stamp, _seconds(stamp)) for stamp in stamps),
        dtype=np.float64,
        count=len(stamps),
    )


def _seconds(stamp: object) -> float:
    try:
        return datetime.fromisoformat(str(stamp)).timestamp()
    except (ValueError, OverflowError, OSError):  # no time, or one outside the platform's clock
        return 0.0


def _config(blob: object) -> dict[str, object]:
    try:
        config = jsontext.loads(blob)  # type: ignore[arg-type]
    except ValueError:
        return {}
    if not isinstance(config, dict):
        return {}
    # trackio's own entries start with "_"; a nested config's names are dotted, as W&B's and Lightning's are
    return flattened({k: v for k, v in config.items() if not str(k).startswith("_")})


class TrackioFormat(Format):
    """SQLite files under LOGDIR whose tables are trackio's; each run a stream."""

    name = FORMAT

    def __init__(self) -> None:
        self._databases = Databases(_list_runs, named=self.named_log)
        self._kept = KeptNames(id_named)

    def discover(self, root: Root, listing: Listing) -> Found:
        found = Found()
        for path, runs in self._databases.runs(root, listing, found):
            project = basename(path).rsplit(".", 1)[0]
            # two runs of one name (trackio makes a new run under a name taken, resume="never"): one run, the
            # first's points purged as a restart's, until the later ones got their id after it
            found.sources += database_sources(FORMAT, path, [(run_id, name, project) for run_id, name in runs])
        found.sources = self._kept(found.sources)  # a run renamed (``trackio``'s rename_run) keeps its name
        return found

    def open(self, source: Source) -> Stream:
        return TrackioStream(source)

    def named_log(self, path: str) -> bool:
        """A database in trackio's own folder (``~/.cache/huggingface/trackio/<project>.db``, or a copy of it)."""
        return basename(parent(path)) == FOLDER_NAME and is_database_name(path)


def _list_runs(connection: sqlite3.Connection, schema: dict[str, set[str]]) -> list[tuple[str, str]] | None:
    """The database's runs as (run id, run name), or None if it is not trackio's: those with a config row, in the
    order they were made, then those logged without one (``trackio.import_csv``, ``import_tf_events``) in the
    order they were first logged (the first run of a name keeps it), found by trackio's index on the metrics'
    run (a database without it lists the runs with a config row alone, as before)."""
    if not {"run_id", "run_name", "step", "metrics"} <= schema.get("metrics", set()):
        return None
    rows = []
    if {"run_id", "run_name"} <= schema.get("configs", set()):  # one row per run: cheap to list
        rows = connection.execute("SELECT run_id, run_name FROM configs ORDER BY id").fetchall()
    configured = {run_id for run_id, _name in rows}
    if not rows:  # no config row at all: the runs from the metrics, in one pass
        rows = connection.execute(
            "SELECT run_id, run_name FROM metrics GROUP BY run_id, run_name ORDER BY MIN(id)"
        ).fetchall()
    elif _indexed_by_run(connection):  # by index probes: a scan sees the database changed while any job writes
        unconfigured = [run_id for (run_id,) in connection.execute(_RUN_IDS) if run_id not in configured]
        firsts = [connection.execute(_FIRST_ROW, (run_id,)).fetchone() for run_id in unconfigured]
        rows += [(run_id, name) for _first, run_id, name in sorted(row for row in firsts if row is not None)]
    return [(str(run_id), str(name or "")) for run_id, name in rows]


_RUN_IDS = """
WITH RECURSIVE ids(run_id) AS (
    SELECT MIN(run_id) FROM metrics
    UNION ALL
    SELECT (SELECT MIN(run_id) FROM metrics WHERE run_id > ids.run_id) FROM ids WHERE ids.run_id IS NOT NULL
)
SELECT run_id FROM ids WHERE run_id IS NOT NULL
"""
"""The distinct run ids, one index probe each (trackio's index on ``metrics(run_id, step)``), not a pass over every
row."""
_FIRST_ROW = "SELECT id, run_id, run_name FROM metrics WHERE run_id = ? ORDER BY run_id, step LIMIT 1"
"""A run's first point, by the same index (its row id orders the runs logged without a config row)."""


def _indexed_by_run(connection: sqlite3.Connection) -> bool:
    """Whether an index of ``metrics`` leads with ``run_id`` and then ``step`` (trackio's)."""
    for (index,) in connection.execute("SELECT name FROM pragma_index_list('metrics')").fetchall():
        columns = connection.execute("SELECT name FROM pragma_index_info(?) ORDER BY seqno", (index,)).fetchall()
        if [column for (column,) in columns[:2]] == ["run_id", "step"]:
            return True
    return False
