"""Decode event records into scalar and histogram points.

Understands the shapes real writers produce:

* ``simple_value`` scalars (PyTorch ``SummaryWriter``, tensorboardX, TF1);
* TF2 tensor summaries of the ``scalars`` plugin (Keras, ``tf.summary.scalar``):
  a 0-d tensor in ``tensor_content`` (little endian: floats of 16, 32 and 64 bits, bfloat16, integers,
  booleans) or in ``float_val``/``double_val``/``half_val``/``int_val``/``int64_val``/``bool_val``;
* ``histo`` histograms (PyTorch ``add_histogram``) and TF2 tensors of the
  ``histograms`` plugin (a k×3 tensor of left edge, right edge, count);
* the HParams plugin's ``session_start_info``: the run's hyper-parameters (``Decoded.hparams``);
* ``SessionLog.START`` at a step (a writer given ``purge_step``, TF1's sessions): TensorBoard drops the run's
  points from that step on there, and so does the store (``Decoded.starts``).

TF2 writers put the plugin name only on a tag's first event, so the decoder
remembers it per tag: keep one :class:`EventDecoder` per file.
Anything else (images, graphs, text, run metadata) is ignored.
"""

from __future__ import annotations

import numpy as np
from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2, types_pb2
from tensorboard.plugins.hparams import plugin_data_pb2

from tui.sources.points import Decoded, Histogram
from tui.sources.tensorboard.kernels import decode_simple_scalars

HPARAMS_TAG = "_hparams_/session_start_info"
"""Where the HParams plugin (PyTorch/tensorboardX ``add_hparams``, Keras ``hp.hparams``) puts a run's values."""

_NUMERIC_DTYPES: dict[int, np.dtype] = {
    types_pb2.DT_FLOAT: np.dtype("<f4"),
    types_pb2.DT_DOUBLE: np.dtype("<f8"),
    types_pb2.DT_HALF: np.dtype("<f2"),
    types_pb2.DT_INT32: np.dtype("<i4"),
    types_pb2.DT_INT64: np.dtype("<i8"),
    types_pb2.DT_INT8: np.dtype("i1"),
    types_pb2.DT_UINT8: np.dtype("u1"),
    types_pb2.DT_INT16: np.dtype("<i2"),
    types_pb2.DT_UINT16: np.dtype("<u2"),
    types_pb2.DT_UINT32: np.dtype("<u4"),
    types_pb2.DT_UINT64: np.dtype("<u8"),
    types_pb2.DT_BOOL: np.dtype("?"),
}


class EventDecoder:
    """Turns records of one event file into points; remembers each tag's plugin."""

    def __init__(self) -> None:
        self.plugins: dict[str, str] = {}

    def decode(self, records: list[bytes], into: Decoded | None = None) -> Decoded:
        """Decode serialized events with the full protobuf decoder."""
        out = into if into is not None else Decoded()
        for record in records:
            self._decode_one(record, out, None)
        return out

    def decode_frames(
        self, buffer: bytes, offsets: np.ndarray, lengths: np.ndarray, into: Decoded | None = None, base: int = 0
    ) -> Decoded:
        """Decode the records at ``offsets`` in ``buffer``: common scalar shapes in bulk, the rest one by one.

        ``base`` numbers these records after ones already decoded into ``into``, to keep record order.
        """
        out = into if into is not None else Decoded()
        done, bulk = decode_simple_scalars(buffer, offsets, lengths)
        for tag, (order, steps, walls, values) in bulk.items():
            kept = steps >= 0
            if not kept.all():  # each of these records is one scalar: one damaged record per point left out
                out.undecodable += int(np.count_nonzero(~kept))
                order, steps, walls, values = order[kept], steps[kept], walls[kept], values[kept]
            out.add_arrays(tag, order + base, steps, walls, values)
        for index in np.flatnonzero(~done).tolist():
            start = int(offsets[index])
            self._decode_one(buffer[start : start + int(lengths[index])], out, base + index)
        return out

    def _decode_one(self, record: bytes, out: Decoded, order: int | None) -> None:
        try:
            event = event_pb2.Event.FromString(record)
        except (DecodeError, RuntimeError, ValueError):
            out.undecodable += 1
            return
        what = event.WhichOneof("what")
        if what == "summary":
            self._decode_summary(event, out, order)
        elif what == "session_log" and event.session_log.status == event_pb2.SessionLog.START and event.step >= 0:
            out.add_start(event.step, event.wall_time, order)

    def _decode_summary(self, event: event_pb2.Event, out: Decoded, order: int | None) -> None:
        step = event.step
        if step < 0:  # not a training step: skipped and counted as damaged, as in the other formats
            out.undecodable += 1
            return
        wall_time = event.wall_time
        for value in event.summary.value:
            tag = value.tag
            if value.HasField("metadata") and value.metadata.plugin_data.plugin_name:
                self.plugins[tag] = value.metadata.plugin_data.plugin_name
                if tag == HPARAMS_TAG and value.metadata.plugin_data.plugin_name == "hparams":
                    out.hparams.update(session_hparams(value.metadata.plugin_data.content))
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                out.add_scalar(tag, step, wall_time, value.simple_value, order)
            elif kind == "tensor":
                plugin = self.plugins.get(tag)
                if plugin == "scalars":
                    scalar = tensor_scalar(value.tensor)
                    if scalar is not None:
                        out.add_scalar(tag, step, wall_time, scalar, order)
                elif plugin == "histograms":
                    histogram = tensor_histogram(value.tensor, step, wall_time)
                    if histogram is not None:
                        out.add_histogram(tag, histogram, order)
            elif kind == "histo":
                histogram = histo_histogram(value.histo, step, wall_time)
                if histogram is not None:
                    out.add_histogram(tag, histogram, order)


