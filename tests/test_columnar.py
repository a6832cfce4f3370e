"""The columnar readers give exactly what reading one value at a time gives: log objects, CSV rows, metric lines."""

from __future__ import annotations

import csv
import math
import tempfile
from pathlib import Path

import numpy as np
from conftest import points
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.sources.base import Source
from tui.sources.columns import STEP_KEYS, TIME_KEYS, LogObjects, ObjectColumns, Points
from tui.sources.csvlogs import KerasStream, LightningCsvFormat
from tui.sources.mlflow_files import parse_metric_lines
from tui.sources.mlflow_sqlite import TimeOrderedSteps
from tui.sources.points import Decoded, StepFilter
from tui.sources.roots.local import LocalRoot
from tui.sources.wall_clock import epoch_seconds

SKIP = frozenset(STEP_KEYS + TIME_KEYS)
KEYS = ["loss", "val_loss", "lr", "step", "global_step", "time", "acc"]
scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.integers(min_value=-(2**65), max_value=2**65),  # steps a float64 rounds, and steps past 64 bits
    st.booleans(),
    st.none(),
    st.sampled_from(["x", "NaN", ""]),
)
values = st.recursive(scalars, lambda inner: st.dictionaries(st.sampled_from(KEYS), inner, max_size=3), max_leaves=4)
objects = st.lists(
    st.one_of(st.dictionaries(st.sampled_from(KEYS), values, max_size=6), st.integers(), st.none()), max_size=30
)


def one_value_at_a_time(items: list, first: int, wall: float, after: int | None) -> dict[str, list[tuple]]:
    """The reference: every object walked value by value (what the JSON formats did before columns), text that is
    a number read as that number."""
    points: dict[str, list[tuple]] = {}
    last: dict[str, int] = {}

    def first_number(entry: dict, keys: tuple[str, ...]) -> float | None:
        for key in keys:
            value = entry.get(key)
            if type(value) in (int, float) and math.isfinite(value):
                return value
        return None

    def first_step(entry: dict) -> int | None:
        """A whole number from 0 to 2**63 - 1, exactly as written (a JSON integer is a Python int); a negative one
        is no step (the README: skipped and counted as damaged)."""
        for key in STEP_KEYS:
            value = entry.get(key)
            if type(value) in (int, float) and math.isfinite(value) and value == int(value) and 0 <= value < 2**63:
                return int(value)
        return None

    def walk(entry: dict, step: int, wall: float, prefix: str) -> None:
        for key, value in entry.items():
            if not prefix and key in SKIP:
                continue
            tag = prefix + key
            if type(value) is str:  # text that is a number is that number (a NumPy float32 through default=str)
                try:
                    value = float(value)
                except ValueError:
                    continue
            if type(value) in (int, float):
                if last.get(tag) != step:
                    last[tag] = step
                    points.setdefault(tag, []).append((step, wall, float(value)))
            elif type(value) is dict:
                walk(value, step, wall, tag + "/")

    # A time is a wall clock only where its column reads as one (``wall_clock``), told over the objects that share
    # their keys (in their order), as the columns are read.
    groups: dict[tuple, list[int]] = {}
    for position, entry in enumerate(items):
        if type(entry) is dict:
            groups.setdefault(tuple(entry), []).append(position)
    clocks: dict[int, float] = {}
    for positions in groups.values():
        stamps = [first_number(items[position], TIME_KEYS) for position in positions]
        found = np.array([stamp is not None for stamp in stamps])
        seconds, clock = epoch_seconds(np.array([np.nan if s is None else float(s) for s in stamps]), found)
        clocks.update({position: float(seconds[k]) for k, position in enumerate(positions) if clock[k]})
    for position, entry in enumerate(items):
        if type(entry) is not dict:
            continue
        step = first_step(entry)
        if step is None or (after is not None and step <= after):
            continue
        walk(entry, step, clocks.get(position, wall), "")
    return points


def as_lists(decoded: Decoded) -> dict[str, list[tuple]]:
    return {tag: points(decoded, tag) for tag in decoded.scalars}


