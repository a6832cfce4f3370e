"""Regular expressions typed by the user (``--train-tag``, ``--val-tag``, ``--sweep``, the live view's filter).

``re.compile`` refuses a bad pattern with ``re.error``, but also with ``OverflowError`` (a repeat count past its
limit, ``a{99999999999}``) and ``RecursionError`` (parentheses nested a thousand deep): each is one reason here.
"""

from __future__ import annotations

import re


class PatternError(ValueError):
    """A pattern that will not compile, with Python's reason."""


def compile_pattern(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as error:
        raise PatternError(str(error)) from None
    except OverflowError as error:
        raise PatternError(str(error)) from None
    except RecursionError:
        raise PatternError("nested too deeply") from None
