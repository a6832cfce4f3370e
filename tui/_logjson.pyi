"""Types of the compiled module built from tui/_logjson.c (absent where no C compiler was found)."""

from typing_extensions import Buffer

# Reference: the general JSON path (tui/sources/jsontext.py); see tui/sources/logjson.py
def records(buffer: Buffer, start: int, /) -> tuple[int, list[tuple[str, ...]], bytes, bytes] | None: ...
