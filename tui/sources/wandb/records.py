"""W&B's record classes, and a record's type read off its bytes.

W&B's own protobuf classes (``wandb.proto.wandb_internal_pb2``, the optional extra
``losswatch[wandb]``) decode the records; they are loaded without the W&B SDK, which
takes seconds to import and is never used here. Most of a run log is records losswatch
does not read (a summary after every step, system stats, console output): their type is
read from the protobuf wire format so that only history, run and config records are decoded.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import re
import sys
import types


def records_module():
    """W&B's protobuf classes, or None without the extra."""
    loaded = sys.modules.get("wandb.proto.wandb_internal_pb2")
    if loaded is not None:
        return loaded
    if "wandb" not in sys.modules:
        with contextlib.suppress(Exception):  # a layout this does not know: import W&B the usual way
            return _records_without_the_sdk()
    try:
        from wandb.proto import wandb_internal_pb2
    except Exception:  # not installed, or a protobuf it does not support: same answer
        return None
    return wandb_internal_pb2


def _records_without_the_sdk():
    """The record classes alone: ``import wandb`` loads its whole SDK (seconds), which the classes never use.

    ``wandb.proto``'s modules import only protobuf and each other; a bare stand-in for the ``wandb``
    package lets them load, and is taken away again so a later ``import wandb`` gets the real one.
    """
    spec = importlib.util.find_spec("wandb")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("wandb is not installed")
    stand_in = types.ModuleType("wandb")
    stand_in.__path__ = list(spec.submodule_search_locations)
    sys.modules["wandb"] = stand_in
    try:
        return importlib.import_module("wandb.proto.wandb_internal_pb2")
    except Exception:
        for name in [name for name in sys.modules if name == "wandb" or name.startswith("wandb.")]:
            del sys.modules[name]
        raise
    finally:
        if sys.modules.get("wandb") is stand_in:
            del sys.modules["wandb"]


_WANTED = ("history", "run", "config")


@functools.cache
def record_fields(pb) -> tuple[frozenset[int], frozenset[int | None]]:
    """Field numbers of every record type (``Record``'s ``record_type`` oneof), and of those read here.

    The second set holds None too: a record whose type the wire does not show is decoded whole.
    """
    fields = pb.Record.DESCRIPTOR.oneofs_by_name["record_type"].fields
    types = frozenset(field.number for field in fields)
    return types, frozenset({field.number for field in fields if field.name in _WANTED} | {None})


def record_type(raw: bytes, types: frozenset[int]) -> int | None:
    """The field number of a serialized ``Record``'s type, read off the protobuf wire format without decoding it.

    A record holds its ``num`` and one field of the ``record_type`` oneof (plus control fields); the
    walk skips whole fields by their wire type until it meets a type field. None when the bytes do not
    walk cleanly: then the record is decoded whole, so an odd record is never dropped unread.
    """
    head = _RECORD_HEAD.match(raw)
    if head is not None:  # the usual layout: its num (field 1), then its type as a one- or two-byte tag
        tag = head.group(1)
        field = (tag[0] if len(tag) == 1 else (tag[0] & 0x7F) | (tag[1] << 7)) >> 3
        if field in types:
            return field
    position, end = 0, len(raw)
    while position < end:
        tag, position = _varint(raw, position)
        field, wire = tag >> 3, tag & 7
        if field in types:
            return field
        if wire == 0:
            _, position = _varint(raw, position)
        elif wire == 2:
            length, position = _varint(raw, position)
            position += length
        elif wire == 1:
            position += 8
        elif wire == 5:
            position += 4
        else:
            return None
    return None


_RECORD_HEAD = re.compile(rb"(?:\x08[\x80-\xff]*[\x00-\x7f])?([\x00-\x7f]|[\x80-\xff][\x00-\x7f])", re.DOTALL)
"""A serialized record's start: an optional ``num`` (tag 0x08, a varint), then the next field's tag."""


def _varint(data: bytes, position: int) -> tuple[int, int]:
    """A protobuf base-128 varint at ``position``: (value, position after it); past the end reads as 0."""
    value = shift = 0
    while position < len(data):
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7
    return value, position
