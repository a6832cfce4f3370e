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

import sqlite3
from collections.abc import Iterator

import numpy as np

from tui.sources.base import Format, Found, Source, Stream, parent
from tui.sources.points import Decoded
from tui.sources.roots.base import Listing, Root
from tui.sources.sqlite import CHUNK_ROWS, DatabaseError, Databases, connect, number, sidecars

FORMAT = "mlflow-sqlite"
_METRIC_COLUMNS = {"key", "value", "timestamp", "step", "is_nan", "run_uuid"}


def run_label(folder: str, *names: str) -> str:
    """A run name under LOGDIR: the database's folder (if not the top), then the tracker's own names."""
    parts = [] if folder == "." else [folder]
    return "/".join(parts + [n for n in names if n])


class TimeOrderedSteps:
    """Numbers the points of a metric whose steps are all equal (logged without a step) in time order.

    While every point of a key has had the same step ``s``, its points get ``s, s+1, ...`` in the
    order of their timestamps (ties in the order written), so none replaces another; once a key
    shows two different steps, its own steps are used from then on.
    """

    def __init__(self) -> None:
        self.keys: dict[str, tuple[int, int] | None] = {}
        """Key -> (its one step so far, points numbered so far), or None once its steps differ."""

    def number(self, key: str, steps: np.ndarray, stamps: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """(the permutation that puts the points in time order or None, their steps) for a batch of one key."""
        if not len(steps):
            return None, steps
        state = self.keys.get(key, (int(steps[0]), 0))
        if state is None or not bool((steps == state[0]).all()):
            self.keys[key] = None
            return None, steps
        first, count = state
        self.keys[key] = (first, count + len(steps))
        numbered = np.arange(first + count, first + count + len(steps), dtype=np.int64)
        if bool((np.diff(stamps) >= 0).all()):
            return None, numbered
        return np.argsort(stamps, kind="stable"), numbered


class MlflowSqliteStream(Stream):
    """One MLflow run in one database: its metric rows past a row-id watermark, and its params."""

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
                    _add_rows(rows, out, self.numbering)
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


def _add_rows(rows: list[tuple], out: Decoded, numbering: TimeOrderedSteps) -> None:
    """Metric rows (rowid, key, value, timestamp ms, step, is_nan) as points, per key, in row order."""
    _, keys, values, stamps, steps, nans = zip(*rows)
    codes = {key: code for code, key in enumerate(dict.fromkeys(keys))}  # in order of first appearance
    key_codes = np.fromiter(map(codes.__getitem__, keys), dtype=np.int64, count=len(keys))
    values_array = np.asarray(values, dtype=np.float64)
    values_array[np.asarray(nans, dtype=bool)] = np.nan
    stamps_array = np.asarray(stamps, dtype=np.int64)
    steps_array = np.asarray(steps, dtype=np.int64)
    by_key = np.argsort(key_codes, kind="stable")
    bounds = np.cumsum(np.bincount(key_codes, minlength=len(codes)))
    for key, code in codes.items():
        at = by_key[bounds[code - 1] if code else 0 : bounds[code]]
        permutation, key_steps = numbering.number(key, steps_array[at], stamps_array[at])
        ordered = at if permutation is None else at[permutation]
        out.add_arrays(key, at, key_steps, stamps_array[ordered] / 1000.0, values_array[ordered])


class MlflowSqliteFormat(Format):
    """Every SQLite file under LOGDIR whose tables are MLflow's; each active run a stream."""

    name = FORMAT

    def __init__(self) -> None:
        self._databases = Databases(_list_runs)

    def discover(self, root: Root, listing: Listing) -> Found:
        found = Found()
        for path, runs in self._databases.runs(root, listing, found):
            folder = parent(path)
            names = [run_label(folder, experiment, name or uuid[:8]) for uuid, name, experiment in runs]
            for (uuid, _name, _experiment), label in zip(runs, names):
                if names.count(label) > 1:
                    label = f"{label} ({uuid[:8]})"
                found.sources.append(Source(FORMAT, f"{path}#{uuid}", label, "", sidecars(path), uuid, folder))
        return found

    def open(self, source: Source) -> Stream:
        return MlflowSqliteStream(source)


def _list_runs(connection: sqlite3.Connection, schema: dict[str, set[str]]) -> list[tuple[str, str, str]] | None:
    """The database's active runs as (uuid, run name, experiment name), or None if it is not MLflow's."""
    if not schema.get("metrics", set()) >= _METRIC_COLUMNS or "runs" not in schema:
        return None
    query = (
        "SELECT r.run_uuid, r.name, e.name FROM runs r LEFT JOIN experiments e ON r.experiment_id = e.experiment_id"
        if "experiments" in schema
        else "SELECT run_uuid, name, '' FROM runs r"
    )
    query += " WHERE r.lifecycle_stage IS NULL OR r.lifecycle_stage != 'deleted' ORDER BY r.start_time"
    return [(str(u), str(n or ""), str(e or "")) for u, n, e in connection.execute(query).fetchall()]
