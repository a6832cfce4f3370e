"""W&B local runs: ``wandb/run-*/run-*.wandb`` and ``wandb/offline-run-*/run-*.wandb``, tailed.

Every run W&B starts, online or offline, writes its transaction log beside the job:
protobuf ``Record`` messages (wandb ``proto/wandb_internal.proto``) framed by
``log.py``. Read here: the ``run`` record (display name, id, config), later
``config`` records, and ``history`` records, whose items name a metric by ``key``
or ``nested_key`` (``{"a": {"b": 1}}`` logs ``a/b``) and carry its value as JSON
(``value_json``) or typed; ``_step`` is the step and ``_timestamp`` the wall time.
Histograms logged with ``wandb.Histogram`` (``_type: histogram``) become histograms.

The records are decoded with W&B's own protobuf classes, from the optional extra
``losswatch[wandb]``; without it the runs are listed with a note that says so.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from tui.sources import jsontext
from tui.sources.base import Format, Found, Source, Stream, basename, describe, parent
from tui.sources.cells import step_cell
from tui.sources.columns import ObjectColumns, Points, groups
from tui.sources.hparams import flattened
from tui.sources.kept_names import KeptNames
from tui.sources.mlflow_sqlite import run_label
from tui.sources.points import Decoded, Histogram
from tui.sources.roots.base import Listing, Root
from tui.sources.wandb.log import LogReader, NotAWandbLog
from tui.sources.wandb.records import record_fields, record_type
from tui.sources.wandb.records import records_module as _records_module

FORMAT = "wandb"
MISSING_EXTRA = (
    "W&B runs found, but reading them needs W&B's record definitions: pip install wandb (losswatch's [wandb] extra)"
)
_RUN_FOLDER = re.compile(r"^(?:offline-)?run-\d{8}_\d{6}-(?P<id>[A-Za-z0-9]+)$")
_LOG_NAME = re.compile(r"^run-(?P<id>[A-Za-z0-9]+)\.wandb$")
_HEAD_BYTES = 64 * 1024
"""Bytes read when a run is found, for the record that names it (the second record of the log)."""
STARTING_SECONDS = 60.0
"""A log without the record that names its run, last written less than this long ago, is a job starting (W&B
writes that record as the run begins): it is listed once the name is there. Older, its writer stopped before
that record (a job killed as it started): it is listed by the run's id, to stay so, not left out unseen."""
_SKIP_KEYS = frozenset({"_step", "_timestamp", "_runtime"})
_LAST_STEP = 2**63 - 1


def is_wandb_log(path: str) -> bool:
    """A ``run-<id>.wandb`` file in a W&B run folder, or at the top of a root that is one (``losswatch
    wandb/latest-run``: the folder's name is not in the root-relative path; the log's head is checked anyway)."""
    folder = parent(path)
    return bool(_LOG_NAME.match(basename(path))) and (folder == "." or bool(_RUN_FOLDER.match(basename(folder))))


class WandbStream(Stream):
    """One run's ``.wandb`` log, tailed: points, config (hyper-parameters) and histograms."""

    WALLS_LOGGED = True

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.reader = LogReader(source.paths[0])

    @property
    def position(self) -> int:
        return self.reader.offset

    def read(self, root: Root) -> Iterator[Decoded]:
        pb = _records_module()
        if pb is None:
            self.health.error = MISSING_EXTRA
            return
        try:
            records = self.reader.read(root)
        except NotAWandbLog as error:
            self.health.error = str(error)
            return
        except OSError as error:
            self.health.error = describe(error)
            return
        self.health.error = None
        decoded = decode_records(pb, records)
        self.health.skipped_records = self.reader.damage.skipped_records
        self.health.skipped_bytes = self.reader.damage.skipped_bytes
        self.health.incomplete_bytes = self.reader.incomplete
        self.health.undecodable += decoded.undecodable
        yield decoded


def decode_records(pb, records: list[bytes]) -> Decoded:
    """History points, config and histograms of a batch of serialized ``Record`` messages."""
    out = Decoded()
    record_class = pb.Record
    rows: list[dict[str, str]] = []
    steps: list[int] = []
    walls: list[float] = []
    types, wanted = record_fields(pb)
    for raw in records:
        if record_type(raw, types) not in wanted:
            continue  # a summary, stats, console output...: most of the log, none of it points
        try:
            record = record_class.FromString(raw)
        except Exception:  # protobuf raises DecodeError or RuntimeError by implementation
            out.undecodable += 1
            continue
        kind = record.WhichOneof("record_type")
        if kind == "history":
            rows.append(_history_row(record.history, steps, walls))
        elif kind == "run":
            _config(record.run.config, out.hparams)
        elif kind == "config":
            _config(record.config, out.hparams)
    _points(rows, steps, walls, out)
    return out


def _key(item) -> str:
    """An item's name: its ``nested_key`` path, or ``key`` (W&B sets one or the other)."""
    return "/".join(item.nested_key) or item.key


