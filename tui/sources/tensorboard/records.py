"""TFRecord framing: an incremental, damage-tolerant reader of one event file.

Each record is ``u64 length | u32 masked-crc32c(length) | data | u32 masked-crc32c(data)``.
The reader keeps a byte offset and only ever reads what was appended since the
last call. A record cut off at end of file is left for the next call, so it is
neither lost nor read twice. Unlike TensorBoard's loader, which stops for good
at the first bad checksum, damage is skipped and counted:

* bad data CRC (length verified): skip that one record;
* bad length CRC or an absurd length: scan forward for the next offset where a
  whole, valid record starts, and resume there.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import google_crc32c
import numpy as np

from tui.sources.roots.base import FileInfo, Root
from tui.sources.roots.local import LocalRoot
from tui.sources.tensorboard.kernels import frame_records, next_header

HEADER_SIZE = 12
FOOTER_SIZE = 4
MAX_RECORD_BYTES = 64 * 1024 * 1024
"""Cap on a declared record length: anything larger is treated as damage."""

READ_CHUNK = 2 * 1024 * 1024
"""Bytes read per call, so a huge file never needs one huge buffer (nor huge temporary arrays)."""
HEAD_BYTES = 256
"""A file's first bytes kept to tell it written over in place: an event file's first records (the first holds the time
its writer started)."""

_MASK_DELTA = 0xA282EAD8
_u64 = struct.Struct("<Q")
_u32 = struct.Struct("<I")


def masked_crc(data: bytes | memoryview) -> int:
    """TFRecord's masked CRC32C: rotate right by 15 and add a constant."""
    crc = google_crc32c.value(bytes(data))
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


@dataclass
class Damage:
    """What a reader had to skip in one file."""

    skipped_records: int = 0
    skipped_bytes: int = 0

    def __bool__(self) -> bool:
        return bool(self.skipped_records or self.skipped_bytes)


@dataclass
class Segment:
    """Whole records found in one buffer: where each record's data starts, and its length."""

    buffer: bytes
    offsets: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets)


