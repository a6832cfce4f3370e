"""MLflow's file store (``mlruns/``), tailed file by file.

Layout (MLflow ``store/tracking/file_store.py``): ``<root>/<experiment id>/meta.yaml``
(``name``), ``<root>/<experiment id>/<run id>/meta.yaml`` (``run_name``,
``lifecycle_stage``), ``.../metrics/<key>`` with one line per logged value,
``"<timestamp ms> <value> [<step>]"`` (a key with ``/`` is a nested path),
``.../params/<key>`` holding the value, ``.../tags/mlflow.runName``. Each run folder
is a stream; each metric file is tailed by line (a new key is a new file, found at
the next scan). Runs are named ``experiment/run name``. The new lines of a metric file are
parsed a column at a time (``arrowcsv.py``); values logged without a step are numbered in time order
(``TimeOrderedSteps``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator

import numpy as np

from tui.sources.arrowcsv import column, read_table
from tui.sources.base import Format, Found, Source, Stream, basename, describe, inside, parent
from tui.sources.cells import integer_cell, number_cell, step_cell
from tui.sources.kept_names import KeptNames
from tui.sources.mlflow_sqlite import TimeOrderedSteps, id_named, plain_name_first, run_label
from tui.sources.points import Decoded
from tui.sources.roots.base import Listing, Root
from tui.sources.sqlite import number
from tui.sources.textlog import LineTail

FORMAT = "mlflow-files"
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def _meta(root: Root, path: str) -> dict[str, object]:
    import yaml

    try:
        info = root.stat(path)
        loaded = yaml.safe_load(root.read(path, 0, info.size))
    except (OSError, yaml.YAMLError, RecursionError):  # nested past Python's stack: PyYAML calls per level
        return {}
    return loaded if isinstance(loaded, dict) else {}


class MlflowFilesStream(Stream):
    """One run folder: every metric file tailed, params read when they change."""

    WALLS_LOGGED = True
    RESTARTS_BY_CURVE = True

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.tails: dict[str, LineTail] = {}
        self.params_seen: set[str] = set()
        self.numbering = TimeOrderedSteps()

    @property
    def position(self) -> int:
        return sum(tail.offset for tail in self.tails.values())

    def read(self, root: Root) -> Iterator[Decoded]:
        out = Decoded()
        run_folder = self.source.detail
        metrics_prefix, params_prefix = inside(run_folder, "metrics/"), inside(run_folder, "params/")
        errors = []
        incomplete = zeroed = 0
        paths = list(self.source.paths)
        for path in self._read_paths(paths, root, metrics_prefix):
            if path.startswith(params_prefix) and path not in self.params_seen:
                try:
                    text = root.read(path, 0, 1 << 16).decode("utf-8", "replace").strip()
                except OSError:
                    continue
                self.params_seen.add(path)
                out.hparams[path[len(params_prefix) :]] = number(text)
            if not path.startswith(metrics_prefix):
                continue
            tail = self.tails.get(path)
            if tail is None:
                tail = self.tails[path] = LineTail(path)
            key = path[len(metrics_prefix) :]
            taken = 0
            while True:
                try:
                    lines = tail.read(root)
                except OSError as error:  # one metric's file: the run's others are read, so the reason names it
                    errors.append(f"metrics/{key}: {describe(error)}")
                    break
                stamps, values, steps, bad = parse_metric_lines(lines.data)
                self.health.skipped_records += bad
                permutation, steps = self.numbering.number(key, steps, stamps)
                if permutation is not None:
                    stamps, values = stamps[permutation], values[permutation]
                if len(steps):
                    out.add_arrays(key, np.arange(taken, taken + len(steps)), steps, stamps / 1000.0, values)
                    taken += len(steps)
                if not lines.more:
                    break
            incomplete += tail.incomplete
            zeroed += tail.zeroed
        more = f" (and {len(errors) - 1:,} other metric file(s))" if len(errors) > 1 else ""
        self.health.error = errors[0] + more if errors else None
        self.health.incomplete_bytes, self.health.skipped_bytes = incomplete, zeroed
        yield out

    def _read_paths(self, paths: list[str], root: Root, metrics_prefix: str) -> Iterator[str]:
        """The listed files, then the metric files made since the listing (a local root's folder looked at once
        those were read): a job logs ``val_loss`` first at step 10 and ``train_loss`` on to step 34, and a read
        of ``train_loss`` alone judged a lone training curve the whole read never shows (an ``unstable`` alert)."""
        yield from paths
        folder = root.local_path(metrics_prefix.rstrip("/"))
        if folder is None:
            return  # a remote root: its next listing brings them
        made = []
        for where, _, names in os.walk(folder):
            for name in names:
                relative = os.path.relpath(os.path.join(where, name), folder).replace(os.sep, "/")
                made.append(metrics_prefix + relative)
        yield from sorted(set(made) - set(paths))


def parse_metric_lines(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Lines ``timestamp value [step]`` as (timestamps ms, values, steps, lines that are not such a line).

    A column at a time (pyarrow's CSV reader, space-separated) when every line has the same fields and types;
    line by line otherwise, where a line that is not one (a step past 64 bits or negative, text for a number,
    a lone field or four) is counted, not read: one broken line must not cost the run its other points.
    """
    if not data:
        return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0, dtype=np.int64), 0
    for names in (["timestamp", "value", "step"], ["timestamp", "value"]):
        types = {"timestamp": "int64", "value": "float64", "step": "int64"}
        table = read_table(data, names, {name: types[name] for name in names}, " ")
        if table is not None:
            stamps = column(table, 0, np.int64)[0]
            steps = column(table, 2, np.int64)[0] if len(names) == 3 else np.zeros(len(stamps), dtype=np.int64)
            if (steps >= 0).all():  # else line by line: a negative step is a broken line
                return stamps, column(table, 1)[0], steps, 0
    parsed: list[tuple[int, float, int]] = []
    bad = 0
    for line in data.splitlines():
        parts = line.decode("utf-8", "replace").split()
        if not parts:
            continue
        stamp = integer_cell(parts[0])
        value = number_cell(parts[1]) if len(parts) > 1 else None
        step = step_cell(parts[2]) if len(parts) > 2 else 0  # MLflow before 1.0 wrote no step
        if stamp is None or value is None or step is None or len(parts) > 3:  # a step past 64 bits or negative,
            bad += 1  # text where a number was, a line of two run together
        else:
            parsed.append((stamp, value, step))
    columns = list(zip(*parsed)) or [(), (), ()]
    return (
        np.asarray(columns[0], dtype=np.int64),
        np.asarray(columns[1], dtype=np.float64),
        np.asarray(columns[2], dtype=np.int64),
        bad,
    )