def same(a: dict[str, list[tuple]], b: dict[str, list[tuple]]) -> bool:
    """Equal points per tag (steps exactly, NaN equal to NaN); a tag without points counts as absent."""
    a = {tag: points for tag, points in a.items() if points}
    b = {tag: points for tag, points in b.items() if points}
    return a.keys() == b.keys() and all(
        [p[0] for p in a[tag]] == [p[0] for p in b[tag]]
        and np.array_equal(np.asarray(a[tag], dtype=float), np.asarray(b[tag], dtype=float), equal_nan=True)
        for tag in a
    )


@settings(max_examples=100, deadline=None)
@given(objects, st.one_of(st.none(), st.integers(-5, 5)))
def test_log_objects_as_columns_equal_one_value_at_a_time(items: list, after: int | None):
    gathered = Points()
    LogObjects(SKIP).add(gathered, items, 0, 7.0, after=after)
    out = Decoded()
    gathered.flush(out, StepFilter())
    assert same(as_lists(out), one_value_at_a_time(items, 0, 7.0, after))


def test_trackio_and_wandb_values_keep_their_own_rules():
    """Text standing for a number is read (trackio's "NaN"), booleans are 0/1 (W&B), nested objects left out."""
    columns = ObjectColumns(strings={"NaN": math.nan, "Infinity": math.inf}, nested=False, bools=True)
    gathered = Points()
    rows = [{"a": 1.0, "b": "NaN", "m": {"x": 1}}, {"a": True, "b": "Infinity", "m": {"x": 2}}, {"a": 2, "b": "?"}]
    order = np.arange(3)
    columns.add(gathered, rows, order, order * 10, order.astype(float))
    out = Decoded()
    gathered.flush(out)
    assert points(out, "a") == [(0, 0.0, 1.0), (10, 1.0, 1.0), (20, 2.0, 2.0)]
    b = points(out, "b")
    assert math.isnan(b[0][2]) and b[1] == (10, 1.0, math.inf) and len(b) == 2
    assert "m" not in out.scalars and "m/x" not in out.scalars


cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-1000, 1000).map(str),
    st.sampled_from(["", "", "NA", "nan", "inf", "-inf", "x", "1e-3"]),
)


def read_both_ways(folder: Path, name: str, header: list[str], rows: list[list[str]], delimiter: str):
    """The file read by the stream (columns), and by the exact path alone."""
    path = folder / name
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    root = LocalRoot(str(folder))
    source = Source("keras-csv", name, ".", "", (name,))
    stream = KerasStream(source)
    columns = Decoded()
    for decoded in stream.read(root):
        columns = decoded
    exact = KerasStream(source)
    head, body = path.read_bytes().split(b"\n", 1)
    exact._set_header(head.rstrip(b"\r"))
    reference = Decoded()
    exact._add_rows(body, root.stat(name).mtime, reference)
    root.close()
    return columns, reference


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(cells, min_size=3, max_size=3), max_size=25),
    st.sampled_from([",", ";", "\t"]),
)
def test_csv_columns_equal_the_csv_module_cell_by_cell(rows: list[list[str]], delimiter: str):
    header = ["epoch", "loss", "val_loss"]
    with tempfile.TemporaryDirectory() as folder:
        body = [[str(index), *row[1:]] for index, row in enumerate(rows)]
        if rows:
            body[-1][0] = rows[-1][0]  # an odd epoch cell now and then: not an integer, or missing
        columns, reference = read_both_ways(Path(folder), "log.csv", header, body, delimiter)
    assert same(as_lists(columns), as_lists(reference))


steps = st.one_of(
    st.integers(-(2**65), 2**65).map(str),  # int64 in pyarrow, a float64 that rounds, past 64 bits
    st.integers(0, 2**64).map(lambda n: f"{n}.0"),  # steps written as floats: pyarrow's float64 column
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "NA", "nan", "x", "-9223372036854775808", "9223372036854775807"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(steps, cells), max_size=25))
def test_csv_steps_in_columns_equal_the_exact_path(rows: list[tuple[str, str]]):
    """Steps of any size read as pyarrow's int64 or float64 column give what the csv module's cells give."""
    with tempfile.TemporaryDirectory() as folder:
        columns, reference = read_both_ways(Path(folder), "log.csv", ["epoch", "loss"], [list(r) for r in rows], ",")
    assert same(as_lists(columns), as_lists(reference))


