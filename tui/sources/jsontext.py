"""JSON text as the loggers write it, parsed fast and exactly.

orjson parses the numbers-heavy logs (JSON lines, ``trainer_state.json``, trackio's
rows, W&B's ``value_json``) several times faster than the standard library. It is
strict JSON, though, and Python's ``json.dumps`` (what the Hugging Face Trainer and
most scripts use) writes ``NaN`` and ``Infinity`` for non-finite numbers, exactly the
values a diverging run logs: whatever orjson refuses is parsed again by ``json``,
so the result never depends on which parser read it.

Parsing pauses Python's cyclic garbage collector: a log's objects hold no cycles, and a
collection pass that walks every new dict again and again costs more than the parse.
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
from collections.abc import Iterator

import orjson

BAD = object()
"""Stands for a document neither parser accepts."""


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (reference counting still frees everything)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def loads(data: bytes | str) -> object:
    """One JSON document (raises ValueError when it is not one, or holds an integer past Python's 4,300 digits)."""
    with collector_paused():
        return _loads(data)


def _loads(data: bytes | str) -> object:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            return json.loads(data)
        except TypeError as error:
            raise ValueError(str(error)) from None
        except RecursionError:  # orjson stops at 1,024 levels; json's C scanner recurses until Python stops it
            raise ValueError("nested too deeply") from None


def loads_each(documents: list[bytes] | list[str]) -> list[object]:
    """Many JSON documents, one result each: the value, or ``BAD``."""
    with collector_paused():
        return _loads_each(documents)


def _loads_each(documents: list[bytes] | list[str]) -> list[object]:
    fast = orjson.loads
    try:
        return [fast(document) for document in documents]
    except orjson.JSONDecodeError:
        pass
    parsed: list[object] = []
    for document in documents:
        try:
            parsed.append(fast(document))
        except orjson.JSONDecodeError:
            try:
                parsed.append(json.loads(document))
            except (ValueError, TypeError, RecursionError):
                parsed.append(BAD)
    return parsed


def salvaged(document: bytes) -> tuple[object, int]:
    """A JSON document holding bytes that are no UTF-8 (a latin-1 byte in a key: a script that built its key from a
    file name), parsed with those bytes replaced, every key that held one left out — its value's name cannot be
    read, as TensorBoard's reader leaves out a tag it cannot decode — and how many were: ``(BAD, 0)`` for UTF-8,
    or for what does not parse even so. Its other values are read, not lost with the line."""
    try:
        document.decode("utf-8")
    except UnicodeDecodeError:
        try:
            parsed = loads(document.decode("utf-8", errors="replace"))
        except ValueError:
            return BAD, 0
        return _without_replaced_keys(parsed)
    return BAD, 0


def _without_replaced_keys(value: object) -> tuple[object, int]:
    """A walk with a stack of its own, not a call per level: orjson parses 1,024 levels, Python's stack holds
    fewer calls."""
    if not isinstance(value, dict):
        return value, 0
    kept: dict[str, object] = {}
    dropped = 0
    to_copy: list[tuple[dict, dict[str, object]]] = [(value, kept)]
    while to_copy:
        source, into = to_copy.pop()
        for key, inner in source.items():
            if "\ufffd" in key:
                dropped += 1
            elif isinstance(inner, dict):
                copy: dict[str, object] = {}
                into[key] = copy
                to_copy.append((inner, copy))
            else:
                into[key] = inner
    return kept, dropped


_PARTIAL_TOKEN = re.compile(
    r'"(?:[^"\\\x00-\x1f]|\\.)*\\?'  # a string not closed yet
    r"|u[0-9a-fA-F]{0,4}|\.|[eE][-+]?"  # a \uXXXX escape at the end, a fraction or an exponent not finished
    r"|-?(?:t(?:ru?)?|f(?:a(?:ls?)?)?|n(?:ul?)?|Na?|I(?:n(?:f(?:i(?:n(?:it?)?)?)?)?)?)?"  # a word not finished yet
)


def cut_short(data: bytes) -> bool:
    """Whether a document that does not parse is only cut short (a writer not done, or killed while writing),
    i.e. the start of a JSON document, rather than damaged or not JSON at all: the parser stops in its last
    token, or at the end. A writer that writes the whole file at once (not atomically) leaves such a prefix."""
    try:
        text = data.decode()
    except UnicodeDecodeError as error:
        if error.reason != "unexpected end of data":
            return False
        text = data[: error.start].decode(errors="replace")  # cut inside a character's bytes
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return _PARTIAL_TOKEN.fullmatch(text, error.pos) is not None
    except (ValueError, RecursionError):  # an integer past Python's 4,300 digits, or nested past its stack:
        return False  # whole there, and no rest of the file will mend it
    return False  # whole: whatever is wrong with it is not its end