class MlflowFilesFormat(Format):
    """Run folders of an MLflow file store: ``<exp id>/<run id>/meta.yaml`` with ``metrics/`` beside it."""

    name = FORMAT

    def __init__(self) -> None:
        self._names: dict[tuple[str, float], tuple[str, bool, float]] = {}
        """Run meta.yaml (path, mtime) -> (run name, deleted, start time)."""
        self._kept = KeptNames(id_named)
        self._experiments: dict[tuple[str, float], str] = {}

    def discover(self, root: Root, listing: Listing) -> Found:
        runs: dict[str, list[str]] = {}
        for path in listing.files:
            if basename(path) == "meta.yaml" and _RUN_ID.match(basename(parent(path))):
                runs.setdefault(parent(path), [])
        if "meta.yaml" in listing.files and any(path.startswith("metrics/") for path in listing.files):
            runs.setdefault(".", [])  # the root is a run's folder (its id is not in the root-relative paths)
        if not runs:
            return Found()
        for path in listing.files:
            for marker in ("metrics/", "params/"):
                at = path.find("/" + marker)
                folder = "." if path.startswith(marker) else path[:at] if at > 0 else None
                if folder in runs:
                    runs[folder].append(path)
        found = Found()
        started: dict[str, float] = {}
        for run_folder, files in sorted(runs.items()):
            experiment_folder = parent(run_folder)
            meta = inside(run_folder, "meta.yaml")
            name, deleted, started[meta] = self._run_name(root, listing, run_folder)
            if deleted:
                continue
            if run_folder == ".":  # the root is the run's folder: named as the tracker names it, or as the root
                label = name or "."
            else:
                experiment = self._experiment_name(root, listing, experiment_folder)
                label = run_label(parent(experiment_folder), experiment, name or basename(run_folder)[:8])
            found.sources.append(
                Source(
                    FORMAT,
                    meta,
                    label,
                    "",
                    (meta, *sorted(files)),
                    run_folder,
                    run_folder,
                )
            )
        found.sources = self._kept(plain_name_first(found.sources, started))
        return found

    def _run_name(self, root: Root, listing: Listing, run_folder: str) -> tuple[str, bool, float]:
        """(its name, whether it was deleted, when it started: for runs sharing a name, ``plain_name_first``)."""
        path = inside(run_folder, "meta.yaml")
        key = (path, listing.files[path].mtime)
        if key not in self._names:
            meta = _meta(root, path)
            start = meta.get("start_time")
            self._names[key] = (
                str(meta.get("run_name") or ""),
                meta.get("lifecycle_stage") == "deleted",
                float(start) if isinstance(start, int | float) and not isinstance(start, bool) else math.inf,
            )
        return self._names[key]

    def _experiment_name(self, root: Root, listing: Listing, folder: str) -> str:
        path = inside(folder, "meta.yaml")
        info = listing.files.get(path)
        if info is None:
            return "" if folder == "." else basename(folder)
        key = (path, info.mtime)
        if key not in self._experiments:
            self._experiments[key] = str(_meta(root, path).get("name") or basename(folder))
        return self._experiments[key]

    def open(self, source: Source) -> Stream:
        return MlflowFilesStream(source)

    def read_to_tell(self, path: str) -> bool:
        return basename(path) == "meta.yaml"  # a run's name, an experiment's
