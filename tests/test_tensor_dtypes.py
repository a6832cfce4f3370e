"""Scalar tensors of every numeric dtype a writer may put in an event, read as TensorBoard's own loader reads them
(``tensor_util.make_ndarray``); bfloat16, which it cannot read, as the float32 it is the upper half of."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import decode_file, file_version_event, points, write_records
from tensorboard.compat.proto import event_pb2, tensor_pb2, types_pb2
from tensorboard.util import tensor_util


def _scalar_event(step: int, tensor: tensor_pb2.TensorProto) -> bytes:
    event = event_pb2.Event(wall_time=1.0 + step, step=step)
    value = event.summary.value.add(tag="metric", tensor=tensor)
    value.metadata.plugin_data.plugin_name = "scalars"
    return event.SerializeToString()


def _content(dtype: int, numpy_dtype: str, value: float) -> tensor_pb2.TensorProto:
    return tensor_pb2.TensorProto(dtype=dtype, tensor_content=np.array([value], dtype=numpy_dtype).tobytes())


TENSORS = {
    "uint8 content": _content(types_pb2.DT_UINT8, "u1", 7),
    "int8 content": _content(types_pb2.DT_INT8, "i1", -3),
    "int16 content": _content(types_pb2.DT_INT16, "<i2", -300),
    "uint16 content": _content(types_pb2.DT_UINT16, "<u2", 60000),
    "uint32 content": _content(types_pb2.DT_UINT32, "<u4", 4_000_000_000),
    "uint64 content": _content(types_pb2.DT_UINT64, "<u8", 2**40),
    "bool content": _content(types_pb2.DT_BOOL, "?", True),
    "bool_val": tensor_pb2.TensorProto(dtype=types_pb2.DT_BOOL, bool_val=[True]),
    "uint8 int_val": tensor_pb2.TensorProto(dtype=types_pb2.DT_UINT8, int_val=[200]),
}


@pytest.mark.parametrize("kind", list(TENSORS))
def test_a_scalar_tensor_reads_as_tensorboard_reads_it(tmp_path: Path, kind: str):
    """A uint8 or bool scalar was left out without a word (the run said 'waiting', no curve)."""
    tensor = TENSORS[kind]
    path = tmp_path / "events.out.tfevents.1.host"
    write_records(path, [file_version_event(), _scalar_event(0, tensor)])
    decoded = decode_file(path)
    expected = float(tensor_util.make_ndarray(tensor).reshape(-1)[0])
    assert [value for _step, _wall, value in points(decoded, "metric")] == [expected]


@pytest.mark.parametrize("where", ["tensor_content", "half_val"])
def test_a_bfloat16_scalar_is_the_float32_it_is_the_upper_half_of(tmp_path: Path, where: str):
    bits = (np.array([0.0078125, -1.5, np.inf], dtype=np.float32).view(np.uint32) >> 16).astype("<u2")
    events = [file_version_event()]
    for step, half in enumerate(bits.tolist()):
        if where == "tensor_content":
            tensor = tensor_pb2.TensorProto(
                dtype=types_pb2.DT_BFLOAT16, tensor_content=np.array([half], "<u2").tobytes()
            )
        else:
            tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_BFLOAT16, half_val=[half])
        events.append(_scalar_event(step, tensor))
    path = tmp_path / "events.out.tfevents.1.host"
    write_records(path, events)
    decoded = decode_file(path)
    assert [value for _step, _wall, value in points(decoded, "metric")] == [0.0078125, -1.5, np.inf]
