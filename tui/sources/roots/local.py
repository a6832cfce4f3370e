"""A folder on this machine as a Root: walk it, stat and read its files by offset.

The walk follows symlinks, each real folder once (a link back up the tree or a
second link to the same folder cannot make it loop or list a run twice); a link to
a folder inside the root is left to that folder's own name (W&B's ``latest-run``
would otherwise name a run after whichever run is newest). Reads
use ``os.pread`` on a handle kept open per file in a small cache: a tail of a
thousand files neither reopens each file for every chunk nor holds a thousand
descriptors, and a handle kept from ``stat`` guarantees that the bytes read
belong to the file whose size and identity were just reported.
"""

from __future__ import annotations

import errno
import os
import stat as stat_module
import threading
from collections import OrderedDict
from typing import BinaryIO

from tui.sources.roots.base import DANGLING, FOLDER, LOOP, FileInfo, Listing, Root

OPEN_FILES = 32
"""Handles kept open at once (least recently used closed first)."""
NOT_A_FILE = "not a regular file"


class LocalRoot(Root):
    """A local folder (LOGDIR)."""

    kind = "local"
    watchable = True

    def __init__(self, folder: str, label: str | None = None) -> None:
        super().__init__(label if label is not None else folder)
        self.folder = os.path.abspath(folder)
        self.other_roots: tuple[str, ...] = ()
        """The other local roots given with this one: a folder of theirs reached through a symlink here is read
        there, under their name (it was read twice, each of its runs listed and rung for under both)."""
        self._handles: OrderedDict[str, tuple[BinaryIO, str]] = OrderedDict()
        self._lock = threading.Lock()

    # Handles are this process's own: a pickled root (sent to or from a worker) opens its own.
    def __getstate__(self) -> dict[str, object]:
        return {"label": self.label, "folder": self.folder, "other_roots": self.other_roots}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(str(state["folder"]), str(state["label"]))  # type: ignore[misc]
        self.other_roots = tuple(state.get("other_roots", ()))  # type: ignore[arg-type]

    def local_path(self, path: str) -> str:
        return self.folder if path in ("", ".") else os.path.join(self.folder, *path.split("/"))

    def relative(self, local_path: str) -> str | None:
        """The root-relative path of a local path under the folder, or None if it lies elsewhere."""
        relative = os.path.relpath(os.path.abspath(local_path), self.folder)
        if relative == ".":
            return "."
        if relative.startswith(".." + os.sep) or relative == "..":
            return None
        return relative.replace(os.sep, "/")

    def list(self) -> Listing:
        found = Listing()
        if not os.path.isdir(self.folder):
            found.missing = True
            found.errors["."] = "no such folder" if not os.path.exists(self.folder) else "not a folder"
            return found
        seen: set[tuple[int, int]] = set()
        top = os.path.realpath(self.folder)
        elsewhere = _identities(self.other_roots)

        def on_error(error: OSError) -> None:
            where = self.relative(error.filename) if error.filename else None
            if isinstance(error, FileNotFoundError) and where not in (None, "."):
                return  # removed while walked (a Trainer's oldest checkpoint, save_total_limit): gone, not unreadable
            found.errors[where or "."] = error.strerror or str(error)

        for folder, dirnames, filenames in os.walk(self.folder, followlinks=True, onerror=on_error):
            try:
                info = os.stat(folder)
            except OSError as error:
                on_error(error)
                dirnames[:] = []
                continue
            identity = (info.st_dev, info.st_ino)
            if identity in seen or identity in elsewhere:  # a loop, a second link, another root's folder
                dirnames[:] = []
                continue
            seen.add(identity)
            relative = self.relative(folder) or "."
            prefix = "" if relative == "." else relative + "/"
            # A log's name may be a folder's; every log's name has a dot (``metrics.csv``, ``events.out.tfevents.*``):
            # folders without one (``checkpoint-500``, ``version_0``), most of a big tree, are not even kept.
            found.others.update((prefix + name, FOLDER) for name in dirnames if "." in name)
            dirnames[:] = sorted(name for name in dirnames if not self._inner_link(os.path.join(folder, name), top))
            for name in sorted(filenames):
                path = prefix + name
                try:
                    entry = os.stat(os.path.join(folder, name))
                except PermissionError as error:  # a folder that can be listed but not entered (r without x)
                    found.errors.setdefault(relative, error.strerror or "permission denied")
                    continue
                except OSError as error:  # a symlink loop or a dangling link, or a file that vanished since
                    if os.path.islink(os.path.join(folder, name)):
                        found.others[path] = _broken_link(error)
                    continue
                if stat_module.S_ISREG(entry.st_mode):
                    found.files[path] = FileInfo(path, entry.st_size, entry.st_mtime, _identity(entry))
                else:
                    found.others[path] = NOT_A_FILE
        return found

    @staticmethod
    def _inner_link(path: str, top: str) -> bool:
        """A symlink to a folder inside the root (W&B's ``latest-run``, a loop): walked by its own name; or to a
        folder the root is inside (``ln -s / runs/x``): a loop too, but the whole disk walked before the loop shows
        (``check`` never ended, and a watch spent half a core)."""
        if not os.path.islink(path):
            return False
        target = os.path.realpath(path)
        inside = target == top or target.startswith(top + os.sep)
        return inside or top.startswith(target.rstrip(os.sep) + os.sep)

    def stat(self, path: str) -> FileInfo:
        local = self.local_path(path)
        try:
            info = os.stat(local)
        except FileNotFoundError:
            self.forget(path)  # do not keep a deleted file's space in use
            raise
        if not stat_module.S_ISREG(info.st_mode):
            raise IsADirectoryError(21, FOLDER if stat_module.S_ISDIR(info.st_mode) else NOT_A_FILE, local)
        identity = _identity(info)
        with self._lock:
            held = self._handles.get(path)
            if held is not None and held[1] != identity:  # replaced: the next read opens the new file
                self._handles.pop(path)[0].close()
        return FileInfo(path, info.st_size, info.st_mtime, identity)

    def read(self, path: str, offset: int, size: int) -> bytes:
        with self._lock:
            handle = self._handle(path)
            return os.pread(handle.fileno(), size, offset)

    def _handle(self, path: str) -> BinaryIO:
        held = self._handles.get(path)
        if held is not None:
            self._handles.move_to_end(path)
            return held[0]
        handle = open(self.local_path(path), "rb", buffering=0)  # noqa: SIM115 - kept open in the cache
        try:
            identity = _identity(os.fstat(handle.fileno()))
        except OSError:
            handle.close()
            raise
        self._handles[path] = (handle, identity)
        while len(self._handles) > OPEN_FILES:
            self._handles.popitem(last=False)[1][0].close()
        return handle

    def forget(self, path: str) -> None:
        """Close the handle of one file (it vanished, or its reader is done)."""
        with self._lock:
            held = self._handles.pop(path, None)
            if held is not None:
                held[0].close()

    def close(self) -> None:
        with self._lock:
            while self._handles:
                self._handles.popitem()[1][0].close()


def _identity(info: os.stat_result) -> str:
    return f"{info.st_dev}:{info.st_ino}"


def _identities(folders: tuple[str, ...]) -> set[tuple[int, int]]:
    """(device, inode) of each folder that is there now."""
    found = set()
    for folder in folders:
        try:
            info = os.stat(folder)
        except OSError:
            continue
        found.add((info.st_dev, info.st_ino))
    return found


def _broken_link(error: OSError) -> str:
    """Why a symlink listed in a folder cannot be followed to a file, in the words the status line uses."""
    if error.errno == errno.ELOOP:
        return LOOP
    if error.errno == errno.ENOENT:
        return DANGLING
    return error.strerror or str(error)
