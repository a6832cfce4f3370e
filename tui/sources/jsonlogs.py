"""JSON training logs: Hugging Face's ``trainer_state.json`` and JSON-lines logs.

Hugging Face Trainer (transformers ``trainer.py``/``trainer_callback.py``, 5.23) saves
``<output_dir>/checkpoint-<step>/trainer_state.json`` at each checkpoint
(``TrainerState.save_to_json``: ``json.dumps(asdict(state), indent=2, sort_keys=True)``),
whose ``log_history`` holds every log so far, each ``{..., "epoch": e, "step": s}``
(``loss``, ``grad_norm``, ``learning_rate`` while training; ``eval_loss``, ``eval_*``
after an evaluation; ``train_loss``, ``train_runtime`` ... at the end). The run is the
output folder; its stream follows the newest checkpoint's file (``trainer_state.json``
directly in the folder too, from ``save_state``) and takes the entries past the last
step it had; while that file does not parse (cut short: the Trainer writes it whole but not
atomically, and a job killed while saving leaves it so for good), the newest older one that does
stands in. Its batch size, epochs and step settings (and a hyper-parameter search's
``trial_params``) are the hyper-parameters.

JSON-lines logs (``trainer_log.jsonl`` of LLaMA-Factory, Detectron2's ``metrics.json``, and any ``*.jsonl`` whose
objects carry a step key: ``step``, ``global_step``, ``_step``, ``iteration``, ``iter``,
``current_steps``) are tailed by line; numbers (and text that is one) become points, nested objects ``a/b``.
Neither writes a wall time the same way: a numeric ``timestamp``/``time``/
``_timestamp``/``wall_time`` key is used, else the file's modification time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import numpy as np

from tui.sources import epoch_numbered, jsontext
from tui.sources.base import Format, Found, Source, Stream, basename, describe, parent
from tui.sources.columns import STEP_KEYS, TIME_KEYS, LogObjects, Points, exact_table_steps
from tui.sources.kept_names import KeptNames
from tui.sources.logjson import read_state
from tui.sources.points import Decoded, StepFilter
from tui.sources.roots.base import FileInfo, Listing, Root
from tui.sources.textlog import HeaderTest, LineTail, file_named, lines_in, run_names

HF_STATE = "hf-trainer-state"
JSONL = "jsonl"
STATE_KEY = "#trainer_state"
"""Ends the source key of an output folder's trainer state (after the folder)."""
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_STATE_HPARAMS = ("train_batch_size", "num_train_epochs", "max_steps", "logging_steps", "eval_steps", "save_steps")
_NOT_POINTS = frozenset(STEP_KEYS + TIME_KEYS + ("total_steps", "percentage", "elapsed_time", "remaining_time"))
_LOG_OBJECTS = LogObjects(skip=_NOT_POINTS)
_STEPS = frozenset(STEP_KEYS)
"""A ``log_history`` entry without one of these has no step to place it at: counted as damaged, not dropped unsaid."""


def entry_step(entry: dict) -> int | None:
    for key in STEP_KEYS:
        value = entry.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return int(value)
    return None


