"""Tailing a text log by whole lines: what the CSV, JSON-lines and MLflow file formats share.

Only complete lines (ending in a newline) are taken; a line being written waits
for the next read. A file that shrank, was replaced, or was rewritten in place past its old
size between two reads (a job restarted with ``open(path, "w")``, ``logrotate``'s copytruncate)
is read again from its start (the store drops the points it already had when the steps go back). The new lines
come as one block of bytes, for parsers that take many lines in one call.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from tui.sources.base import UTF16, UTF16_BOMS, Found, Source, basename, describe, junk, not_text, parent
from tui.sources.roots.base import TAIL_CHECK_BYTES, FileInfo, Root

BLOCK_BYTES = 64 * 1024 * 1024
"""At most this much is handed over per call: a huge log is parsed in pieces, not held whole twice."""
_ZERO_RUN = re.compile(rb"\0+\n?")
_LINE_OR_ZERO = re.compile(rb"[\n\0]")
HEAD_BYTES = 65536
"""Bytes of a file's start looked at for its header..."""
LONG_HEAD = 4 * 1024 * 1024
"""...or up to this many, for a first line of text longer than that in a format whose logs may open with a header
object (a JSON-lines log with its config; a CSV header that long is no log's)."""


@dataclass
class Lines:
    """Complete lines read by one call, and whether the file started over."""

    data: bytes
    """The new whole lines, newlines included."""
    restarted: bool
    info: FileInfo
    more: bool = False
    """More whole lines may follow (the block limit was reached): call again."""

    @property
    def lines(self) -> list[bytes]:
        return self.data.splitlines()


class LineTail:
    """The complete lines appended to one file since the last call."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0
        self.incomplete = 0
        """Bytes after the last whole line: a line being written (``zeroed`` left out)."""
        self.zeroed = 0
        """Bytes skipped: zeros a crash left and the line they cut short, among the whole lines read (text was written
        after them) and after the last whole line, up to the file's end (damage, no line being written)."""
        self._identity: str | None = None
        self._size = 0
        self._zeros_read = 0
        """Zero bytes among the whole lines read since the file (re)started: skipped, as the tail's are."""
        self._tail = b""
        """The last bytes read (up to TAIL_CHECK_BYTES), to check the next read against: a file rewritten in place
        with other lines, even past its old size, reads other bytes there (stat alone sees a file that grew)..."""
        self._tail_end = 0
        """...which end here (a reader that set ``offset`` itself, to read again from the start, is not checked)."""

    def read(self, root: Root, limit: int | None = None) -> Lines:
        """New complete lines, ``limit`` bytes at most (BLOCK_BYTES by default; raises OSError)."""
        limit = BLOCK_BYTES if limit is None else limit
        info = root.stat(self.path)
        restarted = self._identity is not None and (info.identity != self._identity or info.size < self._size)
        self._identity, self._size = info.identity, info.size
        back = len(self._tail) if not restarted and self._tail_end == self.offset else 0
        if restarted:
            self.offset, self._tail = 0, b""
        wanted = max(min(limit, info.size - self.offset), 0)
        data = root.read(self.path, self.offset - back, wanted + back) if wanted or back else b""
        if back:
            if data[:back] != self._tail:  # other bytes where the last lines were: rewritten, read it again
                self.offset, self._tail, restarted = 0, b"", True
                wanted = max(min(limit, info.size), 0)
                data = root.read(self.path, 0, wanted) if wanted else b""
            else:
                data = data[back:]
        end = data.rfind(b"\n")
        if end < 0 and len(data) >= limit:
            end = len(data) - 1  # one absurdly long line: take it whole rather than wait forever
        rest = data[end + 1 :]
        if end + 1 < len(data):
            data = data[: end + 1]  # the last line is still being written: it waits
        self.offset += len(data)
        self._tail = ((self._tail if back else b"") + data)[-TAIL_CHECK_BYTES:]
        self._tail_end = self.offset
        self.incomplete = max(info.size - self.offset, 0)
        if self.offset == len(data):  # read from its start (again: restarted, or a reader going back to it)
            self._zeros_read = 0
        if b"\0" in data:  # zeros a crash left, a resumed job's lines after them
            data, dropped = without_zeros(data)
            self._zeros_read += dropped
        # Zero bytes up to the end, after a line cut short or none: no writer writes them as part of a line (a crash
        # left the file's last blocks unwritten). Damage, not a line still being written; read again next time,
        # should text follow them.
        trailing = len(rest) if self.offset + len(rest) == info.size and rest.endswith(b"\0") else 0
        self.incomplete -= trailing
        self.zeroed = trailing + self._zeros_read
        more = wanted == limit and len(data) > 0 and self.incomplete > 0
        return Lines(data, restarted, info, more)


