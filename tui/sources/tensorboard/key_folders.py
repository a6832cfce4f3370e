"""PyTorch's and tensorboardX's ``add_scalars``: each key's curve in a folder inside the run's.

``writer.add_scalars("Loss", {"train": a, "val": b}, step)`` gives each key a writer of its own, in a folder
inside the run's: PyTorch's ``<run>/Loss_train/`` and ``<run>/Loss_val/``, tensorboardX's ``<run>/Loss/train/``
and ``<run>/Loss/val/``, each holding the one tag ``Loss``. TensorBoard lists each folder as a run; losswatch
did too, so no run held both curves and none could be told overfitting. They are one job: the run's folder,
with the curves ``train/Loss`` and ``val/Loss`` (the key before the tag, as Keras' split folders give).

A folder is taken for a key's when the tags among the first records of its first file holding a point are all
one tag that names it (the folder is the tag and a key), inside a folder holding event files of its own (each
writer makes its file when it starts), beside a sibling holding the same tag's other key. The tags are read once
per folder; a folder whose files hold no point yet waits to be decided.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2

from tui.sources.base import basename, parent
from tui.sources.cells import number_cell
from tui.sources.tensorboard.kernels import frame_records, next_header
from tui.sources.tensorboard.records import FOOTER_SIZE, HEADER_SIZE, MAX_RECORD_BYTES

PEEK_BYTES = 4096
"""Bytes read from the start of a candidate's file: its first records (a scalar event is some 40 bytes)."""

WAITING = ("", "")
"""``KeyFolders.place``'s answer for a folder whose files hold no point yet (no writer's folder is '')."""

Reader = Callable[[str, int, int], bytes]
"""(path, offset, size) -> bytes, as a root reads them."""


def tags_in(head: bytes) -> list[str] | None:
    """The tags of the summaries among a file's first bytes, in order, up to the first event of another kind; None
    while there is none yet (only the writer's start, or a record being written, in a file shorter than
    ``PEEK_BYTES``); [] when something else comes first (a graph), is too large to be a scalar, or is damaged."""
    offsets, lengths, end = frame_records(head, 0, MAX_RECORD_BYTES)
    tags: list[str] = []
    for offset, length in zip(offsets.tolist(), lengths.tolist()):
        try:
            event = event_pb2.Event.FromString(head[offset : offset + length])
        except (DecodeError, RuntimeError, ValueError):
            return tags
        what = event.WhichOneof("what")
        if what == "summary":
            tags += [str(value.tag) for value in event.summary.value]
        elif what not in ("file_version", "session_log"):
            return tags
    if tags:
        return tags
    being_written = len(head) - end < HEADER_SIZE or (
        next_header(head, end, MAX_RECORD_BYTES) == end
        and end + HEADER_SIZE + int.from_bytes(head[end : end + 8], "little") + FOOTER_SIZE > len(head)
    )  # else a whole record whose bytes fail their checksum: damage, which its reader counts and says
    return None if being_written and len(head) < PEEK_BYTES else []


def writer_of(folder: str, tag: str, writers: Collection[str]) -> tuple[str, str] | None:
    """(the writer's folder, the key) when ``folder`` is where ``add_scalars`` put a key's points of ``tag``: a key
    that is a number is a sweep's value (``lr_0.1`` holding ``lr`` first), not a key."""
    name = basename(folder)
    stem = tag.replace("/", "_") + "_"
    found: tuple[str, str] | None = None
    if name.startswith(stem) and len(name) > len(stem) and parent(folder) in writers:  # PyTorch: Loss_train
        found = parent(folder), name[len(stem) :]
    nested = f"{tag}/{name}"  # tensorboardX: Loss/train (a tag's own slashes nest it deeper)
    if folder == nested and "." in writers:
        found = ".", name
    elif folder.endswith("/" + nested) and folder[: -len(nested) - 1] in writers:
        found = folder[: -len(nested) - 1], name
    return None if found is None or number_cell(found[1]) is not None else found


class KeyFolders:
    """Which event folders are ``add_scalars`` keys' and of which run folder, each decided once.

    A folder is a key's when every tag among its first records is one tag that names it, and a sibling is the same
    tag's other key (``add_scalars`` is given several: ``{"train": …, "val": …}``) or has no point yet."""

    def __init__(self) -> None:
        self.decided: dict[str, tuple[str, str] | None] = {}
        """Folder -> (the writer's folder, the key), or None for a folder that is no key's."""
        self._candidates: dict[str, tuple[str, str, str]] = {}
        """Folder -> (the writer's folder, the key, the tag) of a folder that may be a key's, until decided."""

    def place(
        self, by_folder: dict[str, list[str]], others: Collection[str], read: Reader
    ) -> dict[str, tuple[str, str]]:
        """Folder -> (the writer's folder, the key) of the key folders among ``by_folder`` (folder -> its event files,
        in the order written), or ``WAITING`` while undecided; ``others``: folders that are something else."""
        waiting: set[str] = set()
        unsure: set[str] = set()
        for folder, files in by_folder.items():
            if folder in self.decided or folder in self._candidates or folder in others:
                continue
            if not any(ancestor in by_folder for ancestor in _ancestors(folder)):
                continue  # not kept: a writer's file may come later (a folder synced in name order: Loss_* first)
            try:
                tags = self._tags(files, read)
            except OSError:
                unsure.add(folder)  # a run of its own this time, not kept: its reader says why it cannot be read
                continue
            if tags is None:
                waiting.add(folder)
                continue
            found = writer_of(folder, tags[0], by_folder) if tags and len(set(tags)) == 1 else None
            if found is None:
                self.decided[folder] = None
            else:
                self._candidates[folder] = (*found, tags[0])
        for folder, (writer, key, tag) in list(self._candidates.items()):
            if folder not in by_folder:
                continue
            siblings = [f for f, c in self._candidates.items() if c[0] == writer and c[2] == tag and f != folder]
            siblings += [f for f, d in self.decided.items() if d and d[0] == writer and f in by_folder]
            if siblings:
                self.decided[folder] = (writer, key)
                del self._candidates[folder]
            elif any(parent(f) == parent(folder) for f in waiting | unsure):
                waiting.add(folder)  # its sibling key's file holds no point yet, or could not be read this time
            else:
                self.decided[folder] = None
                del self._candidates[folder]
        placed: dict[str, tuple[str, str]] = {f: d for f, d in self.decided.items() if d and f in by_folder}
        return placed | dict.fromkeys(waiting, WAITING)

    @staticmethod
    def _tags(files: list[str], read: Reader) -> list[str] | None:
        """The first tags of the first of ``files`` that holds a point (an earlier attempt's may hold none); raises
        ``OSError``."""
        for path in files:
            tags = tags_in(read(path, 0, PEEK_BYTES))
            if tags is not None:
                return tags
        return None


def _ancestors(folder: str) -> list[str]:
    found = []
    while folder not in ("", "."):
        folder = parent(folder)
        found.append(folder)
    return found
