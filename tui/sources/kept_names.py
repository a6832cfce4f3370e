"""A watched run keeps the name it was first shown under.

Some formats name a run by what is beside it: a text log alone in its folder is named by the folder, two by folder
and file; two W&B runs of one display name get their ids after it; a tracker run is named by a name the user may
change. Named afresh at every scan, a run renamed so was a new run to the live view: its bell rang again under the
new name, and the old one was dropped without a word. ``check`` and a live view started later show the names the
runs have now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from tui.sources.base import Source


def by_key(source: Source) -> str:
    """A run is its log (its stream's key)."""
    return source.key


class KeptNames:
    """Each run's first name, kept while it is watched. A new run given a name kept for another, even one deleted
    (its points stay, shown gone; put back, it is read on under that name), takes the name ``told_apart`` gives it.
    ``identity``: what makes two sources one run (a W&B run resumed in a second log is the run it resumes)."""

    def __init__(self, told_apart: Callable[[Source], str], identity: Callable[[Source], str] = by_key) -> None:
        self._told_apart = told_apart
        self._identity = identity
        self._names: dict[str, str] = {}

    def __call__(self, sources: list[Source]) -> list[Source]:
        taken = set(self._names.values())  # a run deleted keeps its name too: its points stay, shown gone
        kept = []
        for source in sources:
            identity = self._identity(source)
            name = self._names.get(identity)
            if name is None:
                name = source.run if source.run not in taken else self._told_apart(source)
                self._names[identity] = name
                taken.add(name)
            kept.append(source if name == source.run else replace(source, run=name))
        return kept
