"""What object stores and remote hosts share: only new bytes read, rewritten files caught, reachability known.

A remote root lists its files with one request; a file's ``version`` (ETag, size and mtime)
says whether it changed at all. Objects are rewritten whole as they grow, so a new version is
usually the old bytes plus new ones, but it may also be a different file under the same name.
To tell the two apart without downloading anything twice, every fetch past the bytes already
served starts ``TAIL_CHECK_BYTES`` earlier and compares them with what was served there: same
bytes, the file grew (read on from the offset); other bytes, or a file shorter than what was
served, it was replaced, and its ``identity`` changes so the reader reads it again from the
start (the store purges like a restart).

Requests are what costs (S3 bills each one, a remote host answers each one a round trip
later), so a fetch reads ahead ``READ_AHEAD_BYTES`` and a listing that sees files the reader
follows grow fetches their new bytes at once, several at a time where the backend can.
"""

from __future__ import annotations

import errno
import threading
import time
from abc import abstractmethod
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from tui.sources.roots.base import TAIL_CHECK_BYTES, FileInfo, Listing, Root

TAIL_KEEP_BYTES = 4096
"""Bytes served last kept per file: checked against, and served again to a reader going back to a cut record."""
READ_AHEAD_BYTES = 8 * 1024 * 1024
"""A fetch asks for at least this much, so reading a big file takes few requests."""
PREFETCH_BUDGET_BYTES = 64 * 1024 * 1024
"""At most this much is fetched ahead by one listing, or for files the reader said it would read (the rest is
fetched when read)."""
AHEAD_FILES = 256
"""Files fetched together when the reader comes to the first of those it said it would read (``read_ahead``)."""
LISTING_FRESH_SECONDS = 60.0
"""``stat`` answers from a listing this recent: readers stat every file they follow each round, right
after the round's listing (a first read of many runs can take a while)."""
RETRY_SECONDS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
"""Waits between attempts to reach a root that did not answer, so a dead host costs nothing each poll."""


class Unreachable(OSError):
    """The root did not answer (its reachability says so already)."""

    root_trouble = True
    """The root's, not its file's (``base.describe``)."""


class WaitingToRetry(Unreachable):
    """Raised without a request while a root that did not answer waits for its next attempt."""


class FileReplacedError(OSError):
    """A file's bytes before the read offset changed: it is another file now; read it again from the start."""

    def __init__(self, path: str) -> None:
        super().__init__(errno.ESTALE, "rewritten with other content: reading it again from the start", path)


@dataclass(frozen=True)
class Entry:
    """What a backend says of one file."""

    size: int
    mtime: float
    version: str
    """Changes on every write (ETag; size and mtime): a new version must be looked at."""
    base_identity: str = ""
    """What the backend itself says identifies the file (device and inode); '' for objects."""


@dataclass(frozen=True)
class Reachability:
    """Whether a root answers, for the status line: connecting, connected, reconnecting or unreachable."""

    state: str
    reason: str = ""
    since: float = 0.0


@dataclass
class _Seen:
    """What this root knows of one file: its last version, and the bytes it served last."""

    version: str = ""
    size: int = -1
    base_identity: str = ""
    generation: int = 0
    end: int = 0
    """End of the bytes served so far (where the reader goes on)."""
    tail: bytes = b""
    """The last bytes served before ``end`` (at most TAIL_KEEP_BYTES)."""


@dataclass
class _Chunk:
    """Bytes fetched ahead of the reader: ``data`` starts at ``start``; ``to_eof`` if it reached the end."""

    start: int
    data: bytes
    generation: int
    to_eof: bool

    @property
    def end(self) -> int:
        return self.start + len(self.data)


