"""Finding a root's runs: list it, let every format claim its files, and keep track of what came and went.

``Discovery`` is the half of ``Monitor`` that knows where runs are (their streams, the folders that cannot be
read, the files that vanished, the runs announced); the other half (``monitor.py``) reads and judges them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tui.live.echoes import Echoes
from tui.sources.base import Source, Stream
from tui.sources.formats import all_formats, find_sources, open_stream
from tui.sources.mlflow_files import FORMAT as MLFLOW_FILES
from tui.sources.points import FileHealth
from tui.sources.roots.base import Listing, Root
from tui.sources.tensorboard.discovery import run_name_for
from tui.store import Store
from tui.text import printable


@dataclass(frozen=True)
class NewRun:
    """A run seen for the first time (for ``watch --plain``)."""

    run: str
    path: str


class Discovery:
    """The runs of one root (LOGDIR): their streams, and which appeared, vanished or cannot be read."""

    def __init__(self, root: Root, store: Store, source_name: str) -> None:
        self.root = root
        self.store = store
        self.source_name = source_name
        """Put before its runs' names (``box1:exp1``) when several roots share one store; '' for one root."""
        self.shadowed: tuple[str, ...] = ()
        """Other roots' names that begin with this one's and ':' (``box1`` beside ``box1:/runs``): not its runs."""
        self.streams: dict[str, Stream] = {}
        """Source key -> its stream, for every source found so far."""
        self.scan_errors: dict[str, str] = {}
        self._unreadable: dict[str, str] = {}
        """Folder (root-relative) -> run, for folders a listing could not read (shown as runs that cannot be read)."""
        self._vanished: set[str] = set()
        """Streams whose files are no longer listed (deleted; their points kept): not read, nor a trouble of their
        run's, until a file of theirs is listed again."""
        self._told_unreadable: set[str] = set()
        """Runs announced as new while they could not be read: readable later, they are not announced again."""
        self.logdir_missing = False
        self._refused: str | None = None
        """Why the root itself cannot be listed now (permission denied), or None."""
        self.missing_why = ""
        """Why the root is not there, in the root's words: "no such folder", "bucket NAME not found"."""
        self.listing = Listing()
        """The last listing of the root (file sizes for ordering the first read)."""
        self.formats = all_formats()
        self.run_owners: dict[str, str] = {}
        """Run name -> the format that named it first (a name never moves to another format's run)."""
        self.checkpoints: dict[str, dict[int, str]] = {}  # run name -> step -> checkpoint path, from the last scan
        self.echo = Echoes()
        """Logs that repeat another run's curves (``Source.echoes``), hidden; the ones that do not."""
        self._untold: dict[str, NewRun] = {}
        """Runs that may repeat a TensorBoard run, not announced as new until their first read shows they do not."""
        self._told_late: list[NewRun] = []
        """Those that did not: announced by the round that read them (``told_late``), else by the next scan."""
        self._watched: dict[str, str] = {}
        """Local path of every file a stream reads -> the stream's key (file events name local paths)."""
        self.renamed: dict[str, str] = {}
        """Run -> the run it was before its folder was renamed (or moved) while watched: its files, the same ones,
        left one name and came under another in one scan. Its alerts were told under the old name."""

    def _forward_checkpoints(self) -> None:
        """A log shown as the run it repeats: its checkpoints are that run's, where that run has none of its own
        (Lightning's CSV logger listed first keeps them in its folder, the events are one version after it). Set on
        the runs stored, at each scan and once such a log is decided."""
        for echo, primary in self.echo.hidden.items():
            if echo in self.checkpoints and primary not in self.checkpoints:
                self.checkpoints[primary] = self.checkpoints[echo]
        with self.store.lock:
            for name, checkpoints in self.checkpoints.items():
                if name in self.store.runs:
                    self.store.runs[name].checkpoints = dict(checkpoints)

    def reads(self, path: str) -> bool:
        """Whether a stream reads the file at local ``path`` (else its change may be a run's first lines: a scan)."""
        return path in self.streams or path in self._watched

    def place(self, path: str) -> str:
        """A root-relative path as the user would find it: a local path, or the root's label and the path."""
        local = self.root.local_path(path)
        if local is not None:
            return local
        return self.root.shown(path)

    def run_name(self, run: str) -> str:
        """A run's name in the store: as its format named it, after the root's name when there are several."""
        if not self.source_name:
            return run
        return self.source_name if run == "." else f"{self.source_name}:{run}"

    def name_under_root(self, run_name: str) -> str:
        """A run's name as this root alone shows it (without the root's label among several roots)."""
        if not self.source_name:
            return run_name
        return "." if run_name == self.source_name else run_name.removeprefix(self.source_name + ":")

    def owns(self, run_name: str) -> bool:
        """Whether a run in the (maybe shared) store came from this root."""
        mine = not self.source_name or run_name == self.source_name or run_name.startswith(self.source_name + ":")
        return mine and not any(run_name == o or run_name.startswith(o + ":") for o in self.shadowed)

    @property
    def missing_note(self) -> str:
        """Said beside "waiting for the root to appear" when the root is missing for more than a folder not made
        yet: a bucket not found is more often a typo than a bucket a job is about to make."""
        return "" if not self.logdir_missing or self.missing_why == "no such folder" else self.missing_why

    def scan(self) -> list[NewRun]:
        """Look for new sources and vanished runs; return the runs seen for the first time."""
        listing = self.root.list()
        if listing.missing:
            self.logdir_missing = True
            self.missing_why = listing.errors.get(".", "no such folder")
            for name, run in self.store.runs.items():
                run.gone = run.gone or self.owns(name)
            return []
        self.logdir_missing = False
        # A local root that cannot be listed now (a remote one's reachability is the watcher's, ``polling``).
        why = listing.errors.get(".") if not listing.files and self.root.local_path(".") is not None else None
        refused = why[:1].lower() + why[1:] if why else None
        if refused != self._refused and (self._refused or self.listing.files):  # said once it changes, after a read
            label = printable(self.root.label)
            said = f"{label}: {refused}: its runs are kept as read until it can be read again" if refused else ""
            self.store.notes.append(said or f"{label} can be read again")
        self._refused = refused
        if refused:  # the root itself cannot be listed now (its permission taken away): its runs are not gone
            self.scan_errors = {self.place("."): refused}
            return []
        before, self.listing = self.listing, listing
        found = find_sources(self.root, listing, self.formats, self.run_owners)
        if self.source_name:
            found.sources = [
                replace(source, run=self.run_name(source.run), echoes=tuple(map(self.run_name, source.echoes)))
                for source in found.sources
            ]
            found.checkpoints = {self.run_name(run): steps for run, steps in found.checkpoints.items()}
        self.scan_errors = {self.place(path): why for path, why in {**listing.errors, **found.errors}.items()}
        self.checkpoints = {
            name: {step: self.place(path) for step, path in checkpoints.items()}
            for name, checkpoints in found.checkpoints.items()
        }
        self._forward_checkpoints()
        for note in found.notes:
            if note not in self.store.notes:
                self.store.notes.append(note)
        known_runs = {stream.run for stream in self.streams.values()} | self._told_unreadable
        new_runs = self.told_late()
        named = {source.where: source.run for source in found.sources if source.format == MLFLOW_FILES}
        present = self._note_unreadable({**listing.errors, **found.errors}, known_runs, new_runs, named)
        for source in found.sources:
            present.add(source.run)
            stream = self.streams.get(source.key)
            if stream is None:
                self._add(source)
                if source.run not in known_runs:
                    known_runs.add(source.run)
                    news = NewRun(source.run, self.place(source.where))
                    if source.echoes:  # told once read, if it is no repeat of the run beside it (``Echoes.decide``)
                        self._untold[source.run] = news
                    else:
                        new_runs.append(news)
            elif (stream.source.run, stream.source.prefix) != (source.run, source.prefix):
                self._moved(stream, source, known_runs, new_runs)
            elif stream.source != source:
                stream.retarget(source)
                self._index(stream.source)
        self._note_vanished(listing)
        with self.store.lock:
            mine = {name: run.gone for name, run in self.store.runs.items() if self.owns(name)}
            for name in mine:
                self.store.runs[name].gone = name not in present
            arrived = [news.run for news in new_runs] + [
                name for name, gone in mine.items() if gone and name in present
            ]
            self._note_renamed({name for name, gone in mine.items() if not gone} - present, arrived, before)
        self._told_unreadable &= set(self._unreadable.values())  # readable now (a stream's), or deleted: forgotten
        return new_runs

    def _files_of(self, run: str, listing: Listing) -> frozenset[tuple[object, ...]] | None:
        """What tells a run's files apart from others' wherever they lie: each one's identity (a local file's
        device and inode, an object's ETag: a job still writing grows its file between the two listings), or,
        where the root gives no identity, its name, size and modification time (a rename keeps them); None when one
        of them is not in ``listing``."""
        found = []
        for stream in self.streams.values():
            if stream.run != run:
                continue
            for path in stream.source.paths:
                info = listing.files.get(path)
                if info is None:
                    return None
                found.append((info.identity,) if info.identity else (path.rsplit("/", 1)[-1], info.size, info.mtime))
        return frozenset(found) or None

    def _note_renamed(self, went: set[str], arrived: list[str], before: Listing) -> None:
        """Runs that went in this scan whose very files came back under the name of a run that ``arrived`` (new, or
        back under a name it had before): that run is theirs, renamed (``renamed``), and the run that went says
        where it went (``Run.moved_to``)."""
        gone = {files: name for name in went if arrived and (files := self._files_of(name, before)) is not None}
        for run in arrived if gone else ():
            old = gone.get(self._files_of(run, self.listing) or frozenset())
            if old is not None and old in self.store.runs:
                self.renamed[run] = old
                self.store.runs[old].moved_to = run
        for name in went:  # a run whose files went, and went nowhere a scan found: deleted, whatever it was before
            if name in self.store.runs and self.store.runs[name].moved_to not in arrived:
                self.store.runs[name].moved_to = ""

    def _moved(self, stream: Stream, source: Source, known_runs: set[str], new_runs: list[NewRun]) -> None:
        """A log now found to be another run's (an ``add_scalars`` folder listed before its writer's file, or before
        its sibling could be read): read again from its start into that run; the run it was read into goes once no
        other log of it is left (its points are the other run's now)."""
        self._add(source)
        if not any(other.run == stream.run for other in self.streams.values()):
            self.forget(stream.run)
        if source.run not in known_runs:
            known_runs.add(source.run)
            new_runs.append(NewRun(source.run, self.place(source.where)))

    def forget(self, run_name: str) -> None:
        """Drop a run whose logs are all another's now."""
        with self.store.lock:
            self.store.runs.pop(run_name, None)

    def _note_vanished(self, listing: Listing) -> None:
        """A stream whose files all left the listing is set aside: its run keeps its points, is not 'unreadable' for
        it (written again, it is read from its new files, as ``check`` reads it); listed again, it is read on."""
        with self.store.lock:
            for key, stream in self.streams.items():
                if any(path in listing.files for path in (*stream.source.paths, *stream.source.older) or (key,)):
                    self._vanished.discard(key)
                elif key not in self._vanished:
                    self._vanished.add(key)
                    if (run := self.store.runs.get(stream.run)) is not None:
                        run.files.pop(key, None)

    def _note_unreadable(
        self, errors: dict[str, str], known_runs: set[str], new_runs: list[NewRun], named: dict[str, str]
    ) -> set[str]:
        """Folders that cannot be listed, and logs a format cannot open (a damaged database), become runs with the
        reason, instead of vanishing; one readable again loses it. Returns their runs. ``named``: MLflow runs'
        folders (by id): what cannot be read in one is that run's, not a run of its own."""
        with self.store.lock:
            for path in set(self._unreadable) - set(errors):
                name = self._unreadable.pop(path)
                run = self.store.runs.get(name)
                if run is not None:
                    run.files.pop(path, None)
                    if not run.files and not run.has_points:  # its runs, if any, are found under their own names
                        del self.store.runs[name]
            for path, why in errors.items():
                if path in ("", "."):
                    continue
                inside = (where for where in named if where == "." or path.startswith(where + "/"))  # ".": the root
                folder = max(inside, key=len, default=None)
                name = named[folder] if folder else self.run_name(run_name_for(path)[0])  # after the root's name
                first_time = path not in self._unreadable  # announced once, not at every scan while it lasts
                self._unreadable[path] = name
                self.store.run(name).files[path] = FileHealth(error=why[:1].lower() + why[1:])
                if first_time and name not in known_runs:
                    known_runs.add(name)
                    self._told_unreadable.add(name)
                    new_runs.append(NewRun(name, self.place(path)))
        return set(self._unreadable.values())

    def _add(self, source: Source) -> None:
        self.streams[source.key] = open_stream(source)
        self._index(source)

    def _index(self, source: Source) -> None:
        for path in source.paths:
            local = self.root.local_path(path)
            if local is not None:
                self._watched[local] = source.key

    def adopt(self, streams: dict[str, Stream]) -> None:
        """Take streams read elsewhere (a worker process), keeping their positions."""
        self.streams.update(streams)
        for stream in streams.values():
            self._index(stream.source)

    def told_late(self) -> list[NewRun]:
        """The runs held back from announcement that their first read showed to be runs of their own."""
        late, self._told_late = self._told_late, []
        return late