class TrainerStateStream(Stream):
    """One Hugging Face output folder: the log entries past the last step read, from the newest checkpoint's
    ``trainer_state.json`` that parses. A job killed while saving leaves the newest cut short for good, and a
    file that is whole but no trainer state can never be read: either way the one before it is read (its
    history is the newest's up to its step), the newest is noted in the health, and read once it is whole."""

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.last_step: int | None = None
        self.entries = 0
        self._hparams_read = False
        self.steps = StepFilter()
        self._mark: dict[str, float] = {}
        """Each curve's value at the last step read: a history rewritten up to there is another job's."""

    @property
    def position(self) -> int:
        return self.entries * 120

    def read(self, root: Root) -> Iterator[Decoded]:
        out = Decoded()
        health = self.health
        # each read looks at the whole files again
        health.incomplete_bytes = health.skipped_records = health.undecodable = 0
        health.empty = False
        health.error = None
        health.older_read = False
        newest_cut, newest_empty = 0, False
        for path in (*self.source.paths, *self.source.older):  # newest first
            loaded = self._load(root, path)
            if path in self.source.paths:
                newest_cut, newest_empty = health.incomplete_bytes, health.empty
            if loaded is not None:
                break
        else:
            yield out  # nothing whole: every cut file's bytes are waited for
            return
        if path not in self.source.paths:  # an older checkpoint's was read: what is waited for is the newest's
            health.older_read = True
            health.incomplete_bytes = newest_cut  # older ones cut short too are not waited for: one was read
            health.empty = newest_empty
            if health.error:  # the newest cannot be opened (a folder in its place)
                health.error = f"its newest trainer_state.json: {health.error}; an older checkpoint's was read"
        if path in self.source.paths and (self._went_back(loaded[0]) or _rewritten(self._mark, loaded[4])):
            self.last_step, self.entries, self.steps = None, 0, StepFilter()  # read whole: its steps going back
            loaded = self._load(root, path) or loaded  # restart the run in the store
        state, points, used, highest, _ = loaded
        if highest is not None:
            self._mark = _values_at(points, highest)
        points.flush(out, self.steps)
        self.entries += used
        if highest is not None:
            self.last_step = highest if self.last_step is None else max(self.last_step, highest)
        if not self._hparams_read:
            self._hparams_read = True
            out.hparams.update({k: state[k] for k in _STATE_HPARAMS if isinstance(state.get(k), int | float | str)})
            trial = state.get("trial_params")
            if isinstance(trial, dict):  # a hyper-parameter search's trial
                out.hparams.update({str(k): v for k, v in trial.items() if isinstance(v, int | float | str | bool)})
        yield out

    def _went_back(self, state: dict) -> bool:
        """Whether the newest state is from before the last step read: the job was started again in its folder
        (``rm -rf out``, train again) or resumed from an earlier checkpoint once the later ones were removed. Only
        entries past the last step were taken, so the new job's were never read, and a live view showed the old run
        for good. Asked of the newest file only: an older checkpoint standing in while the newest is cut short is
        no restart (each such read purged and read the run again)."""
        step = state.get("global_step")
        return self.last_step is not None and isinstance(step, int) and step < self.last_step

    def _load(self, root: Root, path: str) -> tuple[dict, Points, int, int | None, dict[str, float]] | None:
        """The state, its entries past the last step read (their count, the highest step), and the values it has at
        the last step read (``_rewritten``); None (the reason in the health) if unreadable."""
        try:
            info = root.stat(path)
            data = root.read(path, 0, info.size)
        except OSError as error:
            self.health.error = self.health.error or describe(error)
            return None
        points = Points()
        # The entries at the last step read are read again: the Trainer saves a step's training log and its
        # evaluation apart at times, and the evaluation saved later is new there (``eval_loss`` at 2,000 after
        # ``loss`` at 2,000 was dropped for good, and with it an alert ``replay`` gives). What was read there
        # already is dropped by the tags' step filter (``points.flush``). The count of entries read goes on from
        # those past the last step: an evaluation added at it is not counted (the count sizes ``position``, the
        # bytes-read estimate that frees memory, alone).
        again = None if self.last_step is None else self.last_step - 1
        numbers = read_state(data)  # a history of numbers only, as tables (the common case, and fast)
        if numbers is not None and exact_table_steps(numbers[1]):
            state, tables = numbers
            used, highest, no_step = _LOG_OBJECTS.add_tables(points, tables, self.entries, info.mtime, after=again)
            self.health.undecodable += no_step + sum(len(t) for keys, t, _ in tables if not set(keys) & _STEPS)
            if self.last_step is not None:
                used = _LOG_OBJECTS.add_tables(Points(), tables, 0, info.mtime, after=self.last_step)[0]
            return state, points, used, highest, _values_at(points, self.last_step)
        try:
            parsed = jsontext.loads(data)
        except ValueError:
            parsed = None
        history = parsed.get("log_history") if isinstance(parsed, dict) else None
        if isinstance(parsed, dict) and isinstance(history, list):
            used, highest, no_step = _LOG_OBJECTS.add(points, history, self.entries, info.mtime, after=again)
            self.health.undecodable += no_step + sum(1 for e in history if type(e) is not dict or not e.keys() & _STEPS)
            if self.last_step is not None:
                used = _LOG_OBJECTS.add(Points(), history, 0, info.mtime, after=self.last_step)[0]
            return parsed, points, used, highest, _values_at(points, self.last_step)
        if not data:  # truncated by a save under way, or left so by a job killed in it: waited for alike
            self.health.empty = True
        elif parsed is None and jsontext.cut_short(data):  # being written (whole, not atomically), or its job was
            self.health.incomplete_bytes += info.size  # killed while saving: wait for the rest
        else:  # whole, but damaged inside or no trainer state (no log_history list): no wait will mend it
            self.health.skipped_records += 1
        return None