class RemoteRoot(Root):
    """A root reached over a network: one listing per poll, fetches of byte ranges, a reachability state."""

    watchable = False

    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.requests: Counter[str] = Counter()
        """Requests sent, by kind (``list``, ``get``, ``head``; an S3 root counts its HTTP requests)."""
        self.bytes_fetched = 0
        self.reachability = Reachability("connecting", since=time.time())
        self._seen: dict[str, _Seen] = {}
        self._chunks: dict[str, _Chunk] = {}
        self._lock = threading.RLock()
        self._failures = 0
        self._retry_at = 0.0
        self._listed: dict[str, FileInfo] = {}
        self._listed_at = -LISTING_FRESH_SECONDS
        self._ahead: dict[str, None] = {}
        """Files the reader said it would read from their start, in its order, not fetched yet."""
        self._failed: dict[str, OSError] = {}
        """Why a file fetched ahead could not be read, for its read to raise."""

    # A copy sent to a worker process carries where the root is, not its connection, cache or lock.
    _LOCAL_STATE: ClassVar[tuple[str, ...]] = ("_lock", "_seen", "_chunks", "_listed", "_ahead", "_failed")

    def __getstate__(self) -> dict[str, object]:
        return {key: value for key, value in self.__dict__.items() if key not in self._LOCAL_STATE}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()
        self._seen, self._chunks, self._listed, self._ahead, self._failed = {}, {}, {}, {}, {}
        self._listed_at = -LISTING_FRESH_SECONDS

    # ---- what a backend provides ----------------------------------------------------------

    @abstractmethod
    def _list_entries(self) -> tuple[dict[str, Entry], dict[str, str], dict[str, str]]:
        """Every file under the root, what could not be listed, and what is no file (``Listing.others``); raises
        OSError if the root cannot be read."""

    @abstractmethod
    def _stat_entry(self, path: str) -> Entry:
        """One file, asked now; raises OSError."""

    @abstractmethod
    def _fetch(self, path: str, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` (fewer at the end of the file) in one request; raises OSError."""

    def _fetch_many(self, ranges: list[tuple[str, int, int]]) -> list[bytes | OSError]:
        """Several ranges; backends that can overlap requests do."""
        results: list[bytes | OSError] = []
        for path, start, end in ranges:
            try:
                results.append(self._fetch(path, start, end))
            except OSError as error:
                results.append(error)
        return results

    # ---- reachability ---------------------------------------------------------------------

    def _reached(self) -> None:
        self._failures = 0
        if self.reachability.state != "connected":
            self.reachability = Reachability("connected", since=time.time())

    def _lost(self, reason: str) -> None:
        """Not answering: say why, and wait a while (longer each time) before trying again."""
        was_connected = self.reachability.state in ("connected", "reconnecting")
        self._failures += 1
        self._retry_at = time.monotonic() + RETRY_SECONDS[min(self._failures, len(RETRY_SECONDS)) - 1]
        state = "reconnecting" if was_connected and self._failures <= 3 else "unreachable"
        since = self.reachability.since if self.reachability.state == state else time.time()
        self.reachability = Reachability(state, reason, since)

    def _check_retry(self) -> None:
        """Raise at once while waiting to try an unreachable root again (no request, no wait)."""
        wait = self._retry_at - time.monotonic()
        if self._failures and wait > 0:
            raise WaitingToRetry(
                errno.EHOSTUNREACH, f"{self.reachability.reason} (trying again in {max(round(wait), 1)} s)"
            )

    # ---- Root -----------------------------------------------------------------------------

    def list(self) -> Listing:
        """One listing (fresh, never from a cache); grown files the reader follows are fetched ahead."""
        try:
            self._check_retry()
            entries, errors, others = self._list_entries()
        except (FileNotFoundError, NotADirectoryError) as error:
            self._reached()  # it answered: the folder or the bucket is not there (a file in its place: as locally)
            return Listing(errors={".": error.strerror or str(error)}, missing=True)
        except PermissionError as error:
            self._reached()
            return Listing(errors={".": error.strerror or str(error)})
        except OSError as error:
            if not isinstance(error, Unreachable):
                self._lost(error.strerror or str(error))
            # What was there is still there as far as anyone knows: keep the runs, say why they are not updated.
            with self._lock:
                return Listing(files=dict(self._listed), errors={".": error.strerror or str(error)})
        self._reached()
        with self._lock:
            grown = [path for path, entry in entries.items() if self._observe(path, entry)]
            for gone in set(self._seen) - set(entries):
                del self._seen[gone]
                self._chunks.pop(gone, None)
                self._failed.pop(gone, None)
        self._prefetch(grown)
        with self._lock:
            files = {path: self._info(path, entry) for path, entry in entries.items()}
            self._listed, self._listed_at = files, time.monotonic()
        return Listing(files=files, errors=errors, others=others)

    def stat(self, path: str) -> FileInfo:
        """From the last listing when it is recent (no request), else asked of the backend."""
        with self._lock:
            listed = self._listed.get(path)
            if listed is not None and time.monotonic() - self._listed_at < LISTING_FRESH_SECONDS:
                return listed
        self._check_retry()
        entry = self._stat_entry(path)
        with self._lock:
            self._observe(path, entry)
            return self._info(path, entry)

    def read_ahead(self, paths: Sequence[str]) -> None:
        with self._lock:
            self._ahead = dict.fromkeys(path for path in paths if self._unread(path))

    def read(self, path: str, offset: int, size: int) -> bytes:
        if offset == 0 and path in self._ahead:
            self._fetch_ahead(path)
        if offset == 0 and (failed := self._failed.pop(path, None)) is not None:
            raise type(failed)(failed.errno, failed.strerror)  # one of a batch's: its own, not the shared one
        with self._lock:
            seen = self._seen.setdefault(path, _Seen())
            tail, tail_start, generation = seen.tail, seen.end - len(seen.tail), seen.generation
            # Bytes served lately are kept: a reader going back to the start of a record cut at the end
            # of the file gets them again without a request, and only what lies beyond is fetched.
            if seen.end and tail_start <= offset <= seen.end:
                known, need_from = tail[offset - tail_start :], seen.end
            else:
                known, need_from = b"", offset
            want = offset + size
            if len(known) >= size:
                return known[:size]
            chunk = self._chunks.get(path)
            if _covers(chunk, generation, need_from, want - need_from):
                assert chunk is not None
                new = chunk.data[need_from - chunk.start : want - chunk.start]
                if need_from + len(new) >= chunk.end:
                    del self._chunks[path]
                return self._served(seen, offset, known + new)
            if 0 <= seen.size <= need_from:
                return known  # nothing beyond what the last listing saw (S3 would answer 416)
        self._check_retry()
        start = need_from - min(len(tail), TAIL_CHECK_BYTES) if need_from == seen.end else need_from
        end = need_from + max(want - need_from, READ_AHEAD_BYTES)
        data = self._fetch(path, start, end)
        with self._lock:
            if seen.generation != generation:
                raise FileReplacedError(path)
            if not _continues(data, start, tail, tail_start):
                self._replaced(path, seen)
                raise FileReplacedError(path)
            new = data[need_from - start :]
            used, rest = new[: want - need_from], new[want - need_from :]
            if rest:
                self._chunks[path] = _Chunk(need_from + len(used), rest, generation, len(data) < end - start)
            else:
                self._chunks.pop(path, None)
            return self._served(seen, offset, known + used)

    def close(self) -> None:
        with self._lock:
            self._chunks.clear()

    # ---- bookkeeping ------------------------------------------------------------------------

    def _info(self, path: str, entry: Entry) -> FileInfo:
        seen = self._seen[path]
        return FileInfo(path, entry.size, entry.mtime, f"{entry.base_identity}#{seen.generation}")

    def _observe(self, path: str, entry: Entry) -> bool:
        """Note a file's new version; True when it grew past what the reader has (worth fetching ahead)."""
        seen = self._seen.get(path)
        if seen is None:
            self._seen[path] = _Seen(entry.version, entry.size, entry.base_identity)
            return False
        if not seen.version:  # read before it was ever listed: adopt it, and check what was served
            seen.version, seen.size, seen.base_identity = entry.version, entry.size, entry.base_identity
            return seen.end > 0
        if entry.version == seen.version and entry.base_identity == seen.base_identity:
            return False
        self._chunks.pop(path, None)  # bytes fetched for another version
        self._failed.pop(path, None)  # and why it could not be read then
        replaced = entry.base_identity != seen.base_identity or entry.size < seen.end
        seen.version, seen.size, seen.base_identity = entry.version, entry.size, entry.base_identity
        if replaced:
            self._replaced(path, seen)
            return False
        return seen.end > 0

    def _replaced(self, path: str, seen: _Seen) -> None:
        seen.generation += 1
        seen.end, seen.tail = 0, b""
        self._chunks.pop(path, None)
        self._failed.pop(path, None)

    def _served(self, seen: _Seen, offset: int, data: bytes) -> bytes:
        """Keep the last bytes served (to check the next fetch against, and to serve again); return ``data``."""
        end = offset + len(data)
        if end < seen.end or not data:
            return data
        if len(data) >= TAIL_KEEP_BYTES or offset > seen.end:
            kept = b""
        else:  # the part of the old tail before ``offset``
            kept = seen.tail[: max(len(seen.tail) - (seen.end - offset), 0)]
        seen.tail = (kept + data)[-TAIL_KEEP_BYTES:]
        seen.end = end
        return data

    def _unread(self, path: str) -> bool:
        seen = self._seen.get(path)
        return (seen is None or seen.end == 0) and path not in self._chunks

    def _fetch_ahead(self, first: str) -> None:
        """Fetch ``first`` and the files said to come after it (``read_ahead``) in one go, as far as a budget goes."""
        plans: list[tuple[str, int, int]] = []
        budget = PREFETCH_BUDGET_BYTES
        with self._lock:
            order = list(self._ahead)
            at = order.index(first) if first in self._ahead else len(order)
            for path in order[at:] + order[:at]:  # the reader's order from here on; those it passed over last
                seen = self._seen.setdefault(path, _Seen())
                end = seen.size if seen.size >= 0 else READ_AHEAD_BYTES
                if len(plans) >= AHEAD_FILES or (plans and end > budget):
                    break
                del self._ahead[path]
                # An empty file is read without a request; one past a read-ahead is read in requests of its own (its
                # first read asks for more than a read-ahead, and fetched here its start came down twice).
                if 0 < end <= READ_AHEAD_BYTES and self._unread(path):
                    budget -= end
                    plans.append((path, seen.generation, end))
        results = self._fetch_planned([(path, 0, end) for path, _, end in plans])
        if results is None:
            return
        with self._lock:
            for (path, generation, end), data in zip(plans, results, strict=True):
                known = self._seen.get(path)
                if known is None or known.generation != generation or known.end:
                    continue
                if isinstance(data, OSError):
                    self._failed[path] = data  # its read raises it, without asking again
                else:
                    self._chunks[path] = _Chunk(0, data, generation, len(data) < end or 0 <= known.size <= end)

    def _fetch_planned(self, ranges: Sequence[tuple[str, int, int]]) -> Sequence[bytes | OSError] | None:
        """Ranges fetched ahead of the reader; None when there are none, or while the root waits to try again."""
        if not ranges:
            return None
        try:
            self._check_retry()
        except OSError:
            return None
        return self._fetch_many(list(ranges))

    def _prefetch(self, paths: Sequence[str]) -> None:
        """Fetch the new bytes of grown files at once, checking each still continues what was served."""
        plans: list[tuple[str, int, int, int]] = []
        budget = PREFETCH_BUDGET_BYTES
        with self._lock:
            for path in sorted(paths):
                seen = self._seen[path]
                start = seen.end - min(len(seen.tail), TAIL_CHECK_BYTES)
                end = min(seen.size, seen.end + READ_AHEAD_BYTES)
                if end - start > budget:
                    continue
                budget -= end - start
                plans.append((path, start, end, seen.generation))
        results = self._fetch_planned([(path, start, end) for path, start, end, _ in plans])
        if results is None:
            return
        with self._lock:
            for (path, start, _end, generation), data in zip(plans, results):
                known = self._seen.get(path)
                if known is None or known.generation != generation or isinstance(data, OSError):
                    continue  # read() will fetch it (and report the error)
                if not _continues(data, start, known.tail, known.end - len(known.tail)):
                    self._replaced(path, known)
                    continue
                payload = data[known.end - start :]
                self._chunks[path] = _Chunk(known.end, payload, generation, known.end + len(payload) >= known.size)


def _covers(chunk: _Chunk | None, generation: int, offset: int, size: int) -> bool:
    """Whether bytes fetched ahead answer a read (all of it, or up to the end of the file)."""
    if chunk is None or chunk.generation != generation or chunk.start > offset:
        return False
    return offset + size <= chunk.end or (chunk.to_eof and offset <= chunk.end)


def _continues(data: bytes, start: int, tail: bytes, tail_start: int) -> bool:
    """Whether ``data`` (fetched from ``start``) holds the bytes of ``tail`` (served from ``tail_start``) it covers."""
    low, high = max(start, tail_start), tail_start + len(tail)
    if high <= low:
        return True  # no overlap: nothing to compare
    if start + len(data) < high:
        return False  # shorter than what was served: another file
    return data[low - start : high - start] == tail[low - tail_start :]