def without_zeros(data: bytes) -> tuple[bytes, int]:
    """Whole lines without the zeros a crash left, nor the line they cut short (its start was written, its end lost:
    ``29,2900,,0`` of ``29,2900,,0.5024`` read as a loss of 0); and how many bytes were left out. A job resumed
    after the crash writes its lines after the zeros, each whole."""
    kept: list[bytes] = []
    dropped = at = 0
    for run in _ZERO_RUN.finditer(data):
        piece = data[at : run.start()]
        line_start = piece.rfind(b"\n") + 1
        kept.append(piece[:line_start])
        dropped += len(piece) - line_start + run.end() - run.start()
        at = run.end()
    kept.append(data[at:])
    return b"".join(kept), dropped


def first_lines(data: bytes, lines: int = 1) -> bytes | None:
    """The first complete line of ``data``, or its first ``lines`` (None while it has none)."""
    end = -1
    for _ in range(lines):
        found = data.find(b"\n", end + 1)
        if found < 0:
            break
        end = found
    return None if end < 0 else data[:end].rstrip(b"\r")


def first_records(data: bytes, records: int) -> tuple[bytes | None, int]:
    """``data`` up to the end of its ``records``-th complete line that is not blank, blank lines between included,
    and how many such lines that holds (all there are, when fewer; None while there is no complete line): a
    JSON-lines log that opens with blank lines (a script that prints a newline first) is told by its first
    records, not by five lines of nothing."""
    end = -1
    told = 0
    while told < records:
        found = data.find(b"\n", end + 1)
        if found < 0:
            break
        told += bool(data[end + 1 : found].strip())
        end = found
    return (None if end < 0 else data[:end].rstrip(b"\r")), told


def _line_after_blanks(data: bytes) -> bool:
    """Whether a line ends (or a zero byte comes) after the blank lines ``data`` opens with."""
    return _LINE_OR_ZERO.search(data, len(data) - len(data.lstrip())) is not None


def lines_in(head: bytes) -> int:
    """The lines of a head that are not blank (``first_records``' count, for a test given its head alone)."""
    return sum(bool(line.strip()) for line in head.split(b"\n"))


