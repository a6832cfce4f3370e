"""Runs on another machine, read over the system ``ssh`` client.

Using the user's own ``ssh`` means ``~/.ssh/config``, ProxyJump, keys, agents and known hosts work
as they are set up (``LOSSWATCH_SSH_COMMAND`` replaces ``ssh``, as ``GIT_SSH_COMMAND`` does for git).

One connection per root (two roots on one host are two): this process starts a master (``ssh -M``,
its control socket in a private temporary folder) and every operation is a short
``ssh -S socket host sh -s`` over it:
a new channel, not a new connection or login. Why this rather than one long-lived shell speaking
a line protocol: each operation has its own stdout (a file's bytes need no framing; many files read at
once, a first read of many runs, come each behind a mark of their own), its own exit status and can run
beside the others; forked worker processes use the socket as it is; and the
master being alive is exactly "connected" — when it dies, its stderr says why, and the next
operation starts a new one (after a short wait that grows while the host stays away). The
master's own session is ``cat >/dev/null`` reading a pipe from this process, so however this
process ends, the pipe closes and the connection with it: no ssh process outlives losswatch.

Nothing is installed on the host: the scripts are POSIX ``sh`` with ``find`` (GNU ``-printf``,
or BSD ``stat``), ``tail -c`` and ``head -c``, sent on stdin (so the login shell may be any).
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

from tui.processes import end_process
from tui.sources.roots.base import LOOP
from tui.sources.roots.parse import RootError
from tui.sources.roots.remote import READ_AHEAD_BYTES, Entry, Reachability, RemoteRoot, Unreachable
from tui.sources.roots.ssh_scripts import (
    CHECK_FILE,
    ENTER,
    FILE_ERRORS,
    FIND_ERROR,
    FIND_LOOP,
    LIST,
    LOOPED,
    OTHERS,
    PRELUDE,
    READ,
    STAT,
    VANISHED,
    answer,
    file_error,
    parse_record,
    part_mark,
    read_parts,
    read_script,
    relative,
    remote_path,
)
from tui.text import quoted

CONNECT_SECONDS = 10
"""ssh's ConnectTimeout; the master may take a little longer to log in. A ``-o ConnectTimeout=N`` in
``LOSSWATCH_SSH_COMMAND`` comes first on the command line, so it wins (ssh keeps an option's first value)."""
OPERATION_SECONDS = 60.0
"""An operation that has not answered by then counts as a dropped connection."""
ALIVE_SECONDS = 5
"""ServerAliveInterval: a silent dead link is noticed after three of these."""
PARALLEL_OPERATIONS = 4
"""Channels used at once when fetching ahead (sshd allows 10 sessions per connection by default)."""
BATCH_FILES = 64
"""Files read by one script at most (its answer holds them one after the other)."""

_OPTIONS = (
    ("BatchMode", "yes"),  # never prompt: a password prompt would garble the TUI
    ("ConnectTimeout", str(CONNECT_SECONDS)),
    ("ServerAliveInterval", str(ALIVE_SECONDS)),
    ("ServerAliveCountMax", "3"),
)

SOCKET_ROOM = 108 if sys.platform.startswith("linux") else 104
"""Bytes a Unix socket's path may take, with its final NUL (104 on macOS and BSD)."""

_open_roots: weakref.WeakSet[SshRoot] = weakref.WeakSet()
_masters: dict[subprocess.Popen[bytes], int] = {}
"""Every master started and not ended, with the process that started it: ended at exit by that process even when
its root is gone (a master still logging in reads no pipe, and outlived a command stopped then by up to
ConnectTimeout); a forked child's exit leaves its parent's alone."""


def ssh_command() -> list[str]:
    """The ssh client to run: ``LOSSWATCH_SSH_COMMAND`` (split like a shell would), else ``ssh``; ``RootError`` if
    that cannot be split (an unclosed quote)."""
    written = os.environ.get("LOSSWATCH_SSH_COMMAND") or "ssh"
    try:
        argv = shlex.split(written)
    except ValueError as error:
        raise RootError(f"LOSSWATCH_SSH_COMMAND={written!r} cannot be split as a shell would: {error}") from None
    if not argv:
        raise RootError("LOSSWATCH_SSH_COMMAND is blank: it names the ssh client to run")
    return argv


def ssh_client_missing() -> str | None:
    """Why the ssh client cannot be run (not installed, not on PATH), or None: said as that, not as the remote
    folder's "No such file or directory" its failed start read as."""
    program = ssh_command()[0]
    if shutil.which(program) is not None:
        return None
    if os.environ.get("LOSSWATCH_SSH_COMMAND"):
        return f"the ssh client {quoted(program)} of LOSSWATCH_SSH_COMMAND is not found (not on PATH?)"
    return "the ssh client is not installed (no `ssh` on PATH; Debian: apt-get install openssh-client)"


class SshRoot(RemoteRoot):
    """A folder on another machine: one shared ssh connection, scripts in sh, only new bytes read."""

    kind = "ssh"

    def __init__(
        self, host: str, path: str = "", user: str | None = None, port: int | None = None, label: str | None = None
    ) -> None:
        super().__init__(label or f"{user + '@' if user else ''}{host}:{path}")
        self.host = host
        self.path = path or "."
        """The folder on the host; relative to the login folder unless it starts with '/'."""
        self.user = user
        self.port = port
        self._master: subprocess.Popen[bytes] | None = None
        self._master_stderr: str | None = None
        self._control_dir: str | None = None
        self._owner = os.getpid()
        self._connect_lock = threading.Lock()
        self._interrupted = threading.Event()

    def shown(self, path: str) -> str:
        """Under the login folder (``box:``, ``ssh://box``) a path is ``box:runs/a`` or ``ssh://box/~/runs/a``:
        joined with a slash, ``box:/runs/a`` named a folder at the root of the host's file system."""
        label = self.label
        if path == ".":
            return label
        if label.endswith(":"):
            return label + path
        if self.path == "." and "://" in label:  # ssh://box, no path: the login folder
            return label + "/~/" + path
        return super().shown(path)

    _LOCAL_STATE: ClassVar[tuple[str, ...]] = (*RemoteRoot._LOCAL_STATE, "_master", "_connect_lock", "_interrupted")

    def __setstate__(self, state: dict[str, object]) -> None:
        """A copy in a worker process uses this process's connection through its socket (never starts one)."""
        super().__setstate__(state)
        self._master = None
        self._owner = -1
        self._connect_lock = threading.Lock()
        self._interrupted = threading.Event()

    # ---- the shared connection ----------------------------------------------------------------

    def _argv(self, *extra: str) -> list[str]:
        options = [arg for name, value in _OPTIONS for arg in ("-o", f"{name}={value}")]
        target = (["-p", str(self.port)] if self.port else []) + (["-l", self.user] if self.user else [])
        return [*ssh_command(), *options, *target, *extra]

    @property
    def _login(self) -> str:
        """The host as one would connect to it by hand, with the port and user the root named (``-p 2222 me@box``):
        the host-key hint's command, which went to port 22 without them."""
        port = f"-p {self.port} " if self.port else ""
        user = f"{shlex.quote(self.user)}@" if self.user else ""
        return f"{port}{user}{self.host}"

    @property
    def _socket(self) -> str:
        if self._control_dir is None:
            # Short and private: a control socket path must fit in 104 bytes, and only we may use it. ssh binds
            # it as 'm.' and 16 characters first: under a long $TMPDIR (a cluster job's) that is too long, so /tmp.
            long = len(os.path.join(tempfile.gettempdir(), "lw-ssh-12345678", "m.1234567890123456")) >= SOCKET_ROOM
            self._control_dir = tempfile.mkdtemp(prefix="lw-ssh-", dir="/tmp" if long else None)
            # Removed with this root or at exit, whichever comes first, even if it is never closed.
            weakref.finalize(self, _remove_control_dir, self._control_dir, os.getpid())
        return os.path.join(self._control_dir, "m")

    def _connect(self) -> None:
        """Start the master if none is alive; raise OSError (and note why) if the host cannot be reached."""
        if os.getpid() != self._owner:
            return  # a forked worker: use the parent's master through its socket
        with self._connect_lock:
            if self._master is not None and self._master.poll() is None and os.path.exists(self._socket):
                return
            if self._master is not None:  # it was connected and the link dropped: try again at once
                reason = self._master_reason()
                self._stop_master()
                self.reachability = Reachability("reconnecting", reason, time.time())
            self._check_retry()
            if self._interrupted.is_set():
                raise Unreachable(errno.EINTR, "stopped")
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._socket)
            assert self._control_dir is not None
            self._master_stderr = os.path.join(self._control_dir, "master.err")
            argv = self._argv("-M", "-S", self._socket, "-o", "ControlPersist=no", "--", self.host, "cat >/dev/null")
            try:
                with open(self._master_stderr, "wb") as stderr:
                    self._master = subprocess.Popen(
                        argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr
                    )
            except OSError as error:  # the client is gone from PATH (checked at the start) or cannot be run
                reason = ssh_client_missing() or f"cannot run {quoted(argv[0])}: {error.strerror or error}"
                self._lost(reason)
                raise Unreachable(errno.EHOSTUNREACH, reason) from None
            _open_roots.add(self)
            _masters[self._master] = os.getpid()
            deadline = time.monotonic() + CONNECT_SECONDS + 20
            while not os.path.exists(self._socket):
                if self._interrupted.is_set():  # stopping: its master may have started after ``interrupt`` looked
                    self._stop_master()
                    raise Unreachable(errno.EINTR, "stopped")
                if self._master.poll() is not None or time.monotonic() > deadline:
                    reason = self._master_reason() or f"no answer in {CONNECT_SECONDS + 20} s"
                    self._stop_master()
                    self._lost(reason)
                    raise Unreachable(errno.EHOSTUNREACH, reason)
                time.sleep(0.02)
            self._reached()

    def _master_reason(self) -> str:
        """Why the master ended, from its stderr, with a hint where ssh's own words do not say what to do."""
        text = ""
        if self._master_stderr:
            with contextlib.suppress(OSError), open(self._master_stderr, "rb") as handle:
                text = handle.read()[-4000:].decode(errors="replace")
        return ssh_reason(text, self._login)

    def _stop_master(self) -> None:
        master, self._master = self._master, None
        if master is None:
            return
        _masters.pop(master, None)
        with contextlib.suppress(OSError):
            if master.stdin is not None:
                master.stdin.close()
        end_process(master, grace=2)

    def _drop(self, reason: str) -> None:
        """The connection failed under an operation: end it, so the next operation starts a new one."""
        if os.getpid() == self._owner:
            with self._connect_lock:
                self._stop_master()
        self._lost(reason)

    def interrupt(self) -> None:
        """A thread may hold the lock waiting for a host that does not answer (up to ConnectTimeout and more): the
        master ended, that wait ends at its next look (``_connect``), an operation under way with it; until
        ``close`` no connection is started (one about to start when this looked ends at its first look)."""
        if os.getpid() != self._owner:
            return
        self._interrupted.set()
        with contextlib.suppress(OSError):
            if (master := self._master) is not None and master.poll() is None:
                master.kill()

    def close(self) -> None:
        super().close()
        if os.getpid() != self._owner:
            return
        self.interrupt()  # else closing waits for the lock as long as that wait lasts
        with self._connect_lock:
            self._stop_master()
            if self._control_dir is not None:
                shutil.rmtree(self._control_dir, ignore_errors=True)
                self._control_dir = None
            self._interrupted.clear()  # used again, it connects

    # ---- operations -----------------------------------------------------------------------------

    def _run(self, script: str, kind: str, ok: tuple[int, ...] = (0,)) -> tuple[bytes, str]:
        """Run a sh script on the host over the master; (stdout, stderr), or OSError as the script said."""
        self._check_retry()
        self._connect()
        argv = self._argv("-S", self._socket, "-o", "ControlMaster=no", "--", self.host, "sh -s")
        self.requests[kind] += 1
        try:
            done = subprocess.run(
                argv,
                input=(PRELUDE + script).encode(errors="surrogateescape"),
                capture_output=True,
                timeout=OPERATION_SECONDS,
            )
        except subprocess.TimeoutExpired as error:
            reason = (
                f"logged in, but no answer in {OPERATION_SECONDS:.0f} s: a folder very slow to list, or a login shell"
                " that waits (its .bashrc or .profile reading input or sleeping)"
            )
            self._drop(reason)
            raise Unreachable(errno.ETIMEDOUT, reason) from error
        stderr = done.stderr.decode(errors="replace").strip()
        last = stderr.splitlines()[-1] if stderr else ""
        if done.returncode == 255:
            reason = ssh_reason(stderr, self._login)
            self._drop(reason)
            raise Unreachable(errno.EHOSTUNREACH, reason)
        if done.returncode in FILE_ERRORS:
            self._reached()  # it answered: the folder or the file is not there, or not readable
        if done.returncode in FILE_ERRORS or done.returncode not in ok:
            raise file_error(done.returncode, last)
        self._reached()
        return answer(done.stdout, self.host), stderr

    def _enter(self) -> str:
        return ENTER.format(root=remote_path(self.path))

    def _list_entries(self) -> tuple[dict[str, Entry], dict[str, str], dict[str, str]]:
        out, stderr = self._run(self._enter() + LIST, "list", ok=(0, 1))
        entries, others = {}, {}
        for record in out.split(b"\0"):
            kind, _, where = record.lstrip(b"\n").partition(b" ")
            if kind in OTHERS and where:  # what the local root lists beside its files, in the same words
                others[where.decode(errors="surrogateescape")] = OTHERS[kind]
            elif (parsed := parse_record(record)) is not None:
                entries[parsed[0]] = parsed[1]
        errors: dict[str, str] = {}
        for line in stderr.splitlines():
            if FIND_LOOP.search(line):
                continue  # a folder linked back into the walk: walked once, by its own name, as a local root does
            found = FIND_ERROR.match(line)
            if found and found.group(1) and found.group(2) == LOOPED:
                others[found.group(1)] = LOOP  # a file's link that loops: as a local root says it
            elif found and not (found.group(1) and found.group(2) == VANISHED):
                errors[found.group(1) or "."] = found.group(2)  # removed while listed: gone, not unreadable
        return entries, errors, others

    def _stat_entry(self, path: str) -> Entry:
        out, _ = self._run(self._enter() + CHECK_FILE.format(path=relative(path)) + STAT, "stat")
        parsed = parse_record(out.split(b"\0")[0])
        if parsed is None:
            raise OSError(errno.EIO, f"unexpected answer from {self.host}: {out[:80]!r}")
        return parsed[1]

    def _fetch(self, path: str, start: int, end: int) -> bytes:
        script = CHECK_FILE.format(path=relative(path)) + READ.format(first=start + 1, count=end - start)
        out, _ = self._run(self._enter() + script, "get")
        self.bytes_fetched += len(out)
        return out

    def _fetch_many(self, ranges: list[tuple[str, int, int]]) -> list[bytes | OSError]:
        """Many files over few channels: a batch of files read by one script, several batches at once (a channel
        costs a round trip and sshd's work: one per file made a first read of 3,000 runs take 118 s)."""
        batches = _batches(ranges)
        if len(batches) <= 1:
            return [result for batch in batches for result in self._read_batch(batch)]
        with ThreadPoolExecutor(max_workers=PARALLEL_OPERATIONS) as pool:
            return [result for results in pool.map(self._read_batch, batches) for result in results]

    def _read_batch(self, ranges: list[tuple[str, int, int]]) -> list[bytes | OSError]:
        try:
            if len(ranges) == 1:
                return [self._fetch(*ranges[0])]
            mark = part_mark()
            out, _ = self._run(self._enter() + read_script(ranges, mark), "get")
        except OSError as error:
            return [error] * len(ranges)
        results = read_parts(out, mark, len(ranges))
        self.bytes_fetched += sum(len(result) for result in results if isinstance(result, bytes))
        return results