class RecordReader:
    """Reads whole, verified records appended to one file since the last call."""

    def __init__(
        self, path: str | os.PathLike[str], max_record_bytes: int = MAX_RECORD_BYTES, root: Root | None = None
    ):
        self.path = os.fspath(path)
        """Relative to ``root`` when one is given (or passed to each read), else a path on this machine."""
        self.max_record_bytes = max_record_bytes
        self.offset = 0
        self.damage = Damage()
        self.restarted = False
        self.reread_below = 0
        """Where the file had been read to when it last shrank or was replaced: up to there, a record is read again."""
        self.cut_below = 0
        """The same, when it was cut short in place (its first bytes as they were; not replaced, not written over by
        a new job): the points read past its new end stand, and its stream says so."""
        self.incomplete = 0
        """Bytes after the last whole record at the last read: a record being written, or one cut short."""
        self._identity: str | None = None
        self._mtime = 0.0
        self._head = b""
        """The file's first ``HEAD_BYTES`` bytes as read: a file written over in place differs there."""
        self._root = root
        self._local: tuple[Root, str] | None = None

    def _where(self, root: Root | None) -> tuple[Root, str]:
        """The root to read through and the path within it (a local path gets a root of its own)."""
        if root is not None:
            return root, self.path
        if self._root is not None:
            return self._root, self.path
        if self._local is None:
            local = os.path.abspath(self.path)
            self._local = (LocalRoot(os.path.dirname(local)), os.path.basename(local))
        return self._local

    def segments(self, root: Root | None = None) -> Iterator[Segment]:
        """Every complete record appended since the last call, one buffer's worth at a time, so a big file
        is never all in memory.

        Raises ``OSError`` (missing file, permission denied) for the caller to report; the reader's
        state is unchanged in that case. ``restarted`` is set before the first segment is yielded. The
        offset moves past a segment when the next one is asked for (or the iteration ends).
        """
        self.restarted = False
        source, path = self._where(root)
        info = source.stat(path)
        known = self._identity is not None
        replaced = known and info.identity != self._identity
        shrunk = known and not replaced and info.size < self.offset
        if replaced or shrunk or (known and self._head_changed(source, path, info)):
            # Shorter than what was read, starting as it did: cut in place (a remote root gives a file that shrank
            # a new identity), not a new job's file, whose first record is its own; an empty one tells nothing
            cut = 0 < info.size < self.offset and bool(self._head) and self._same_head(source, path)
            self.reread_below = self.offset
            self.cut_below = self.offset if cut else 0
            self.offset = 0
            self.damage = Damage()
            self.restarted = True
        self._identity, self._mtime = info.identity, info.mtime
        size = info.size
        while self.offset < size:
            buffer = source.read(path, self.offset, min(READ_CHUNK, size - self.offset))
            if not buffer:
                break
            if self.offset == 0:
                self._head = buffer[:HEAD_BYTES]
            segment, consumed = self._frame(buffer)
            if consumed == 0 and self.offset + len(buffer) < size and len(buffer) >= HEADER_SIZE:
                # One record larger than the chunk: read it whole (it is below the cap).
                length = _u64.unpack_from(buffer, 0)[0]
                buffer = source.read(path, self.offset, HEADER_SIZE + length + FOOTER_SIZE)
                segment, consumed = self._frame(buffer)
            if consumed == 0:
                # The record runs past the end of the file: one being written, unless whole valid records
                # follow inside what it claims, when its length (checksum and all) is a lie.
                later = self._resync(buffer, 1, whole=True)
                if later is None:
                    break
                self.damage.skipped_bytes += later
                self.offset += later
                continue
            if len(segment):
                yield segment
            self.offset += consumed
        self.incomplete = max(size - self.offset, 0)

    def _head_changed(self, source: Root, path: str, info: FileInfo) -> bool:
        """A local file written over in place (a job restarted with ``open(path, "wb")`` between two reads) keeps
        its identity and may have grown past where it was read to: its first bytes (the writer's first record,
        which holds the time it started) tell. Read only when the file changed; remote roots tell a replaced
        file by its identity (an object's version, a file's inode and time)."""
        if not self._head or not isinstance(source, LocalRoot) or (info.size, info.mtime) == (self.offset, self._mtime):
            return False
        return not self._same_head(source, path)

    def _same_head(self, source: Root, path: str) -> bool:
        """Whether the file starts as it did when it was first read (all of it, if it is now shorter than that)."""
        data = source.read(path, 0, len(self._head))
        return data == self._head or (len(data) < len(self._head) and self._head.startswith(data))

    def _frame(self, buffer: bytes) -> tuple[Segment, int]:
        """The whole records of ``buffer`` and the bytes used up: the kernels walk the clean stretches,
        and at each place they stop, this decides what is there (damage to skip and count, or a record
        still being written, which ends the buffer)."""
        offsets: list[np.ndarray] = []
        lengths: list[np.ndarray] = []
        pos = 0
        end = len(buffer)
        cap = self.max_record_bytes
        view = memoryview(buffer)
        while end - pos >= HEADER_SIZE:
            clean_offsets, clean_lengths, pos = frame_records(buffer, pos, cap)
            if len(clean_offsets):
                offsets.append(clean_offsets)
                lengths.append(clean_lengths)
            if end - pos < HEADER_SIZE:
                break
            length = _u64.unpack_from(buffer, pos)[0]
            if length > cap or _u32.unpack_from(buffer, pos + 8)[0] != masked_crc(view[pos : pos + 8]):
                found = self._resync(buffer, pos + 1)
                if found is None:
                    # Every offset with a whole header in view was tried; the last few bytes
                    # may still be the start of a header that is being written.
                    keep_from = max(pos + 1, end - (HEADER_SIZE - 1))
                    self.damage.skipped_bytes += keep_from - pos
                    pos = keep_from
                    break
                self.damage.skipped_bytes += found - pos
                pos = found
                continue
            record_end = pos + HEADER_SIZE + length + FOOTER_SIZE
            if record_end > end:
                break  # a record still being written (or cut short for good): wait for the rest
            if _u32.unpack_from(buffer, record_end - FOOTER_SIZE)[0] == masked_crc(
                view[pos + HEADER_SIZE : record_end - FOOTER_SIZE]
            ):  # whole and valid, only unusual (an empty record, or one above 16 MB)
                offsets.append(np.array([pos + HEADER_SIZE], dtype=np.int64))
                lengths.append(np.array([length], dtype=np.int64))
            else:
                # Its data fails its checksum: damaged data (skip the record), unless whole valid records
                # start inside what it claims, when its length was the lie (skip only up to them, as a
                # reader that met the file while it grew would have).
                inside = self._resync(buffer[:record_end], pos + 1, whole=True)
                if inside is None:  # a record cut short, the next written after it: it starts inside, ends past
                    inside = self._resync(buffer, pos + 1, before=record_end)
                if inside is not None:
                    self.damage.skipped_bytes += inside - pos
                    pos = inside
                    continue
                self.damage.skipped_records += 1
                if record_end > end - (HEADER_SIZE - 1):
                    # A record may start in its last bytes whose header is not all in view yet (read as the file
                    # grew, a torn record's claim ended 11 bytes into the next one, which was lost): they wait for
                    # more data, as the last bytes of a search for a header do.
                    pos = max(pos + 1, end - (HEADER_SIZE - 1))
                    break
            pos = record_end
        return Segment(buffer, _joined(offsets), _joined(lengths)), pos

    def _resync(self, buffer: bytes, start: int, whole: bool = False, before: int | None = None) -> int | None:
        """Offset of the next whole record with both CRCs valid, or None if none is in ``buffer``.

        A candidate whose body runs past the buffer ends the search at that offset
        only if its header is valid: the rest may still be on its way (with ``whole``, it does not).
        ``before``: only a record starting before it will do (a run of damaged records is then crossed once,
        not searched to the buffer's end from each of them).
        """
        pos = next_header(buffer, start, self.max_record_bytes)
        while pos is not None and (before is None or pos < before):
            length = _u64.unpack_from(buffer, pos)[0]
            record_end = pos + HEADER_SIZE + length + FOOTER_SIZE
            if record_end > len(buffer):
                if not whole:
                    return pos
                pos = next_header(buffer, pos + 1, self.max_record_bytes)
                continue
            data = memoryview(buffer)[pos + HEADER_SIZE : record_end - FOOTER_SIZE]
            if _u32.unpack_from(buffer, record_end - FOOTER_SIZE)[0] == masked_crc(data):
                return pos
            pos = next_header(buffer, pos + 1, self.max_record_bytes)
        return None


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
