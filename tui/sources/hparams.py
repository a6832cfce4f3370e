"""Hyper-parameters as flat names: a nested config (Lightning's ``hparams.yaml``, W&B's or trackio's config) as
dotted keys (``optimizer.lr``), the way the sweep view and ``check --json`` name them."""

from __future__ import annotations

import reprlib

MAX_HPARAMS = 10_000
"""Names taken from one config at most: YAML aliases nest a mapping in itself at every level, and 800 bytes spell
2**30 names (a file that hung ``check`` and took gigabytes)."""
_SHORT = reprlib.Repr()
"""A value that is no number or text is kept as its text, shortened: the same aliases make lists exponential."""
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 3, 20, 20, 200, 200


def flattened(value: object, prefix: str = "") -> dict[str, object]:
    """Names and values of ``value`` (a mapping: under ``prefix`` if given), numbers, text, booleans and None as
    they are, anything else as its shortened text."""
    into: dict[str, object] = {}
    _flatten(prefix, value, into, [MAX_HPARAMS * 10])
    return into


def _flatten(prefix: str, value: object, into: dict[str, object], budget: list[int]) -> None:
    """``budget``: nodes that may still be visited (aliases of empty mappings nest without adding a name: 1 KiB
    spells 2**40 of them)."""
    budget[0] -= 1
    if len(into) >= MAX_HPARAMS or budget[0] < 0:
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, into, budget)
            if len(into) >= MAX_HPARAMS or budget[0] < 0:
                return
    elif prefix and (isinstance(value, bool | int | float | str) or value is None):
        into[prefix] = value
    elif prefix:
        into[prefix] = _SHORT.repr(value)
