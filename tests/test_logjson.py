"""trainer_state.json read by the compiled kernel (tui/_logjson.c) gives exactly what the general JSON path gives:
its numbers are Python's json numbers, and the stream's points, hyper-parameters and position are the same in
every case, including the ones the kernel leaves to the general path."""

from __future__ import annotations

import json
import math
import os
import tempfile
from decimal import Decimal, getcontext
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tui.sources.logjson as logjson
from tui.live.monitor import Monitor
from tui.sources.base import Source
from tui.sources.jsonlogs import HF_STATE, TrainerStateStream
from tui.sources.roots.local import LocalRoot

try:
    from tui import _logjson
except ImportError:  # test_compiled_kernel_is_built says so; the comparisons below then compare the path with itself
    _logjson = None

needs_compiled = pytest.mark.skipif(_logjson is None, reason="tui._logjson was not built")


def test_compiled_kernel_is_built():
    """CI has a C compiler: a silent fallback to the slower general path would hide a broken build."""
    assert logjson.compiled_logjson() is not None


# ---- numbers ---------------------------------------------------------------------------------------------------


def kernel_numbers(literals: list[str]) -> np.ndarray | None:
    found = _logjson.records(("[" + ",".join(f'{{"a": {text}}}' for text in literals) + "]").encode(), 0)
    return None if found is None else np.frombuffer(found[3], dtype=np.float64)


def same_bits(got: np.ndarray, literals: list[str]) -> bool:
    want = np.array([float(json.loads(text)) for text in literals], dtype=np.float64)
    return np.array_equal(got.view(np.uint64), want.view(np.uint64))


def near_halfway(value: float, digits: int) -> str:
    """The exact midpoint between ``value`` and the next double up, in ``digits`` significant digits."""
    getcontext().prec = 60
    middle = (Decimal(value) + Decimal(math.nextafter(value, math.inf))) / 2
    return format(middle, f".{digits - 1}e")


decimal_text = st.builds(
    lambda sign, whole, fraction, exponent: f"{sign}{whole}.{fraction}{exponent}",
    st.sampled_from(["", "-"]),
    st.one_of(st.just("0"), st.integers(1, 10**19).map(str)),
    st.integers(0, 10**22).map(str),
    st.one_of(
        st.just(""), st.integers(-45, 45).map(lambda e: f"e{e}"), st.integers(-330, 330).map(lambda e: f"E{e:+d}")
    ),
)
finite = st.floats(allow_nan=False, allow_infinity=False)


@needs_compiled
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            finite.map(repr),
            decimal_text,
            st.integers(-(10**15) + 1, 10**15 - 1).map(str),
            st.builds(near_halfway, st.floats(1e-30, 1e30), st.integers(16, 25)),
            st.sampled_from(["NaN", "Infinity", "-Infinity", "-0", "-0.0", "0e5", "1e400", "5e-324", "2.5e-308"]),
        ),
        min_size=1,
        max_size=200,
    )
)
def test_numbers_are_pythons_json_numbers_to_the_bit(literals: list[str]):
    got = kernel_numbers(literals)
    assert got is not None and same_bits(got, literals)


@needs_compiled
def test_random_doubles_round_trip_to_the_bit():
    rng = np.random.default_rng(7)
    doubles = rng.integers(0, 2**64, size=100_000, dtype=np.uint64).view(np.float64)
    literals = [repr(float(x)) for x in doubles if math.isfinite(x)]
    literals += [repr(float(x)) for x in rng.random(50_000) * 10.0 ** rng.integers(-25, 25, 50_000)]
    got = kernel_numbers(literals)
    assert got is not None and same_bits(got, literals)


@needs_compiled
@pytest.mark.parametrize(
    "text",
    [
        '[{"a": 01}]',  # not JSON
        '[{"a": 1.}]',
        '[{"a": -NaN}]',
        '[{"a": 1},]',
        '[{"a": 1}',  # being written
        '[{"a": 1, "a": 2}]',  # the last one wins in Python: left to the general path
        '[{"a": "x"}]',  # anything but a number
        '[{"a": true}]',
        '[{"a": null}]',
        '[{"a": {"b": 1}}]',
        '[{"a\\u0041": 1}]',  # an escape in a key
        '[{"\u00e9": 1}]',  # a key that is not ASCII
        '[{"a": 1234567890123456}]',  # an integer past 15 digits: compared exactly only as a Python int
        "[1]",
    ],
)
def test_anything_but_plain_numbers_is_left_to_the_general_path(text: str):
    assert _logjson.records(text.encode(), 0) is None


