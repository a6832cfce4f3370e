"""Every format losswatch reads, and discovery across all of them in one log directory."""

from __future__ import annotations

import re
from dataclasses import replace

from tui.sources.base import Format, Found, Source, Stream, basename, inside, parent
from tui.sources.checkpoints import find_checkpoints
from tui.sources.csvlogs import LIGHTNING, KerasCsvFormat, LightningCsvFormat
from tui.sources.jsonlogs import HF_STATE, JsonLinesFormat, TrainerStateFormat
from tui.sources.mlflow_files import MlflowFilesFormat
from tui.sources.mlflow_sqlite import MlflowSqliteFormat
from tui.sources.mmengine import MMENGINE, MMEngineFormat
from tui.sources.roots.base import FOLDER, Listing, Root
from tui.sources.tensorboard.discovery import HPARAMS_ONLY
from tui.sources.tensorboard.stream import TensorBoardFormat
from tui.sources.trackio import TrackioFormat
from tui.sources.wandb.stream import WandbFormat

FORMATS: tuple[Format, ...] = (
    TensorBoardFormat(),
    WandbFormat(),
    MlflowSqliteFormat(),
    MlflowFilesFormat(),
    TrackioFormat(),
    LightningCsvFormat(),
    KerasCsvFormat(),
    TrainerStateFormat(),
    JsonLinesFormat(),
    MMEngineFormat(),
)
"""In order of precedence: a run name two formats both claim keeps its plain name for the first."""

FOLDER_FORMATS = frozenset({"tensorboard", "lightning-csv", "keras-csv", "hf-trainer-state", "jsonl"})
"""Formats whose run is a folder of its own, where checkpoints beside the logs are that run's."""

_BY_NAME = {f.name: f for f in FORMATS}


def all_formats() -> tuple[Format, ...]:
    """Fresh instances of every format (each keeps what it learnt of one root: names, database schemas)."""
    return tuple(type(fmt)() for fmt in FORMATS)


def find_sources(
    root: Root, listing: Listing, formats: tuple[Format, ...] = FORMATS, owners: dict[str, str] | None = None
) -> Found:
    """The sources of every format in one listing; a run name claimed by two formats is told apart.

    ``owners`` (run name -> format), kept by the caller from scan to scan, makes a name stay with the format
    that had it first: a JSON-lines log named ``hf-out`` before the Trainer's first checkpoint appeared
    beside it keeps its name and its points, and the Trainer's run becomes ``hf-out [hf-trainer-state]``.
    Within one scan, the order of ``formats`` decides.
    """
    found = Found()
    owner: dict[str, str] = {} if owners is None else owners
    if root.local_path(".") is None:  # a remote root: 2,000 text files beside the runs took 434 s over ssh
        root.read_ahead([path for path in sorted(listing.files) if any(fmt.read_to_tell(path) for fmt in formats)])
    for fmt in formats:
        try:
            part = fmt.discover(root, listing)
        except Exception as error:
            found.notes.append(f"{fmt.name}: discovery failed ({type(error).__name__}: {error})")
            continue
        sources = []
        for source in part.sources:
            claimed = owner.setdefault(source.run, fmt.name)
            if claimed != fmt.name:
                source = replace(source, run=f"{source.run} [{fmt.name}]")
            sources.append(source)
        part.sources = sources
        found.extend(part)
    _not_files(listing, formats, found)
    found.sources = _with_echoes(found.sources)
    run_folders = {source.where for source in found.sources}
    for source in found.sources:
        if source.format in FOLDER_FORMATS and source.run not in found.checkpoints:
            checkpoints = find_checkpoints(listing, source.where, run_folders)
            if checkpoints:
                found.checkpoints[source.run] = checkpoints
    for source in found.sources:  # the Trainer's checkpoints, in <output_dir>: its TensorBoard run's too, one job
        if source.format == HF_STATE and source.echoes and source.run in found.checkpoints:
            found.checkpoints.setdefault(source.echoes[0], found.checkpoints[source.run])
    return found


DATA_FOLDER_SUFFIXES = (".csv", ".tsv", ".txt", ".log", ".jsonl", ".ndjson")
"""A folder so named is a table written in parts, not a text log in its place."""