def _history_row(history, steps: list[int], walls: list[float]) -> dict[str, str]:
    """Tag -> JSON text of one history record; its step and time go to ``steps``/``walls``."""
    row = {"/".join(item.nested_key) or item.key: item.value_json for item in history.item}
    if "" in row.values():  # a value sent typed rather than as JSON text (newer W&B versions may)
        typed = ((_key(item), item.value_json or _typed_json(item)) for item in history.item)
        row = {key: text for key, text in typed if text is not None}
    step_text = row.pop("_step", None)
    wall_text = row.pop("_timestamp", None)
    row.pop("_runtime", None)
    step = step_cell(step_text)  # JSON text: an integer stays exact (a float64 rounds it from 2**53 on)
    if step is None:  # none, or no 64-bit integer (1e30 took every run down with an OverflowError)
        step = history.step.num if history.HasField("step") else (min(steps[-1] + 1, _LAST_STEP) if steps else 0)
    wall = _number(wall_text)
    if wall is None or not math.isfinite(wall):
        wall = walls[-1] if walls else 0.0
    steps.append(int(step))
    walls.append(wall)
    return row


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _typed_json(item) -> str | None:
    """Newer W&B versions may carry a value typed instead of as JSON text."""
    which = item.WhichOneof("value")
    if which == "integer":  # its digits: a float64 rounds a step from 2**53 on
        return str(item.integer)
    if which == "number":
        return repr(float(item.number))
    if which == "boolean":
        return "1" if item.boolean else "0"
    if which == "json":
        return item.json
    return None


_VALUES = ObjectColumns(nested=False, bools=True, unordered=True)
"""History values: numbers (and booleans as 0/1) are points; objects (media, histograms) are not."""


def _points(rows: list[dict[str, str]], steps: list[int], walls: list[float], out: Decoded) -> None:
    """Each tag's values as one column: its JSON texts parsed in one call, numbers added as one array."""
    if not rows:
        return
    points = Points()
    all_orders = np.arange(len(rows), dtype=np.int64)
    all_steps = np.asarray(steps, dtype=np.int64)
    all_walls = np.asarray(walls, dtype=np.float64)
    for keys, group, index in groups(rows, frozenset):
        if index is None:
            orders, group_steps, group_walls = all_orders, all_steps, all_walls
        else:
            orders, group_steps, group_walls = all_orders[index], all_steps[index], all_walls[index]
        parsed_columns = []
        histograms = False
        for key in keys:
            texts = [row[key] for row in group]
            joined = "[" + ",".join(texts) + "]"
            try:
                values = jsontext.loads(joined)
                if not isinstance(values, list) or len(values) != len(texts):
                    raise ValueError("values do not parse one by one")
            except ValueError:  # a bad value: parse them one at a time
                values = [None if value is jsontext.BAD else value for value in jsontext.loads_each(texts)]
            _VALUES.add_column(points, key, values, orders, group_steps, group_walls)
            parsed_columns.append(values)
            histograms = histograms or '"histogram"' in joined
        if histograms:
            objects = [dict(zip(keys, row_values)) for row_values in zip(*parsed_columns)]
            _histograms(objects, group_steps.tolist(), group_walls.tolist(), out)
    points.flush(out)


def _histograms(objects: list[dict], steps: list[int], walls: list[float], out: Decoded) -> None:
    """Histograms logged with ``wandb.Histogram``: one object, or one item per nested key."""
    for row, step, wall in zip(objects, steps, walls):
        for tag, value in row.items():
            if isinstance(value, dict) and value.get("_type") == "histogram":
                histogram = _histogram(value, step, wall)
                if histogram is not None:
                    out.add_histogram(tag, histogram)
            elif tag.endswith("/_type") and value == "histogram":  # W&B logs a dict as one item per nested key
                prefix = tag[: -len("/_type")]
                fields = {"bins": row.get(prefix + "/bins"), "values": row.get(prefix + "/values")}
                histogram = _histogram(fields, step, wall)
                if histogram is not None:
                    out.add_histogram(prefix, histogram)


def _loads(text: str) -> object:
    try:
        return jsontext.loads(text)
    except ValueError:  # not JSON, or nested deeper than Python's stack
        return None


def _histogram(value: dict, step: int, wall: float) -> Histogram | None:
    edges, counts = value.get("bins"), value.get("values")
    if not isinstance(edges, list) or not isinstance(counts, list) or len(edges) != len(counts) + 1:
        return None
    try:
        return Histogram(step, wall, np.asarray(edges, dtype=np.float64), np.asarray(counts, dtype=np.float64))
    except (TypeError, ValueError):
        return None


def _config(config, into: dict[str, object]) -> None:
    """Config updates as hyper-parameters (nested dicts flattened to ``a.b``); W&B's own ``_wandb`` left out."""
    for item in config.update:
        key = _key(item)
        if key.startswith("_wandb"):
            continue
        value = _loads(item.value_json)
        if isinstance(value, dict) and set(value) == {"desc", "value"}:  # the config.yaml layout
            value = value["value"]
        into.update(flattened(value, key))


