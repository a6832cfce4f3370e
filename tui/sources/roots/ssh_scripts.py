"""What an ssh root sends to its host, and how the answers are read.

Every operation is a short POSIX ``sh`` script sent on stdin (the login shell may be any); its answer follows
``DATA_MARK`` on stdout, so what a login shell prints first is dropped. Most operations answer one thing (a listing,
one file's bytes) and need no framing; a batched read answers many files, each behind a mark of its own.
"""

from __future__ import annotations

import errno
import re
import secrets
import shlex
from collections.abc import Sequence

from tui.sources.roots.base import DANGLING, FOLDER
from tui.sources.roots.remote import Entry

DATA_MARK = b"\x1elosswatch-data-" + secrets.token_hex(8).encode() + b"\n"
"""Printed before a script's answer: what a login shell prints first (a ~/.bashrc banner, conda's or a module
system's words) comes before it and is dropped, never read as a listing or a file's bytes. Random per process, so
no banner holds it."""
PRELUDE = f"""LC_ALL=C; export LC_ALL
printf '%s' {shlex.quote(DATA_MARK.decode())}
gnu() {{ find . -maxdepth 0 -printf '' >/dev/null 2>&1; }}
"""
ENTER = """if [ ! -e {root} ]; then echo "no such folder" >&2; exit 3; fi
if [ ! -d {root} ]; then echo "not a folder" >&2; exit 5; fi
cd {root} 2>/dev/null || {{ echo "permission denied" >&2; exit 4; }}
"""
LIST = """if gnu; then
  set --; d=$(pwd -P)
  while [ "$d" != / ]; do d=${d%/*}; d=${d:-/}; set -- "$@" -o -samefile "$d"; done
  exec find -L . \\( -false "$@" \\) -prune -o -type f -printf '%s %T@ %D:%i %P\\0' -o -type l -printf 'L %P\\0' \\
    -o -type d -name '*.*' -printf 'D %P\\0'
fi
find -L . -type f -exec stat -L -f '%z %m %d:%i %N' {} + | tr '\\n' '\\0'
"""
CHECK_FILE = """f={path}
if [ ! -e "$f" ]; then echo "no such file" >&2; exit 3; fi
if [ ! -f "$f" ]; then echo "not a file" >&2; exit 6; fi
if [ ! -r "$f" ]; then echo "permission denied" >&2; exit 4; fi
"""
STAT = """if gnu; then exec find -L "$f" -maxdepth 0 -printf '%s %T@ %D:%i %P\\0'; fi
exec stat -L -f '%z %m %d:%i x' "$f"
"""
READ = """tail -c +{first} "$f" | head -c {count}
"""
FIND_ERROR = re.compile(r"^find: ['‘](?:\./)?(.*?)['’]: (.+)$")
FIND_LOOP = re.compile(r"['‘](?:\./)?(.*?)['’] is part of the same file system loop")
OTHERS = {b"L": DANGLING, b"D": FOLDER}
"""GNU find's records of what is no file (under -L, a link it cannot follow; a folder with a dot in its name, which
may stand where a log's name is), in the local root's words (``Listing.others``)."""
LOOPED = "Too many levels of symbolic links"
VANISHED = "No such file or directory"
"""find's words (LC_ALL=C) for an entry removed while it walked: a Trainer's oldest checkpoint, say."""


def answer(stdout: bytes, host: str) -> bytes:
    """The script's answer: what follows ``DATA_MARK`` (the login shell's own words before it dropped)."""
    start = stdout.find(DATA_MARK)
    if start < 0:  # the script never ran as sent: a forced command, a shell that is not sh-like
        raise OSError(errno.EIO, f"unexpected answer from {host}: {stdout[:80]!r} (not the script losswatch sent)")
    return stdout[start + len(DATA_MARK) :]


_USER_HOME = re.compile(r"~([a-z_][a-z0-9_.-]*)(/.*)?", re.IGNORECASE | re.DOTALL)
"""``~user`` or ``~user/path``, as scp and rsync read it: a user name POSIX allows, which sh expands unquoted."""