def test_lightning_csv_read_in_blocks_gives_every_point_once(tmp_path: Path, monkeypatch):
    """A log bigger than one block is parsed a block at a time, each row once."""
    import tui.sources.textlog as textlog

    folder = tmp_path / "version_0"
    folder.mkdir()
    lines = ["epoch,step,train_loss,val_loss"] + [f"{s // 10},{s},{1 / (s + 1)!r}," for s in range(500)]
    (folder / "metrics.csv").write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(textlog, "BLOCK_BYTES", 1000)
    root = LocalRoot(str(tmp_path))
    [source] = LightningCsvFormat().discover(root, root.list()).sources
    stream = LightningCsvFormat().open(source)
    batches = list(stream.read(root))
    root.close()
    assert len(batches) > 5
    steps = [p[0] for batch in batches for p in points(batch, "train_loss")]
    assert steps == list(range(500))
    assert sum(len(points(batch, "val_loss")) for batch in batches) == 0


def test_metric_lines_in_one_go_or_line_by_line_alike():
    good = b"1000 0.5 1\n1001 nan 2\n1002 -inf 3\n"
    stamps, values, steps, bad = parse_metric_lines(good)
    assert stamps.tolist() == [1000, 1001, 1002] and steps.tolist() == [1, 2, 3] and bad == 0
    assert math.isnan(values[1]) and values[2] == -math.inf
    old = b"1000 0.5\n1001 0.25\n"  # written before MLflow kept steps
    assert parse_metric_lines(old)[2].tolist() == [0, 0]
    mixed = b"1000 0.5 1\n1001 oops 2\n1002 0.25\n\n"
    stamps, values, steps, bad = parse_metric_lines(mixed)
    assert stamps.tolist() == [1000, 1002] and values.tolist() == [0.5, 0.25] and steps.tolist() == [1, 0] and bad == 1


def test_a_metric_line_whose_step_is_no_step_is_counted_not_a_crash():
    """A step past 64 bits was an OverflowError that took every run down; a fraction, a time past 64 bits and a
    line of one field are bad lines too. A whole number written as ``7.0`` is a step."""
    lines = b"1000 0.5 99999999999999999999\n1001 0.5 2.5\n99999999999999999999 0.5 3\n1003\n"
    lines += b"1004 inf 7.0\n1005 0.25 8\n"
    stamps, values, steps, bad = parse_metric_lines(lines)
    assert stamps.tolist() == [1004, 1005] and values.tolist() == [math.inf, 0.25] and steps.tolist() == [7, 8]
    assert bad == 4


def test_csv_text_where_a_number_was_is_read_cell_by_cell(tmp_path: Path):
    (tmp_path / "training.log").write_text("epoch,loss,val_loss\n0,0.5,NA\n1,oops,0.75\n2,nan,0.5\n")
    root = LocalRoot(str(tmp_path))
    stream = KerasStream(Source("keras-csv", "training.log", ".", "", ("training.log",)))
    [decoded] = list(stream.read(root))
    root.close()
    loss = points(decoded, "loss")
    assert [p[0] for p in loss] == [0, 2] and loss[0][2] == 0.5 and math.isnan(loss[1][2])
    assert [(p[0], p[2]) for p in points(decoded, "val_loss")] == [(1, 0.75), (2, 0.5)]


def test_points_logged_at_the_last_64_bit_step_are_not_numbered_past_it():
    """Points of one key all at one step are numbered from it in time order; from the last step a 64-bit integer
    holds, the numbers ran past it (OverflowError): such points keep their own step."""
    numbering = TimeOrderedSteps()
    last = np.full(3, 2**63 - 1, dtype=np.int64)
    permutation, steps = numbering.number("gpu_mem", last, np.arange(3))
    assert permutation is None and steps.tolist() == [2**63 - 1] * 3
    assert numbering.number("lr", np.zeros(3, dtype=np.int64), np.arange(3))[1].tolist() == [0, 1, 2]
