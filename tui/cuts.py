"""Long names cut to fit a column, and told apart while cut.

A run's name is cut in its middle (start, '…', end): names differ at either end as often as not. A sweep's
runs in one folder share both ends and differ in between; cut alike, they would read the same, so those are
cut where they differ (``distinct_cuts``). Names are escaped first (``text.printable``).
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterator, Mapping

import regex
from rich.cells import cell_len


def middle_cut(text: str, width: int, head_room: int | None = None) -> tuple[int, int]:
    """``_middle_cut``, at the edges of the characters a reader sees (``on_graphemes``)."""
    (_, head), (tail, _) = on_graphemes(text, _halves(text, _middle_cut(text, width, head_room)))
    return head, tail


_GRAPHEME = regex.compile(r"\X")
"""A character as a reader sees it: a letter and its combining accents, an emoji and its modifiers."""


def on_graphemes(text: str, cut: Cut) -> Cut:
    """``cut`` with no piece ending or starting inside a character made of several code points (``é`` written as
    ``e`` and its accent): cut between them, the accent sat on the '…' (a QA pass). Pieces only shrink."""
    if text.isascii():
        return cut
    edges = [match.start() for match in _GRAPHEME.finditer(text)] + [len(text)]
    snapped = []
    for start, end in cut:
        start = edges[min(bisect_left(edges, start), len(edges) - 1)]
        end = edges[max(bisect_right(edges, end) - 1, 0)]
        snapped.append((start, max(end, start)))
    return tuple(snapped)


def _middle_cut(text: str, width: int, head_room: int | None = None) -> tuple[int, int]:
    """Where to cut ``text`` (printable: escaped first) to show it in ``width`` cells as its start, '…' and its end:
    (end of the start, start of the end). Names differ at either end as often as not (a date first, ``lr=0.001``
    last): cut at the end, sweeps' runs all looked alike. Never inside a number (``lr1.58e-04`` cut to ``8e-04``
    reads as another rate): the start and the end each stop at a number's edge, and the split between them is
    moved to show the most, as near the middle as that allows. A fraction too long for the room may end the start
    (its first digits), never begin the end (``_fractions``: ``…9e-05`` of ``wd=1.23456789e-05``).
    ``head_room``: cells for the start (else half; the end then starts where ``distinct_cuts`` asks)."""
    room = max(width - 1, 1)
    spans = _number_spans(text, room)
    if head_room is not None:
        return _outside_numbers(spans, *_split(text, room, head_room))
    every = _fractions(text)

    def placed(head_room: int) -> tuple[int, int]:
        head, tail = _outside_numbers(spans, *_split(text, room, head_room))
        return head, max(next((end for start, end in every if start < tail < end), tail), head)

    def whole(cut: tuple[int, int]) -> bool:  # the start ends at no fraction's middle, however long
        return not any(start < cut[0] < end for start, end in every)

    middle = room - (room // 2 if room > 1 else 0)
    split = _split(text, room, middle)
    if placed(middle) == split and whole(split):
        return split
    # The best split is one that puts the start's or the end's edge at a number's edge: the nearest to the middle
    # that shows ``room`` cells, else the one showing the most; one that ends the start inside a number too long to
    # show only if it shows over twice as much ('lr=2.5118864…' rather than 'lr=…', 'lr=0.1,wd=…' not 'wd=1…').
    edges = {edge for span in spans + every for edge in span}
    candidates = {cell_len(text[:edge]) for edge in edges} | {room - cell_len(text[edge:]) for edge in edges}
    best: dict[bool, tuple[tuple[int, int], tuple[int, int]]] = {}
    for candidate in sorted((c for c in candidates | {room} if 0 <= c <= room), key=lambda c: (abs(c - middle), c)):
        cut = placed(candidate)
        key = (cell_len(text[: cut[0]]) + cell_len(text[cut[1] :]), -abs(candidate - middle))
        for kind in {whole(cut), False}:  # the best whole cut, and the best of all
            if kind not in best or key > best[kind][1]:
                best[kind] = (cut, key)
        if whole(cut) and key[0] >= room:
            break
    if True in best and 2 * best[True][1][0] >= best[False][1][0]:
        return best[True][0]
    return best[False][0] if best else (0, len(text))


def _split(text: str, room: int, head_room: int) -> tuple[int, int]:
    """The start of ``text`` in ``head_room`` cells and its end in the rest of ``room``."""
    head = _fitting(text, 0, head_room)
    return head, len(text) - _fitting(text[head:][::-1], 0, room - head_room)


_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
"""A number in a name: ``42``, ``0.001``, ``1.58e-04`` (a date's parts are numbers of their own)."""


def _number_spans(text: str, room: int) -> list[tuple[int, int]]:
    """(start, end) of each number in ``text`` that ``room`` cells could show whole: a longer one (an id, a
    timestamp) is cut as any text is, its last digits telling runs apart where nothing whole would."""
    if not any(c.isdigit() for c in text):
        return []
    return [match.span() for match in _NUMBER.finditer(text) if match.end() - match.start() <= room]


def _fractions(text: str) -> list[tuple[int, int]]:
    """(start, end) of each number in ``text`` with a fraction or an exponent, however long: its last digits alone
    read as another number (``…39810717055349735`` of 0.00039810717055349735, ``…-05`` of 1.23456789e-05), where an
    id's or a timestamp's tell runs apart."""
    return [(a, b) for a, b in _number_spans(text, len(text)) if not text[a:b].isdigit()]


def _showable_spans(text: str, room: int) -> list[tuple[int, int]]:
    """The ``_number_spans`` a cut of ``room`` cells (and a '…') could show whole where they are: in the name's start,
    in its end, or between two '…'. A cut that ends inside another shows its first digits rather than none of it
    ('lr=0.03981071705534…', not 'lr=…', for lr=0.039810717055349734 in the middle of a name 21 cells wide)."""
    return [
        (start, end)
        for start, end in _number_spans(text, room)
        if cell_len(text[:end]) <= room or cell_len(text[start:]) <= room or cell_len(text[start:end]) < room
    ]


def _outside_numbers(spans: list[tuple[int, int]], head: int, tail: int) -> tuple[int, int]:
    """``head`` moved back and ``tail`` forward to the edges of any number (``spans``) they fall inside: the part of
    a number shown is no number at all."""
    for start, end in spans:
        if start < head < end:
            head = start
        if start < tail < end:
            tail = end
    return head, max(tail, head)


Cut = tuple[tuple[int, int], ...]
"""The pieces of a text a cut keeps, in order (start, end), shown with '…' between them."""

_SEPARATORS = frozenset(",;_-/ :|")
"""Where a name's parts begin: a window shown from the middle of a name starts after one."""


def distinct_cuts(widths: Mapping[str, int]) -> dict[str, Cut]:
    """Where to cut each text (printable: escaped first) longer than its width; texts that fit are not in it.

    ``middle_cut``, unless two texts would read the same: a sweep's runs in one folder share their start and
    their end (``mnist_vae/mnist_vae-adam-lr0.1-s42``, ``…-sgd-lr0.1-s42``) and differ in between. Those show
    where they differ from the others cut alike: their end from there (``mnist_va…adam-lr0.1-s42``), their
    start up to it, or a window on the part holding it (``sweep-20…optimizer=adamw,weight_d…seed=42``, or
    ``…=adamw,batch_size=128…`` for two settings). Texts still alike (differences too far apart for the width)
    take any cut no other shows, which may say less; at widths under 5 two may stay alike."""
    cuts = {text: _halves(text, middle_cut(text, width)) for text, width in widths.items() if cell_len(text) > width}
    alike: dict[str, list[str]] = {}
    narrowest = min(widths.values(), default=0)  # a run's marker takes cells from its name: cut alike all the same
    for text in cuts:
        alike.setdefault(cut_text(text, _halves(text, middle_cut(text, narrowest))), []).append(text)
    parts = _varying_parts([text for group in alike.values() if len(group) > 1 for text in group])
    for group in alike.values():
        if len(group) > 1:
            # The earliest and the latest difference from any other member: against the group's extremes in
            # order (of the texts, and of the texts reversed), not against each member (a sweep of thousands).
            ends = sorted(group)[:: len(group) - 1]
            starts = sorted(text[::-1] for text in group)[:: len(group) - 1]
            for text in group:
                first = min(_shared_start(text, other) for other in ends if other != text)
                backwards = text[::-1]
                last = len(text) - min(_shared_start(backwards, other) for other in starts if other != backwards)
                cuts[text] = _revealing_cut(text, first, max(last, first + 1), widths[text], parts.get(text))
    cuts = {text: _tidied(text, cut, widths[text]) for text, cut in cuts.items()}
    shown = Counter(cut_text(text, cut) for text, cut in cuts.items())
    shown.update(text for text in widths if text not in cuts)
    for text, cut in cuts.items():  # still alike: any cut no other shows, one inside a number only as a last resort
        if shown[now := cut_text(text, cut)] < 2:
            continue
        room = max(widths[text] - 1, 1)
        spans = _number_spans(text, room)
        whole = (
            _halves(text, _outside_numbers(spans, *_split(text, room, head_room))) for head_room in range(room + 1)
        )
        anywhere = (_halves(text, _split(text, room, head_room)) for head_room in range(room + 1))
        for other in itertools.chain(whole, anywhere):
            candidate = cut_text(text, other)
            if not shown[candidate] and candidate.strip("…"):  # a bare '…' tells nothing apart
                shown[now] -= 1
                shown[candidate] += 1
                cuts[text] = other
                break
    return {text: on_graphemes(text, cut) for text, cut in cuts.items()}


SIDE_MIN = 4
"""Cells a name's start or end needs beside the parts shown from its middle to say anything."""

_PART = re.compile(r"(?:[^,;/ :|_-]|(?<=\d[eE])[+-](?=\d))+|[,;/ :|_-]")
"""A name's parts and the separators between them (``optimizer=adamw``, ``,``, ``batch``, ``_``, ``size=64``); the
sign of an exponent is not one (``lr1.58e-04`` is one part)."""


def _varying_parts(texts: list[str]) -> dict[str, list[tuple[int, int]]]:
    """For texts of one pattern (the same separators in the same order: a grid of settings), the parts, as
    (start, end), that are not the same in all of them: every setting the sweep varies, not only the ones a
    text's look-alikes differ in (a 3 × 3 grid cut alike by batch size still differs by optimizer)."""
    by_pattern: dict[tuple[str, ...], list[tuple[str, list[tuple[int, int]]]]] = {}
    for text in texts:
        spans = [match.span() for match in _PART.finditer(text)]
        pattern = tuple(text[a:b] for a, b in spans if b - a == 1 and text[a] in _SEPARATORS)
        by_pattern.setdefault((str(len(spans)), *pattern), []).append((text, spans))
    varying = {}
    for members in by_pattern.values():
        if len(members) < 2:
            continue
        columns = range(len(members[0][1]))
        differ = [i for i in columns if len({text[slice(*spans[i])] for text, spans in members}) > 1]
        for text, spans in members:
            varying[text] = [spans[i] for i in differ]
    return varying


def _parts_cut(text: str, parts: list[tuple[int, int]], width: int) -> Cut | None:
    """``text`` shown as the parts that vary (neighbours joined), its start and its end in the room left; None if
    the parts alone do not fit."""
    pieces: list[list[int]] = []
    for start, end in parts:
        if pieces and pieces[-1][1] == start:
            pieces[-1][1] = end
        else:
            pieces.append([start, end])
    if not pieces:
        return None
    room = width - (len(pieces) + 1) - sum(cell_len(text[a:b]) for a, b in pieces)
    if room < 0:
        return None
    sides = room if room >= 2 * SIDE_MIN else 0  # a start or an end of a character or two says nothing
    head = min(_fitting(text, 0, sides - sides // 2), pieces[0][0])
    tail = max(len(text) - _fitting(text[::-1], 0, sides - cell_len(text[:head])), pieces[-1][1])
    kept = [(0, head), *((a, b) for a, b in pieces), (tail, len(text))]
    joined: list[tuple[int, int]] = []
    for start, end in kept:  # pieces that touch are one: no '…' between them
        if joined and joined[-1][1] >= start and joined[-1] != (0, 0):
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return tuple(joined)


def _revealing_cut(text: str, first: int, last: int, width: int, parts: list[tuple[int, int]] | None) -> Cut:
    """A cut of ``text`` that shows its differences from the others, ``text[first:last]`` (``_revealing_cuts``):
    the first with no piece beginning inside a fraction, whose last digits read as another number (a window
    '…39810717055349735,w…' of lr=0.00039810717055349735, an end '…-05' of wd=1.23456789e-05), else the first."""
    fractions = _fractions(text)
    fallback = None
    for cut in _revealing_cuts(text, first, last, width, parts, fractions):
        shown = _tidied(text, cut, width)  # as it will be shown: an end in a number that fits, dropped
        if not any(a < start < b for start, end in shown[1:] if start < end for a, b in fractions):
            return cut
        fallback = fallback or cut
    return fallback or _halves(text, middle_cut(text, width))


def _revealing_cuts(
    text: str, first: int, last: int, width: int, parts: list[tuple[int, int]] | None, fractions: list[tuple[int, int]]
) -> Iterator[Cut]:
    """Cuts of ``text`` that show ``text[first:last]``, the best first: its end from there on, its start up to there
    (with its end, else as far as fits), the ``parts`` that vary, else a window on the differences with the start
    and the end beside it, else the window alone, each from the beginning of the part ``first`` is in when that
    fits, else from ``first``; else a window through the first difference only (from the part's start, the start
    of the fraction ``first`` is in, ``first``)."""
    room = max(width - 1, 1)
    showable = _showable_spans(text, room)
    first, last = _outside_numbers(showable, first, last)  # a number the difference is in, whole
    if room - cell_len(text[first:]) > 0:
        yield _halves(text, middle_cut(text, width, room - cell_len(text[first:])))
    if cell_len(text[:last]) < room:
        yield _halves(text, middle_cut(text, width, cell_len(text[:last])))
        head, _ = _outside_numbers(showable + fractions, _fitting(text, 0, room), len(text))
        if head >= last:
            yield ((0, head), (len(text), len(text)))
    if parts and (cut := _parts_cut(text, parts, width)) is not None:
        yield cut
    part = first
    while part > max(first - 16, 0) and not _separates(text, part - 1):
        part -= 1
    tries = [(True, part, last), (True, first, last), (False, part, last), (False, first, last), (False, part, first)]
    tries += [(False, a, end) for a, b in fractions if a < first < b for end in (last, first)]  # the fraction's start
    for side, start, through in [*tries, (False, first, first)]:
        through = max(through, first + 1)  # through the first difference at least
        window = _window(text, start, through, width, side)
        if window is not None:
            yield window


def _window(text: str, start: int, last: int, width: int, ends: bool) -> Cut | None:
    """``text`` from ``start`` through ``last`` at least, as far as the width allows, between its start and its
    end (a fifth of the room each, when ``ends``) or between two '…' alone (from the name's start: one '…' after it);
    None if that does not fit."""
    if start == 0:  # the part begins the name: its start, one '…' after it
        end = _fitting(text, 0, width - 1)
        return ((0, end), (len(text), len(text))) if last <= end < len(text) else None
    room = width - 2
    if room < 3:
        return None
    side = max(room // 5, 1) if ends else 0
    head = _fitting(text, 0, side)
    tail = len(text) - _fitting(text[::-1], 0, side)
    end = start + _fitting(text[start:], 0, room - cell_len(text[:head]) - cell_len(text[tail:]))
    if start <= head or end >= tail or end < last:
        return None
    return ((0, head), (start, end), (tail, len(text)))


def _fitting(text: str, start: int, cells: int) -> int:
    """How many characters of ``text`` from ``start`` fit in ``cells``."""
    if text.isascii():  # one cell each (control characters are escaped before names are shown)
        return max(min(cells, len(text) - start), 0)
    count, used = 0, 0
    while start + count < len(text) and used + cell_len(text[start + count]) <= cells:
        used += cell_len(text[start + count])
        count += 1
    return count


def _separates(text: str, at: int) -> bool:
    """Whether ``text[at]`` begins a name's part (``_PART``): a separator that is not an exponent's sign."""
    return text[at] in _SEPARATORS and not _exponent_sign(text, at)


def _exponent_sign(text: str, at: int) -> bool:
    """Whether ``text[at]`` is the sign of a number's exponent (``1.58e-04``)."""
    return (
        text[at] in "+-"
        and at >= 2
        and text[at - 1] in "eE"
        and text[at - 2].isdigit()
        and at + 1 < len(text)
        and text[at + 1].isdigit()
    )


def _tidied(text: str, cut: Cut, width: int) -> Cut:
    """``cut`` with no piece ending or starting inside a number ``width`` could show where it is (``_showable_spans``;
    the pieces shrink to its edges), and no '…' in place of a single one-cell character (it saves no room: the
    character is shown). An empty first or last piece stays: it is where the '…' at a cut name's start or end goes."""
    spans = _showable_spans(text, max(width - 1, 1))
    pieces: list[tuple[int, int]] = []
    last = len(cut) - 1
    for k, (start, end) in enumerate(cut):
        for a, b in spans:
            if a < start < b:
                start = b
            if a < end < b:
                end = a
        if end <= start:
            if k == 0:
                start = end = 0
            elif k == last:
                start = end = len(text)
            else:
                continue
        if pieces and 0 < start - pieces[-1][1] <= 1 and cell_len(text[pieces[-1][1] : start]) <= 1:
            pieces[-1] = (pieces[-1][0], end)
        else:
            pieces.append((start, end))
    return tuple(pieces)


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


def cut_text(text: str, cut: Cut | None) -> str:
    """``text`` as a cut shows it: the pieces it keeps, '…' between them (whole without a cut)."""
    return text if cut is None else "…".join(text[start:end] for start, end in cut)