def _not_files(listing: Listing, formats: tuple[Format, ...], found: Found) -> None:
    """A log's name with no file to read there (a folder, a symlink loop, a symlink to nothing) is a log that cannot
    be read, with the reason, as a refused one is (unless a run's stream reads it and says so itself)."""
    read = {path for source in found.sources for path in (*source.paths, *source.older)}  # their streams say it
    for path, why in listing.others.items():
        if why == FOLDER and path.lower().endswith(DATA_FOLDER_SUFFIXES):
            continue  # Spark and Dask write a table as a folder of parts (``df.write.csv("train.csv")``): data
        if path not in read and any(fmt.named_log(path) for fmt in formats):
            found.errors.setdefault(path, why)


def _with_echoes(sources: list[Source]) -> list[Source]:
    """A folder-format log in a TensorBoard run's folder names that run as the one it may repeat; in MMEngine's
    ``vis_data`` the event files may repeat its ``scalars.json`` (read so as to place validation, the primary)."""
    primaries = {
        source.where: source.run  # a split folder's source (Keras' train/) is placed at its run's folder
        for source in sources
        if source.format == "tensorboard" and source.detail != HPARAMS_ONLY  # not a folder of add_hparams' alone
    }
    primaries.update({source.where: source.run for source in sources if source.format == MMENGINE})
    for output, run in _trainer_logging(sources, primaries).items():
        primaries.setdefault(output, run)  # an output folder's own event files are the run its state may repeat
    candidates: dict[str, tuple[str, ...]] = {where: (run,) for where, run in primaries.items()}
    for source in sources:  # a CSV log's run is the events' one version beside it, never another CSV log's
        beside = _versions_beside(source, primaries) if source.format == LIGHTNING else ()
        if beside and source.where not in candidates:
            candidates[source.where] = beside
    return [
        replace(source, echoes=tuple(run for run in candidates[source.where] if run != source.run))
        if source.format in FOLDER_FORMATS and source.where in candidates and source.detail != HPARAMS_ONLY
        else source
        for source in sources
    ]


_VERSION = re.compile(r"version_(\d+)")


def _versions_beside(source: Source, primaries: dict[str, str]) -> tuple[str, ...]:
    """The TensorBoard runs one version before and after a Lightning CSV log's folder: a ``TensorBoardLogger`` and
    a ``CSVLogger`` given one ``save_dir`` (Lightning 2.x) make ``version_N`` for the logger listed first, and the
    second, finding it taken, writes ``version_N+1`` (two runs, two bells for one onset). Which of the two, and
    whether either, their curves decide (``echoes.py``): jobs run again into one folder leave events on both
    sides."""
    version = _VERSION.fullmatch(basename(source.where))
    if version is None:
        return ()
    number = int(version.group(1))
    beside = (inside(parent(source.where), f"version_{n}") for n in (number - 1, number + 1) if n >= 0)
    return tuple(primaries[where] for where in beside if where in primaries)


TRAINER_LOGGING = "runs"
"""The Hugging Face Trainer's default ``logging_dir``: ``<output_dir>/runs/<date>_<host>``, beside the output
folder's ``checkpoint-*/trainer_state.json`` of the same job."""


def _trainer_logging(sources: list[Source], primaries: dict[str, str]) -> dict[str, str]:
    """Output folder -> its Trainer's TensorBoard run, for output folders whose ``runs/`` holds exactly one (the
    Trainer's state may repeat it; two jobs into one output folder leave it unsure which, so both stay)."""
    found: dict[str, set[str]] = {}
    for where, run in primaries.items():
        parent, _, _ = where.rpartition("/")
        output, _, logging = parent.rpartition("/") if "/" in parent else ("", "", parent)
        if logging == TRAINER_LOGGING:
            found.setdefault(output or ".", set()).add(run)
    states = {source.where for source in sources if source.format == HF_STATE}
    return {output: next(iter(runs)) for output, runs in found.items() if output in states and len(runs) == 1}


def open_stream(source: Source) -> Stream:
    """A new stream for a source any format found."""
    return _BY_NAME[source.format].open(source)
