"""The roots the command line gives: each parsed and checked before anything is read, each read once."""

from __future__ import annotations

import os
import sys

from tui.cli.exits import UsageError
from tui.sources.roots.objectstore import MissingBackend, require_backend
from tui.sources.roots.parse import RootError, RootSpec, parse_root
from tui.text import printable


def _checked_folder(path: str, may_be_missing: bool = False, among_others: bool = False) -> str:
    """A local root checked before anything is read; ``among_others``: one missing or unreadable folder of several
    is said beside the runs of the others (exit 1), not in their place."""
    shown = printable(path)  # a newline or an escape in the name is shown, not obeyed
    if not os.path.exists(path):
        if may_be_missing or among_others:
            return path  # watched for until it appears, or named beside the others' runs
        if os.path.islink(path):
            raise UsageError(
                f"{shown}: a symbolic link to nothing ({printable(os.readlink(path))}, or a loop of links)"
            )
        raise UsageError(f"{shown}: no such folder")
    if not os.path.isdir(path) and not (among_others and not may_be_missing):  # watch waits for folders only
        raise UsageError(f"{shown}: not a folder (give the folder that holds the runs)")
    if not os.access(path, os.R_OK | os.X_OK) and not among_others:
        raise UsageError(f"{shown}: permission denied")
    return path


def remote(text: str) -> bool:
    """Whether a command-line root names object storage or another machine (``s3://…``, ``host:path``)."""
    try:
        return parse_root(text).remote
    except RootError:
        return False


def given_roots(texts: list[str], may_be_missing: bool = False) -> str | list[RootSpec]:
    """The roots as written: one local folder stays a path (as before), else every root parsed and checked."""
    specs = []
    for text in texts:
        try:
            spec = parse_root(text)
            if spec.kind in ("s3", "gs", "az"):
                require_backend(spec.kind)
            if spec.kind == "ssh":
                from tui.sources.roots.ssh import ssh_client_missing  # here: only an ssh root needs it

                # The client it will run can be split and found (else one sentence, not a traceback or a
                # "No such file or directory" later that reads as the remote folder's).
                if (why := ssh_client_missing()) is not None:
                    raise RootError(f"{printable(spec.text)}: {why}")
        except (RootError, MissingBackend) as error:
            raise UsageError(str(error)) from error
        if spec.kind == "local":
            _checked_folder(spec.path, may_be_missing, among_others=len(texts) > 1)
        specs.append(spec)
    specs = _once(specs)
    if len(specs) == 1 and specs[0].kind == "local":
        return specs[0].path
    return specs


def _once(specs: list[RootSpec]) -> list[RootSpec]:
    """The roots without one given twice (``runs runs/``) or inside another local one (``runs runs/a``, as a glob
    gives them), said on stderr: each of its runs was listed twice, under two names."""
    kept: list[RootSpec] = []
    for spec in specs:
        if spec.kind == "local" and not os.path.isdir(spec.path):  # a typo or a file: said as not there, exit 1
            kept.append(spec)
            continue
        covering = next((other for other in kept if _covers(other, spec)), None)
        if covering is not None:
            _say_read_once(spec, covering)
            continue
        for covered in [other for other in kept if _covers(spec, other)]:
            _say_read_once(covered, spec)
            kept.remove(covered)
        kept.append(spec)
    return kept


def _root_key(spec: RootSpec) -> tuple:
    if spec.kind == "local":
        return ("local", os.path.realpath(spec.path))
    return (spec.kind, spec.host, spec.user, spec.port, spec.path.rstrip("/"))


def _covers(outer: RootSpec, inner: RootSpec) -> bool:
    """Whether reading ``outer`` reads ``inner``: the same root, or a folder inside it — locally, in the same bucket
    (``s3://b/exp`` reads ``s3://b/exp/a``; ``s3://b`` all of the bucket), or on the same host as the same user
    (each run of ``box:/runs box:/runs/a`` was listed twice, and its bell rang twice)."""
    out, into = _root_key(outer), _root_key(inner)
    if out == into:
        return True
    if out[0] == into[0] == "local":
        return into[1].startswith(out[1].rstrip(os.sep) + os.sep)
    if out[:-1] != into[:-1]:  # another kind, host, user or port
        return False
    outer_path, inner_path = out[-1], into[-1]
    if outer.kind == "ssh":  # a path relative to the login folder is compared only with another such path
        if outer_path == "":  # ``box:/``: the whole machine
            return inner_path.startswith("/")
        outer_path, inner_path = outer_path.removeprefix("./") or ".", inner_path.removeprefix("./")
        if outer_path == ".":
            return not inner_path.startswith(("/", "~"))
    if outer.kind != "ssh" and "/" not in outer_path:  # a whole bucket (or container) holds every prefix in it
        return inner_path.split("/", 1)[0] == outer_path
    return inner_path.startswith(outer_path + "/")


def _say_read_once(spec: RootSpec, covering: RootSpec) -> None:
    how = "is the same root as" if _root_key(spec) == _root_key(covering) else "is inside"
    print(
        f"losswatch: {printable(spec.text)} {how} {printable(covering.text)}: its runs are read once", file=sys.stderr
    )


def local_roots(texts: list[str]) -> list[str]:
    """The folders of the local roots among those given, in order."""
    folders = []
    for text in texts:
        try:
            spec = parse_root(text)
        except RootError:
            continue
        if spec.kind == "local":
            folders.append(spec.path)
    return folders


def config_folder(texts: list[str]) -> str | None:
    """Where losswatch.toml is looked for first: the first local root (then the current folder)."""
    folders = local_roots(texts)
    return folders[0] if folders else None