class WandbFormat(Format):
    """W&B run folders; the run is named by its display name (its id when it has none)."""

    name = FORMAT

    def __init__(self) -> None:
        self._names: dict[tuple[str, str], str] = {}
        """(path, file identity) -> the run's display name, read once per log."""
        self._kept = KeptNames(_id_named, identity=_identity)

    def discover(self, root: Root, listing: Listing) -> Found:
        found = Found()
        logs = [info for path, info in listing.files.items() if is_wandb_log(path)]
        if not logs:
            return found
        pb = _records_module()
        if pb is None:
            found.notes.append(MISSING_EXTRA)
        for info in sorted(logs, key=lambda i: i.path):
            folder = parent(info.path)
            run_id = _LOG_NAME.match(basename(info.path)).group("id")  # type: ignore[union-attr]  # its folder's
            try:
                name = self._display_name(root, info.path, info.identity, pb) if pb is not None else ""
            except OSError as error:  # refused: the monitor shows the file as a run that cannot be read
                found.errors[info.path] = describe(error)
                continue
            if name is None:  # damaged or foreign at its head: listed by its id, its stream says what is wrong
                name = ""
            elif not name and pb is not None and info.size < _HEAD_BYTES:
                if time.time() - info.mtime < STARTING_SECONDS:
                    continue  # just started: the record that names the run comes first; list it once it is there
                self._names[(info.path, info.identity)] = run_id  # a name read later does not make a second run
            label = run_label(_project_folder(folder), name or run_id)
            found.sources.append(Source(FORMAT, info.path, label, paths=(info.path,), detail=run_id, where=folder))
        _disambiguate(found.sources)
        found.sources = self._kept(found.sources)  # a run found after one of its name does not rename it
        return found

    def open(self, source: Source) -> Stream:
        return WandbStream(source)

    def named_log(self, path: str) -> bool:
        return is_wandb_log(path)

    def read_to_tell(self, path: str) -> bool:
        return is_wandb_log(path)  # its first records name the run

    def _display_name(self, root: Root, path: str, identity: str, pb) -> str | None:
        """The run's display name from the log's first records (the last name they give it: a run renamed as
        it starts, ``wandb.run.name = ...``; one renamed later keeps the name it had when found, as a watched
        MLflow run does): "" until they are there, None when they never will be (no W&B header, or damage before
        the run record: named by its id, never left out unseen); ``OSError`` when the log cannot be read."""
        known = self._names.get((path, identity))
        if known is not None:
            return known
        name = ""
        reader = LogReader(path)
        try:
            for raw in _head_records(reader, root):
                record = pb.Record.FromString(raw)
                if record.WhichOneof("record_type") == "run":  # the last in the head: a rename just after init
                    name = record.run.display_name or name or record.run.run_id  # (``wandb.run.name = ...``)
        except OSError:
            raise
        except Exception:  # a foreign file or a record that does not decode
            return None
        if name:
            self._names[(path, identity)] = name
            return name
        return None if reader.damage.skipped_records or reader.damage.skipped_bytes else name


def _head_records(reader: LogReader, root: Root) -> list[bytes]:
    """The records in the first bytes of a log (enough for the run record)."""
    return reader.read(_Head(root, _HEAD_BYTES))


class _Head(Root):
    """A view of a root that shows only the first bytes of each file (to name a run without reading it all)."""

    def __init__(self, root: Root, limit: int) -> None:
        super().__init__(root.label)
        self._root, self._limit = root, limit

    def list(self) -> Listing:
        return self._root.list()

    def stat(self, path: str):
        info = self._root.stat(path)
        return type(info)(info.path, min(info.size, self._limit), info.mtime, info.identity)

    def read(self, path: str, offset: int, size: int) -> bytes:
        return self._root.read(path, offset, max(0, min(size, self._limit - offset)))


def _project_folder(run_folder: str) -> str:
    """The folder W&B was run from (``<it>/wandb/<run folder>``), root-relative (``.``: the root or above it): it
    names the run before its display name, so runs of two projects are told apart as MLflow's experiments are."""
    runs = parent(run_folder)
    return parent(runs) if basename(runs) in ("wandb", ".wandb") else runs  # .wandb: the SDK's, when it exists


def _disambiguate(sources: list[Source]) -> None:
    """Two W&B runs with the same display name are told apart by their ids; the logs of one run (resumed, a log
    per attempt) share its name, and so its place."""
    ids: dict[str, set[str]] = {}
    for source in sources:
        ids.setdefault(source.run, set()).add(source.detail)
    for index, source in enumerate(sources):
        if len(ids[source.run]) > 1:
            sources[index] = replace(source, run=_id_named(source))


def _id_named(source: Source) -> str:
    """The run's name with its id after it: two runs of one display name told apart."""
    return f"{source.run} ({source.detail})"


def _identity(source: Source) -> str:
    """A W&B run is its id in its project's folder: a run resumed writes a second log under the same id."""
    return f"{_project_folder(source.where)}#{source.detail}"