def _values_at(points: Points, step: int | None) -> dict[str, float]:
    """Each curve's last value at ``step`` among ``points`` (none for None)."""
    values: dict[str, float] = {}
    for tag, parts in points.parts.items():
        for _, steps, _, found in parts:
            at = np.flatnonzero(steps == step)
            if at.size:
                values[tag] = float(found[at[-1]])
    return values


def _rewritten(mark: dict[str, float], now: dict[str, float]) -> bool:
    """Whether a curve's value at the last step read changed: the newest file's history up to there was written
    by another job (one resumed from an earlier checkpoint over the later ones, or started again in the folder)."""
    return any(
        tag in now and not (now[tag] == value or (value != value and now[tag] != now[tag]))
        for tag, value in mark.items()
    )


class TrainerStateFormat(Format):
    """Folders whose ``checkpoint-<step>/trainer_state.json`` (or own ``trainer_state.json``) the Trainer wrote."""

    name = HF_STATE

    def __init__(self) -> None:
        self._own_steps: dict[tuple[str, str, float, int], int | None] = {}
        """(path, identity, mtime, size) of a folder's own trainer_state.json -> its global_step (None if not near
        its top)."""

    def discover(self, root: Root, listing: Listing) -> Found:
        states: dict[str, list[tuple[float, str]]] = {}
        # One that is no file (a folder or a symlink loop in its place) is one that cannot be read: its stream says
        # so, and the checkpoint's before it is read, as for one that does not parse.
        for path in (*listing.files, *listing.others):
            if not self.named_log(path):
                continue
            folder = parent(path)
            match = _CHECKPOINT.match(basename(folder))
            if match:
                run_folder, step = parent(folder), int(match.group(1))
            else:
                run_folder, step = folder, -1  # save_state's copy: placed by its time below
            states.setdefault(run_folder, []).append((step, path))
        found = Found()
        for run_folder, steps in sorted(states.items()):
            if not any(path in listing.files for _step, path in steps):
                continue  # no file to read: each is a log that cannot be read, named by its path (``find_sources``)
            steps = [(self._place(root, step, path, steps, listing), path) for step, path in steps]
            newest, *older = [path for _step, path in sorted(steps, reverse=True)]
            found.sources.append(  # the newest is followed; the older ones stand in while it cannot be read whole
                Source(
                    HF_STATE, run_folder + STATE_KEY, run_folder, "", (newest,), where=run_folder, older=tuple(older)
                )
            )
        return found

    def open(self, source: Source) -> Stream:
        return TrainerStateStream(source)

    def named_log(self, path: str) -> bool:
        return basename(path) == "trainer_state.json"

    def _place(self, root: Root, step: float, path: str, states: list[tuple[float, str]], listing: Listing) -> float:
        """Where a run folder's own ``trainer_state.json`` (``step`` -1; ``trainer.save_state()`` writes it) stands
        among its checkpoints': the newest when its ``global_step`` is at least the newest checkpoint's (at the end
        of training, with the whole history: under ``save_strategy="best"`` the last checkpoint may be far behind
        it) and it was not written long before that checkpoint (a longer earlier job's, left in the folder), else
        the oldest. Without a step near its top, the newest only if written after every checkpoint's. A
        checkpoint's stays where its step puts it."""
        mine = listing.files.get(path)
        if step >= 0 or mine is None:
            return step
        saved = [(other_step, listing.files.get(other)) for other_step, other in states if other_step >= 0]
        if not saved:
            return math.inf
        newest_step = max(other_step for other_step, _info in saved)
        newest_time = max((info.mtime for _step, info in saved if info is not None), default=-math.inf)
        own = self._own_step(root, path, mine)
        if own is None:
            return math.inf if mine.mtime > newest_time else -1
        return math.inf if own >= newest_step and mine.mtime >= newest_time - OWN_STATE_SLACK else -1

    def _own_step(self, root: Root, path: str, info: FileInfo) -> int | None:
        """The ``global_step`` near the top of a state (the Trainer sorts its keys: it comes before the history), on
        a local root; None elsewhere (a remote root serves a file's head from the bytes it kept, which a state
        rewritten in place makes stale) and when it cannot be read now (not remembered: asked again)."""
        if root.local_path(path) is None:
            return None
        key = (path, info.identity, info.mtime, info.size)
        if key not in self._own_steps:
            try:
                root.stat(path)  # a handle kept from the file this one replaced is let go: its bytes are this one's
                found = _GLOBAL_STEP.search(root.read(path, 0, 4096))
            except OSError:
                return None
            self._own_steps[key] = int(found.group(1)) if found else None
        return self._own_steps[key]


