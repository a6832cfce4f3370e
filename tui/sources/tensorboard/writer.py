"""A minimal event-file writer producing exactly what PyTorch's ``SummaryWriter`` writes.

PyTorch's writer is TensorBoard's ``EventFileWriter`` plus ``simple_value``
scalars and ``histo`` histograms; this module uses the same ``EventFileWriter``
so the demo and the evaluation corpus write real files without needing torch.
"""

from __future__ import annotations

import time

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.hparams import summary_v2 as hparams_summary
from tensorboard.summary.writer.event_file_writer import EventFileWriter


def _tensorflow_buckets() -> np.ndarray:
    """TensorFlow's default histogram bucket limits (also PyTorch's ``bins='tensorflow'``)."""
    v = 1e-12
    limits = []
    while v < 1e20:
        limits.append(v)
        v *= 1.1
    positive = np.array(limits)
    return np.concatenate((-positive[::-1], [0.0], positive))


_BUCKETS = _tensorflow_buckets()


def histogram_proto(values: np.ndarray) -> summary_pb2.HistogramProto:
    """A HistogramProto as PyTorch's ``add_histogram(..., bins='tensorflow')`` builds it."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    counts, limits = np.histogram(values, bins=_BUCKETS)
    nonzero = np.flatnonzero(counts)
    proto = summary_pb2.HistogramProto(
        min=float(values.min()),
        max=float(values.max()),
        num=int(values.size),
        sum=float(values.sum()),
        sum_squares=float(np.dot(values, values)),
    )
    if nonzero.size:
        start, end = max(int(nonzero[0]) - 1, 0), int(nonzero[-1]) + 1
        proto.bucket_limit.extend(limits[start + 1 : end + 1].tolist())
        proto.bucket.extend(counts[start:end].astype(np.float64).tolist())
    return proto


class EventWriter:
    """Writes scalars and histograms to one event file in LOGDIR (PyTorch format)."""

    def __init__(self, logdir: str, flush_secs: float = 120) -> None:
        self._writer = EventFileWriter(logdir, max_queue_size=1000, flush_secs=flush_secs)
        self._writer.add_event(event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2"))

    def add_scalar(self, tag: str, value: float, step: int, wall_time: float | None = None) -> None:
        event = event_pb2.Event(wall_time=time.time() if wall_time is None else wall_time, step=step)
        event.summary.value.add(tag=tag, simple_value=float(value))
        self._writer.add_event(event)

    def add_histogram(self, tag: str, values: np.ndarray, step: int, wall_time: float | None = None) -> None:
        event = event_pb2.Event(wall_time=time.time() if wall_time is None else wall_time, step=step)
        event.summary.value.add(tag=tag, histo=histogram_proto(values))
        self._writer.add_event(event)

    def add_hparams(self, hparams: dict[str, float | int | str | bool], wall_time: float | None = None) -> None:
        """The run's hyper-parameters as TensorBoard's HParams plugin records them (``session_start_info``)."""
        event = event_pb2.Event(wall_time=time.time() if wall_time is None else wall_time)
        event.summary.CopyFrom(hparams_summary.hparams_pb(hparams))
        self._writer.add_event(event)

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()
