"""``losswatch export``: every scalar point of every format as one long table.

Rows are ``run, tag, step, value, wall_time``, read by the same Monitor every other
command uses, so a TensorBoard run, a W&B log, an MLflow database and a CSV log all
come out alike, with losswatch's run names (Keras ``train/``/``validation/`` folders
become tag prefixes of their parent run). pandas (and pyarrow for ``.parquet``) are
imported only here, when an export is asked for.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import stat
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tui.text import utf8

if TYPE_CHECKING:
    from tui.live.group import MonitorGroup
    from tui.live.monitor import Monitor
    from tui.sources.roots.parse import RootSpec

COLUMNS = ["run", "tag", "step", "value", "wall_time"]


class ExportError(ValueError):
    """The output cannot be written as asked; the message says why."""


def output_format(output: str) -> str:
    """'.csv' or '.parquet', from the output's name; anything else is the user's mistake."""
    extension = os.path.splitext(output)[1].lower()
    if os.path.basename(output).lower() in (".csv", ".parquet"):  # splitext reads '.csv' as a name, no extension
        raise ExportError(f"{output}: give the file a name before its extension (runs{os.path.basename(output)})")
    if extension not in (".csv", ".parquet"):
        raise ExportError(f"{output}: the file name must end in .csv or .parquet")
    return extension


def read_logdir(logdir: str | list[RootSpec]) -> Monitor | MonitorGroup:
    """Every run under LOGDIR (or several roots, local or remote), read once (runs that cannot be read are
    there too, with their errors)."""
    from tui.live.group import build_monitor
    from tui.live.monitor import Monitor

    monitor = Monitor(logdir) if isinstance(logdir, str) else build_monitor(logdir)
    monitor.scan()
    monitor.read()
    return monitor


def scalars_frame(logdir: str | Monitor | MonitorGroup):
    """All scalar points under LOGDIR (or of a Monitor that read it), one row per point, sorted by run, tag
    and step (a pandas DataFrame)."""
    import numpy as np
    import pandas as pd

    monitor = read_logdir(logdir) if isinstance(logdir, str) else logdir
    frames = []
    for run in monitor.store.snapshot():
        for tag in sorted(run.scalars):
            steps, values, walls = run.scalars[tag].arrays()
            frames.append(
                pd.DataFrame(
                    {
                        "run": np.full(len(steps), utf8(run.name), dtype=object),
                        "tag": np.full(len(steps), utf8(tag), dtype=object),
                        "step": np.asarray(steps, dtype=np.int64),
                        "value": np.asarray(values, dtype=np.float64),
                        "wall_time": np.asarray(walls, dtype=np.float64),
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def export_scalars(logdir: str | Monitor | MonitorGroup, output: str) -> int:
    """Write the long table to ``output`` (.csv or .parquet); return the number of rows. A file written in
    place and stopped (Ctrl-C, a full disk) was the old file lost and a new one cut mid-row: the table is
    written beside it and takes its name when whole (``_written_whole``)."""
    extension = output_format(output)
    frame = scalars_frame(logdir)
    try:
        with _written_whole(output) as path:
            if extension == ".csv":
                # A carriage return in a name is no line end to the writer (its lines end in \n), so it left that
                # name unquoted, but it is one to most readers, which split the row in two: every name is quoted.
                breaks = (
                    frame["run"].str.contains("\r", regex=False).any()
                    or frame["tag"].str.contains("\r", regex=False).any()
                )
                # A NaN loss is a point (a blow-up), not a missing cell: written as NaN, as inf is written inf.
                quoting = csv.QUOTE_NONNUMERIC if breaks else csv.QUOTE_MINIMAL
                frame.to_csv(path, index=False, quoting=quoting, na_rep="NaN")
            else:
                try:
                    frame.to_parquet(path, index=False)
                except ImportError:
                    raise ExportError("writing .parquet needs pyarrow: pip install pyarrow") from None
    except OSError as error:
        raise ExportError(f"{output}: {error.strerror or error}") from None
    return len(frame)


@contextlib.contextmanager
def _written_whole(output: str) -> Iterator[str]:
    """A path to write ``output``'s new content to: a new file beside it (the real file's, through a symlink),
    renamed over it only once written whole, removed otherwise. ``output`` itself where a new file in its place
    would not be the same file: no regular file (a FIFO, ``/dev/stdout``), one shared by hard links or owned by
    someone else (the links, the owner would be lost), or no file can be made beside it; copied into it in place
    where the rename is refused (a file bind-mounted, another's in a sticky folder)."""
    target = os.path.realpath(output)
    if os.path.exists(target) and not _replaceable(target):
        yield output
        return
    folder, name = os.path.split(target)
    part = os.path.join(folder, f".{name}.{os.getpid()}.part")
    try:
        os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # the umask's mode, as a new file's
    except OSError:  # a folder we may not add to (the file itself may be writable), a name too long: in place
        yield output
        return
    try:
        if os.path.isfile(target):
            shutil.copymode(target, part)  # the old file's mode, as writing in place kept it
        yield part
        try:
            os.replace(part, target)
        except OSError:  # EBUSY (a bind mount), EPERM (a sticky folder): the whole table, copied in place
            shutil.copyfile(part, target)
            os.unlink(part)
    except BaseException:  # a signal's exit too: the old file stays, no part is left behind
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise


def _replaceable(target: str) -> bool:
    """Whether a new file may take ``target``'s name: a regular file of one link, ours."""
    try:
        info = os.stat(target)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_nlink == 1 and info.st_uid == os.geteuid()
