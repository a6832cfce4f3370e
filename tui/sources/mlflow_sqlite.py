"""MLflow's SQLite store (``mlflow.db``, MLflow's default since 3.7), read while the job writes.

Tables (MLflow ``store/tracking/dbmodels/models.py``): ``metrics(key, value, timestamp,
step, is_nan, run_uuid)``, one row per logged value (timestamp in milliseconds; a NaN
is stored as ``value 0, is_nan 1``); ``runs(run_uuid, name, experiment_id,
lifecycle_stage)``; ``experiments(experiment_id, name)``; ``params(key, value, run_uuid)``.
Each active run is a stream that reads its metric rows past the last row id it saw
(rows are only ever appended), in short read-only statements (``sqlite.py``).
Runs are named ``experiment/run name`` (with the database's folder in front when it
is not at the top of LOGDIR).

A value logged without a step (``mlflow.log_metric("gpu_mem", v)``) is stored at step 0,
so such a metric is a pile of points at one step: ``TimeOrderedSteps`` numbers them in
the order of their timestamps instead, so every one is kept (both MLflow stores).
"""

from __future__ import annotations

import itertools
import math
import sqlite3
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace

import numpy as np

from tui.sources.base import Format, Found, Source, Stream, basename, parent
from tui.sources.cells import integer_cell, number_cell, step_cell
from tui.sources.kept_names import KeptNames
from tui.sources.points import Decoded
from tui.sources.roots.base import Listing, Root
from tui.sources.sqlite import CHUNK_ROWS, DatabaseError, Databases, connect, number, sidecars

FORMAT = "mlflow-sqlite"
DATABASE_NAME = "mlflow.db"
"""The name MLflow gives its database (``sqlite:///mlflow.db``): a log whatever it holds."""
_METRIC_COLUMNS = {"key", "value", "timestamp", "step", "is_nan", "run_uuid"}
_LAST_STEP = 2**63 - 1


def plain_name_first(sources: list[Source], started: Mapping[str, float]) -> list[Source]:
    """Runs that share a name (MLflow allows it): the first started (by ``started``, per source key) keeps it, the
    others get their id's first 8 characters after it. The first run watched keeps its name when a second one
    comes, and ``check`` names them as a live view that saw them come does."""
    first: dict[str, Source] = {}
    for source in sorted(sources, key=lambda source: started.get(source.key, math.inf)):
        first.setdefault(source.run, source)
    return [source if first[source.run] is source else _with_id(source) for source in sources]


def database_sources(format_name: str, path: str, runs: list[tuple[str, str, str]]) -> list[Source]:
    """A tracker database's runs, given as (id, name, experiment or project) in the order they were made, as
    sources: the first of a name keeps it (``plain_name_first``)."""
    folder, sidecar = parent(path), sidecars(path)
    sources = [
        Source(
            format_name, f"{path}#{run_id}", run_label(folder, group, name or run_id[:8]), "", sidecar, run_id, folder
        )
        for run_id, name, group in runs
    ]
    return plain_name_first(sources, {source.key: order for order, source in enumerate(sources)})


def _with_id(source: Source) -> Source:
    """The run named with its id's first 8 characters after its name: how two runs of one name are told apart."""
    return replace(source, run=id_named(source))


def id_named(source: Source) -> str:
    """A run's name with its id's first 8 characters after it (``KeptNames``' way of telling tracker runs apart)."""
    return f"{source.run} ({basename(source.detail)[:8]})"


def run_label(folder: str, *names: str) -> str:
    """A run name under LOGDIR: the database's folder (if not the top), then the tracker's own names."""
    parts = [] if folder == "." else [folder]
    return "/".join(parts + [n for n in names if n])


