"""A root as the user wrote it on the command line -> which kind of root, and where.

    runs/   ./a:b   /data/runs   C:\\runs   file:///data/runs      a local folder
    s3://bucket/prefix   gs://bucket/prefix   az://container/prefix   object storage
    ssh://[user@]host[:port]/abs/path   ssh://host/~/runs              a folder on another machine
    [user@]host:path   host:/abs/path   [::1]:runs                     the same, as scp and rsync read it

A colon alone does not make a remote root: a path that exists here is local (``runs:2024``), so
is anything with a '/' before the first ':' (``./a:b``), and a single letter before it is a
Windows drive (``C:\\runs``); ``ssh://c/path`` reaches a host named with one letter.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from tui.sources.roots.base import Root
from tui.sources.roots.objectstore import SCHEMES, MissingBackend, ObjectStoreRoot, require_backend
from tui.text import printable

_SCP = re.compile(r"^(?:(?P<user>[^@/:\s]+)@)?(?P<host>\[[0-9A-Fa-f:.%\w]+\]|[A-Za-z0-9_.-]+):(?P<path>.*)$", re.S)
_DRIVE = re.compile(r"^[A-Za-z]:([\\/]|$)")


class RootError(ValueError):
    """A root that cannot be used as written: one sentence for the user."""


@dataclass(frozen=True)
class RootSpec:
    """Where one root is: ``kind`` is 'local', 's3', 'gs', 'az' or 'ssh'."""

    kind: str
    text: str
    """As the user wrote it."""
    path: str
    """The local folder; ``bucket/prefix``; or the folder on the host ('.' is the login folder)."""
    host: str | None = None
    user: str | None = None
    port: int | None = None

    @property
    def remote(self) -> bool:
        return self.kind != "local"


def parse_root(text: str) -> RootSpec:
    """Read one command-line root; RootError if it is written wrongly."""
    if not text.strip():
        raise RootError("an empty log directory was given")
    if os.path.exists(text) or _DRIVE.match(text):
        return RootSpec("local", text, text)
    scheme, sep, _ = text.partition("://")
    if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        return _url(text, scheme.lower())
    head = text.split(":", 1)[0]
    if ":" in text and "/" not in head and "\\" not in head:
        match = _SCP.match(text)
        if match and not match.group("host").startswith("-") and len(match.group("host")) > 1:
            return RootSpec("ssh", text, match.group("path") or ".", _host(match.group("host")), match.group("user"))
    return RootSpec("local", text, text)


def _url(text: str, scheme: str) -> RootSpec:
    if scheme == "file":
        return RootSpec("local", text, unquote(urlsplit(text).path) or "/")
    if scheme in SCHEMES:
        after = text.split("://", 1)[1]
        rest = after.strip("/")
        if not rest or after.startswith("/"):  # s3:///runs: the bucket left out, not a bucket named "runs"
            raise RootError(f"{printable(text)}: give a bucket (and a prefix): {scheme}://bucket/prefix")
        return RootSpec(SCHEMES[scheme], text, rest)
    if scheme == "ssh":
        parts = urlsplit(text)
        if not parts.hostname:
            raise RootError(f"{printable(text)}: no host: write ssh://[user@]host[:port]/path")
        try:
            port = parts.port
        except ValueError as error:
            raise RootError(f"{printable(text)}: the port must be a number from 1 to 65535") from error
        path = unquote(parts.path)
        if path.startswith("/~"):
            path = path[1:]  # ssh://host/~/runs: under the login folder (git's convention)
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        user = unquote(parts.username) if parts.username else None
        return RootSpec("ssh", text, path or ".", _host(host), user, port)
    known = ", ".join(f"{s}://" for s in ("s3", "gs", "az", "ssh", "file"))
    raise RootError(f"{printable(text)}: unknown scheme {printable(scheme)}:// (known: {known})")


def _host(host: str) -> str:
    """ssh wants an IPv6 address without its brackets."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def source_names(specs: list[RootSpec]) -> list[str]:
    """A short name per root, unique among them, to put before its runs' names: the host, the bucket, the folder.

    Two roots that would share one (two folders on one host) are called as written instead.
    """
    short = [_short(spec) for spec in specs]
    names = [name if short.count(name) == 1 else spec.text.rstrip("/\\") for name, spec in zip(short, specs)]
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return unique


def _short(spec: RootSpec) -> str:
    if spec.kind == "ssh":
        assert spec.host is not None
        return spec.host
    if spec.kind != "local":
        return spec.path.split("/", 1)[0]
    return os.path.basename(os.path.abspath(spec.path).rstrip("/\\")) or spec.path


def open_root(spec: RootSpec) -> Root:
    """The Root for a spec; RootError when its backend is not installed."""
    if spec.kind == "local":
        from tui.sources.roots.local import LocalRoot

        return LocalRoot(spec.path, label=spec.text)
    if spec.kind == "ssh":
        from tui.sources.roots.ssh import SshRoot

        assert spec.host is not None
        return SshRoot(spec.host, spec.path, spec.user, spec.port, label=spec.text)
    try:
        require_backend(spec.kind)
    except MissingBackend as error:
        raise RootError(str(error)) from error
    return ObjectStoreRoot(f"{spec.kind}://{spec.path}", label=spec.text)
