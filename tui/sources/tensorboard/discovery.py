"""Find runs under a log directory.

A run is a folder holding event files (names containing ``tfevents``, not
``*.profile-empty``), named by its path relative to LOGDIR (``.`` for LOGDIR
itself). Keras writes one run as sibling ``train/`` and ``validation/`` folders:
such split folders (also ``val``, ``eval``, ``valid``, ``test``) belong to their
parent's run, and their tags are prefixed with the folder name
(``train/epoch_loss``, ``validation/epoch_loss``). A split folder holds nothing but
event files, or has a sibling split folder; one that also holds other files, alone, is
a run folder that happens to be named so: Ultralytics trains into ``runs/detect/train``
beside its ``args.yaml``, weights and ``results.csv``, its tags already named
``train/box_loss`` and ``val/box_loss``. The folders ``add_scalars`` makes inside a run, one per key, are that
run's too (``key_folders``). The folder ``add_hparams`` makes inside a run
(named by the time, ``1710238500.4213057``) gives that run its hyper-parameters.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from tui.sources.base import Source, basename, parent
from tui.sources.mmengine import FOLDER_NAME as MMENGINE_FOLDER
from tui.sources.roots.base import Listing
from tui.sources.roots.local import LocalRoot
from tui.sources.tensorboard.key_folders import WAITING, KeyFolders, Reader

FORMAT = "tensorboard"

TRAIN_SPLITS = frozenset({"train", "training", "train_inner"})
"""``train_inner``: fairseq's per-update training writer, beside its ``train/`` and ``valid/``."""
VAL_SPLITS = frozenset({"validation", "val", "eval", "valid", "test"})
SPLIT_FOLDERS = TRAIN_SPLITS | VAL_SPLITS

_TIMESTAMP = re.compile(r"tfevents\.(\d+)")
_NUMBERS = re.compile(r"(?<=\.)([0-9]+)(?=\.|$)")
"""The name's fields that are numbers (the time, the process id, the writer's counter); a host's digits stay text,
so that ``host.1.0`` and ``host2.2.0`` keep their text order, as TensorBoard reads them."""
_HPARAMS_FOLDER = re.compile(r"\d{9,}\.\d+")
"""``str(time.time())``: the folder PyTorch's and tensorboardX's ``add_hparams`` write a run's hyper-parameters to,
inside the run's own folder."""
HPARAMS_ONLY = "hparams-only"
"""``Source.detail`` of such a folder's event files: their hyper-parameters go to the run they sit in, their
scalars (the metrics given to ``add_hparams``, one point each) nowhere: the run's own curves have them."""
MMENGINE_VIS = "mmengine-vis"
"""``Source.detail`` of event files in MMEngine's ``vis_data`` (its ``TensorboardVisBackend``): validation's
points are logged at the epoch, training's at the iteration, in one file; validation's are placed at the
iteration they follow (``EventStream._placed``), and a step going back there is no restart (the store's
``one_attempt``)."""


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


def created_at(name: str) -> int | None:
    """The creation time (whole seconds) a TensorBoard writer puts in its event file's name, if there is one."""
    match = _TIMESTAMP.search(name)
    return int(match.group(1)) if match else None


def file_order_key(path: str) -> tuple[int, tuple[str | int, ...], str]:
    """Event files sort by the creation time in their name, then by name with its number fields read as numbers (a
    restarted job's files in order): a job restarted within the second differs by its process id (``….99.0``,
    ``….100.0``), a process's eleventh writer by its counter (``….9``, ``….10``), and in text order the later
    file came first, whose older steps then read as the restart and purged the earlier attempt's."""
    name = os.path.basename(path)
    parts = _NUMBERS.split(name)  # text, number, text …: a number at every odd place, so keys compare part by part
    numbered = tuple(int(part) if place % 2 else part for place, part in enumerate(parts))
    return (created_at(name) or 0, numbered, name)