class TimeOrderedSteps:
    """Numbers the points of a metric whose steps are all equal (logged without a step) in time order.

    While every point of a key has had the same step ``s``, its points get ``s, s+1, ...`` in the
    order of their timestamps (ties in the order written), so none replaces another; once a key
    shows two different steps (or its numbers would pass the last 64-bit step), its own steps are used
    from then on.
    """

    def __init__(self) -> None:
        self.keys: dict[str, tuple[int, int] | None] = {}
        """Key -> (its one step so far, points numbered so far), or None once its steps differ."""

    def number(self, key: str, steps: np.ndarray, stamps: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """(the permutation that puts the points in time order or None, their steps) for a batch of one key."""
        if not len(steps):
            return None, steps
        state = self.keys.get(key, (int(steps[0]), 0))
        if state is None or not bool((steps == state[0]).all()) or state[0] + state[1] + len(steps) > _LAST_STEP:
            self.keys[key] = None  # steps of its own, or numbering that would run past a 64-bit step
            return None, steps
        first, count = state
        self.keys[key] = (first, count + len(steps))
        numbered = np.arange(first + count, first + count + len(steps), dtype=np.int64)
        if bool((np.diff(stamps) >= 0).all()):
            return None, numbered
        return np.argsort(stamps, kind="stable"), numbered


class MlflowSqliteStream(Stream):
    """One MLflow run in one database: its metric rows past a row-id watermark, and its params."""

    WALLS_LOGGED = True
    RESTARTS_BY_CURVE = True

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.last_rowid = 0
        self.rows = 0
        self._params_seen: int | None = None
        self.numbering = TimeOrderedSteps()

    @property
    def position(self) -> int:
        return self.rows * 48  # about what a row costs in the database (for the memory hint)

    def read(self, root: Root) -> Iterator[Decoded]:
        path, run_uuid = self.source.paths[0], self.source.detail
        try:
            with connect(root, path) as reading:
                out = Decoded()
                params = reading.fetch("SELECT key, value FROM params WHERE run_uuid = ?", (run_uuid,))
                if len(params) != self._params_seen:  # handed over at once: a later failure must not lose them
                    found = Decoded()
                    found.hparams.update({key: number(value) for key, value in params})
                    yield found
                    self._params_seen = len(params)
                while True:
                    rows = reading.fetch(
                        "SELECT rowid, key, value, timestamp, step, is_nan FROM metrics"
                        " WHERE run_uuid = ? AND rowid > ? ORDER BY rowid LIMIT ?",
                        (run_uuid, self.last_rowid, CHUNK_ROWS),
                    )
                    if not rows:
                        break
                    self.health.skipped_records += _add_rows(rows, out, self.numbering)
                    self.last_rowid = rows[-1][0]
                    self.rows += len(rows)
                    if len(rows) < CHUNK_ROWS:
                        break
                    yield out
                    out = Decoded()
                self.health.error = None
                yield out
        except DatabaseError as error:
            self.health.error = str(error)


def _add_rows(rows: list[tuple], out: Decoded, numbering: TimeOrderedSteps) -> int:
    """Metric rows (rowid, key, value, timestamp ms, step, is_nan) as points, per key, in row order; returns
    how many rows are no point (``_columns``)."""
    _, keys, values, stamps, steps, nans = zip(*rows)
    values_array, stamps_array, steps_array, good = _columns(values, stamps, steps, nans)
    bad = len(rows) - len(values_array)
    if bad:
        keys = tuple(itertools.compress(keys, good))
        if not keys:
            return bad
    codes = {key: code for code, key in enumerate(dict.fromkeys(keys))}  # in order of first appearance
    key_codes = np.fromiter(map(codes.__getitem__, keys), dtype=np.int64, count=len(keys))
    by_key = np.argsort(key_codes, kind="stable")
    bounds = np.cumsum(np.bincount(key_codes, minlength=len(codes)))
    for key, code in codes.items():
        at = by_key[bounds[code - 1] if code else 0 : bounds[code]]
        permutation, key_steps = numbering.number(key, steps_array[at], stamps_array[at])
        ordered = at if permutation is None else at[permutation]
        out.add_arrays(key, at, key_steps, stamps_array[ordered] / 1000.0, values_array[ordered])
    return bad


def _infinities(values: np.ndarray) -> np.ndarray:
    """MLflow's SQL store writes an infinite value as the largest float of its sign (``sys.float_info.max``; its
    file store writes ``inf``): read back as the infinity it was, so a blow-up to inf reads alike in both stores."""
    values[np.abs(values) == sys.float_info.max] *= math.inf
    return values


def _columns(values: tuple, stamps: tuple, steps: tuple, nans: tuple) -> tuple[np.ndarray, ...]:
    """(values, NaN where ``is_nan``; timestamps; steps; which rows these are) of the rows that are points.

    What MLflow writes (numbers; integer times, steps and flags) takes one NumPy conversion per column.
    SQLite keeps any cell as written (text or a blob in a FLOAT column, a step of 1e30): such rows go
    cell by cell, and a row whose value is no number or whose step or time is no 64-bit integer is
    left out (and counted), not the run with it.
    """
    arrays = [np.asarray(cells) for cells in (values, stamps, steps, nans)]  # NumPy finds the cells' one type
    if arrays[0].dtype.kind in "fi" and all(array.dtype.kind == "i" for array in arrays[1:]) and (arrays[2] >= 0).all():
        values_array = _infinities(arrays[0].astype(np.float64))
        values_array[arrays[3] != 0] = np.nan
        stamps_array, steps_array = (array.astype(np.int64, copy=False) for array in arrays[1:3])
        return values_array, stamps_array, steps_array, np.ones(len(values), dtype=bool)
    kept: list[tuple[float, int, int]] = []
    good = np.zeros(len(values), dtype=bool)
    for row, (value, stamp, step, nan) in enumerate(zip(values, stamps, steps, nans)):
        flag, at_ms, at_step = integer_cell(nan), integer_cell(stamp), step_cell(step)
        point = math.nan if flag else number_cell(value)
        if flag is not None and at_ms is not None and at_step is not None and point is not None:
            kept.append((point, at_ms, at_step))
            good[row] = True
    columns = list(zip(*kept)) or [(), (), ()]
    return (
        _infinities(np.asarray(columns[0], dtype=np.float64)),
        np.asarray(columns[1], dtype=np.int64),
        np.asarray(columns[2], dtype=np.int64),
        good,
    )


class MlflowSqliteFormat(Format):
    """Every SQLite file under LOGDIR whose tables are MLflow's; each active run a stream."""

    name = FORMAT

    def __init__(self) -> None:
        self._databases = Databases(_list_runs, named=self.named_log)
        self._kept = KeptNames(id_named)

    def discover(self, root: Root, listing: Listing) -> Found:
        found = Found()
        for path, runs in self._databases.runs(root, listing, found):
            found.sources += database_sources(FORMAT, path, runs)
        found.sources = self._kept(found.sources)
        return found

    def open(self, source: Source) -> Stream:
        return MlflowSqliteStream(source)

    def named_log(self, path: str) -> bool:
        return basename(path) == DATABASE_NAME


def _list_runs(connection: sqlite3.Connection, schema: dict[str, set[str]]) -> list[tuple[str, str, str]] | None:
    """The database's active runs as (uuid, run name, experiment name), or None if it is not MLflow's."""
    if not schema.get("metrics", set()) >= _METRIC_COLUMNS or "runs" not in schema:
        return None
    query = (
        "SELECT r.run_uuid, r.name, e.name FROM runs r LEFT JOIN experiments e ON r.experiment_id = e.experiment_id"
        if "experiments" in schema
        else "SELECT run_uuid, name, '' FROM runs r"
    )
    query += " WHERE r.lifecycle_stage IS NULL OR r.lifecycle_stage != 'deleted'"
    query += " ORDER BY r.start_time IS NULL, r.start_time, r.run_uuid"  # as the file store orders them
    return [(str(u), str(n or ""), str(e or "")) for u, n, e in connection.execute(query).fetchall()]
