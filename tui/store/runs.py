"""The state store: every run's curves, histograms, file health and verdict.

The store is what views read. The live layer (on its own thread) appends
decoded points; readers take a snapshot under the lock or read the append-only
arrays directly. It knows nothing of verdicts: those belong to the judging layer.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tui.sources.base import basename
from tui.sources.points import Decoded, FileHealth
from tui.sources.tensorboard.discovery import created_at, is_event_file_name
from tui.store import notes
from tui.store.series import HistogramSeries, Series


@dataclass
class Run:
    """One training run: its curves and what losswatch thinks of it."""

    name: str
    scalars: dict[str, Series] = field(default_factory=dict)
    histograms: dict[str, HistogramSeries] = field(default_factory=dict)
    files: dict[str, FileHealth] = field(default_factory=dict)
    last_write: float | None = None
    """Wall time (from the events) of the newest point."""
    last_seen: float | None = None
    """Local clock time when new data last arrived."""
    gone: bool = False
    moved_to: str = ""
    """The run its folder was renamed to while watched (its files the same): where a gone run went."""
    live: bool = False
    """New points arrived after the run's files were first read: a job writing while we watch."""
    hparams: dict[str, object] = field(default_factory=dict)
    """Hyper-parameters (from the folder name, an HParams summary, a logger's config), numbers where numbers."""
    checkpoints: dict[int, str] = field(default_factory=dict)
    """Step -> checkpoint path found beside the logs (for the overfitting advice: which one to keep)."""
    restarts: int = 0
    """How many times points were dropped for a restart (readers that keep figures of the curves start over)."""
    purges: list[int] = field(default_factory=list)
    """The step each restart dropped points from, in order (points below it were kept as they were)."""
    file_steps: dict[tuple[str, str], int] = field(default_factory=dict)
    """(file, tag) -> the newest step that file gave that curve: a file going on from its own last step is a
    second writer one step behind (two ranks logging into one folder), not a job restarted."""
    folders: set[str] = field(default_factory=set)
    """Tag prefixes of its folders TensorBoard reads as runs (Keras' ``train/``): a restart in one purges its own."""
    cut_for_good: bool = False
    """Its files end in bytes that stayed not whole for as long as a live view waits (set by it): a file cut short
    (a job killed while saving), not one being written. ``check``, which reads once, says so at once."""

    @property
    def damaged(self) -> bool:
        return any(health.damaged for health in self.files.values())

    @property
    def skipped_records(self) -> int:
        return sum(h.skipped_records + h.undecodable for h in self.files.values())

    @property
    def skipped_bytes(self) -> int:
        return sum(h.skipped_bytes for h in self.files.values())

    @property
    def incomplete_bytes(self) -> int:
        return sum(h.incomplete_bytes for h in self.files.values())

    @property
    def walls_logged(self) -> bool:
        """Whether each point's wall time is known to be the one its writer logged: every file read has a format
        that logs it (TensorBoard, W&B, MLflow, trackio; a CSV's points carry the file's modification time, which a
        copy of the same log changes). A folder or database that could not be opened at all holds no point of the
        run and does not count."""
        read = [health.walls_logged for health in self.files.values() if health.walls_logged or health.error is None]
        return bool(read) and all(read)

    @property
    def has_points(self) -> bool:
        """Anything at all was read from the run's files (a scalar or a histogram)."""
        return bool(self.scalars or self.histograms)

    @property
    def nothing_readable(self) -> bool:
        """Nothing can be read from its files now: none gave a point, or every one was written over since it was read
        and holds nothing whole (a crash zero-filled it in place): what ``check`` of its folder would say of it."""
        return not self.has_points or (bool(self.files) and all(h.written_over for h in self.files.values()))

    def damage_note(self) -> str:
        """What was skipped in the run's files, and whether anything at all could be read (``notes``)."""
        return notes.damage_note(self)

    def incomplete_note(self) -> str:
        """The bytes at the end of the run's files that were not read yet, in the words of their format."""
        return notes.incomplete_note(self)

    @property
    def cut_short(self) -> bool:
        """Its files end in bytes not whole, or a document read whole is empty (``FileHealth.empty``): normal while
        a job writes, cut short if it stays."""
        return bool(self.incomplete_bytes) or any(h.empty for h in self.files.values())

    @property
    def cut_left(self) -> bool:
        """Points read, and a Trainer's newest state cut short (or empty) for good: a job killed while saving its
        newest checkpoint, an older one read (``notes.trainer_states_cut``): what the live views note beside the
        run's verdict. Not a log's last line or record, which a writer's buffer holds back until its next flush
        (tensorboardX leaves one in most reads; a hand-written JSON-lines loop until it closes its file), nor while
        a file refuses or a remote root does not answer (its error is what is said)."""
        return (
            self.cut_for_good
            and self.cut_short
            and not self.nothing_readable
            and not self.errors
            and notes.trainer_states_cut(self)
        )

    @property
    def cannot_be_read(self) -> bool:
        """A file or the folder refused, or nothing whole in its files for long: what the views call unreadable. A
        run whose files hold junk and bytes not whole is damaged, as ``check`` calls it at once (its note says
        nothing could be read): not called damaged at first and unreadable two minutes later."""
        return bool(self.errors) or (self.cut_for_good and self.nothing_readable and not self.damaged)

    @property
    def troubled(self) -> bool:
        """Damaged or unreadable: what the table's ``!`` after a name and the status line's note are about."""
        return self.damaged or self.cannot_be_read

    @property
    def errors(self) -> list[str]:
        """The OS errors met reading its files. None for a gone run: its files vanished with its folder (the
        streams still held read them after the folder went), which ``gone`` says; no file was refused."""
        if self.gone:
            return []
        return [h.error for h in self.files.values() if h.error]

    def written_at(self, step: int, tag: str = "") -> float | None:
        """When the point of ``tag`` at ``step`` (or the newest before it) was written, by its wall time; of any
        curve when ``tag`` is not one (a flag about the whole run). None if no point is that early."""
        chosen = [self.scalars[tag]] if tag in self.scalars else list(self.scalars.values())
        walls = []
        for series in chosen:
            steps, _, wall = series.arrays()
            at = int(np.searchsorted(steps, step, side="right")) - 1
            if at >= 0:
                walls.append(float(wall[at]))
        return max(walls) if walls else None

    def last_step(self, tags: tuple[str | None, ...] = ()) -> int | None:
        """Newest step of the given curves (of any curve if none of them exists yet)."""
        chosen = [self.scalars[t] for t in tags if t in self.scalars] or list(self.scalars.values())
        lasts = [s.last() for s in chosen]
        steps = [last[0] for last in lasts if last is not None]
        return max(steps) if steps else None


