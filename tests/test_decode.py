"""Decoding: our reader equals tbparse on every fixture; TF2 tensor shapes; histograms."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    DATA,
    decode_file,
    event_files,
    file_version_event,
    points,
    read_records,
    tf2_scalar_event,
    write_records,
)
from tbparse import SummaryReader

from tui.sources.tensorboard.decode import EventDecoder
from tui.sources.tensorboard.records import RecordReader

FIXTURE_FILES = event_files(DATA)


def ours(path: Path):
    decoded = decode_file(path)
    found = {(tag, step, value) for tag in decoded.scalars for step, _wall, value in points(decoded, tag)}
    return decoded, found


def tbparse_points(path: Path):
    reader = SummaryReader(str(path), pivot=False)
    found = set()
    for row in reader.scalars.itertuples():
        found.add((row.tag, int(row.step), float(np.float32(row.value))))
    tensors = reader.tensors
    if len(tensors):
        for row in tensors.itertuples():
            value = np.asarray(row.value)
            if value.size == 1 and not row.tag.endswith("histogram") and row.tag != "keras":
                found.add((row.tag, int(row.step), float(value.reshape(-1)[0])))
    return found


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(DATA)))
def test_scalars_equal_tbparse(path: Path):
    _, mine = ours(path)
    theirs = tbparse_points(path)
    assert mine, "fixture should hold scalars"
    norm = lambda pts: {(t, s, np.float32(v).item()) for t, s, v in pts}  # noqa: E731
    assert norm(mine) == norm(theirs)


def test_histograms_of_both_writers_are_decoded():
    torch_hist, _ = ours(event_files(DATA / "torch" / "frozen-7")[0])
    assert set(torch_hist.histograms) == {"weights/layer0", "activations/layer0"}
    assert len(torch_hist.histograms["weights/layer0"]) == 30
    keras_hist, _ = ours(event_files(DATA / "keras" / "k-overfit" / "train")[0])
    kernel = keras_hist.histograms["sequential/dense/kernel/histogram"]
    assert len(kernel) == 80
    assert kernel[0].counts.sum() == 32768  # 64 inputs x 512 units
    assert len(kernel[0].edges) == len(kernel[0].counts) + 1


@pytest.mark.parametrize("dtype", ["content32", "content64", "float_val", "double_val"])
def test_tf2_scalar_tensor_shapes(tmp_path: Path, dtype: str):
    path = tmp_path / "events.out.tfevents.1.v2"
    write_records(
        path,
        [file_version_event()]
        + [tf2_scalar_event("epoch_loss", i, 0.5 + i, first=(i == 0), dtype=dtype) for i in range(3)],
    )
    decoded, _ = ours(path)
    # The plugin name is only on the first event: later ones must still count as scalars.
    assert [(s, v) for s, _w, v in points(decoded, "epoch_loss")] == [(0, 0.5), (1, 1.5), (2, 2.5)]


def test_plugin_memory_is_per_file(tmp_path: Path):
    first = tmp_path / "a.tfevents"
    write_records(first, [tf2_scalar_event("x", 0, 1.0, first=True)])
    second = tmp_path / "b.tfevents"
    write_records(second, [tf2_scalar_event("x", 1, 2.0, first=False)])
    decoder = EventDecoder()
    decoder.decode(read_records(RecordReader(first)))
    assert points(decoder.decode(read_records(RecordReader(second))), "x") == [(1, 1.0, 2.0)]


def test_non_events_are_counted_not_fatal(tmp_path: Path):
    path = tmp_path / "events.out.tfevents.1"
    write_records(path, [b"\xff\xff\xff garbage that is not a protobuf", file_version_event()])
    decoded = EventDecoder().decode(read_records(RecordReader(path)))
    assert decoded.undecodable == 1
    assert decoded.scalars == {}


def test_nan_and_inf_values_are_kept(tmp_path: Path):
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(str(tmp_path))
    for step, value in enumerate([1.0, float("nan"), float("inf"), -float("inf")]):
        writer.add_scalar("loss", value, step)
    writer.close()
    decoded, _ = ours(event_files(tmp_path)[0])
    values = [v for _s, _w, v in points(decoded, "loss")]
    assert values[0] == 1.0 and math.isnan(values[1]) and values[2] == math.inf and values[3] == -math.inf