def remote_path(path: str) -> str:
    """``path`` for the remote sh: quoted, with a leading ``~`` meaning the login folder and ``~user`` that
    user's (the name checked first: it is the one part left unquoted); a relative path that starts with ``-``
    behind ``./`` (``cd -runs`` reads an option, and said "permission denied")."""
    if path == "~":
        return '"$HOME"'
    if path.startswith("~/"):
        return '"$HOME"/' + shlex.quote(path[2:])
    if user := _USER_HOME.fullmatch(path):
        rest = (user.group(2) or "/")[1:]
        return f"~{user.group(1)}/" + shlex.quote(rest) if rest else f"~{user.group(1)}"
    return shlex.quote("./" + path if path.startswith("-") else path)


def relative(path: str) -> str:
    """A path under the root for sh, never read as an option (it starts with ./)."""
    return shlex.quote("./" + path)


def parse_record(record: bytes) -> tuple[str, Entry] | None:
    """``size mtime dev:ino path`` (GNU find -printf, or BSD stat) -> (relative path, entry)."""
    parts = record.lstrip(b"\n").split(b" ", 3)
    if len(parts) != 4:
        return None
    try:
        size, mtime = int(parts[0]), float(parts[1])
    except ValueError:
        return None
    path = parts[3].decode(errors="surrogateescape").removeprefix("./")
    identity = parts[2].decode()
    return path, Entry(size=size, mtime=mtime, version=f"{size}:{parts[1].decode()}:{identity}", base_identity=identity)


READ_PART = """printf '\\n%s %d ' "$part" {index}
f={path}
if [ ! -e "$f" ]; then echo 3; elif [ ! -f "$f" ]; then echo 6; elif [ ! -r "$f" ]; then echo 4
else echo 0; tail -c +{first} "$f" | head -c {count}; fi
"""
"""One file of a batched read: a mark, its index and how it went (``FILE_ERRORS``'s codes, 0: its bytes follow)."""

FILE_ERRORS: dict[int, tuple[type[OSError], int, str]] = {
    3: (FileNotFoundError, errno.ENOENT, "no such file"),
    4: (PermissionError, errno.EACCES, "permission denied"),
    5: (NotADirectoryError, errno.ENOTDIR, "not a folder"),
    6: (IsADirectoryError, errno.EISDIR, "not a file"),
}
"""A script's exit status (or a batched file's code) for what it found, as the local root raises it."""


def file_error(code: int, words: str = "") -> OSError:
    kind, number, default = FILE_ERRORS.get(code, (OSError, errno.EIO, f"remote command failed (exit {code})"))
    return kind(number, words or default)


def part_mark() -> bytes:
    """Before each file of a batched read: random per batch, so no file's bytes hold it."""
    return b"\x1elosswatch-part-" + secrets.token_hex(8).encode()


def read_script(ranges: Sequence[tuple[str, int, int]], mark: bytes) -> str:
    """One script reading several files' byte ranges (``start`` to ``end``), each behind ``mark``, then ``end``."""
    lines = [f"part={shlex.quote(mark.decode())}\n"]
    for index, (path, start, end) in enumerate(ranges):
        lines.append(READ_PART.format(index=index, path=relative(path), first=start + 1, count=end - start))
    lines.append("printf '\\n%s end\\n' \"$part\"\n")
    return "".join(lines)


def read_parts(answer: bytes, mark: bytes, count: int) -> list[bytes | OSError]:
    """Each file's bytes, or why not, from a batched read's answer. An answer that stops before its ``end`` (the
    script killed under it) leaves the file it stopped in, and those after it, an error: never a short read."""
    stopped = OSError(errno.EIO, "the host's answer stopped short")
    results: list[bytes | OSError] = [stopped] * count
    pieces = answer.split(b"\n" + mark + b" ")
    last = -1
    for piece in pieces[1:]:
        head, _, data = piece.partition(b"\n")
        index, _, code = head.partition(b" ")
        if index.isdigit() and code.isdigit() and int(index) < count:
            last = int(index)
            results[last] = data if int(code) == 0 else file_error(int(code))
    if pieces[-1] != b"end\n" and last >= 0:
        results[last] = stopped
    return results