# ---- the stream ------------------------------------------------------------------------------------------------

KEYS = ["loss", "eval_loss", "learning_rate", "grad_norm", "epoch", "step", "global_step", "timestamp"]
plain = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**15) + 1, 10**15 - 1),
    st.integers(0, 3000),
)
odd = st.one_of(st.booleans(), st.none(), st.just("x"), st.integers(10**15, 2**70), st.just({"inner": 1.5}))
shaped = st.builds(lambda keys, step: {**dict.fromkeys(keys, 0.5), "step": step}, st.just(KEYS[:3]), st.integers(0, 50))
numbers_only = st.lists(st.one_of(st.dictionaries(st.sampled_from(KEYS), plain, max_size=6), shaped), max_size=25)
any_value = st.dictionaries(st.sampled_from(KEYS), st.one_of(plain, odd), max_size=6)
mixed = st.lists(st.one_of(any_value, shaped), max_size=8)
history = st.one_of(numbers_only, numbers_only, mixed)


def state_text(entries: list, layout: str, extra: dict) -> str:
    state = {"global_step": 7, "train_batch_size": 8, "trial_params": {"lr": 0.1}, **extra, "log_history": entries}
    if layout == "trainer":  # TrainerState.save_to_json
        return json.dumps(state, indent=2, sort_keys=True) + "\n"
    return json.dumps(state)


def read_each(folder: Path, texts: list[str], compiled: bool) -> list:
    """Each text written in turn over the file and read by one stream (with the kernel or without): per read,
    its points, hyper-parameters, health and position."""
    with pytest.MonkeyPatch.context() as patch:
        if not compiled:
            patch.setattr(logjson, "compiled_logjson", lambda: None)
        path = folder / "trainer_state.json"
        root = LocalRoot(str(folder))
        stream = TrainerStateStream(Source(HF_STATE, ".#trainer_state", ".", "", ("trainer_state.json",)))
        seen = []
        for text in texts:
            path.write_text(text)
            os.utime(path, (1e9 + len(seen), 1e9 + len(seen)))  # the points' wall time: the same on both sides
            [decoded] = list(stream.read(root))
            scalars = {
                tag: tuple(np.asarray(column).tolist() for column in arrays) for tag, arrays in decoded.scalars.items()
            }
            seen.append((scalars, decoded.hparams, stream.health.incomplete_bytes, stream.entries, stream.last_step))
        root.close()
    return seen


def equal(a, b) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)  # NaN written as NaN on both sides


@settings(max_examples=80, deadline=None)
@given(history, history, st.sampled_from(["trainer", "compact"]), st.booleans())
def test_the_kernel_path_reads_what_the_general_path_reads(first: list, more: list, layout: str, cut: bool):
    extra = {"best_metric": math.nan, "best_model_checkpoint": None}
    texts = [state_text(first, layout, extra), state_text(first + more, layout, extra)]
    if cut:  # the Trainer's file being written: cut in the middle of the history
        texts.insert(1, texts[1][: len(texts[1]) * 2 // 3])
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        kernel = read_each(Path(one), texts, True)
        general = read_each(Path(two), texts, False)
    assert equal(kernel, general)


@needs_compiled
@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"a": {"log_history": [{"step": 1, "loss": 1}]}, "log_history": [{"step": 2, "loss": 2}]}', "nested first"),
        ('{"log_history": [{"step": 1, "loss": 1}], "log_history": [{"step": 2, "loss": 2}]}', "twice"),
        ('{"log_history": [{"step": 1, "loss": 1}], "log_history": 5}', "the last one is no list"),
        ('{"log_history": [{"step": 1, "loss": 1}], "x": [}', "the rest is no JSON"),
    ],
)
def test_a_history_that_is_not_the_top_levels_only_one_goes_the_general_way(text: str, why: str, tmp_path: Path):
    assert logjson.read_state(text.encode()) is None, why
    assert equal(read_each(tmp_path, [text], True), read_each(tmp_path, [text], False))


