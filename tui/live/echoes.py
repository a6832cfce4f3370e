"""Logs that repeat another run's curves: one job, two loggers, one folder, shown once.

PyTorch Lightning sends every metric to each of its loggers, and a ``TensorBoardLogger`` and a ``CSVLogger``
given the same folder both write ``lightning_logs/version_N``; Ultralytics writes its ``results.csv`` beside
the TensorBoard events of the same epochs; a Keras ``CSVLogger`` may sit beside the ``TensorBoard`` callback's
``train/`` and ``validation/``; MMEngine's ``TensorboardVisBackend`` writes the events of its ``scalars.json``.
Shown as two runs, one onset rings twice. Discovery names the run a log in its folder may repeat (the
TensorBoard run; in MMEngine's ``vis_data``, the ``scalars.json``: ``Source.echoes``). The log is read after that
run, and decided once, before it is judged: hidden when each of its curves is the run's (by name, and by value
where both have a step), else a run of its own for good. A live monitor waits a while for the run's first curves
(``wait``): TensorBoard's writers flush every two minutes, a CSV logger at each epoch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from tui.judging.pairing import is_learning_rate
from tui.sources.base import Stream, basename
from tui.store import Run, Store
from tui.text import shown_name

BOOKKEEPING = frozenset({"epoch", "step", "global_step", "time", "timestamp", "wall_time", "iter"})
"""Columns every logger writes whatever it measures: they say nothing about which curves a log holds."""

_KERAS_SPLITS = {"train/epoch_": "", "validation/epoch_": "val_"}
"""The Keras TensorBoard callback's tag for a metric, and the name its CSVLogger gives the same metric."""
_TRAINER_SPLITS = {"train/": "", "eval/": "eval_", "test/": "test_"}
"""The Hugging Face Trainer's TensorBoard tag for a logged key (``rewrite_logs``), and the key its
``trainer_state.json`` keeps (``eval/loss``: ``eval_loss``)."""

ECHO_WAIT = 150.0
"""Seconds a live monitor holds a log back while the run it may repeat has no curves yet (PyTorch's
``SummaryWriter`` flushes every 120 s; Ultralytics never asks it to sooner)."""

SAME_VALUE = 1e-3
"""Relative difference within which two loggers' numbers for one step are the same (float32 events beside a
CSV's printed digits)."""


_NOT_IN_TAGS = re.compile(r"[^-/\w.]")
"""What tensorboardX's writer replaces by ``_`` in a tag (``metrics/mAP50(B)``: ``metrics/mAP50_B_``)."""


def curve_name(tag: str) -> str:
    """A tag as a CSV logger of the same job would name its column (Keras' ``validation/epoch_loss``:
    ``val_loss``; the Trainer's ``eval/loss``: ``eval_loss``), with what a TensorBoard writer may replace in it
    replaced on either side."""
    for splits in (_KERAS_SPLITS, _TRAINER_SPLITS):
        for prefix, renamed in splits.items():
            if tag.startswith(prefix):
                tag = renamed + tag[len(prefix) :]
                break
    return _NOT_IN_TAGS.sub("_", tag)


def _curves(run: Run, bookkeeping: bool = True) -> dict[str, str]:
    """Curve name -> tag, for each of a run's curves (without bookkeeping columns unless ``bookkeeping``)."""
    return {curve_name(tag): tag for tag in run.scalars if bookkeeping or tag not in BOOKKEEPING}


def repeats(echo: Run, primary: Run) -> bool:
    """Whether ``echo`` holds nothing but ``primary``'s curves: each of its curves (but bookkeeping columns and
    learning rates, which one logger may leave out) bears a curve name of the run's, and of the curves both have
    points for at the same steps, most hold the same numbers there."""
    theirs, mine = _curves(primary), _curves(echo, bookkeeping=False)
    if not any(name in theirs for name in mine) or not names_covered(echo, primary):
        return False
    compared = [_same_values(echo, tag, primary, theirs[name]) for name, tag in mine.items() if name in theirs]
    judged = [same for same in compared if same is not None]
    # Most, not all: Ultralytics 8.0 logged its training losses to TensorBoard after each batch at the epoch's
    # step (the first is kept), results.csv the epoch's mean; its validation curves are the same numbers.
    return not judged or 2 * sum(judged) > len(judged)


def _same_values(echo: Run, tag: str, primary: Run, their_tag: str) -> bool | None:
    """Whether two curves hold the same numbers at their last common steps (None: they share no step)."""
    steps, values, _ = echo.scalars[tag].arrays()
    their_steps, their_values, _ = primary.scalars[their_tag].arrays()
    common, mine_at, theirs_at = np.intersect1d(steps, their_steps, return_indices=True)
    if not len(common):
        return None
    a, b = values[mine_at[-5:]], their_values[theirs_at[-5:]]
    return bool(np.allclose(a, b, rtol=SAME_VALUE, atol=0.0, equal_nan=True))