_GLOBAL_STEP = re.compile(rb'"global_step"\s*:\s*(\d+)')
OWN_STATE_SLACK = 600.0
"""Seconds a folder's own state may be older than its newest checkpoint's and still be the newest: files copied
(``scp``, ``cp -r``, a hub download) get their times in copy order; a job's left-over state is hours older."""


class JsonLinesStream(Stream):
    """One JSON-lines log, tailed by line."""

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.tail = LineTail(source.paths[0])
        self.lines = 0
        self.steps = StepFilter()
        self.by_epoch: bool | None = None
        """Whether the log numbers its lines by ``epoch`` alone (``epoch_numbered``): decided by its first line that
        tells (discovery asked more of its first lines); undecided while none has (an empty file restarted)."""
        self.epochs = epoch_numbered.EpochSteps()
        self.carrier = epoch_numbered.StepCarrier()
        self.untold: list[object] = []
        """The first lines, held back until they tell how the log is numbered (``epoch_numbered.first_told``)."""

    @property
    def position(self) -> int:
        return self.tail.offset

    def prepared(self, objects: list[object]) -> list[object]:
        """The parsed lines as the points are taken from them (a logger's own conventions, in subclasses). A
        hand-written loop's ``{"epoch": 3, "train_loss": ..., "val_loss": ...}`` is placed at step 3; in a log
        numbered by step, an epoch's line without a step at the step before it (``epoch_numbered``)."""
        if self.by_epoch is None:  # its first lines tell how it is numbered: held back until they have
            objects, self.untold = self.untold + objects, []
            self.by_epoch = epoch_numbered.first_told(objects)
            if self.by_epoch is None:
                self.untold = objects
                return []
        if self.by_epoch:
            return [self.epochs.placed(item) for item in objects]
        return self.carrier.placed_all(objects)  # numbered by step: an epoch's line without one at the last step

    def _parsed(self, documents: list[bytes]) -> list[object]:
        """Each line parsed; a line with bytes that are no UTF-8 keeps its values but those under a key holding one
        (``jsontext.salvaged``), which count as undecodable."""
        objects = jsontext.loads_each(documents)
        for i, item in enumerate(objects):
            if item is jsontext.BAD:
                objects[i], dropped = jsontext.salvaged(documents[i])
                self.health.undecodable += dropped
        return objects

    def started_again(self) -> None:
        """The log was rewritten (a job started again in its folder): lines numbered and damage counted anew
        (subclasses forget what they kept of the lines before)."""
        self.lines, self.steps, self.health.skipped_records, self.health.undecodable = 0, StepFilter(), 0, 0
        self.by_epoch, self.epochs, self.carrier = None, epoch_numbered.EpochSteps(), epoch_numbered.StepCarrier()
        self.untold = []
        self.started_over = True

    def read(self, root: Root) -> Iterator[Decoded]:
        out = Decoded()
        while True:
            try:
                lines = self.tail.read(root)
            except OSError as error:
                self.health.error = describe(error)
                break
            self.health.error = None
            if lines.restarted:
                self.started_again()
            self.health.incomplete_bytes, self.health.skipped_bytes = self.tail.incomplete, self.tail.zeroed
            documents = [line for line in lines.data.split(b"\n") if line and not line.isspace()]
            objects = self.prepared(self._parsed(documents))
            # A line that does not parse, or parses to no object (``[1, 2, 3]``, a bare number): damaged, counted
            self.health.skipped_records += sum(1 for item in objects if type(item) is not dict)
            points = Points()
            self.health.skipped_records += _LOG_OBJECTS.add(points, objects, self.lines, lines.info.mtime)[2]
            self.lines += len(objects)
            points.flush(out, self.steps)
            if not lines.more:
                break
            yield out
            out = Decoded()
        yield out


