"""PyTorch's and tensorboardX's ``add_scalars``: each key's curve in a folder inside the run's.

``writer.add_scalars("Loss", {"train": a, "val": b}, step)`` gives each key a writer of its own, in a folder
inside the run's: PyTorch's ``<run>/Loss_train/`` and ``<run>/Loss_val/``, tensorboardX's ``<run>/Loss/train/``
and ``<run>/Loss/val/``, each holding the one tag ``Loss``. TensorBoard lists each folder as a run; losswatch
did too, so no run held both curves and none could be told overfitting. They are one job: the run's folder,
with the curves ``train/Loss`` and ``val/Loss`` (the key before the tag, as Keras' split folders give).

A folder is taken for a key's when the first tag of its first event file names it (the folder is the tag and
a key), inside a folder holding event files of its own (each writer makes its file when it starts). The tag is
read once per folder, from the first records; a folder whose file holds no point yet waits to be decided.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2

from tui.sources.base import basename, parent
from tui.sources.tensorboard.kernels import frame_records

PEEK_BYTES = 4096
"""Bytes read from a candidate's first file: its first records (a scalar event is some 40 bytes)."""
_MAX_RECORD = 1 << 26
_NOT_A_KEY = ""
"""``first_tag``'s answer for a file whose first point is no scalar: the folder is a run of its own."""

WAITING = ("", "")
"""``KeyFolders.resolve``'s answer for a folder whose file holds no point yet (no writer's folder is '')."""

Reader = Callable[[str, int, int], bytes]
"""(path, offset, size) -> bytes, as a root reads them."""


def first_tag(head: bytes) -> str | None:
    """The tag of the first summary among a file's first bytes; ``_NOT_A_KEY`` when the first event that is more
    than the writer's start is something else (a graph) or too large to be a scalar; None while there is none
    yet (``head`` shorter than ``PEEK_BYTES``: all the file holds)."""
    offsets, lengths, _ = frame_records(head, 0, _MAX_RECORD)
    for offset, length in zip(offsets.tolist(), lengths.tolist()):
        try:
            event = event_pb2.Event.FromString(head[offset : offset + length])
        except (DecodeError, RuntimeError, ValueError):
            return _NOT_A_KEY
        what = event.WhichOneof("what")
        if what in ("file_version", "session_log"):
            continue
        if what == "summary" and event.summary.value:
            return str(event.summary.value[0].tag)
        return _NOT_A_KEY
    return None if len(head) < PEEK_BYTES else _NOT_A_KEY


def writer_of(folder: str, tag: str, writers: Collection[str]) -> tuple[str, str] | None:
    """(the writer's folder, the key) when ``folder`` is where ``add_scalars`` put key's points of ``tag``."""
    key = basename(folder)
    stem = tag.replace("/", "_") + "_"
    if key.startswith(stem) and len(key) > len(stem) and parent(folder) in writers:  # PyTorch: Loss_train
        return parent(folder), key[len(stem) :]
    nested = f"{tag}/{key}"  # tensorboardX: Loss/train (a tag's own slashes nest it deeper)
    if folder == nested and "." in writers:
        return ".", key
    if folder.endswith("/" + nested) and folder[: -len(nested) - 1] in writers:
        return folder[: -len(nested) - 1], key
    return None


class KeyFolders:
    """Which event folders are ``add_scalars`` keys' and of which run folder, decided once per folder."""

    def __init__(self) -> None:
        self.decided: dict[str, tuple[str, str] | None] = {}
        """Folder -> (the writer's folder, the key), or None for a folder that is no key's."""

    def resolve(self, folder: str, first_file: str, writers: Collection[str], read: Reader) -> tuple[str, str] | None:
        """(the writer's folder, the key) for a key's folder, None for a run's own, ``WAITING`` while its file holds
        no point yet."""
        if folder in self.decided:
            return self.decided[folder]
        if not any(ancestor in writers for ancestor in _ancestors(folder)):
            self.decided[folder] = None
            return None
        try:
            head = read(first_file, 0, PEEK_BYTES)
        except OSError:
            return None  # not kept: its reader says why it cannot be read, and it is asked again next time
        tag = first_tag(head)
        if tag is None:
            return WAITING
        self.decided[folder] = writer_of(folder, tag, writers) if tag else None
        return self.decided[folder]


def _ancestors(folder: str) -> list[str]:
    found = []
    while folder not in ("", "."):
        folder = parent(folder)
        found.append(folder)
    return found
