"""Logs that repeat a TensorBoard run's curves: one job, two loggers, one folder, shown once.

PyTorch Lightning sends every metric to each of its loggers, and a ``TensorBoardLogger`` and a ``CSVLogger``
given the same folder both write ``lightning_logs/version_N``; Ultralytics writes its ``results.csv`` beside
the TensorBoard events of the same epochs; a Keras ``CSVLogger`` may sit beside the ``TensorBoard`` callback's
``train/`` and ``validation/``; MMEngine's ``TensorboardVisBackend`` writes the events of its ``scalars.json``.
Shown as two runs, one onset rings twice. Discovery names the run a log in its folder may repeat (the
TensorBoard run; in MMEngine's ``vis_data``, the ``scalars.json``: ``Source.echoes``); once both have curves, the
names decide.
"""

from __future__ import annotations

from collections.abc import Iterable

BOOKKEEPING = frozenset({"epoch", "step", "global_step", "time", "timestamp", "wall_time"})
"""Columns every logger writes whatever it measures: they say nothing about which curves a log holds."""

_KERAS_SPLITS = {"train/epoch_": "", "validation/epoch_": "val_"}
"""The Keras TensorBoard callback's tag for a metric, and the name its CSVLogger gives the same metric."""


def curve_name(tag: str) -> str:
    """A tag as a CSV logger of the same job would name its column (Keras' ``validation/epoch_loss``:
    ``val_loss``); other tags as they are."""
    for prefix, renamed in _KERAS_SPLITS.items():
        if tag.startswith(prefix):
            return renamed + tag[len(prefix) :]
    return tag


def repeats(echo_tags: Iterable[str], primary_tags: Iterable[str]) -> bool:
    """Whether a log with curves ``echo_tags`` repeats the run with ``primary_tags``: most of its curves (not
    counting bookkeeping columns such as ``epoch``) are the run's, by name, and at least one is."""
    mine = {curve_name(tag) for tag in echo_tags} - BOOKKEEPING
    theirs = {curve_name(tag) for tag in primary_tags} - BOOKKEEPING
    shared = mine & theirs
    return bool(shared) and 2 * len(shared) >= len(mine)
