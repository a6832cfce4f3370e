"""Find runs under a log directory.

A run is a folder holding event files (names containing ``tfevents``, not
``*.profile-empty``), named by its path relative to LOGDIR (``.`` for LOGDIR
itself). Keras writes one run as sibling ``train/`` and ``validation/`` folders:
such split folders (also ``val``, ``eval``, ``valid``, ``test``) belong to their
parent's run, and their tags are prefixed with the folder name
(``train/epoch_loss``, ``validation/epoch_loss``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

TRAIN_SPLITS = frozenset({"train", "training"})
VAL_SPLITS = frozenset({"validation", "val", "eval", "valid", "test"})
SPLIT_FOLDERS = TRAIN_SPLITS | VAL_SPLITS

_TIMESTAMP = re.compile(r"tfevents\.(\d+)")


@dataclass(frozen=True)
class EventFile:
    """One event file and where its points go."""

    path: str
    run: str
    prefix: str
    """Tag prefix: ``"train/"`` for a Keras split folder, else empty."""


@dataclass
class Discovery:
    """What a scan of LOGDIR found."""

    files: list[EventFile] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    """Folder or file path -> why it could not be read."""

    @property
    def runs(self) -> list[str]:
        return sorted({f.run for f in self.files})


def is_event_file_name(name: str) -> bool:
    return "tfevents" in name and not name.endswith(".profile-empty")


def file_order_key(path: str) -> tuple[int, str]:
    """Event files sort by the creation time in their name, then by name (a restarted job's files in order)."""
    name = os.path.basename(path)
    match = _TIMESTAMP.search(name)
    return (int(match.group(1)) if match else 0, name)


def run_name_for(folder_relative: str) -> tuple[str, str]:
    """(run name, tag prefix) for a folder holding event files, relative to LOGDIR."""
    parts = [] if folder_relative in ("", ".") else folder_relative.replace(os.sep, "/").split("/")
    if parts and parts[-1].lower() in SPLIT_FOLDERS:
        parent = "/".join(parts[:-1]) or "."
        return parent, parts[-1] + "/"
    return "/".join(parts) or ".", ""


def discover(logdir: str) -> Discovery:
    """Walk LOGDIR (following symlinks, each real folder once) and list its event files."""
    found = Discovery()
    root = os.path.abspath(logdir)
    seen: set[tuple[int, int]] = set()

    def on_error(error: OSError) -> None:
        found.errors[error.filename or root] = error.strerror or str(error)

    for folder, dirnames, filenames in os.walk(root, followlinks=True, onerror=on_error):
        try:
            stat = os.stat(folder)
        except OSError as error:
            on_error(error)
            dirnames[:] = []
            continue
        identity = (stat.st_dev, stat.st_ino)
        if identity in seen:  # a symlink loop or a second link to the same folder
            dirnames[:] = []
            continue
        seen.add(identity)
        dirnames.sort()
        names = [n for n in filenames if is_event_file_name(n)]
        if not names:
            continue
        relative = os.path.relpath(folder, root)
        run, prefix = run_name_for(relative)
        paths = []
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                paths.append(path)
        for path in sorted(paths, key=file_order_key):
            found.files.append(EventFile(path, run, prefix))
    return found