def names_covered(echo: Run, primary: Run) -> bool:
    """Whether the run has each of the log's curve names (bookkeeping and learning rates aside): what it may still
    lack while its writer has not flushed them all (training's and validation's writers flush apart)."""
    theirs = _curves(primary)
    return all(name in theirs or is_learning_rate(name) for name in _curves(echo, bookkeeping=False))


class Echoes:
    """Which runs of one monitor repeat another (hidden), which were judged as their own, what was said.

    A log that may repeat a run is read into ``undecided`` (a store of its own: nothing of it is shown, judged or
    announced) until it is decided: hidden when it repeats the run; its own run when it does not, or when the run
    still lacks some of its curves after ``wait`` seconds (or at once, for a one-shot ``check``).
    """

    def __init__(self) -> None:
        self.hidden: dict[str, str] = {}
        """Run name -> the run whose curves its logs repeat: not read again, judged nor shown."""
        self.notes: list[str] = []
        self.wait = 0.0
        """Seconds a live monitor waits for the run's curves (``ECHO_WAIT``; a one-shot ``check`` reads what is
        there)."""
        self.undecided = Store()
        self._own: set[str] = set()
        self._asked: dict[str, tuple[str, ...]] = {}
        """Undecided log -> the runs it may repeat, as last asked (``candidates``)."""
        self._first_read: dict[str, float] = {}

    def candidates(self, run_name: str, streams: Iterable[Stream]) -> tuple[str, ...]:
        """The runs this one may repeat, while that is undecided (none otherwise)."""
        primaries = {stream.source.echoes for stream in streams}
        if run_name in self._own or run_name in self.hidden or len(primaries) != 1:
            self._asked.pop(run_name, None)
            return ()
        self._asked[run_name] = found = primaries.pop()
        return found

    def own(self, run_name: str) -> None:
        """A run judged as itself: it never turns into a repeat (and out of view)."""
        if run_name not in self.hidden:
            self._own.add(run_name)

    def decide(
        self, run_name: str, streams: list[Stream], store: Store, now: float, present: bool = True, idle: bool = False
    ) -> str:
        """After a round's read of an undecided log: 'hidden' (a note says which run shows its curves), 'own' (its
        run is moved into ``store``, to be judged from its first point) or 'undecided' (waiting for the run's
        curves, or for points of its own; ``present``: its files are still in the folder; ``idle``: neither its
        files nor the run's changed for ``wait`` seconds, so no flush is coming to wait for)."""
        log = self.undecided.runs.get(run_name)
        if log is None or not log.scalars or not present:  # nothing to show yet, or its files were deleted
            return "undecided"
        waited = now - self._first_read.setdefault(run_name, now) >= self.wait or idle
        # A run another log was found to repeat, or is the only run another may repeat, comes last: jobs run again
        # into one folder, the CSV logger listed first, leave the previous job's events right before a CSV log (a
        # seeded run's are the same numbers). The monitor reads such logs in their versions' order; this holds the
        # pairing when a newer log is decided in an earlier round than an older one.
        alone = (runs[0] for name, runs in self._asked.items() if name != run_name and len(runs) == 1)
        claimed = {*self.hidden.values(), *alone}
        candidates = sorted(self.candidates(run_name, streams), key=lambda name: name in claimed)
        # Each run it may repeat that has curves (its writer may not have flushed one yet)
        shown_runs = {name: run for name in candidates if (run := store.runs.get(name)) is not None and run.scalars}
        primary = next((name for name, run in shown_runs.items() if repeats(log, run)), "")
        if primary:
            del self.undecided.runs[run_name]
            self.hidden[run_name] = primary
            self._asked.pop(run_name, None)
            # The files read, by name (an output folder's trainer state is keyed by its folder: its newest file)
            files = ", ".join(sorted(basename((stream.source.paths or (stream.key,))[0]) for stream in streams))
            note = f"{shown_name(run_name)}: {files} repeats the curves of {shown_name(primary)}: shown once"
            store.notes.append(note)
            self.notes.append(note)
            return "hidden"
        if not waited and not all(name in shown_runs and names_covered(log, shown_runs[name]) for name in candidates):
            return "undecided"  # a run's writer may not have flushed them yet
        store.runs[run_name] = self.undecided.runs.pop(run_name)
        self._own.add(run_name)
        self._asked.pop(run_name, None)
        return "own"
