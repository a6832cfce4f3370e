"""TensorBoard as a format: every event file is a stream, tailed by byte offset."""

from __future__ import annotations

from collections.abc import Iterator

from tui.sources.base import Format, Found, Source, Stream, describe
from tui.sources.points import Decoded
from tui.sources.roots.base import Listing, Root
from tui.sources.tensorboard.decode import EventDecoder
from tui.sources.tensorboard.discovery import FORMAT, HPARAMS_ONLY, MMENGINE_VIS, event_sources
from tui.sources.tensorboard.records import RecordReader


class EventStream(Stream):
    """One event file: its record reader, its decoder (per-file plugin memory) and its health."""

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.reader = RecordReader(source.paths[0])
        self.decoder = EventDecoder()

    @property
    def position(self) -> int:
        return self.reader.offset

    @property
    def one_attempt(self) -> bool:
        return self.source.detail == MMENGINE_VIS

    def read(self, root: Root) -> Iterator[Decoded]:
        """Decoded points appended since the last read, a buffer at a time; OS errors are recorded, not raised.

        A file that shrank or was replaced is read again from its start (its decoder
        forgets the plugins it knew); the store's restart handling drops the duplicates.
        """
        try:
            for segment in self.reader.segments(root):
                if self.reader.restarted:
                    self.decoder = EventDecoder()
                    self.reader.restarted = False
                decoded = self.decoder.decode_frames(segment.buffer, segment.offsets, segment.lengths)
                self._note_health(decoded)
                if self.source.detail == HPARAMS_ONLY:
                    hparams, decoded = decoded.hparams, Decoded()
                    decoded.hparams = hparams
                yield decoded
        except OSError as error:
            self.health.error = describe(error)
            return
        self.health.error = None
        self._note_health(None)

    def _note_health(self, decoded: Decoded | None) -> None:
        self.health.skipped_records = self.reader.damage.skipped_records
        self.health.skipped_bytes = self.reader.damage.skipped_bytes
        self.health.incomplete_bytes = self.reader.incomplete
        if decoded is not None:
            self.health.undecodable += decoded.undecodable


class TensorBoardFormat(Format):
    """Folders holding ``*tfevents*`` files (PyTorch, tensorboardX, Keras/TF2, Lightning, HF)."""

    name = FORMAT

    def __init__(self) -> None:
        self._split_folders: dict[str, bool] = {}

    def discover(self, root: Root, listing: Listing) -> Found:
        return Found(event_sources(listing, self._split_folders))

    def open(self, source: Source) -> Stream:
        return EventStream(source)
