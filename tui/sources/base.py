"""The source interface: how a log format finds its runs and reads only what is new.

A ``Format`` looks at one listing of a root (every file, with size and mtime) and
says which files or databases hold which run: a list of ``Source`` records. The
monitor opens one ``Stream`` per source and, each round, asks it for the points
added since its last read. A stream keeps its own position (a byte offset, a
database row id, a file's modification signature) and its ``FileHealth``; it
reads through the root it is handed, so the same format reads a local folder,
an object-store prefix or a folder on another machine.

Streams are picklable (worker processes send them back after the first read)
and hold no open file or connection between reads: the root keeps handles.
"""

from __future__ import annotations

import errno
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from tui.sources.points import Decoded, FileHealth
from tui.sources.roots.base import LOOP, FileInfo, Listing, Root

Signature = tuple[tuple[int, float, str] | None, ...]


@dataclass(frozen=True)
class Source:
    """One readable unit a format found, and the run its points go to."""

    format: str
    """The format's name (``tensorboard``, ``wandb``, ``mlflow-sqlite``, ...): which Format opens it."""
    key: str
    """Unique among the sources of a root: the root-relative path of its file, ``db#run`` for a database."""
    run: str
    """The run's name: its folder's path under the root, or the name its logger gave it."""
    prefix: str = ""
    """Put before each tag (``train/`` for a Keras split folder)."""
    paths: tuple[str, ...] = ()
    """Root-relative files it reads; a change to any of them means there may be new points."""
    detail: str = ""
    """What the format needs besides the paths (a database's run id, the newest checkpoint)."""
    where: str = "."
    """Root-relative folder to show as the run's place ("new run at ...")."""
    older: tuple[str, ...] = ()
    """Root-relative files to read instead, newest first, while the first of ``paths`` cannot be read whole
    (older checkpoints' copies of a state file the job rewrites: the newest may be cut short for good)."""
    echoes: tuple[str, ...] = ()
    """The runs whose curves this log may repeat, the likelier first (its folder's TensorBoard run: Ultralytics
    with TensorBoard on; MMEngine's scalars.json beside its event files; Lightning with both its loggers, the
    events one version before or after its CSV log): the monitor shows the run once if their curves are the same."""


@dataclass
class Found:
    """What the formats found in one listing."""

    sources: list[Source] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    """Root-relative path -> why it could not be read (a database that will not open, ...)."""
    notes: list[str] = field(default_factory=list)
    """Format-wide messages for the user (an optional extra that is missing)."""
    checkpoints: dict[str, dict[int, str]] = field(default_factory=dict)
    """Run name -> step -> checkpoint path found beside its logs."""

    @property
    def runs(self) -> list[str]:
        return sorted({source.run for source in self.sources})

    def extend(self, other: Found) -> None:
        self.sources += other.sources
        self.errors.update(other.errors)
        self.checkpoints.update(other.checkpoints)
        self.notes += [note for note in other.notes if note not in self.notes]


class Stream(ABC):
    """One incremental reader: yields only points added since its last read."""

    WALLS_LOGGED: ClassVar[bool] = False
    """Whether its format logs each point's time of writing (``FileHealth.walls_logged``)."""
    RESTARTS_BY_CURVE: ClassVar[bool] = False
    """Whether each curve has a log of its own, where a step going back restarts that curve alone (the store's
    ``by_curve``): MLflow's file per metric, its rows per key."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.health = FileHealth(walls_logged=self.WALLS_LOGGED)
        self.rounds = 0
        """Completed reads; data in any read after the first means the job is writing now."""
        self.scalars_read = False
        """Whether any scalar point came from it yet (until then its head is a new attempt's, however many reads
        its header took: PyTorch's and TensorFlow's writers flush it when they create the file)."""
        self.started_over = False
        """Whether the read under way went back to its file's start (a log rewritten by a job restarted): the head
        of what it reads is a new attempt's, as a new file's is (its steps that repeat the last ones replace them)."""
        self._signature: Signature | None = None

    @property
    def run(self) -> str:
        return self.source.run

    @property
    def prefix(self) -> str:
        return self.source.prefix

    @property
    def key(self) -> str:
        return self.source.key

    @property
    def position(self) -> int:
        """Bytes (or rows) consumed so far; what moved between two reads is what was read."""
        return 0

    @property
    def rereading(self) -> bool:
        """Whether the batch being read now was read before: its file shrank or was replaced, and is read again from
        its start up to where it had been read (the store keeps points it gives back as they were)."""
        return False

    @property
    def one_attempt(self) -> bool:
        """Whether its file never goes back within it (only its head may restart the run: the store's
        ``one_attempt``); a log a resumed job appends to, or a notebook's writer used again, may."""
        return False

    @abstractmethod
    def read(self, root: Root) -> Iterator[Decoded]:
        """Points added since the last read, a batch at a time.

        Never raises for bad input or OS errors: they go into ``health`` (``error`` for the last
        OS error, cleared by a good read; counts of what was skipped), and what was read stays.
        """

    def retarget(self, source: Source) -> None:
        """Discovery now describes this stream differently (a new file of the run, a newer checkpoint)."""
        self.source = source

    def changed(self, root: Root) -> bool:
        """Whether any of its files changed since this was last asked (size, mtime, identity); cheap: stats only.

        A first problem (the main file vanished or cannot be read) counts as a change, so it is reported once;
        a file whose last read failed (permission denied) counts as changed while it can be stat'ed.
        """
        signature: list[tuple[int, float, str] | None] = []
        for index, path in enumerate(self.source.paths):
            try:
                info: FileInfo = root.stat(path)
            except OSError:
                if index == 0:
                    return self.health.error is None
                signature.append(None)
                continue
            signature.append((info.size, info.mtime, info.identity))
        current = tuple(signature)
        if current == self._signature and self.health.error is None:  # a refused read is tried again each round:
            return False  # permissions can change without changing the file
        self._signature = current
        return True


