"""Where runs live: a local folder today; an object-store prefix or a folder on another machine next.

A root lists its files and reads byte ranges of them. Formats (TensorBoard, W&B, CSV, ...) work
only through this interface, so every format reads from every kind of root, and only new bytes
are ever read: a reader keeps its offset and asks for what lies beyond it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

FOLDER = "a folder, not a file"
"""What a listing says of a folder where a log's name is (``Listing.others``)..."""
TAIL_CHECK_BYTES = 256
"""Bytes before a file's read offset read again with each read and compared with what was read there, by remote
roots for every file and by text logs on any root: enough that another file cannot match by chance; other bytes
mean the file was rewritten."""
LOOP = "a symlink loop"
DANGLING = "a symlink to nothing (its target is missing)"
"""...and of a link that cannot be followed to a file: the same words from every root and every reader."""


@dataclass(frozen=True)
class FileInfo:
    """One file under a root, as last listed or stat'ed."""

    path: str
    """Relative to the root, '/'-separated (never absolute, never with '..')."""
    size: int
    mtime: float
    identity: str = ""
    """Changes when the file is replaced rather than appended to (inode, ETag of a prefix, ...); '' if unknown."""


@dataclass
class Listing:
    """What one listing of a root found."""

    files: dict[str, FileInfo] = field(default_factory=dict)
    """Relative path -> info, every regular file under the root."""
    errors: dict[str, str] = field(default_factory=dict)
    """Relative path ('.' for the root itself) -> why it could not be listed, in plain words."""
    others: dict[str, str] = field(default_factory=dict)
    """Relative path -> what stands there instead of a file that can be read (a folder, a symlink loop, a link to
    nothing): a log's name holding one is a log that cannot be read, which formats name (``Format.named_log``)."""
    missing: bool = False
    """The root itself is not there (LOGDIR deleted, an empty prefix): its runs are marked gone, not dropped."""


class Root(ABC):
    """A place that holds runs: list it, stat a file, read a byte range."""

    kind: str = "local"
    """'local', 's3', 'gs', 'az', 'ssh': what the table and the status line call it."""
    watchable: bool = False
    """True where file events (inotify) can wake the monitor; other roots are polled."""

    def __init__(self, label: str) -> None:
        self.label = label
        """The root as the user wrote it (``runs/``, ``s3://bucket/prefix``, ``box1:/runs``)."""

    def shown(self, path: str) -> str:
        """A root-relative path as the user would reach it: the root as written, a slash and the path."""
        return self.label.rstrip("/") + ("" if path == "." else "/" + path)

    @abstractmethod
    def list(self) -> Listing:
        """Every regular file under the root (following symlinks once), with what could not be listed."""

    @abstractmethod
    def stat(self, path: str) -> FileInfo:
        """The file's current size, mtime and identity; raises OSError (FileNotFoundError, PermissionError)."""

    @abstractmethod
    def read(self, path: str, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes from ``offset`` (fewer at the end of the file); raises OSError."""

    def read_ahead(self, paths: Sequence[str]) -> None:  # noqa: B027 - optional: a local file costs no request
        """A hint: these files are about to be read from their start, in this order (a first read of many runs).
        A remote root fetches them a batch at a time, where each alone would cost a request."""

    def local_path(self, path: str) -> str | None:
        """A real file system path for formats that need one (SQLite), or None where there is none."""
        return None

    def close(self) -> None:  # noqa: B027 - optional: most roots hold nothing to let go of
        """Let go of connections and handles (a root may be used again after; it reconnects)."""

    def interrupt(self) -> None:  # noqa: B027 - optional: most roots never wait on a network
        """End now a wait on a host that does not answer (the one reading is stopping: ``q``, Ctrl-C): that
        operation fails, and none connects until ``close``."""
