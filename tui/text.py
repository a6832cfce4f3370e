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


def printable_name(name: str, limit: int) -> str:
    """A run's name made printable in ``limit`` cells at most: its start, '…' and its end (``middle_cut``)."""
    text = printable(name)
    if _cell_len(text) <= limit:
        return text
    head, tail = middle_cut(text, limit)
    return text[:head] + "…" + text[tail:]


def middle_cut(text: str, width: int) -> tuple[int, int]:
    """Where to cut ``text`` to show it in ``width`` cells as its start, '…' and its end: (end of the start,
    start of the end). Names differ at either end (a date first, ``lr=0.001`` or ``lr=0.0001`` last): cut at the
    end, sweeps' runs all looked alike."""
    room = max(width - 1, 1)
    tail_room = room // 2 if room > 1 else 0
    head_room = room - tail_room
    head, used = 0, 0
    while head < len(text) and used + _cell_len(text[head]) <= head_room:
        used += _cell_len(text[head])
        head += 1
    tail, used = len(text), 0
    while tail > head and used + _cell_len(text[tail - 1]) <= tail_room:
        used += _cell_len(text[tail - 1])
        tail -= 1
    return head, tail


def _cell_len(text: str) -> int:
    from rich.cells import cell_len  # here: ``losswatch --version`` imports this module, and nothing heavy

    return cell_len(text)