class Format(ABC):
    """One log format: which files are its runs, and a stream for each."""

    name: str = ""

    @abstractmethod
    def discover(self, root: Root, listing: Listing) -> Found:
        """The sources in this listing (a format may open a database to list the runs it holds)."""

    @abstractmethod
    def open(self, source: Source) -> Stream:
        """A fresh stream for a source this format found (nothing read yet)."""

    def named_log(self, path: str) -> bool:
        """Whether a file at this root-relative path is one of this format's logs by its name alone, whatever it
        holds (an event file, ``metrics.csv``, ``mlflow.db``): one that cannot be read (a folder or a symlink loop
        in its place, junk inside) is a run with the reason, never left out. False for logs known by content."""
        return False

    def read_to_tell(self, path: str) -> bool:
        """Whether discovery reads this file to tell whether, or which, log it is (a text log's first lines, an
        MLflow run's ``meta.yaml``): a remote root fetches those together, where each alone cost a request."""
        return False


def parent(path: str) -> str:
    """The root-relative folder of a root-relative path (``.`` at the top)."""
    return path.rsplit("/", 1)[0] if "/" in path else "."


def inside(folder: str, rest: str) -> str:
    """A root-relative path in ``folder`` (``.``: the root itself, whose paths have no folder before them): the
    other way from ``parent``."""
    return rest if folder == "." else f"{folder}/{rest}"


def basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


NOT_ANSWERING = "its host did not answer: "
"""Before an OS error that was its root's (a remote host or store that did not answer, ``Unreachable``): the root's
own line says it, and the run is not one that cannot be read (``watch --plain`` says no "unreadable" for it)."""


def describe(error: OSError) -> str:
    """An OS error in the words the status line uses."""
    if getattr(error, "root_trouble", False):
        return NOT_ANSWERING + (error.strerror or str(error))
    if isinstance(error, FileNotFoundError):
        return "file vanished (points read so far are kept)"
    if isinstance(error, PermissionError):
        return "permission denied"
    if error.errno == errno.ELOOP:
        return LOOP
    return error.strerror or str(error)


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
"""A text log redirected by Windows PowerShell (``> train.log``) is UTF-16: a zero byte in every other place."""


BINARY = "damaged: binary data, not text"
UTF16 = "text in UTF-16, not UTF-8 (a Windows console's redirect?): convert it with iconv -f UTF-16 -t UTF-8"
"""Why a log of a UTF-8 format (JSON, Lightning's CSV) that opens with a UTF-16 byte-order mark is not read: line by
line its lines are cut in the middle of their characters, and every one read as a damaged record."""


def junk(data: bytes) -> str:
    """Why the first bytes of a text log are no text ("" when they may be): zero bytes (a file a crash left
    zero-filled, or binary data) are in no text log of any format read here."""
    if b"\0" not in data or data.startswith(UTF16_BOMS):
        return ""
    return "damaged: zero bytes where its text should be" if not data.strip(b"\0") else BINARY


def not_text(line: bytes) -> str:
    """``BINARY`` when a log's first line (or first bytes) is no UTF-8 text, "" otherwise: binary junk need not
    hold a zero byte (a third of 300 random bytes hold none), but is no text of a format whose logs are UTF-8
    (JSON, Lightning's CSV; a multi-byte character cut at the end of what was read is text)."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as error:
        return BINARY if error.start < len(line) - 3 or error.reason != "unexpected end of data" else ""
    return ""
