"""``losswatch export``: every scalar point as one long table, built on tbparse.

tbparse reads ``simple_value`` scalars into ``.scalars`` and TF2 tensor
scalars into ``.tensors``; both end up here as rows of
``run, tag, step, value, wall_time`` with losswatch's run names (Keras
``train/``/``validation/`` folders become tag prefixes of their parent run).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from tbparse import SummaryReader

from tui.sources.tensorboard.discovery import discover, run_name_for

COLUMNS = ["run", "tag", "step", "value", "wall_time"]


class ExportError(ValueError):
    """The output cannot be written as asked; the message says why."""


def _frame(folder: str, run: str, prefix: str) -> pd.DataFrame:
    reader = SummaryReader(folder, pivot=False, extra_columns={"wall_time"})
    parts = []
    scalars = reader.scalars
    if len(scalars):
        parts.append(scalars[["tag", "step", "value", "wall_time"]])
    tensors = reader.tensors
    if len(tensors):
        arrays = [np.asarray(v) for v in tensors["value"]]
        single = np.array([a.size == 1 and np.issubdtype(a.dtype, np.number) for a in arrays], dtype=bool)
        tensor_scalars = tensors.loc[single, ["tag", "step", "wall_time"]].copy()
        tensor_scalars["value"] = [float(a.reshape(-1)[0]) for a, keep in zip(arrays, single) if keep]
        # Keras also logs a 1-element 'keras' model-config string tensor and histograms; only scalar plugins count.
        tensor_scalars = tensor_scalars[~tensor_scalars["tag"].str.endswith("histogram")]
        parts.append(tensor_scalars[["tag", "step", "value", "wall_time"]])
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(0, "run", run)
    frame["tag"] = prefix + frame["tag"]
    return frame[COLUMNS]


def scalars_frame(logdir: str) -> pd.DataFrame:
    """All scalar points under LOGDIR, one row per point."""
    folders = sorted({os.path.dirname(f.path) for f in discover(logdir).files})
    frames = []
    for folder in folders:
        run, prefix = run_name_for(os.path.relpath(folder, os.path.abspath(logdir)))
        frames.append(_frame(folder, run, prefix))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True).sort_values(["run", "tag", "step"], kind="stable")


def export_scalars(logdir: str, output: str) -> int:
    """Write the long table to ``output`` (.csv or .parquet); return the number of rows."""
    extension = os.path.splitext(output)[1].lower()
    if extension not in (".csv", ".parquet"):
        raise ExportError(f"{output}: the file name must end in .csv or .parquet")
    frame = scalars_frame(logdir)
    try:
        if extension == ".csv":
            frame.to_csv(output, index=False)
        else:
            try:
                frame.to_parquet(output, index=False)
            except ImportError:
                raise ExportError("writing .parquet needs pyarrow: pip install 'losswatch[parquet]'") from None
    except OSError as error:
        raise ExportError(f"{output}: {error.strerror or error}") from None
    return len(frame)
