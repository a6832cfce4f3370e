"""Checkpoints beside a run's logs, by the step (or epoch) in their names.

* Hugging Face Trainer: ``<output_dir>/checkpoint-<step>/`` (``PREFIX_CHECKPOINT_DIR``, transformers 5.23);
* Lightning ``ModelCheckpoint``: ``epoch=E-step=S.ckpt`` (``-v1`` on a clash), under ``checkpoints/``;
* anything else whose file name carries ``step``/``global_step``/``iter`` and a number, or else
  ``epoch`` and a number (``weights-epoch=05.keras``, ``ckpt_epoch_5.pt``): the epoch is taken as the
  step, which is what a per-epoch log (Keras) counts in;
* Keras ``ModelCheckpoint`` (``.keras``, ``.h5``, ``.hdf5``): its documented name ``weights.{epoch:02d}-
  {val_loss:.2f}.hdf5`` (a name, then the epoch after a separator) too. Keras formats the name with
  ``epoch + 1`` (``callbacks/model_checkpoint.py``, ``_get_file_path``) while its logs (TensorBoard's
  ``epoch_loss``, ``CSVLogger``'s ``epoch``) count epochs from 0: its file for epoch number E is step E - 1.

Only the run's own folder and two levels below it are looked at, and not the folders of other runs
inside it (a run at the log folder's root has every other run below it), so one run's checkpoints are
not another's. Paths are root-relative; a checkpoint folder ends in ``/``.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from tui.sources.base import inside
from tui.sources.roots.base import Listing

_HF = re.compile(r"(?:^|/)checkpoint-(\d+)/")
_STEP = re.compile(r"(?:global_step|step|iter|iteration)[=_-]?(\d+)", re.IGNORECASE)
_EPOCH = re.compile(r"epoch[=_-]?(\d+)", re.IGNORECASE)
_KERAS_NAME = re.compile(r"[A-Za-z_]*[._-](\d+)(?:[-_.].*)?")
"""``weights.05-0.42``, ``model-0005``: a name, a separator, the epoch (the suffix taken off)."""
KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
SUFFIXES = (".ckpt", ".pt", ".pth", ".bin", ".safetensors", *KERAS_SUFFIXES, ".pkl", ".npz", ".msgpack")
DEPTH = 2


def find_checkpoints(listing: Listing, folder: str, run_folders: Collection[str] = ()) -> dict[int, str]:
    """Step -> checkpoint path for the run whose logs are in ``folder``; ``run_folders``: every run's folder,
    whose checkpoints are theirs when they lie inside this one."""
    prefix = inside(folder, "")
    others = tuple(f + "/" for f in run_folders if f != folder and f != "." and f.startswith(prefix))
    found: dict[int, str] = {}
    for path in listing.files:
        if not path.startswith(prefix) or (others and path.startswith(others)):
            continue
        inner = path[len(prefix) :]
        if inner.count("/") > DEPTH:
            continue
        hf = _HF.search(inner)
        if hf:
            found.setdefault(int(hf.group(1)), prefix + inner[: hf.end()])
            continue
        name = inner.rsplit("/", 1)[-1]
        if not name.lower().endswith(SUFFIXES):
            continue
        step = _step_of(name)
        if step is not None and (step not in found or path < found[step]):  # -v1 copies: the plain name first
            found[step] = path
    return found


def named_by_step(path: str) -> bool:
    """Whether the checkpoint's name says its step (``epoch=3-step=400.ckpt``, ``global_step1200``), not its epoch
    nor a Trainer's folder: Lightning names it by the step after the validation it follows."""
    return _STEP.search(path.rstrip("/").rsplit("/", 1)[-1]) is not None


def _step_of(name: str) -> int | None:
    """The step a checkpoint file's name says, in the units of its run's logs (None: it says none)."""
    match = _STEP.search(name)
    if match:
        return int(match.group(1))
    keras = name.lower().endswith(KERAS_SUFFIXES)
    stem = name[: name.lower().rfind(".")]
    match = _EPOCH.search(name) or (_KERAS_NAME.fullmatch(stem) if keras else None)
    if match is None:
        return None
    epoch = int(match.group(1))
    return max(epoch - 1, 0) if keras else epoch
