"""Hyper-parameters as flat names: a nested config (Lightning's ``hparams.yaml``, W&B's or trackio's config) as
dotted keys (``optimizer.lr``), the way the sweep view and ``check --json`` name them."""

from __future__ import annotations

import reprlib
from collections.abc import Iterator

MAX_HPARAMS = 10_000
"""Names taken from one config at most: YAML aliases nest a mapping in itself at every level, and 800 bytes spell
2**30 names (a file that hung ``check`` and took gigabytes)."""
_SHORT = reprlib.Repr()
"""A value that is no number or text is kept as its text, shortened: the same aliases make lists exponential."""
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 3, 20, 20, 200, 200


def flattened(value: object, prefix: str = "") -> dict[str, object]:
    """Names and values of ``value`` (a mapping: under ``prefix`` if given), numbers, text, booleans and None as
    they are, anything else as its shortened text.

    A walk with a stack of its own, not a call per level: a config parsed from JSON may nest 1,024 levels, more
    than Python's stack holds calls. It visits ``MAX_HPARAMS * 10`` values at most: aliases of empty mappings nest
    without adding a name (1 KiB spells 2**40 of them)."""
    into: dict[str, object] = {}
    budget = MAX_HPARAMS * 10
    walking: list[Iterator[tuple[str, object]]] = [iter([(prefix, value)])]
    while walking:
        item = next(walking[-1], None)
        if item is None:
            walking.pop()
            continue
        budget -= 1
        if len(into) >= MAX_HPARAMS or budget < 0:
            break
        name, inner = item
        if isinstance(inner, dict):
            walking.append(_named(name, inner))
        elif name and (isinstance(inner, bool | int | float | str) or inner is None):
            into[name] = inner
        elif name:
            into[name] = _SHORT.repr(inner)
    return into


def _named(prefix: str, mapping: dict) -> Iterator[tuple[str, object]]:
    """A mapping's values with their dotted names."""
    for key, inner in mapping.items():
        yield (f"{prefix}.{key}" if prefix else str(key)), inner


def load_hparams(data: bytes) -> dict[str, object]:
    """Lightning's ``hparams.yaml`` as flat name -> value (objects it cannot name are kept as text)."""
    import yaml

    class Lenient(yaml.SafeLoader):
        """Safe loading; a ``!!python/...`` tag (a namespace, an enum) becomes its text instead of an error."""

    Lenient.add_multi_constructor("", lambda loader, suffix, node: _node_text(loader, node))
    try:
        loaded = yaml.load(data, Loader=Lenient)
    except (yaml.YAMLError, RecursionError):  # not YAML, or nested past Python's stack (PyYAML calls per level)
        return {}
    return flattened(loaded)


def _node_text(loader, node) -> object:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)
