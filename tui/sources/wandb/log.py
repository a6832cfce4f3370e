"""W&B's transaction log (``run-*.wandb``): an incremental, damage-tolerant chunk reader.

The layout is LevelDB's log format with W&B's own header and checksum
(wandb ``core/pkg/leveldb/record.go``, ``core/internal/transactionlog``):

* a 7-byte file header: ``:W&B``, magic ``0xBEE1`` (little endian), version byte ``0``;
* 32 KiB blocks (the header sits in the first one); a chunk never crosses a block, and
  fewer than 7 bytes left at a block's end are zero padding;
* each chunk: ``u32 crc | u16 length | u8 type | data``, the CRC being the standard
  CRC-32 (IEEE, zlib's) of the type byte followed by the data;
* a record is one FULL chunk, or FIRST, MIDDLE..., LAST.

The writer flushes partial blocks, so the file grows a chunk at a time. The reader
keeps the offset just past the last whole record; a record still being written is
left for the next call. On damage (a bad checksum, an impossible length) it does what
LevelDB does, skip to the next block and resume at the next FULL or FIRST chunk, and
counts what it skipped.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from tui.sources.roots.base import Root

HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
HEADER_SIZE = 7
BLOCK = 32 * 1024
CHUNK_HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
READ_BLOCKS = 64
"""Blocks read per call to the root (2 MiB)."""

_chunk_header = struct.Struct("<IHB")
_TYPE_CRC = [zlib.crc32(bytes([t])) for t in range(256)]


class NotAWandbLog(ValueError):
    """The file does not start with W&B's header (or its version is one this reader does not know)."""


@dataclass
class LogDamage:
    skipped_records: int = 0
    skipped_bytes: int = 0


class LogReader:
    """Whole records appended to one ``.wandb`` file since the last call."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0
        """Where the next record's first chunk starts (0: the header is not checked yet)."""
        self.damage = LogDamage()
        self.incomplete = 0
        """Bytes after the last whole record: a record being written, or one cut short."""
        self.restarted = False
        self._identity: str | None = None
        self._size = 0

    def read(self, root: Root) -> list[bytes]:
        """Every whole record appended since the last call (raises OSError; NotAWandbLog for a foreign file)."""
        self.restarted = False
        info = root.stat(self.path)
        if self._identity is not None and (info.identity != self._identity or info.size < self._size):
            self.offset = 0
            self.damage = LogDamage()
            self.restarted = True
        self._identity = info.identity
        self._size = size = info.size
        if self.offset == 0:
            if size < HEADER_SIZE:
                self.incomplete = size
                return []
            header = root.read(self.path, 0, HEADER_SIZE)
            if header[:6] != HEADER[:6]:
                raise NotAWandbLog("not a W&B run log (no :W&B header)")
            if header[6] != HEADER[6]:
                raise NotAWandbLog(f"W&B log version {header[6]} is newer than this reader knows (0)")
            self.offset = HEADER_SIZE
        records: list[bytes] = []
        window = READ_BLOCKS
        while self.offset < size:
            start = self.offset - self.offset % BLOCK  # read whole blocks: chunk bounds are block-relative
            end = min(size, start + window * BLOCK)
            data = root.read(self.path, start, end - start)
            if not data:
                break
            at_end = start + len(data) >= size
            consumed = self._parse(data, start, self.offset, records, at_end)
            if consumed == self.offset:
                if at_end:
                    break  # a record still being written: wait for it
                window *= 2  # one record bigger than the window: read more at once
                continue
            self.offset, window = consumed, READ_BLOCKS
        self.incomplete = max(size - self.offset, 0)
        return records

    def _parse(self, data: bytes, base: int, offset: int, out: list[bytes], at_end: bool) -> int:
        """Append the whole records found from ``offset`` (``data`` starts at file offset ``base``, a block start).

        Returns the offset just past the last whole record (or past skipped damage).
        """
        pos = offset - base
        end = len(data)
        pending: list[bytes] | None = None
        committed = pos
        unpack = _chunk_header.unpack_from
        crc32 = zlib.crc32
        while True:
            room = BLOCK - pos % BLOCK
            if room < CHUNK_HEADER:  # zero padding at the block's end
                if pos + room > end:
                    break
                pos += room
                if pending is None:
                    committed = pos
                continue
            if pos + CHUNK_HEADER > end:
                break
            checksum, length, kind = unpack(data, pos)
            body = pos + CHUNK_HEADER
            if (
                length > room - CHUNK_HEADER
                or kind not in (FULL, FIRST, MIDDLE, LAST)
                or (checksum == 0 and length == 0 and kind == 0)
            ):
                if checksum == 0 and length == 0 and kind == 0 and at_end and data.count(0, pos, end) == end - pos:
                    break  # zeros up to the end of what is written: wait
                pos = self._skip_block(pos, end, pending is not None)
                pending, committed = None, pos
                continue
            if body + length > end:
                break  # the chunk is still being written
            if crc32(data[body : body + length], _TYPE_CRC[kind]) != checksum:
                pos = self._skip_block(pos, end, pending is not None)
                pending, committed = None, pos
                continue
            chunk = data[body : body + length]
            pos = body + length
            if kind == FULL:
                if pending is not None:  # a record left unfinished: LevelDB drops it
                    self.damage.skipped_records += 1
                    pending = None
                out.append(chunk)
                committed = pos
            elif kind == FIRST:
                if pending is not None:
                    self.damage.skipped_records += 1
                pending = [chunk]
            elif pending is None:  # a MIDDLE or LAST without its FIRST
                self.damage.skipped_records += 1
                committed = pos
            elif kind == MIDDLE:
                pending.append(chunk)
            else:
                pending.append(chunk)
                out.append(b"".join(pending))
                pending = None
                committed = pos
        return base + committed

    def _skip_block(self, pos: int, end: int, had_pending: bool) -> int:
        """Skip from ``pos`` to the next block (LevelDB's recovery), counting what is lost."""
        next_block = pos + BLOCK - pos % BLOCK
        self.damage.skipped_bytes += min(next_block, end) - pos
        if had_pending:
            self.damage.skipped_records += 1
        return next_block
