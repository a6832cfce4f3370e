"""Make names from the file system safe to show: no escapes, no markup, no broken bytes.

Run folders and tag names come from whoever wrote the logs. They may hold ANSI
escape sequences, newlines, Rich markup such as ``[@click=app.quit]`` or bytes
that are not UTF-8 (Python keeps those as lone surrogates). ``printable``
turns every control character and undecodable byte into a visible escape;
markup stays inert because callers render names as ``rich.text.Text``, never
as markup strings. Machine-read outputs (JSON, CSV, Parquet) carry the real
name instead (``utf8``): their writers quote it, and a reader gets back what
the folder is called.
"""

from __future__ import annotations

import math
import unicodedata

MAX_NAME = 200


_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x80:  # \xNN above it is a byte that was not UTF-8: a code point there is \u00NN
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(name: str, limit: int | None = None) -> str:
    """``name`` with control characters, lone surrogates and format characters made visible; longer than ``limit``
    cells, cut in its middle (``middle_cut``)."""
    out = []
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Cf", "Zl", "Zp"):
            out.append(_escape(char))
        else:
            out.append(char)
    text = "".join(out)
    if limit is not None and len(text) > limit // 2:  # a CJK character or an emoji takes two cells
        from rich.cells import cell_len  # here: `losswatch --version` imports this module and nothing heavy

        from tui.cuts import middle_cut

        if cell_len(text) <= limit:
            return text
        head, tail = middle_cut(text, limit)  # its start and its end, as every table cuts names
        text = text[:head] + "…" + text[tail:]
    return text


def shown_name(name: str, limit: int | None = None) -> str:
    """A run's name as every view shows it: ``printable``, with its backslashes doubled and the spaces
    one cannot see (at its ends, or other than a plain space) escaped, so no two names show alike: a folder named
    with the four characters ``a\\x1b`` beside one holding an escape character, ``run`` beside ``run ``. Shown
    text passed through ``printable`` again stays as it is."""
    out = []
    last = len(name) - 1
    for i, char in enumerate(name):
        if char == "\\":
            out.append("\\\\")
        elif unicodedata.category(char) == "Zs" and (char != " " or i in (0, last)):
            out.append(_escape(char))
        else:
            out.append(char)
    return printable("".join(out), limit)


def quoted(text: str, limit: int | None = None) -> str:
    """``text`` a user typed (a regex, a tag), made ``printable`` in single quotes: its backslashes shown once, as
    typed (``repr`` doubles them: ``'\\\\d'`` for the ``\\d`` a regex holds)."""
    return f"'{printable(text, limit)}'"


def utf8(name: str) -> str:
    """``name`` as it really is, in text any UTF-8 writer takes (JSON, CSV, Parquet): only the bytes of a folder
    name that are not UTF-8 (lone surrogates to Python) become ``\\xff`` escapes, as the screen shows them;
    escape sequences and newlines stay, for the writer to quote (JSON writes them as ``\\u001b``)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def number(value: float | None) -> str:
    """A value as every output writes it (table, check, reasons, alerts): four significant digits, so the same
    value reads the same everywhere; nan and inf spelled out, none as a dash."""
    if value is None:
        return "–"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def numbers_apart(*values: float) -> list[str]:
    """``values`` as ``number`` writes them, with more significant digits (up to 10) where two that differ would
    read alike: a rise from 3.2000 to 3.2002 is not '3.2 → 3.2'. All written to the same digits."""
    for digits in range(4, 11):
        texts = [f"{value:.{digits}g}" if math.isfinite(value) else str(value) for value in values]
        if all(
            texts[i] != texts[j] or values[i] == values[j]
            for i in range(len(values))
            for j in range(i + 1, len(values))
        ):
            break
    return texts


def percent(share: float, bar: float | None = None) -> str:
    """A share as a whole percentage, with the decimals it takes not to read as none or all when it is neither
    (0.9961 is '99.6%', not '100%'), nor as ``bar`` when it is not that (0.896 beside a bar of 90 %: '89.6%')."""
    for digits in range(5):
        text = f"{share:.{digits}%}"
        alike = {f"{1:.{digits}%}", f"{0:.{digits}%}"} if 0 < share < 1 else set()
        if bar is not None and share != bar:
            alike.add(f"{bar:.{digits}%}")
        if text not in alike:
            break
    return text
