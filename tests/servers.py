"""Real servers on 127.0.0.1 for the remote-root tests: an S3 server (moto's server mode) and an sshd.

Each is started once per session on a free port and killed at the end, with every process it
forked; a test that needs one and cannot have it is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

HOST = "127.0.0.1"


REQUIRE = "LOSSWATCH_REQUIRE_SERVERS"
"""Set to 1 (``.ci/run`` does, where it has the servers): a server that cannot start fails its tests, not skips."""


def unavailable(why: str) -> NoReturn:
    """Skip a test whose server cannot run here, or fail it where the servers are required (CI)."""
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{why} ({REQUIRE}=1)", pytrace=False)
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first listed, then theirs), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found: list[int] = []
    queue = [pid]
    while queue:
        children = parents.get(queue.pop(), [])
        found += children
        queue += children
    return found


def kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _wait_port(process: subprocess.Popen, port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex((HOST, port)) == 0:
                return True
        time.sleep(0.05)
    return False


# ---- S3 ---------------------------------------------------------------------------------------


@dataclass
class S3Server:
    """moto's S3 server in its own process; ``env`` is what a client needs to reach it."""

    process: subprocess.Popen
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    @functools.cached_property
    def client(self):
        """One boto3 client for the session (thread-safe; making one costs 30-80 ms of CPU)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def new_bucket(self) -> str:
        name = f"lw-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=name)
        return name

    def upload_tree(self, folder: Path, bucket: str, prefix: str) -> None:
        """Every file under ``folder`` to ``bucket/prefix/``, keeping relative paths."""
        client = self.client
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                key = f"{prefix}/{path.relative_to(folder).as_posix()}".lstrip("/")
                client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())

    def stop(self) -> None:
        kill(descendants(self.process.pid))
        self.process.kill()
        self.process.wait()


def start_s3_server(port: int | None = None) -> S3Server:
    """moto's server on ``port`` (a free one by default)."""
    if importlib.util.find_spec("moto") is None:  # importing moto.server here would cost 1 s of CPU
        unavailable("moto[server] is not installed (it is in the test extra: pip install -e '.[test]')")
    port = free_port() if port is None else port
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = S3Server(process, port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), urllib.request.urlopen(server.endpoint + "/moto-api/", timeout=1):
            return server
        time.sleep(0.1)
    server.stop()
    unavailable("moto's S3 server did not start")