class HeaderTest:
    """Whether a file's header line passes ``test(path, header)``: read once per file (path and identity),
    not at every scan; a file without a whole header line yet is asked again next scan.

    A file that cannot be read (permission denied), or whose first bytes are no text (zero bytes: a file a crash
    left zero-filled, binary junk), whose name says it is a log (``unreadable(path)``) goes into ``found.errors``
    with the reason: the monitor shows it as a run that cannot be read, instead of letting it vanish; other such
    files (an unreadable ``notes.txt`` beside the runs, a binary ``data.csv``) are left alone. Neither is
    remembered: once readable, or whole, it is read.

    A file written over in place keeps its identity: one that did not grow since it was tested, yet changed (its size
    went down, or its time moved at the same size: a crash zero-filled it, a job rewrote it), is tested again, so a
    log read before and damaged since is named with the reason as ``check`` names it (a log appended to is not read
    again at every scan). A log emptied in place stays one: its writer truncated it to write it again, and the run
    read from it is not gone; so does an empty file put at a log's path (the log deleted and made again, another file
    moved over it), until its first line tells what it is.
    """

    def __init__(
        self, test: Callable[[str, bytes], bool], unreadable: Callable[[str], bool], lines: int = 1, utf8: bool = False
    ) -> None:
        self._test = test
        self._unreadable = unreadable
        self._lines = lines
        """Lines the test is given (joined by newlines): more than one for logs that may open with a header object."""
        self._utf8 = utf8
        """Its format's logs are UTF-8 (JSON, Lightning's CSV): a first line that is not is junk. A log found by a
        name it shares with any text log (``train.log``) may be a console's capture in latin-1 or GBK: not junk."""
        self._known: dict[tuple[str, str], tuple[bool, int, float]] = {}
        """(path, identity) -> the test's answer, and the file's size and time when last listed."""
        self._logs: set[str] = set()
        """Paths whose last file tested passed the test."""

    def __call__(self, root: Root, path: str, info: FileInfo, found: Found) -> bool:
        key = (path, info.identity)
        cached = self._known.get(key)
        if not info.size:  # emptied in place (``cat new > log``, a job started again), or made again: still a log
            return self.was_log(path, info)  # any other empty file (every empty *.log, *.txt) is read at no scan
        if cached is not None and not _written_over(cached[1], cached[2], info):
            if (cached[1], cached[2]) != (info.size, info.mtime):  # appended to: the bytes tested are as they were
                self._known[key] = (cached[0], info.size, info.mtime)
            return cached[0]
        try:
            root.stat(path)  # a handle kept from the file this replaced is let go: its bytes are the new file's
            data = root.read(path, 0, HEAD_BYTES)
            while self._lines > 1 and HEAD_BYTES <= len(data) < LONG_HEAD and not _line_after_blanks(data):
                data = root.read(path, 0, 4 * len(data))  # a first line longer than that: a config, in text
        except OSError as error:
            if self._unreadable(path):
                found.errors[path] = describe(error)
            return False  # not remembered: asked again at the next scan
        # A UTF-16 log (a Windows console's redirect): json.loads reads a first line so, the next ones not. A format
        # known by its first line (a Keras CSV log) is told by that line decoded (its history.csv was dropped without
        # a word), not by its name alone: a console's capture of any script is named train.log too.
        if data.startswith(UTF16_BOMS):
            if self._unreadable(path) and (self._utf8 or self._passes_in_utf16(path, data)):
                found.errors[path] = UTF16
            return False
        head, told = self._head(data)
        known = head is not None and self._test(path, head)
        # Junk only where no line of text comes first: a text log a crash left a zero-filled tail in is a log.
        if not known and (why := _junk(data, head, self._utf8)) and self._unreadable(path):
            found.errors[path] = why  # not remembered either: a log whose job writes it again is read
            return False
        if head is None:
            return False
        if not known and told < self._lines and len(data) >= info.size:
            return False  # fewer lines than the test looks at: asked again when the file has more
        self._known[key] = (known, info.size, info.mtime)
        (self._logs.add if known else self._logs.discard)(path)
        return known

    def _passes_in_utf16(self, path: str, data: bytes) -> bool:
        """Whether the test passes on the first lines of ``data`` read as UTF-16 (its byte-order mark tells which)."""
        text = data[: len(data) // 2 * 2].decode("utf-16", errors="replace").encode("utf-8", errors="replace")
        head, _ = self._head(text)
        return head is not None and self._test(path, head)

    def _head(self, data: bytes) -> tuple[bytes | None, int]:
        """What the test is given, and how many lines it holds: the first line, or the first ``lines`` that are not
        blank (blank lines between included)."""
        if self._lines == 1:
            head = first_lines(data)
            return head, int(head is not None)
        return first_records(data, self._lines)

    def was_log(self, path: str, info: FileInfo) -> bool:
        """Whether the file at ``path`` passed the test when last tested: this very file, emptied in place since,
        or the one an empty file took the place of (for a format that asks no empty file: its log written
        again)."""
        cached = self._known.get((path, info.identity))
        return cached[0] if cached is not None else path in self._logs


def _written_over(size: int, mtime: float, info: FileInfo) -> bool:
    """Whether a file of the same identity was written over since it was listed at ``size`` and ``mtime``: it is
    shorter, or as long with another time (a crash zero-filled it in place, a job rewrote it). A log only grows."""
    return info.size < size or (info.size == size and info.mtime != mtime)


def _junk(data: bytes, head: bytes | None, utf8: bool) -> str:
    """Why a log's first bytes are no text: zero bytes where no line of text comes first (a text log a crash left
    a zero-filled tail in is a log), or, in a format whose logs are UTF-8, a first line that is not (junk without
    a zero byte)."""
    if head is None or b"\0" in head:
        zeros = junk(data)
        if zeros or head is not None:
            return zeros
    if utf8:
        return not_text(data[:4096] if head is None else head)
    # A console's capture may be latin-1 or GBK, no UTF-8 (and a crash may leave zeros after it): a first line that
    # is no text in any of them, zero bytes after it, is junk (random bytes often hold no zero in their first line,
    # and were left unsaid).
    if head is None or not not_text(head) or _console_text(head):
        return ""
    return junk(data)


_NO_CONSOLE_WRITES = re.compile(rb"[\x00-\x06\x10-\x1a\x1c-\x1f\x7f]")
"""Control bytes no console capture holds (it may hold the bell that ends a title's escape, backspace, tab,
newlines, form feed, screen's shift-in and -out, and escape)."""


def _console_text(line: bytes) -> bool:
    """Whether a first line that is no UTF-8 reads as a console's text all the same: no stray control byte, and
    mostly printable ASCII (latin-1, cp1252) or whole GBK characters (a Chinese console's)."""
    if _NO_CONSOLE_WRITES.search(line):
        return False
    if 2 * sum(32 <= byte < 127 or byte == 9 for byte in line) >= len(line):
        return True
    try:
        line.decode("gbk")
    except UnicodeDecodeError:
        return False
    return True


def run_names(paths: list[str]) -> list[tuple[str, str, str]]:
    """(path, run name, folder) for single-file logs: a file alone in its folder is named by the folder,
    several in one folder by folder and file name (a watched log keeps its first name: ``kept_names``)."""
    folders = [parent(path) for path in paths]
    in_folder = Counter(folders)  # counted once: a scan of a thousand logs need not count each folder a thousand times
    named = []
    for path, folder in zip(paths, folders, strict=True):
        alone = in_folder[folder] == 1
        named.append((path, folder if alone else _with_file(folder, path), folder))
    return named


def file_named(source: Source) -> str:
    """A single-file log's run named by its folder and file name, as a log beside others in its folder is."""
    return _with_file(source.where, source.key)


def _with_file(folder: str, path: str) -> str:
    return (folder + "/" if folder != "." else "") + basename(path)
