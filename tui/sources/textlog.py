"""Tailing a text log by whole lines: what the CSV and JSON-lines formats share.

Only complete lines (ending in a newline) are taken; a line being written waits
for the next read. A file that shrank or was replaced is read again from its start
(the store drops the points it already had when the steps go back).
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.sources.roots.base import FileInfo, Root

READ_BYTES = 4 * 1024 * 1024


@dataclass
class Lines:
    """Complete lines read by one call, and whether the file started over."""

    lines: list[bytes]
    restarted: bool
    info: FileInfo


class LineTail:
    """The complete lines appended to one file since the last call."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0
        self.incomplete = 0
        self._identity: str | None = None
        self._size = 0

    def read(self, root: Root) -> Lines:
        """New complete lines (raises OSError)."""
        info = root.stat(self.path)
        restarted = False
        if self._identity is not None and (info.identity != self._identity or info.size < self._size):
            self.offset = 0
            restarted = True
        self._identity, self._size = info.identity, info.size
        lines: list[bytes] = []
        while self.offset < info.size:
            data = root.read(self.path, self.offset, min(READ_BYTES, info.size - self.offset))
            if not data:
                break
            end = data.rfind(b"\n")
            if end < 0:
                if len(data) < READ_BYTES:
                    break  # the line is still being written
                end = len(data) - 1  # one absurdly long line: take it whole rather than wait forever
            lines += data[: end + 1].splitlines()
            self.offset += end + 1
        self.incomplete = max(info.size - self.offset, 0)
        return Lines(lines, restarted, info)

    def head(self, root: Root, limit: int = 65536) -> bytes | None:
        """The file's first complete line (None while it has none)."""
        data = root.read(self.path, 0, limit)
        end = data.find(b"\n")
        return None if end < 0 else data[:end].rstrip(b"\r")
