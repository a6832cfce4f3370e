"""Regular expressions typed by the user (``--train-tag``, ``--val-tag``, ``--sweep``, the live view's filter).

``re.compile`` refuses a bad pattern with ``re.error``, but also with ``OverflowError`` (a repeat count past its
limit, ``a{99999999999}``) and ``RecursionError`` (parentheses nested a thousand deep): each is one reason here.

A pattern ``re`` accepts may still backtrack for minutes on one name (``(a|aa)+$`` on forty ``a`` and a ``b``),
and ``re`` cannot be stopped: it holds the interpreter until it is done, the screen frozen. So a pattern is
refused as ``re`` refuses it (its reasons, its syntax) and searched by ``regex`` in its ``re``-compatible mode,
which can give up after a time limit: a name it gives up on is taken as not matching, and said.
"""

from __future__ import annotations

import functools
import re
import warnings

import regex

from tui.text import quoted

MATCH_SECONDS = 0.05
"""Longest one search of one name may take; a search that long is backtracking without end (a name is matched in
microseconds)."""


class PatternError(ValueError):
    """A pattern that will not compile, with Python's reason."""


class UserPattern:
    """A user's regular expression, searched with a time limit; ``gave_up_on``: the first text it gave up on."""

    def __init__(self, text: str) -> None:
        self.pattern = text
        with warnings.catch_warnings():  # "possible nested set" (``[[:digit:]]``): said by both, for both, to no one
            warnings.simplefilter("ignore", FutureWarning)
            self.groups = re.compile(text).groups
            self._compiled = regex.compile(text, flags=regex.VERSION0)
        self.gave_up_on: str | None = None
        self._given_up: set[tuple[str, bool]] = set()
        """(text, whole) searched to the time limit: not searched again (the filter searches every name at every
        refresh; twenty such names cost a second each time, and kept a live view from answering its keys)."""

    def search(self, text: str) -> regex.Match[str] | None:
        """The first match in ``text``, or None (also when the search gave up: see ``gave_up_on``)."""
        return self._timed(text, whole=False)

    def fullmatch(self, text: str) -> regex.Match[str] | None:
        """A match of the whole of ``text``, or None (also when the search gave up)."""
        return self._timed(text, whole=True)

    def _timed(self, text: str, whole: bool) -> regex.Match[str] | None:
        if (text, whole) in self._given_up:
            return None
        try:
            if whole:
                return self._compiled.fullmatch(text, timeout=MATCH_SECONDS)
            return self._compiled.search(text, timeout=MATCH_SECONDS)
        except TimeoutError:
            self._given_up.add((text, whole))
            if self.gave_up_on is None:
                self.gave_up_on = text
            return None

    def too_slow(self) -> str | None:
        """What to tell the user once a search gave up (None if none did)."""
        if self.gave_up_on is None:
            return None
        return (
            f"regex {quoted(self.pattern, 60)} gave up on {quoted(self.gave_up_on, 60)} after "
            f"{MATCH_SECONDS:g} s (endless backtracking: a nested repeat like (a+)+); taken as not matching"
        )


def compile_pattern(text: str) -> UserPattern:
    """``text`` as a ``UserPattern``, or ``PatternError`` with the reason ``re`` refuses it."""
    try:
        return UserPattern(text)
    except re.error as error:
        raise PatternError(str(error)) from None
    except OverflowError as error:
        raise PatternError(str(error)) from None
    except RecursionError:
        raise PatternError("nested too deeply") from None
    except regex.error as error:  # re accepted it and regex did not: none known, but said as the others are
        raise PatternError(str(error)) from None


@functools.lru_cache(maxsize=64)
def user_pattern(text: str) -> UserPattern:
    """One ``UserPattern`` per text, for code that is handed the text (tag patterns, in every run's pairing): the
    one that gave up is the one asked what it gave up on."""
    return compile_pattern(text)