def run_name_for(folder_relative: str, split: bool = True) -> tuple[str, str]:
    """(run name, tag prefix) for a folder holding event files, relative to LOGDIR; ``split=False``: the folder
    is a run whatever its name."""
    parts = [] if folder_relative in ("", ".") else folder_relative.replace(os.sep, "/").split("/")
    if split and parts and parts[-1].lower() in SPLIT_FOLDERS:
        parent = "/".join(parts[:-1]) or "."
        return parent, parts[-1] + "/"
    return "/".join(parts) or ".", ""


def _tensorboards_own(name: str) -> bool:
    """Files a Keras split folder may hold besides event files: the profiler's marker, the projector's config,
    a file system's hidden files."""
    return "tfevents" in name or name == "projector_config.pbtxt" or name.startswith(".")


def event_sources(
    listing: Listing, decided: dict[str, bool] | None = None, keys: KeyFolders | None = None, read: Reader | None = None
) -> list[Source]:
    """The event files of a listing as sources, each run's files in the order they were written.

    ``decided``: whether each folder was taken for a split folder, kept from scan to scan: a Keras ``train/``
    that later gets a checkpoint beside its event files stays its run's split, not a run renamed mid-way.
    ``read`` (a root's): folders ``add_scalars`` wrote are found (``key_folders``), decided once in ``keys``."""
    by_folder: dict[str, list[str]] = {}
    with_other_files: set[str] = set()
    for path in listing.files:
        name = basename(path)
        if is_event_file_name(name):
            by_folder.setdefault(parent(path), []).append(path)
        elif not _tensorboards_own(name):
            with_other_files.add(parent(path))
    splits_of: dict[str, int] = {}  # parent folder -> how many split folders in it hold event files
    for folder in by_folder:
        if basename(folder).lower() in SPLIT_FOLDERS:
            splits_of[parent(folder)] = splits_of.get(parent(folder), 0) + 1

    memo: dict[str, bool] = {} if decided is None else decided
    hparams = {f for f in by_folder if _HPARAMS_FOLDER.fullmatch(basename(f)) and parent(f) in by_folder}
    keys = KeyFolders() if keys is None else keys
    others = hparams | {f for f in by_folder if basename(f) == MMENGINE_FOLDER}
    in_order = {folder: sorted(files, key=file_order_key) for folder, files in by_folder.items()}
    keys_of = {} if read is None else keys.place(in_order, others, read)  # add_scalars' folders, or WAITING
    writers = {found[0] for found in keys_of.values() if found != WAITING}

    def run_of(folder: str) -> tuple[str, str]:
        if folder in writers:  # a writer whose add_scalars made key folders in it is a run, whatever its name
            return run_name_for(folder, split=False)
        split = memo.get(folder)
        if split is None:
            split = folder not in with_other_files or splits_of.get(parent(folder), 0) > 1  # a sibling split: Keras'
            memo[folder] = split
        return run_name_for(folder, split=split)

    found: list[Source] = []
    for folder in sorted(by_folder):
        detail, key_of = "", keys_of.get(folder)
        if folder in hparams:
            (run, prefix), detail = run_of(parent(folder)), HPARAMS_ONLY
        elif key_of == WAITING:
            continue  # no point in it yet: listed once its first tag tells whose it is (``key_folders``)
        elif key_of:
            run, prefix = run_of(key_of[0])[0], key_of[1] + "/"
        else:
            run, prefix = run_of(folder)
            detail = MMENGINE_VIS if basename(folder) == MMENGINE_FOLDER else ""
        for path in in_order[folder]:
            # A split folder (Keras' train/, validation/), a key's or an hparams one is its run's, shown by the run's.
            where = run if prefix or detail == HPARAMS_ONLY else folder
            found.append(Source(FORMAT, path, run, prefix, (path,), detail=detail, where=where))
    return found


def discover(logdir: str) -> Discovery:
    """Walk LOGDIR (following symlinks, each real folder once) and list its event files."""
    root = LocalRoot(logdir)
    listing = root.list()
    errors = {root.local_path(path): why for path, why in listing.errors.items()}
    files = [EventFile(root.local_path(s.key), s.run, s.prefix) for s in event_sources(listing, read=root.read)]
    return Discovery(files, errors)
