"""Make names from the file system safe to show: no escapes, no markup, no broken bytes.

Run folders and tag names come from whoever wrote the logs. They may hold ANSI
escape sequences, newlines, Rich markup such as ``[@click=app.quit]`` or bytes
that are not UTF-8 (Python keeps those as lone surrogates). ``printable``
turns every control character and undecodable byte into a visible escape;
markup stays inert because callers render names as ``rich.text.Text``, never
as markup strings.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping

MAX_NAME = 200


_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(name: str, limit: int | None = None) -> str:
    """``name`` with control characters, lone surrogates and format characters made visible."""
    out = []
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Cf", "Zl", "Zp"):
            out.append(_escape(char))
        else:
            out.append(char)
    text = "".join(out)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 1)] + "…"
    return text


def middle_cut(text: str, width: int, head_room: int | None = None) -> tuple[int, int]:
    """Where to cut ``text`` to show it in ``width`` cells as its start, '…' and its end: (end of the start,
    start of the end). Names differ at either end (a date first, ``lr=0.001`` or ``lr=0.0001`` last): cut at the
    end, sweeps' runs all looked alike. ``head_room``: cells for the start (else half of them)."""
    room = max(width - 1, 1)
    if head_room is None:
        head_room = room - (room // 2 if room > 1 else 0)
    tail_room = room - head_room
    head = _fitting(text, 0, head_room)
    tail = len(text) - _fitting(text[head:][::-1], 0, tail_room)
    return head, tail


Cut = tuple[tuple[int, int], ...]
"""The pieces of a text a cut keeps, in order (start, end), shown with '…' between them."""

_SEPARATORS = frozenset(",;_-/ :|")
"""Where a name's parts begin: a window shown from the middle of a name starts after one."""


def distinct_cuts(widths: Mapping[str, int]) -> dict[str, Cut]:
    """Where to cut each text longer than its width: ``middle_cut``, unless two would read the same. A sweep's runs
    in one folder share their start and their end (``mnist_vae/mnist_vae-adam-lr0.1-s42``, ``…-sgd-lr0.1-s42``)
    and differ in between: those are cut to show where they differ (``mnist_va…adam-lr0.1-s42``), from the middle
    when neither end reaches it (``sweep-20…optimizer=adamw,weight_d…seed=42``)."""
    cuts = {text: _halves(text, middle_cut(text, width)) for text, width in widths.items() if _cell_len(text) > width}
    alike: dict[str, list[str]] = {}
    for text, cut in cuts.items():
        alike.setdefault(cut_text(text, cut), []).append(text)
    for group in alike.values():
        for text in group if len(group) > 1 else ():
            cuts[text] = _revealing_cut(text, [other for other in group if other != text], widths[text])
    shown = Counter(cut_text(text, cut) for text, cut in cuts.items())
    shown.update(text for text in widths if text not in cuts)
    for text, cut in cuts.items():  # still alike (they differ all along): any cut no other shows
        if shown[now := cut_text(text, cut)] < 2:
            continue
        for head_room in range(max(widths[text] - 1, 1) + 1):
            other = _halves(text, middle_cut(text, widths[text], head_room))
            if not shown[candidate := cut_text(text, other)]:
                shown[now] -= 1
                shown[candidate] += 1
                cuts[text] = other
                break
    return cuts


def _revealing_cut(text: str, others: list[str], width: int) -> Cut:
    """A cut of ``text`` that shows where it first differs from each of ``others``: its end from there on, its start
    up to the last difference, or else a window from the part of the name it is in (else the middle cut)."""
    room = max(width - 1, 1)
    first = min(_shared_start(text, other) for other in others)
    if room - _cell_len(text[first:]) > 0:
        return _halves(text, middle_cut(text, width, room - _cell_len(text[first:])))
    last = max(len(text) - _shared_start(text[::-1], other[::-1]) for other in others)
    if _cell_len(text[:last]) < room:
        return _halves(text, middle_cut(text, width, _cell_len(text[:last])))
    return _window(text, first, width) or _halves(text, middle_cut(text, width))


def _window(text: str, first: int, width: int) -> Cut | None:
    """The start, a window from the beginning of the part holding ``first`` (after a separator, at most 16
    characters back), and the end: a fifth of the room at either end, two '…' between."""
    room = width - 2
    if room < 5:
        return None
    side = max(room // 5, 1)
    head = _fitting(text, 0, side)
    tail = len(text) - _fitting(text[::-1], 0, side)
    start = first
    while start > max(first - 16, head) and text[start - 1] not in _SEPARATORS:
        start -= 1
    end = start + _fitting(text[start:], 0, room - _cell_len(text[:head]) - _cell_len(text[tail:]))
    if start <= head or end >= tail or end <= first:
        return None
    return ((0, head), (start, end), (tail, len(text)))


def _fitting(text: str, start: int, cells: int) -> int:
    """How many characters of ``text`` from ``start`` fit in ``cells``."""
    if text.isascii():  # one cell each (control characters are escaped before names are shown)
        return max(min(cells, len(text) - start), 0)
    count, used = 0, 0
    while start + count < len(text) and used + _cell_len(text[start + count]) <= cells:
        used += _cell_len(text[start + count])
        count += 1
    return count


def _halves(text: str, cut: tuple[int, int]) -> Cut:
    """A ``middle_cut`` as the pieces it keeps."""
    head, tail = cut
    return ((0, head), (tail, len(text)))


def _shared_start(text: str, other: str) -> int:
    """How many characters the two texts start with alike."""
    return next(
        (at for at, (mine, theirs) in enumerate(zip(text, other, strict=False)) if mine != theirs),
        min(len(text), len(other)),
    )


def cut_text(text: str, cut: Cut) -> str:
    """``text`` as a cut shows it: the pieces it keeps, '…' between them."""
    return "…".join(text[start:end] for start, end in cut)


def _cell_len(text: str) -> int:
    from rich.cells import cell_len  # here: ``losswatch --version`` imports this module, and nothing heavy

    return cell_len(text)
