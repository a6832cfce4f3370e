"""Shared test helpers: real fixture runs and real writers."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest
from tensorboard.compat.proto import event_pb2, types_pb2

from tui.sources.tensorboard.records import frame

DATA = Path(__file__).parent / "data"
TORCH = DATA / "torch"
KERAS = DATA / "keras"


def event_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*tfevents*") if p.is_file())


@pytest.fixture
def fixtures_copy(tmp_path: Path) -> Path:
    """A writable copy of all fixture runs (torch/ and keras/)."""
    target = tmp_path / "logs"
    shutil.copytree(DATA / "torch", target / "torch")
    shutil.copytree(DATA / "keras", target / "keras")
    for path in target.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return target


def scalar_event(tag: str, step: int, value: float, wall_time: float = 1.0) -> bytes:
    """A PyTorch-style simple_value event, serialized."""
    event = event_pb2.Event(wall_time=wall_time, step=step)
    event.summary.value.add(tag=tag, simple_value=value)
    return event.SerializeToString()


def tf2_scalar_event(
    tag: str, step: int, value: float, wall_time: float = 1.0, first: bool = True, dtype: str = "content32"
) -> bytes:
    """A TF2 tensor-summary scalar; the plugin name only on the first event, like TF2 writes it."""
    event = event_pb2.Event(wall_time=wall_time, step=step)
    summary_value = event.summary.value.add(tag=tag)
    if first:
        summary_value.metadata.plugin_data.plugin_name = "scalars"
    tensor = summary_value.tensor
    if dtype == "content32":
        tensor.dtype = types_pb2.DT_FLOAT
        tensor.tensor_content = struct.pack("<f", value)
    elif dtype == "content64":
        tensor.dtype = types_pb2.DT_DOUBLE
        tensor.tensor_content = struct.pack("<d", value)
    elif dtype == "float_val":
        tensor.dtype = types_pb2.DT_FLOAT
        tensor.float_val.append(value)
    elif dtype == "double_val":
        tensor.dtype = types_pb2.DT_DOUBLE
        tensor.double_val.append(value)
    return event.SerializeToString()


def file_version_event() -> bytes:
    return event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString()


def write_records(path: Path, payloads: list[bytes], mode: str = "wb") -> bytes:
    """Frame and write records; return the bytes written."""
    blob = b"".join(frame(p) for p in payloads)
    with open(path, mode) as handle:
        handle.write(blob)
    return blob


def scalar_run(path: Path, tag_values: dict[str, list[float]], start_step: int = 0, wall0: float = 1000.0) -> Path:
    """Write an event file with one point per step per tag (PyTorch format)."""
    path.mkdir(parents=True, exist_ok=True)
    name = path / f"events.out.tfevents.{int(wall0)}.host.1.0"
    payloads = [file_version_event()]
    length = max(len(v) for v in tag_values.values())
    for i in range(length):
        for tag, values in tag_values.items():
            if i < len(values):
                payloads.append(scalar_event(tag, start_step + i, values[i], wall0 + i))
    write_records(name, payloads)
    return name


# Alert times are shown as local clock times: pin the zone so snapshots match everywhere.
os.environ["TZ"] = "UTC"
import time as _time  # noqa: E402

_time.tzset()


REAL_FILE_FOR_DAMAGE = event_files(DATA / "torch" / "noisy-7")[0]