def session_hparams(content: bytes) -> dict[str, object]:
    """The hyper-parameters of an HParams ``session_start_info`` (numbers, strings, booleans); {} if unreadable."""
    try:
        data = plugin_data_pb2.HParamsPluginData.FromString(content)
    except (DecodeError, RuntimeError, ValueError):
        return {}
    if data.WhichOneof("data") != "session_start_info":
        return {}
    hparams: dict[str, object] = {}
    for name, value in data.session_start_info.hparams.items():
        kind = value.WhichOneof("kind")
        if kind in ("number_value", "string_value", "bool_value"):
            hparams[name] = getattr(value, kind)
    return hparams


def _tensor_values(tensor) -> np.ndarray | None:
    """The values of a numeric TensorProto as a flat float64 array, or None."""
    dtype = _NUMERIC_DTYPES.get(tensor.dtype)
    if tensor.dtype == types_pb2.DT_BFLOAT16:  # a float32's upper half (JAX's and TPUs' losses)
        if len(tensor.tensor_content) % 2:
            return None
        bits = np.frombuffer(tensor.tensor_content, dtype="<u2") if tensor.tensor_content else tensor.half_val
        return (np.asarray(bits, dtype=np.uint32) << 16).view(np.float32).astype(np.float64)
    if tensor.tensor_content:
        if dtype is None:
            return None
        content = tensor.tensor_content
        if len(content) % dtype.itemsize:
            return None
        return np.frombuffer(content, dtype=dtype).astype(np.float64)
    if tensor.double_val:
        return np.asarray(tensor.double_val, dtype=np.float64)
    if tensor.float_val:
        return np.asarray(tensor.float_val, dtype=np.float64)
    if tensor.half_val and tensor.dtype == types_pb2.DT_HALF:
        return np.asarray(tensor.half_val, dtype=np.uint16).view(np.float16).astype(np.float64)
    if tensor.int64_val:
        return np.asarray(tensor.int64_val, dtype=np.float64)
    if tensor.int_val:
        return np.asarray(tensor.int_val, dtype=np.float64)
    if tensor.bool_val:
        return np.asarray(tensor.bool_val, dtype=np.float64)
    return None


def tensor_scalar(tensor) -> float | None:
    """The single value of a 0-d (or one-element) scalar tensor."""
    values = _tensor_values(tensor)
    if values is None or values.size != 1:
        return None
    return float(values[0])


def tensor_histogram(tensor, step: int, wall_time: float) -> Histogram | None:
    """A TF2 histogram tensor: rows of (left edge, right edge, count)."""
    values = _tensor_values(tensor)
    if values is None or values.size == 0 or values.size % 3:
        return None
    rows = values.reshape(-1, 3)
    edges = np.append(rows[:, 0], rows[-1, 1])
    return Histogram(step, wall_time, edges.astype(np.float32), rows[:, 2].astype(np.float32))


def histo_histogram(histo, step: int, wall_time: float) -> Histogram | None:
    """A HistogramProto as TensorBoard reads it: lefts are [min, limits[:-1]], last right is max."""
    limits = np.asarray(histo.bucket_limit, dtype=np.float64)
    counts = np.asarray(histo.bucket, dtype=np.float64)
    if limits.size == 0 or limits.size != counts.size:
        return None
    edges = np.empty(limits.size + 1)
    edges[0] = histo.min
    edges[1:-1] = limits[:-1]
    edges[-1] = histo.max
    with np.errstate(over="ignore"):  # a double past float32's range is inf there, as TensorBoard shows it
        return Histogram(step, wall_time, edges.astype(np.float32), counts.astype(np.float32))
