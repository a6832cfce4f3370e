"""Start `losswatch` as a separate process the way a script's background job starts: SIGINT ignored.

Every child is killed when its test ends, whatever happened, so no test leaves a process behind.
A child can have a pseudo-terminal (for the TUI) or pipes; its output is collected on a thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


def background_job() -> None:
    """In the child before exec: what a shell does for `cmd &` in a script (no job control)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class Child:
    """A running losswatch process and everything it wrote so far (stdout and stderr, or the terminal)."""

    proc: subprocess.Popen
    terminal: int | None = None
    """The pseudo-terminal's side the keys are typed on (``spawn(terminal=...)``)."""
    out: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def text(self) -> str:
        with self._lock:
            return self.out.decode(errors="replace")

    def errors(self) -> str:
        with self._lock:
            return self.err.decode(errors="replace")

    def wait_for(self, check: Callable[[Child], bool], timeout: float = 30.0, what: str = "output") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check(self):
                return
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the readers take the last bytes
                if check(self):
                    return
                raise AssertionError(f"exited ({self.proc.returncode}) before {what}:\n{self.text()}\n{self.errors()}")
            time.sleep(0.05)
        raise AssertionError(f"no {what} within {timeout} s:\n{self.text()[-3000:]}\n{self.errors()[-3000:]}")

    def type(self, keys: bytes) -> None:
        """Keys typed on the child's terminal."""
        assert self.terminal is not None, "spawned without a terminal"
        os.write(self.terminal, keys)

    def wait_for_text(self, needle: str, timeout: float = 30.0) -> None:
        self.wait_for(lambda child: needle in child.text(), timeout, repr(needle))

    def stop(self, number: int, timeout: float = 20.0) -> int:
        """Send a signal; the exit code, or an AssertionError if it did not exit in time."""
        self.proc.send_signal(number)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {timeout} s after signal {number}") from None


def _drain(fd: int, sink: bytearray, lock: threading.Lock) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the pty's other side closed (EIO)
            return
        if not chunk:
            return
        with lock:
            sink.extend(chunk)


@contextlib.contextmanager
def spawn(
    *args: str,
    terminal: tuple[int, int] | None = None,
    env: dict[str, str] | None = None,
    preexec: Callable[[], None] | None = None,
) -> Iterator[Child]:
    """`python -m tui ARGS` as a background job; with ``terminal=(columns, rows)`` on a pseudo-terminal."""

    def prepare() -> None:
        background_job()
        if preexec is not None:
            preexec()

    command = [sys.executable, "-u", "-m", "tui", *args]
    environment = dict(os.environ if env is None else env)
    readers: list[threading.Thread] = []
    fds: list[int] = []
    if terminal is not None:
        primary, secondary = pty.openpty()
        columns, rows = terminal
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        environment.setdefault("TERM", "xterm-256color")
        proc = subprocess.Popen(
            command, stdin=secondary, stdout=secondary, stderr=secondary, env=environment, preexec_fn=prepare
        )
        os.close(secondary)
        fds.append(primary)
        child = Child(proc, terminal=primary)
        readers.append(threading.Thread(target=_drain, args=(primary, child.out, child._lock), daemon=True))
    else:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
            preexec_fn=prepare,
        )
        child = Child(proc)
        for pipe, sink in ((proc.stdout, child.out), (proc.stderr, child.err)):
            readers.append(threading.Thread(target=_drain, args=(pipe.fileno(), sink, child._lock), daemon=True))
    for reader in readers:
        reader.start()
    try:
        yield child
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        for reader in readers:
            reader.join(timeout=5)
        for fd in fds:
            os.close(fd)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