@needs_compiled
def test_the_trainers_own_files_take_the_kernel_path():
    """The committed Trainer output: training and evaluation entries, two key lists, hyper-parameters beside."""
    for path in sorted(Path(__file__).parent.glob("loggers/runs/hf-out/checkpoint-*/trainer_state.json")):
        state, tables = logjson.read_state(path.read_bytes())
        assert [keys for keys, _, _ in tables] == [
            ("epoch", "grad_norm", "learning_rate", "loss", "step"),
            ("epoch", "eval_loss", "eval_runtime", "step"),
        ]
        assert state["train_batch_size"] == 8 and "log_history" not in state
        entries = json.loads(path.read_text())["log_history"]
        for keys, table, rows in tables:
            assert table.tolist() == [[float(entries[row][key]) for key in keys] for row in rows]


def test_a_json_lines_log_that_opens_with_its_config_is_found(tmp_path: Path):
    """A script that writes its config as the first line, then a line per step: the first line has no step, and
    the log was "no training logs found"; a log with only that line so far is found once its steps come."""
    log = tmp_path / "run" / "log.jsonl"
    log.parent.mkdir()
    log.write_text(json.dumps({"config": {"lr": 0.001, "model": "resnet18"}}) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert "run" not in monitor.store.runs
    with open(log, "a") as handle:
        for step in range(3):
            handle.write(json.dumps({"step": step, "train_loss": 1.0 - step / 10}) + "\n")
    monitor.refresh()
    assert monitor.store.runs["run"].scalars["train_loss"].steps.tolist() == [0, 1, 2]


@pytest.mark.parametrize("compiled", [True, False], ids=["kernel", "general"])
def test_an_evaluation_saved_after_its_steps_training_log_is_read(tmp_path: Path, compiled: bool):
    """The Trainer saved step 2,000's training log, then its evaluation at the next save: only entries past the
    last step read were taken, so eval_loss at 2,000 was dropped for good (and an alert ``replay`` gave with it).
    What was read there already is not read twice, nor counted again at every read."""
    head = [{"loss": 0.3, "step": 1900}, {"eval_loss": 0.25, "step": 1900}, {"loss": 0.2, "step": 2000}]
    rest = [{"eval_loss": 0.29, "step": 2000}, {"loss": 0.1, "step": 2100}]
    texts = [
        state_text(head, "trainer", {"global_step": 2000}),
        state_text(head + rest, "trainer", {"global_step": 2100}),
        state_text(head + rest, "trainer", {"global_step": 2100}),
    ]
    seen = read_each(tmp_path, texts, compiled)
    (first, *_, entries_first, _), (second, *_, entries_second, last), (third, *_, entries_third, _) = seen
    assert first["eval_loss"][0] == [1900] and first["loss"][0] == [1900, 2000]
    assert second["eval_loss"][0] == [2000] and second["eval_loss"][2] == [0.29]
    assert second["loss"][0] == [2100]  # 2,000's training log is not read again
    assert last == 2100 and entries_first == 3 and entries_second > entries_first
    assert third == {} and entries_third == entries_second  # nothing new: nothing read, nothing counted


@pytest.mark.parametrize("compiled", [True, False], ids=["kernel", "general"])
def test_history_entries_without_a_step_are_counted_as_damaged(tmp_path: Path, compiled: bool):
    """Six entries without a step were dropped unsaid, the file not flagged damaged; the rest is read."""
    entries = [{"loss": 1.0 / (step + 1), "step": step} for step in range(10)]
    entries += [{"loss": 0.5, "epoch": 1.0}] * 6
    with pytest.MonkeyPatch.context() as patch:
        if not compiled:
            patch.setattr(logjson, "compiled_logjson", lambda: None)
        (tmp_path / "trainer_state.json").write_text(state_text(entries, "trainer", {"global_step": 9}))
        root = LocalRoot(str(tmp_path))
        stream = TrainerStateStream(Source(HF_STATE, ".#trainer_state", ".", "", ("trainer_state.json",)))
        [decoded] = list(stream.read(root))
        root.close()
    assert stream.health.undecodable == 6 and stream.health.damaged
    assert np.asarray(decoded.scalars["loss"][0]).tolist() == list(range(10))
