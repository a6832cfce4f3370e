"""TensorBoard as a format: every event file is a stream, tailed by byte offset."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tui.sources.base import Format, Found, Source, Stream, basename, describe
from tui.sources.points import Decoded
from tui.sources.roots.base import Listing, Root
from tui.sources.tensorboard.axes import EpochAxis, placed_at
from tui.sources.tensorboard.decode import EventDecoder
from tui.sources.tensorboard.discovery import FORMAT, HPARAMS_ONLY, MMENGINE_VIS, event_sources, is_event_file_name
from tui.sources.tensorboard.key_folders import KeyFolders
from tui.sources.tensorboard.records import RecordReader


class EventStream(Stream):
    """One event file: its record reader, its decoder (per-file plugin memory) and its health."""

    WALLS_LOGGED = True

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.reader = RecordReader(source.paths[0])
        self.decoder = EventDecoder()
        self.highest: int | None = None
        """MMEngine's events: the highest step read (the iteration validation's points are placed at)."""
        self.axes = EpochAxis()
        """Other event files: curves logged at the epoch beside others at the iteration (``axes``)."""
        self.written_over = False
        """Its file was read again from its start (written over in place, or replaced) and no whole record has come
        from it since (``FileHealth.written_over``)."""

    @property
    def position(self) -> int:
        return self.reader.offset

    @property
    def rereading(self) -> bool:
        return self.reader.offset < self.reader.reread_below

    @property
    def one_attempt(self) -> bool:
        return self.source.detail == MMENGINE_VIS

    def read(self, root: Root) -> Iterator[Decoded]:
        """Decoded points appended since the last read, a buffer at a time; OS errors are recorded, not raised.

        A file that shrank or was replaced is read again from its start (its decoder
        forgets the plugins it knew), ``rereading`` up to where it had been read: the store keeps the points it
        gives back as they were, and takes other values for a new attempt's.
        """
        try:
            for segment in self.reader.segments(root):
                self._forget_if_restarted()
                self.written_over = False  # a whole record: the file is read again, whatever its points
                decoded = self.decoder.decode_frames(segment.buffer, segment.offsets, segment.lengths)
                self._note_health(decoded)
                if self.source.detail == HPARAMS_ONLY:
                    hparams, decoded = decoded.hparams, Decoded()
                    decoded.hparams = hparams
                elif self.source.detail == MMENGINE_VIS:
                    decoded = self._placed(decoded)
                elif not self.source.prefix:  # a split folder's curves (Keras' train/) share the epoch with another's
                    decoded = self.axes.place(decoded)
                yield from decoded.split_at_starts()
            self._forget_if_restarted()  # emptied or replaced, nothing whole in it yet: the old file is forgotten too
            # Cut short in place and read again to its new end, short of where it had been read (a job restarted
            # into it replaced those points: no cut). One with nothing whole left is said as check says it
            # (``written_over``).
            shorter = self.reader.cut_below - self.reader.offset - self.reader.incomplete
            self.health.lost_bytes = 0 if self.written_over else max(shorter, 0)
        except OSError as error:
            self.health.error = describe(error)
            return
        self.health.error = None
        self._note_health(None)

    def _forget_if_restarted(self) -> None:
        """The file shrank or was replaced (the reader reads it from its start): what was known of the old one goes."""
        if self.reader.restarted:
            self.written_over = True
            self.decoder = EventDecoder()
            self.highest = None
            self.axes = EpochAxis()
            self.reader.restarted = False

    def _placed(self, decoded: Decoded) -> Decoded:
        """MMEngine's TensorBoard backend: validation's points, logged at the epoch (``step=runner.epoch``) after
        the epoch's last iteration, placed at the highest step written before them, as its ``scalars.json``
        reader places them (else the metrics sat at steps 1, 2, 3 beside training's thousands)."""
        scalars, orders = decoded.scalars, decoded.orders
        if not scalars:
            return decoded
        tags = list(scalars)
        order = np.concatenate([orders[tag] for tag in tags])
        steps = np.concatenate([scalars[tag][0] for tag in tags])
        in_order = np.argsort(order, kind="stable")
        start = np.iinfo(np.int64).min if self.highest is None else self.highest
        placed = np.empty_like(steps)
        placed[in_order] = np.maximum.accumulate(np.maximum(steps[in_order], start))
        self.highest = int(placed.max())
        return placed_at(decoded, placed)

    def _note_health(self, decoded: Decoded | None) -> None:
        self.health.skipped_records = self.reader.damage.skipped_records
        self.health.skipped_bytes = self.reader.damage.skipped_bytes
        self.health.incomplete_bytes = self.reader.incomplete
        self.health.written_over = self.written_over
        if decoded is not None:
            self.health.undecodable += decoded.undecodable


class TensorBoardFormat(Format):
    """Folders holding ``*tfevents*`` files (PyTorch, tensorboardX, Keras/TF2, Lightning, HF)."""

    name = FORMAT

    def __init__(self) -> None:
        self._split_folders: dict[str, bool] = {}
        self._key_folders = KeyFolders()

    def discover(self, root: Root, listing: Listing) -> Found:
        return Found(event_sources(listing, self._split_folders, self._key_folders, root.read))

    def open(self, source: Source) -> Stream:
        return EventStream(source)

    def named_log(self, path: str) -> bool:
        """As TensorBoard's writers name their files: ``tfevents`` alone may be a folder of them."""
        return basename(path).startswith("events.out.tfevents") and is_event_file_name(basename(path))