@dataclass(frozen=True)
class Change:
    """Which run got new points (and in which tags), or lost some to a restart."""

    run: str
    tags: frozenset[str]
    purged_from: int | None = None
    new_run: bool = False


class Store:
    """All runs, keyed by name; thread-safe for one writer and many readers."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.runs: dict[str, Run] = {}
        self.lock = threading.RLock()
        self._clock = clock
        self.notes: list[str] = []
        """Store-wide messages for the user (e.g. 'inotify limit reached, polling')."""

    def run(self, name: str) -> Run:
        """The run called ``name``, created if new."""
        with self.lock:
            run = self.runs.get(name)
            if run is None:
                run = self.runs[name] = Run(name)
            return run

    def apply(
        self,
        run_name: str,
        decoded: Decoded,
        prefix: str = "",
        fresh: bool = False,
        one_attempt: bool = False,
        source: str | None = None,
        by_curve: bool = False,
        reread: bool = False,
    ) -> Change | None:
        """Add decoded points to a run (tags prefixed with ``prefix``), purging on restarts.

        TensorBoard's purge semantics: when a tag's step goes back (a job restarted
        from a checkpoint), every point of the run at or after that step is dropped
        before the new points are added. A step written again for a tag is not a restart
        (TensorBoard purges only on a step below the newest): the repeated point is dropped.
        Lightning logs ``epoch`` with every call, twice at a step where validation ends on a
        logging step; taken for a restart, it purged the run's other curves at that step.
        ``fresh``: the batch is the head of a file read from its start (a resumed job's new event file): its
        steps that repeat the last ones are the new attempt's, and replace them.
        ``one_attempt``: the batch's file never goes back within it (MMEngine's events, where validation's
        ``data_time`` is logged at the epoch and training's at the iteration): only its head, when ``fresh``, may
        restart the run; a step going back further on is dropped, not a restart that purges the run.
        ``source``: the file the batch was read from (an MLflow run's ``meta.yaml``, a database's run: one for all
        its writers). Points below a curve's newest from a file that goes on from its own last step, or from a
        TensorBoard file's first point written before the newest one read (its wall time, which the writer
        logged), are a second writer's (two ranks logging into one folder, one behind): dropped, not a restart.
        A resumed job's new file is written after everything before it (on clocks that agree to within the time a
        job takes to resume); an abandoned writer's last points read after the resumed job's first are taken
        for the old attempt's (a folder synced out of order).
        ``by_curve``: each curve has a log of its own (MLflow's file per metric, its rows per key): a step going
        back restarts that curve alone (a resumed job goes back in each), so a point logged late into one of
        them costs the others nothing.
        ``reread``: the batch comes from a file read again from its start (it shrank, or was replaced): its points
        the curve holds already, at the same step, time and value, are those, not a restart (``_read_before``).
        """
        started = self._session_start(run_name, decoded.purge_from, prefix)
        if not decoded.scalars and not decoded.histograms and not decoded.hparams and not decoded.checkpoints:
            return None if started is None else Change(run_name, frozenset(), started)
        with self.lock:
            is_new = run_name not in self.runs
            run = self.run(run_name)
            purged_from: int | None = started
            tags: set[str] = set()
            scalars, orders = decoded.scalars, decoded.orders
            # Each tag's stretches between restarts (its own and the other tags'), applied in the order their first
            # records came: a restart in the middle of the batch (one file holding two attempts) purges the points
            # before it, of every tag, and none of those after it.
            # A batch in which a tag goes back is a new attempt's start (a job resumed from its checkpoint): its
            # restart is the lowest first step that goes back or repeats the last one, purged once, so that no tag's
            # new points are purged by another tag's restart read after them: before anything is added when the
            # batch is a file's from its start (``fresh``, ``reread``), else where its first record comes (a tag's
            # last points of the old attempt read before it, a poll having ended between them, are added first and
            # purged with the rest). Then only a piece after a tag's first goes back (a second attempt in the batch);
            # in one row (a CSV or JSON-lines record holds every tag) such restarts go first: a new column's points
            # in the row a restart comes in belong to the new attempt, and the restart must not purge them.
            whole_run = not (one_attempt and not fresh) and not by_curve  # logs of one curve restart it alone
            pending = self._restart_of(run, prefix, scalars, orders, fresh, source, reread) if whole_run else None
            if prefix:
                run.folders.add(prefix)
            if pending is not None and (fresh or reread):  # the whole batch is the file's from its start
                purged_from, pending = pending[0], None
                self._purge(run, purged_from, within=prefix)
            cut = () if pending is None else (pending[1],)
            for order, _going_back, raw_tag, lo, hi in _pieces(scalars, orders, across=whole_run, cut_at=cut):
                if pending is not None and order >= pending[1]:
                    # Asked again of the tags that went back: a curve going back since may have purged what they would.
                    again = {tag: scalars[tag] for tag in pending[2]}
                    pending = self._restart_of(run, prefix, again, orders, fresh, source, reread)
                    if pending is not None:
                        purged_from = pending[0] if purged_from is None else min(purged_from, pending[0])
                        self._purge(run, pending[0], within=prefix)
                    pending = None
                tag = prefix + raw_tag
                restart, added = self._add_piece(
                    run, tag, scalars[raw_tag], lo, hi, one_attempt, source, by_curve, reread, prefix
                )
                if restart is not None:
                    purged_from = restart if purged_from is None else min(purged_from, restart)
                if added:
                    tags.add(tag)
            for raw_tag, histograms in decoded.histograms.items():
                self._add_histograms(run, prefix + raw_tag, histograms)
                tags.add(prefix + raw_tag)
            run.hparams.update(decoded.hparams)
            run.checkpoints.update(decoded.checkpoints)
            run.last_seen = self._clock()
            return Change(run_name, frozenset(tags), purged_from, is_new)

    def _add_piece(
        self,
        run: Run,
        tag: str,
        points: tuple[np.ndarray, np.ndarray, np.ndarray],
        lo: int,
        hi: int,
        one_attempt: bool,
        source: str | None,
        by_curve: bool,
        reread: bool = False,
        prefix: str = "",
    ) -> tuple[int | None, bool]:
        """One stretch of a tag's points without a step going back: (the step it restarted the run or the curve
        from, or None; whether a point was added). A stretch behind the curve's newest point is a restart, unless
        its file never goes back or a second writer wrote it: then only its points past the newest are kept."""
        steps, walls, values = points
        series = run.scalars.get(tag)
        if series is None:
            series = run.scalars[tag] = Series()
        last = series.last()
        restart = None
        behind = last is not None and steps[lo] < last[0]
        if last is not None and behind and (one_attempt or _second_writer(run, source, tag, points, lo, last, reread)):
            lo += int(np.searchsorted(steps[lo:hi], last[0], side="right"))
        elif behind:
            restart = int(steps[lo])
            self._purge(run, restart, only=tag if by_curve else None, within=prefix)
            last = series.last()
        if source is not None:  # its own newest, kept or not: a writer always behind is still one
            run.file_steps[(source, tag)] = int(steps[hi - 1])
        if lo == hi:
            return restart, False
        run.last_write = max(run.last_write or walls[hi - 1], float(walls[hi - 1]))
        part = slice(lo, hi)
        repeated = steps[lo + 1 : hi] == steps[lo : hi - 1]
        if repeated.any() or (last is not None and steps[lo] == last[0]):  # a step written again: dropped
            keep = np.concatenate(([last is None or steps[lo] != last[0]], ~repeated))
            if not keep.any():
                return restart, False
            series.extend(steps[part][keep], walls[part][keep], values[part][keep])
        else:
            series.extend(steps[part], walls[part], values[part])
        return restart, True

    @staticmethod
    def _add_histograms(run: Run, tag: str, histograms: list) -> None:
        """A tag's histograms; one at or before the newest kept is a restart's: the newer ones are dropped."""
        hseries = run.histograms.get(tag)
        if hseries is None:
            hseries = run.histograms[tag] = HistogramSeries()
        if hseries.items and histograms[0].step <= hseries.items[-1].step:
            hseries.truncate_from_step(histograms[0].step)
        hseries.extend(histograms)

    @staticmethod
    def _restart_of(
        run: Run, prefix: str, scalars: dict, orders: dict, fresh: bool, source: str | None, reread: bool = False
    ) -> tuple[int, int, list[str]] | None:
        """(the step a batch restarts the run from, the order of the record it starts at, the tags that go back):
        when a tag's first new step is below its last (or, at the head of a ``fresh`` file, at it), the lowest first
        step at or below its tag's last (a resumed job logs its resume step again), at the earliest of those tags'
        first records; None if no tag goes back (a second writer's lagging points do not)."""
        below, at_or_below, at_order, going_back = False, [], [], []
        for raw_tag, points in scalars.items():
            steps = points[0]
            series = run.scalars.get(prefix + raw_tag)
            last = series.last() if series is not None and len(steps) else None
            if last is None or _second_writer(run, source, prefix + raw_tag, points, 0, last, reread):
                continue
            first = int(steps[0])
            below = below or first < last[0] or (fresh and first == last[0])
            if first <= last[0]:
                at_or_below.append(first)
                at_order.append(int(orders[raw_tag][0]))
                going_back.append(raw_tag)
        return (min(at_or_below), min(at_order), going_back) if below else None

    def _session_start(self, run_name: str, start: tuple[int, float] | None, prefix: str) -> int | None:
        """A session started at a step (TensorBoard's ``SessionLog.START``, a writer given ``purge_step``): the
        points of the writer's curves (``prefix``: a Keras split folder's, which TensorBoard reads as a run of its
        own) from that step on are an abandoned attempt's and go, as TensorBoard drops them; the step purged from,
        or None. Unless a point from that step on was written at or after the start: then another writer of the
        run is already past it (two ranks each given ``purge_step``, one read after the other)."""
        if start is None:
            return None
        step, wall = start
        with self.lock:
            run = self.runs.get(run_name)
            if run is None:
                return None
            curves = (series.arrays() for tag, series in run.scalars.items() if tag.startswith(prefix))
            after = [walls[steps >= step] for steps, _, walls in curves]
            newest = [float(walls.max()) for walls in after if len(walls)]
            if not newest or max(newest) >= wall:
                return None
            self._purge(run, step, within=prefix)
            return step

    @staticmethod
    def _purge(run: Run, step: int, only: str | None = None, within: str = "") -> None:
        """Drop the run's points from ``step`` on (``only``: that curve's alone; ``within``: the curves whose tags
        start so, a split folder's; the run's other folders' stay, as TensorBoard, reading each as a run, keeps
        them: a resumed Keras job's ``validation/`` read after ``train/`` cut its new training points)."""
        run.restarts += 1
        run.purges.append(step)
        others = tuple(folder for folder in run.folders if folder != within)

        def purged(tag: str) -> bool:
            return (only is None or tag == only) and tag.startswith(within) and not (others and tag.startswith(others))

        for tag, series in run.scalars.items():
            if purged(tag):
                series.truncate_from_step(step)
        for tag, hseries in run.histograms.items():
            if purged(tag):
                hseries.truncate_from_step(step)

    def snapshot(self) -> list[Run]:
        """The runs, sorted by name, taken under the lock (the Run objects are live)."""
        with self.lock:
            return [self.runs[name] for name in sorted(self.runs)]


def _second_writer(
    run: Run,
    source: str | None,
    tag: str,
    points: tuple[np.ndarray, np.ndarray, np.ndarray],
    at: int,
    last: tuple[int, float, float],
    reread: bool = False,
) -> bool:
    """Whether the point at ``at``, at or below the curve's newest (``last``), is a second writer's rather than a
    restart: its file goes on from its own last step for the curve, or (a TensorBoard file new to the curve, whose
    points carry the time they were written) it was written before the newest point read — or, at that very step,
    its file was made before the newest point was written (the time in its name): a resumed job makes its new file
    after the old job's last point, two ranks make theirs as the job starts and write each step within moments.
    A file read again from its start (``reread``: it shrank, cut short, or was replaced by a shorter copy) gives back
    points already read, the same time and value at their step: read before, not a restart that drops the rest."""
    steps, walls, _values = points
    step = steps[at]
    if source is None or step > last[0]:
        return False
    own = run.file_steps.get((source, tag))
    if own is not None:
        return bool(step > own) or (reread and _read_before(run.scalars[tag], points, at, last[0]))
    name = basename(source)
    if not is_event_file_name(name):
        return False
    wall, made = float(walls[at]), created_at(name)
    return wall < last[2] or (step == last[0] and (wall <= last[2] or (made is not None and made <= last[2])))


def _read_before(series: Series, points: tuple[np.ndarray, np.ndarray, np.ndarray], at: int, newest: int) -> bool:
    """Whether the curve holds already every point from ``at`` up to its ``newest`` step (or to where the batch's
    steps go back): at each step, the same time of writing and value (a file cut short and read again); one that
    differs is another attempt's."""
    steps, walls, values = points
    tail = steps[at:]
    stop = len(tail)
    for cuts in (np.flatnonzero(np.diff(tail) < 0) + 1, np.flatnonzero(tail > newest)):
        stop = min(stop, int(cuts[0])) if cuts.size else stop
    if not stop:
        return False
    again = np.arange(at, at + stop)
    again = again[np.concatenate(([True], steps[again][1:] != steps[again][:-1]))]  # a step written twice: its first
    stored_steps, stored_values, stored_walls = series.arrays()
    where = np.searchsorted(stored_steps, steps[again])
    if where.max() >= len(stored_steps) or not np.array_equal(stored_steps[where], steps[again]):
        return False
    same_values = np.array_equal(stored_values[where], values[again], equal_nan=True)
    return bool(same_values and np.array_equal(stored_walls[where], walls[again]))


def _pieces(
    scalars: dict, orders: dict, across: bool, cut_at: tuple[int, ...] = ()
) -> list[tuple[int, int, str, int, int]]:
    """Each tag's stretches as (order of its first record, 0 for a step going back else 1, tag, lo, hi), sorted.

    A stretch ends where its tag's step goes back, and, ``across`` tags (a restart purges every curve), also at
    another tag's step going back: that tag's points written after it are applied after its purge, not purged
    by it (one JSON line whose step goes back cost the other curve every point after it). In one row the step
    going back comes first (a new column's point in the row a restart comes in is the new attempt's). ``cut_at``:
    more orders to end stretches at (where the batch's first restart is purged)."""
    segments = {tag: _segments(steps) for tag, (steps, _walls, _values) in scalars.items() if len(steps)}
    back_orders = [orders[tag][lo] for tag, spans in segments.items() for lo, _hi in spans if lo and across]
    backs = np.unique(np.array([*back_orders, *cut_at], dtype=np.int64))
    pieces = []
    for tag, spans in segments.items():
        order = orders[tag]
        for lo, hi in spans:
            cuts = [lo, hi]
            if len(backs):  # only the steps going back inside this stretch, not every one for every stretch
                first, last = np.searchsorted(backs, (order[lo], order[hi - 1]), "right")
                cuts[1:1] = np.unique(np.searchsorted(order[lo:hi], backs[first:last]) + lo).tolist()
            going_back = int(not lo)  # 0: the stretch starts with its tag's step going back
            for start, end in itertools.pairwise(cuts):
                pieces.append((int(order[start]), going_back if start == lo else 1, tag, start, end))
    return sorted(pieces)


def _segments(steps: np.ndarray) -> list[tuple[int, int]]:
    """Split a batch of steps where a step goes below its predecessor (a restart)."""
    cuts = (np.flatnonzero(steps[1:] < steps[:-1]) + 1).tolist()
    bounds = [0, *cuts, len(steps)]
    return list(itertools.pairwise(bounds))