def _batches(ranges: list[tuple[str, int, int]]) -> list[list[tuple[str, int, int]]]:
    """Consecutive ranges in batches: spread over the channels used at once, each at most ``BATCH_FILES`` files and
    ``READ_AHEAD_BYTES`` (one batch answers no later than one big read did)."""
    size = min(max(-(-len(ranges) // PARALLEL_OPERATIONS), 1), BATCH_FILES)
    batches: list[list[tuple[str, int, int]]] = []
    taken = 0
    for item in ranges:
        length = item[2] - item[1]
        if not batches or len(batches[-1]) >= size or (taken + length > READ_AHEAD_BYTES and batches[-1]):
            batches.append([])
            taken = 0
        batches[-1].append(item)
        taken += length
    return batches


def ssh_reason(stderr: str, host: str) -> str:
    """The line of ssh's stderr that says what went wrong, and what to do where ssh does not say."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith("Warning:")]
    if not lines:
        return "connection closed"
    line = lines[-1].removeprefix("ssh: ")
    if "Host key verification failed" in stderr:
        client = os.environ.get("LOSSWATCH_SSH_COMMAND") or "ssh"  # the alias may live only in its config
        return f"host key not known or changed: connect once with `{client} {host}` to check and accept it"
    if "Permission denied" in line:
        return f"{line} (losswatch cannot type a password: use a key, loaded in ssh-agent if it has a passphrase)"
    return line


def _remove_control_dir(path: str, owner: int) -> None:
    """Remove a root's control folder, in the process that made it only (a forked worker shares it)."""
    if os.getpid() == owner:
        shutil.rmtree(path, ignore_errors=True)


@atexit.register
def _close_all() -> None:
    """End every master this process started (the pipe would end them anyway; this is at once)."""
    for root in list(_open_roots):
        with contextlib.suppress(Exception):
            root.close()
    for master, starter in list(_masters.items()):  # of roots already collected
        if starter == os.getpid():
            with contextlib.suppress(Exception):  # gone already; or TimeoutExpired: it was killed all the same
                master.kill()
                master.wait(2)