_SUFFIXES = (".jsonl", ".ndjson")
DETECTRON2_LOG = "metrics.json"
"""Detectron2's ``JSONWriter`` (``detectron2/utils/events.py``) appends one ``json.dumps(..., sort_keys=True)``
line per iteration written, ``{"iteration": i, "total_loss": ..., "lr": ..., "bbox/AP": ...}``, to
``<OUTPUT_DIR>/metrics.json``: JSON lines under a ``.json`` name, taken when one of its first lines is an object
with a whole ``iteration`` (another tool's ``metrics.json``, a whole JSON document, is left alone)."""


class JsonLinesFormat(Format):
    """``*.jsonl``/``*.ndjson`` files (and Detectron2's ``metrics.json``) whose first objects have a step key."""

    name = JSONL

    def __init__(self) -> None:
        # .jsonl / .ndjson: a log by its name. A script may write its config as the first line, before any step.
        self._has_step = HeaderTest(_has_step, unreadable=self.named_log, lines=HEAD_LINES, utf8=True)
        self._detectron2 = HeaderTest(_has_iteration, unreadable=lambda path: False, lines=HEAD_LINES, utf8=True)
        self._kept = KeptNames(file_named)

    def discover(self, root: Root, listing: Listing) -> Found:
        found = Found()
        chosen = [
            path
            for path, info in sorted(listing.files.items())
            if (self.named_log(path) and self._has_step(root, path, info, found))
            or (basename(path) == DETECTRON2_LOG and self._detectron2(root, path, info, found))
        ]
        for path, run, folder in run_names(chosen):
            found.sources.append(Source(JSONL, path, run, "", (path,), where=folder))
        found.sources = self._kept(found.sources)  # a second log in its folder does not rename a watched one
        return found

    def open(self, source: Source) -> Stream:
        return JsonLinesStream(source)

    def named_log(self, path: str) -> bool:
        return basename(path).lower().endswith(_SUFFIXES)  # Detectron2's metrics.json is known by its lines

    def read_to_tell(self, path: str) -> bool:
        return self.named_log(path) or basename(path) == DETECTRON2_LOG


HEAD_LINES = epoch_numbered.HEAD_LINES


def _head_objects(head: bytes) -> Iterator[dict]:
    """The JSON objects among a file's first lines (a line that does not parse is skipped)."""
    for line in head.split(b"\n"):
        try:
            entry = jsontext.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            yield entry


def _has_iteration(_path: str, head: bytes) -> bool:
    """Detectron2's lines: each object has its ``iteration`` (another tool's one-line ``metrics.json`` is no log)."""
    return any(isinstance(entry.get("iteration"), int) for entry in _head_objects(head))


def _has_step(_path: str, head: bytes) -> bool:
    """A log object among the first lines with a step, or first lines numbered by their epoch alone."""
    objects = list(_head_objects(head))
    full = lines_in(head) >= HEAD_LINES  # the first lines all there: one epoch line after configs tells
    return any(entry_step(entry) is not None for entry in objects) or bool(epoch_numbered.numbering(objects, full))
