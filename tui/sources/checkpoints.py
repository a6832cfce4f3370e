"""Checkpoints beside a run's logs, by the step (or epoch) in their names.

* Hugging Face Trainer: ``<output_dir>/checkpoint-<step>/`` (``PREFIX_CHECKPOINT_DIR``, transformers 5.23);
* Lightning ``ModelCheckpoint``: ``epoch=E-step=S.ckpt`` (``-v1`` on a clash), under ``checkpoints/``;
* anything else whose file name carries ``step``/``global_step``/``iter`` and a number, or else
  ``epoch`` and a number (``weights-epoch=05.keras``, ``ckpt_epoch_5.pt``): the epoch is taken as the
  step, which is what a per-epoch log (Keras) counts in.

Only the run's own folder and two levels below it are looked at, so one run's checkpoints are
not another's. Paths are root-relative; a checkpoint folder ends in ``/``.
"""

from __future__ import annotations

import re

from tui.sources.roots.base import Listing

_HF = re.compile(r"(?:^|/)checkpoint-(\d+)/")
_STEP = re.compile(r"(?:global_step|step|iter|iteration)[=_-]?(\d+)", re.IGNORECASE)
_EPOCH = re.compile(r"epoch[=_-]?(\d+)", re.IGNORECASE)
SUFFIXES = (".ckpt", ".pt", ".pth", ".bin", ".safetensors", ".h5", ".hdf5", ".keras", ".pkl", ".npz", ".msgpack")
DEPTH = 2


def find_checkpoints(listing: Listing, folder: str) -> dict[int, str]:
    """Step -> checkpoint path for the run whose logs are in ``folder``."""
    prefix = "" if folder == "." else folder + "/"
    found: dict[int, str] = {}
    for path in listing.files:
        if not path.startswith(prefix):
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
        match = _STEP.search(name) or _EPOCH.search(name)
        if match:
            step = int(match.group(1))
            if step not in found or path < found[step]:  # -v1 copies and the like: the plain name first
                found[step] = path
    return found