class S3Mirror:
    """Uploads every file under a local folder whenever it changed, rewriting the whole object each time.

    That is how TensorFlow's S3 file system and most uploaders (``aws s3 sync`` from a cron job,
    a training script's checkpoint hook) put a growing log in a bucket.
    """

    def __init__(self, server: S3Server, folder: Path, bucket: str, prefix: str, every: float = 0.05) -> None:
        self.server, self.folder, self.bucket, self.prefix, self.every = server, folder, bucket, prefix, every
        self.uploads = 0
        self._sizes: dict[Path, tuple[int, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="s3-mirror", daemon=True)

    def sync(self) -> int:
        """Upload what changed since the last call; how many objects were rewritten."""
        client = self.server.client
        done = 0
        for path in sorted(self.folder.rglob("*")):
            if not path.is_file():
                continue
            stat = path.stat()
            if self._sizes.get(path) == (stat.st_size, stat.st_mtime_ns):
                continue
            self._sizes[path] = (stat.st_size, stat.st_mtime_ns)
            key = f"{self.prefix}/{path.relative_to(self.folder).as_posix()}".lstrip("/")
            client.put_object(Bucket=self.bucket, Key=key, Body=path.read_bytes())
            done += 1
        self.uploads += done
        return done

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sync()

    def __enter__(self) -> S3Mirror:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.sync()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = start_s3_server()
    yield server
    server.stop()


@pytest.fixture
def s3(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The S3 server, with this process's environment pointing at it (as a user's would)."""
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    return s3_server


# ---- sshd -------------------------------------------------------------------------------------

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)


@dataclass
class Sshd:
    """An sshd on 127.0.0.1 with its own host key; hosts ``lwtest`` and ``lwtest2`` reach it as this user.

    Host ``lwdead`` is 127.0.0.1 on a port where nothing listens; ``lwslow`` accepts and never answers; ``lwchatty``
    is this sshd with a login shell that prints a banner before every command (when it is bash); ``lwhang`` one whose
    login shell waits 8 s before each (its process named ``lwhang-PORT``).
    """

    folder: Path
    port: int
    config: Path
    client_config: Path
    silent: socket.socket | None = None
    """Listens for host ``lwslow`` and never answers."""
    process: subprocess.Popen | None = None

    @property
    def ssh_command(self) -> str:
        """What LOSSWATCH_SSH_COMMAND must be so ssh uses this server's client config."""
        return f"ssh -F {self.client_config}"

    @property
    def env(self) -> dict[str, str]:
        return {"LOSSWATCH_SSH_COMMAND": self.ssh_command}

    def start(self) -> str | None:
        """Start it; None when it listens, else why not."""
        log = self.folder / "sshd.log"
        with open(log, "wb") as stderr:
            self.process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(self.config)], stdout=subprocess.DEVNULL, stderr=stderr
            )
        if _wait_port(self.process, self.port, 10):
            return None
        self.stop()
        return log.read_text(errors="replace").strip() or "sshd did not listen"

    def drop_connections(self) -> None:
        """Kill every connection (as a network drop would) and keep listening."""
        assert self.process is not None
        kill(descendants(self.process.pid))

    def stop(self) -> None:
        """Stop listening and end every connection."""
        if self.process is None:
            return
        kill(descendants(self.process.pid))
        self.process.kill()
        self.process.wait()
        self.process = None

    def run(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["ssh", "-F", str(self.client_config), "lwtest", command], capture_output=True, timeout=30
        )


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def start_sshd(folder: Path) -> Sshd:
    if SSHD is None:
        unavailable("sshd is not installed (Debian: apt-get install openssh-server; .ci/run does it as root)")
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        unavailable("the ssh client is not installed (Debian: apt-get install openssh-client)")
    if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation folder
    _keygen(folder / "host_key")
    _keygen(folder / "id")
    shutil.copy(folder / "id.pub", folder / "authorized_keys")
    port = free_port()
    user = getpass.getuser()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress {HOST}\nHostKey {folder / 'host_key'}\nPidFile none\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nStrictModes no\nUsePAM no\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "PermitRootLogin prohibit-password\nMaxSessions 30\nMaxStartups 50\nLogLevel ERROR\n"
        # As on a server whose ~/.bashrc returns early when not interactive (Debian's and Ubuntu's do):
        # bash skips ~/.bashrc for ssh commands when SHLVL says it is not the first shell. This
        # machine's root .bashrc runs `pyenv init`, 0.2 s per command, and can hang on its lock.
        "SetEnv SHLVL=1\n"
        # Host lwchatty sends BASH_ENV: a login shell that prints a banner to every command (a chatty ~/.bashrc).
        "AcceptEnv BASH_ENV\n"
    )
    (folder / "chatty_rc").write_text('echo "Welcome to the GPU box"; printf "motd\\000\\n"; echo "motd" >&2\n')
    # Host lwhang: a login shell that waits before every command (a ~/.bashrc reading input), for 8 s and then ends
    # (named so that a test can end it sooner).
    (folder / "hang_rc").write_text(f"(exec -a lwhang-{port} sleep 8)\n")
    host_key = (folder / "host_key.pub").read_text().split()
    (folder / "known_hosts").write_text(f"[{HOST}]:{port} {host_key[0]} {host_key[1]}\n")
    client = folder / "ssh_config"
    common = (
        f"  HostName {HOST}\n  User {user}\n  IdentityFile {folder / 'id'}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {folder / 'known_hosts'}\n  GlobalKnownHostsFile /dev/null\n"
        "  StrictHostKeyChecking yes\n  LogLevel ERROR\n"
    )
    # lwdead: a host that refuses connections (nothing listens on its port), for the unreachable-root tests;
    # lwslow: one that accepts the connection and never says a word (a hung machine), until ConnectTimeout.
    silent = socket.socket()
    silent.bind((HOST, 0))
    silent.listen(16)
    client.write_text(
        f"Host lwtest lwtest2\n  Port {port}\n{common}Host lwdead\n  Port {free_port()}\n{common}"
        f"Host lwslow\n  Port {silent.getsockname()[1]}\n{common}"
        f"Host lwchatty\n  Port {port}\n  SetEnv BASH_ENV={folder / 'chatty_rc'}\n{common}"
        f"Host lwhang\n  Port {port}\n  SetEnv BASH_ENV={folder / 'hang_rc'}\n{common}"
    )
    checked = subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True, text=True)
    if checked.returncode != 0:
        unavailable(f"sshd cannot run here: {checked.stderr.strip()}")
    server = Sshd(folder, port, config, client, silent=silent)
    if (why := server.start()) is not None:
        unavailable(f"sshd cannot run here: {why}")
    probe = server.run("true")
    if probe.returncode != 0:
        server.stop()
        unavailable(f"cannot log in to the test sshd: {probe.stderr.decode(errors='replace').strip()}")
    return server


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()
    if server.silent is not None:
        server.silent.close()


@pytest.fixture
def sshd(sshd_server: Sshd, monkeypatch: pytest.MonkeyPatch) -> Sshd:
    """The sshd, listening (a test may have stopped it), with LOSSWATCH_SSH_COMMAND pointing at it."""
    if sshd_server.process is None:
        assert sshd_server.start() is None
    monkeypatch.setenv("LOSSWATCH_SSH_COMMAND", sshd_server.ssh_command)
    return sshd_server
