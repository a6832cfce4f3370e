"""MMEngine's scalar log (MMDetection, MMPretrain ...): ``<work_dir>/<timestamp>/vis_data/scalars.json``.

``LocalVisBackend`` (mmengine ``visualization/vis_backend.py``, on by default) appends one JSON object per
``add_scalars`` call, with its ``step``; ``LoggerHook`` (``hooks/logger_hook.py``) calls it after training
iterations with ``step=runner.iter + 1`` (``lr``, ``loss``, ``loss_*``, ``data_time``, ``time``, ``epoch``, ``iter``,
``memory``) and after each validation with the metrics (``coco/bbox_mAP``, ``accuracy/top1``, ...) and the
validation's own ``data_time`` and ``time`` at ``step=runner.epoch`` (``log_metric_by_epoch``, the default for
epoch-based training). Read as written, validation's points would sit at steps 1, 2, 3 beside training's
thousands, and its ``data_time`` would go back to them, a restart that purges the run. So a line without
``iter`` whose step is below the highest one read is placed at that step: the iteration it was logged after.
``time`` is the seconds an iteration took, not a clock: it is read as ``iter_time``. A validation key that
training logs too is read as ``val/<key>``. Each launch writes a new timestamp folder, which is the run.
"""

from __future__ import annotations

from tui.sources.base import Format, Found, Source, Stream, basename, parent
from tui.sources.columns import object_step
from tui.sources.jsonlogs import JsonLinesStream
from tui.sources.roots.base import Listing, Root
from tui.sources.textlog import HeaderTest

MMENGINE = "mmengine"
FILE_NAME = "scalars.json"
FOLDER_NAME = "vis_data"
VAL_PREFIX = "val/"
"""Put before a validation line's key that training's lines log too (a ``BaseMetric`` returning ``loss``; its
``data_time`` and ``time``): at the iteration it is placed at, it was a second point of training's curve, dropped."""


class MMEngineStream(JsonLinesStream):
    """One ``scalars.json``, tailed by line; validation's lines placed at the iteration they follow."""

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.highest: int | None = None
        self.training_keys: set[str] = set()
        """Keys training's lines (those with ``iter``) logged: a validation line's key among them is renamed."""

    def started_again(self) -> None:
        super().started_again()
        self.highest = None  # else the new job's validation lines went to the old job's last iteration
        self.training_keys = set()  # the new job's training lines say which of its keys are training's

    def prepared(self, objects: list[object]) -> list[object]:
        out: list[object] = []
        for entry in objects:
            if type(entry) is dict:
                entry = dict(entry)
                if "time" in entry:
                    entry["iter_time"] = entry.pop("time")
                if "iter" in entry:
                    self.training_keys.update(entry)
                else:  # validation's: a metric named as a training key (``loss``) was a point at that key's step
                    entry = {
                        VAL_PREFIX + k if k in self.training_keys and k != "step" else k: v for k, v in entry.items()
                    }
                step = object_step(entry)
                if step is not None:  # the step the reader takes (a damaged 1e20 passes to ``iter``)
                    if "iter" not in entry and self.highest is not None and step < self.highest:
                        entry["step"] = step = self.highest
                    self.highest = step if self.highest is None else max(self.highest, step)
            out.append(entry)
        return out


class MMEngineFormat(Format):
    """``scalars.json`` in a ``vis_data`` folder; the run is the launch's timestamp folder above it."""

    name = MMENGINE

    def __init__(self) -> None:
        # Any first line will do (the stream counts what is no JSON); what is asked is that it be text: a
        # scalars.json a crash left zero-filled read as bytes not yet a whole line, a job still writing.
        self._is_log = HeaderTest(lambda _path, _head: True, unreadable=self.named_log, utf8=True)

    def discover(self, root: Root, listing: Listing) -> Found:
        found = Found()
        for path, info in sorted(listing.files.items()):
            folder = parent(path)
            if self.named_log(path) and self._is_log(root, path, info, found):
                found.sources.append(Source(MMENGINE, path, parent(folder), "", (path,), where=folder))
        return found

    def open(self, source: Source) -> Stream:
        return MMEngineStream(source)

    def named_log(self, path: str) -> bool:
        return basename(path) == FILE_NAME and basename(parent(path)) == FOLDER_NAME

    def read_to_tell(self, path: str) -> bool:
        return self.named_log(path)
