"""What every source yields: points per tag, histograms, and the health of what was read.

Format-neutral: a TensorBoard file, a CSV log or a database all come out as ``Decoded``
batches of columnar points, and each readable unit keeps a ``FileHealth``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(slots=True)
class Histogram:
    """One histogram at one step: bucket edges (k+1) and counts (k)."""

    step: int
    wall_time: float
    edges: np.ndarray
    counts: np.ndarray


class Decoded:
    """Points decoded from a batch of records, per tag, in record order.

    Scalars are kept columnar (NumPy arrays of steps, wall times, values) so a
    million points cost arrays, not a million tuples.
    """

    def __init__(self) -> None:
        self._pending: dict[str, tuple[list, list, list, list]] = {}
        self._parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = {}
        self._scalars: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self._orders: dict[str, np.ndarray] = {}
        self._order = 0
        self.histograms: dict[str, list[Histogram]] = {}
        self.histogram_orders: dict[str, list[int]] = {}
        """tag -> each histogram's record order, where its reader gave one (``split_at_starts`` places them)."""
        self.hparams: dict[str, object] = {}
        """Hyper-parameters the source found for the run (name -> number or text), merged into the run's."""
        self.checkpoints: dict[int, str] = {}
        """Checkpoints the source found beside the run's logs: step -> path as the user would name it."""
        self.undecodable = 0
        """Records whose CRC was fine but whose bytes are not an Event."""
        self.starts: list[tuple[int, int, float]] = []
        """(record order, step, wall time) of each session start among the records (TensorBoard's
        ``SessionLog.START``: PyTorch's and tensorboardX's ``SummaryWriter(purge_step=…)``, TF1's sessions)."""
        self.purge_from: tuple[int, float] | None = None
        """(step, wall time) of the session start these points follow: the run's points from that step on
        that were written before it are an abandoned attempt's (``split_at_starts`` sets it)."""

    def add_scalar(self, tag: str, step: int, wall_time: float, value: float, order: int | None = None) -> None:
        pending = self._pending.get(tag)
        if pending is None:
            pending = self._pending[tag] = ([], [], [], [])
        order = self._next(order)
        pending[0].append(order)
        pending[1].append(step)
        pending[2].append(wall_time)
        pending[3].append(value)
        self._scalars = None

    def add_arrays(self, tag: str, order: np.ndarray, steps: np.ndarray, walls: np.ndarray, values: np.ndarray) -> None:
        """Add many points of one tag; ``order`` places them among points added otherwise (record index)."""
        self._parts.setdefault(tag, []).append(
            (
                np.asarray(order, dtype=np.int64),
                np.asarray(steps, dtype=np.int64),
                np.asarray(walls, dtype=np.float64),
                np.asarray(values, dtype=np.float64),
            )
        )
        if len(order):
            self._order = max(self._order, int(np.max(order)) + 1)
        self._scalars = None

    def _next(self, order: int | None) -> int:
        """``order`` if given, else the next record order after every one given so far."""
        if order is None:
            order = self._order
            self._order += 1
        return order

    def add_start(self, step: int, wall_time: float, order: int | None = None) -> None:
        order = self._next(order)
        self.starts.append((order, step, wall_time))

    def split_at_starts(self) -> list[Decoded]:
        """The points before the first session start, then those after each, each piece knowing the start it
        follows (``purge_from``), so that a start purges what came before it and nothing after. Hyper-parameters
        and checkpoints go with the last piece, and so do histograms set without their record order."""
        if not self.starts:
            return [self]
        starts = sorted(self.starts)
        pieces = [Decoded() for _ in range(len(starts) + 1)]
        for piece, (_, step, wall) in zip(pieces[1:], starts, strict=True):
            piece.purge_from = (step, wall)
        pieces[0].purge_from = self.purge_from
        bounds = np.array([order for order, _, _ in starts], dtype=np.int64)
        for tag, (steps, walls, values) in self.scalars.items():
            order = self._orders[tag]
            where = np.searchsorted(bounds, order, side="right")
            for index in np.unique(where).tolist():
                mask = where == index
                pieces[index].add_arrays(tag, order[mask], steps[mask], walls[mask], values[mask])
        for tag, items in self.histograms.items():
            orders = self.histogram_orders.get(tag, [])
            placed = len(orders) == len(items)
            indices = np.searchsorted(bounds, orders, side="right").tolist() if placed else [len(starts)] * len(items)
            for item, index in zip(items, indices, strict=True):
                pieces[index].add_histogram(tag, item)
        last = pieces[-1]
        last.hparams, last.checkpoints = self.hparams, self.checkpoints
        pieces[0].undecodable = self.undecodable
        return pieces

    def add_histogram(self, tag: str, histogram: Histogram, order: int | None = None) -> None:
        order = self._next(order)
        self.histograms.setdefault(tag, []).append(histogram)
        self.histogram_orders.setdefault(tag, []).append(order)

    @property
    def scalars(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """tag -> (steps int64, wall times float64, values float64), in record order."""
        if self._scalars is None:
            merged: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
            for tag in list(self._parts) + [t for t in self._pending if t not in self._parts]:
                parts = list(self._parts.get(tag, []))
                pending = self._pending.get(tag)
                if pending is not None and pending[0]:
                    parts.append(
                        (
                            np.asarray(pending[0], dtype=np.int64),
                            np.asarray(pending[1], dtype=np.int64),
                            np.asarray(pending[2], dtype=np.float64),
                            np.asarray(pending[3], dtype=np.float64),
                        )
                    )
                if len(parts) == 1:
                    order, steps, walls, values = parts[0]
                else:
                    order, steps, walls, values = (np.concatenate(column) for column in zip(*parts))
                    sort = np.argsort(order, kind="stable")
                    order, steps, walls, values = order[sort], steps[sort], walls[sort], values[sort]
                merged[tag] = (steps, walls, values)
                self._orders[tag] = order
            self._scalars = merged
        return self._scalars

    @property
    def orders(self) -> dict[str, np.ndarray]:
        """tag -> each scalar point's record index (aligned with ``scalars``): where it came among all tags' points,
        so a restart in the middle of a batch purges what came before it and nothing after."""
        _ = self.scalars
        return self._orders


class StepFilter:
    """Drops a point whose tag already has a point at that step (loggers that repeat ``epoch`` on every row).

    A repeated step would read as a restart (the store purges from it); a step that goes
    back is kept, since that is a restart.
    """

    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def keep(self, tag: str, step: int) -> bool:
        if self.last.get(tag) == step:
            return False
        self.last[tag] = step
        return True

    def keep_mask(self, tag: str, steps: np.ndarray) -> np.ndarray:
        """``keep`` for many points of one tag at once: True where a point's step differs from the one before."""
        keep = np.ones(len(steps), dtype=bool)
        if not len(steps):
            return keep
        keep[1:] = steps[1:] != steps[:-1]
        keep[0] = self.last.get(tag) != int(steps[0])
        self.last[tag] = int(steps[-1])
        return keep


@dataclass
class FileHealth:
    """What went wrong reading one event file, for the run's status line."""

    skipped_records: int = 0
    skipped_bytes: int = 0
    undecodable: int = 0
    """Records that are whole but hold no points: bytes that are no Event (or no W&B record), a
    ``trainer_state.json`` entry whose step is no 64-bit integer."""
    text_example: str = ""
    """The first cell of a row that holds text and no number (``csv.writer`` given tensors writes
    ``tensor(0.5000)``), counted in ``undecodable``: what the run's note quotes to say why those rows were skipped."""
    incomplete_bytes: int = 0
    """Bytes after the last whole record: normal while a job writes, a cut-short file if it stays."""
    empty: bool = False
    """A document read whole or not at all (``trainer_state.json``) that is empty: a save truncates it before it
    writes it, and a job killed then leaves it so. Waited for as bytes not whole are (no byte to count)."""
    error: str | None = None
    """The last OS error (permission denied, vanished), cleared by a good read."""
    older_read: bool = False
    """A Hugging Face output folder whose newest ``trainer_state.json`` is not whole or no trainer state: an older
    checkpoint's was read in its place (False: none was whole; the points read before stand)."""
    written_over: bool = False
    """Its file was written over in place since it was read (an event file read again from its start) and holds no
    whole record now: damaged throughout if anything was skipped (a crash zero-filled it); the points read before
    stand."""
    lost_bytes: int = 0
    """Bytes read before that its file no longer holds: an event file cut short in place, read again from its start
    up to its new end (the points read past it stand, as for one written over)."""
    walls_logged: bool = False
    """Whether its points carry the time their writer logged (TensorBoard, W&B, MLflow, trackio), not the file's
    modification time (CSV logs), which a copy or a later append changes."""

    @property
    def damaged(self) -> bool:
        return bool(self.skipped_records or self.skipped_bytes or self.undecodable or self.lost_bytes)
