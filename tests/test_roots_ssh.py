"""user@host:path roots against a real sshd on 127.0.0.1: one connection, only new bytes, drops, failures."""

from __future__ import annotations

import gc
import getpass
import os
import pickle
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from servers import Sshd

from tui.sources.roots import remote as remote_module
from tui.sources.roots import ssh as ssh_module
from tui.sources.roots.base import TAIL_CHECK_BYTES
from tui.sources.roots.local import LocalRoot
from tui.sources.roots.ssh import SshRoot


@pytest.fixture
def root_at(sshd: Sshd):
    """SshRoots on the test host, closed at the end of the test (their ssh processes end with them)."""
    made: list[SshRoot] = []

    def make(path: Path | str, host: str = "lwtest") -> SshRoot:
        made.append(SshRoot(host, str(path)))
        return made[-1]

    yield make
    for root in made:
        root.close()
        assert root._master is None


def established(port: int) -> int:
    """TCP connections open to ``port`` on 127.0.0.1 (server side), from /proc/net/tcp."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":
            count += 1
    return count


def read_all(root: SshRoot, path: str, offset: int = 0) -> bytes:
    size = root.list().files[path].size
    data = b""
    while offset + len(data) < size:
        piece = root.read(path, offset + len(data), 1000)
        if not piece:
            break
        data += piece
    return data


def test_listing_gives_sizes_identities_and_odd_names(root_at, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "events.out.tfevents.1").write_bytes(b"x" * 10)
    odd = tmp_path / "with space\nand newline"
    odd.mkdir()
    (odd / "f").write_bytes(b"abc")
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    root = root_at(tmp_path)
    listing = root.list()
    assert set(listing.files) == {"a/events.out.tfevents.1", "with space\nand newline/f"}
    assert listing.files["a/events.out.tfevents.1"].size == 10
    # A folder linked back into the root is walked once, by its own name, without a word, as a local root does: it
    # was an error, which made a run 'a/loop' that cannot be read and `check` exit 1 where a local root exits 0.
    assert listing.errors == {} and listing.errors == LocalRoot(str(tmp_path)).list().errors
    assert root.reachability.state == "connected"


def test_only_new_bytes_are_read_and_a_replaced_file_gets_a_new_identity(root_at, tmp_path: Path) -> None:
    path = tmp_path / "f"
    body = os.urandom(5000)
    path.write_bytes(body)
    root = root_at(tmp_path)
    assert read_all(root, "f") == body
    identity = root.list().files["f"].identity
    more = os.urandom(3000)
    with open(path, "ab") as handle:
        handle.write(more)
    assert read_all(root, "f", offset=len(body)) == more
    assert root.list().files["f"].identity == identity
    assert root.bytes_fetched == len(body) + len(more) + TAIL_CHECK_BYTES
    # Truncated and rewritten in place (same inode, other bytes): caught by the bytes before the offset.
    other = os.urandom(9000)
    path.write_bytes(other)
    rewritten = root.list().files["f"].identity
    assert rewritten != identity
    assert read_all(root, "f") == other
    # Replaced by a new file (a new inode).
    path.with_name("g").write_bytes(b"new")
    os.replace(path.with_name("g"), path)
    assert root.list().files["f"].identity not in (identity, rewritten)
    assert read_all(root, "f") == b"new"


def test_one_connection_for_every_operation(root_at, sshd: Sshd, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"hello")
    root = root_at(tmp_path)
    before = established(sshd.port)
    for _ in range(5):
        root.list()
    assert root.read("f", 0, 5) == b"hello"
    root._listed_at = -1e9  # an old listing: stat asks the host
    root.stat("f")
    assert root.requests == {"list": 5, "get": 1, "stat": 1}  # the rest was answered from what was fetched
    # A copy in a forked worker goes through the same connection.
    copy = pickle.loads(pickle.dumps(root))
    assert set(copy.list().files) == {"f"}
    copy.close()
    assert established(sshd.port) - before == 1


def test_a_login_shell_that_prints_a_banner_loses_nothing(root_at, sshd: Sshd, tmp_path: Path) -> None:
    """Its words came first in every answer: the first listed run was lost, every file read damaged, values off."""
    chatty = subprocess.run(["ssh", "-F", str(sshd.client_config), "lwchatty", "true"], capture_output=True, timeout=30)
    if b"Welcome" not in chatty.stdout:
        pytest.skip("the test user's login shell does not read BASH_ENV (not bash): no banner to drop")
    (tmp_path / "run").mkdir()
    content = bytes(range(256)) * 40
    (tmp_path / "run" / "events.out.tfevents.1").write_bytes(content)
    (tmp_path / "second").write_bytes(b"\0two\n")
    quiet, noisy = root_at(tmp_path), root_at(tmp_path, host="lwchatty")
    listed = noisy.list().files
    assert sorted(listed) == sorted(quiet.list().files) == ["run/events.out.tfevents.1", "second"]
    assert listed["second"].size == 5
    assert read_all(noisy, "run/events.out.tfevents.1") == content
    assert noisy.read("second", 1, 3) == b"two"


def test_stat_answers_from_a_recent_listing(root_at, tmp_path: Path) -> None:
    """Readers stat each file they follow every round: that must not cost a request per file."""
    (tmp_path / "f").write_bytes(b"1")
    root = root_at(tmp_path)
    root.list()
    (tmp_path / "f").write_bytes(b"12")
    assert root.stat("f").size == 1 and "stat" not in root.requests
    assert root.list().files["f"].size == 2


def test_missing_folder_and_file_are_plain_errors(root_at, tmp_path: Path) -> None:
    root = root_at(tmp_path / "nope")
    assert root.list().errors == {".": "no such folder"}
    assert root.reachability.state == "connected"
    with pytest.raises(FileNotFoundError):
        root_at(tmp_path).stat("nope")


def test_reconnects_by_itself_after_a_drop(root_at, sshd: Sshd, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"12345")
    root = root_at(tmp_path)
    assert set(root.list().files) == {"f"}
    sshd.drop_connections()  # as a network drop would
    listing = root.list()
    if listing.errors:  # the drop was seen by this listing: it says so and the next one reconnects
        assert root.reachability.state == "reconnecting"
        assert "closed" in listing.errors["."]
        time.sleep(1.1)
        listing = root.list()
    assert set(listing.files) == {"f"}
    assert root.reachability.state == "connected"


def test_a_stopped_server_is_reported_and_not_hammered_then_back(
    root_at, sshd: Sshd, tmp_path: Path, monkeypatch
) -> None:
    # The first three waits a quarter as long (1, 2, 4 s are waited out otherwise); from the fourth on, as they are.
    retry = remote_module.RETRY_SECONDS
    monkeypatch.setattr(remote_module, "RETRY_SECONDS", (*(s / 4 for s in retry[:3]), *retry[3:]))
    (tmp_path / "f").write_bytes(b"1")
    root = root_at(tmp_path)
    root.list()
    sshd.stop()
    try:
        errors = [root.list().errors["."]]
        deadline = time.monotonic() + 30
        while root.reachability.state != "unreachable" and time.monotonic() < deadline:
            time.sleep(0.2)
            errors.append(root.list().errors["."])
        assert root.reachability.state == "unreachable"
        assert "Connection refused" in root.reachability.reason
        assert set(root.list().files) == {"f"}  # what was there is kept: its runs are not reported gone
        assert any("trying again in" in error for error in errors)
        attempts = root.requests["list"]
        root.list()  # while it waits: nothing is run
        assert root.requests["list"] == attempts
    finally:
        assert sshd.start() is None
    root._retry_at = 0.0  # do not wait out the back-off in a test
    assert set(root.list().files) == {"f"}
    assert root.reachability.state == "connected"


def test_unknown_host_key_says_what_to_do(root_at, sshd: Sshd, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(
        "LOSSWATCH_SSH_COMMAND", f"{sshd.ssh_command} -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes"
    )
    root = root_at(tmp_path)
    error = root.list().errors["."]
    assert "host key not known or changed" in error
    assert f"connect once with `{sshd.ssh_command} -o UserKnownHostsFile" in error  # the client losswatch ran
    assert root.reachability.state == "unreachable"


def test_the_host_key_hint_names_the_port_and_user_the_root_named(sshd: Sshd, tmp_path: Path, monkeypatch) -> None:
    """``ssh://me@host:PORT/path``: the hint said `ssh 127.0.0.1`, which goes to port 22, where the key asked for is
    not."""
    monkeypatch.setenv(
        "LOSSWATCH_SSH_COMMAND", f"{sshd.ssh_command} -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes"
    )
    root = SshRoot("127.0.0.1", str(tmp_path), user=getpass.getuser(), port=sshd.port)
    try:
        error = root.list().errors["."]
    finally:
        root.close()
    assert error.endswith(
        f"-o StrictHostKeyChecking=yes -p {sshd.port} {getpass.getuser()}@127.0.0.1` to check and accept it"
    )


def test_closing_ends_the_connection(sshd: Sshd, tmp_path: Path) -> None:
    root = SshRoot("lwtest", str(tmp_path))
    root.list()
    master, control_dir = root._master, root._control_dir
    assert master is not None and master.poll() is None
    assert control_dir is not None and os.path.isdir(control_dir)
    root.close()
    assert master.poll() is not None
    assert not os.path.exists(control_dir)


def test_a_root_never_closed_leaves_no_control_folder(tmp_path: Path) -> None:
    """A root dropped without close (a command that gave up on an unreachable host) still cleans up after itself."""
    root = SshRoot("127.0.0.1", "/runs", port=1)
    root.list()
    assert root.reachability.state != "connected"
    control_dir = root._control_dir
    assert control_dir is not None and os.path.isdir(control_dir)
    del root
    gc.collect()
    assert not os.path.exists(control_dir)


def test_ssh_command_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("LOSSWATCH_SSH_COMMAND", "ssh -F '/path with space/config'")
    assert ssh_module.ssh_command() == ["ssh", "-F", "/path with space/config"]
    monkeypatch.delenv("LOSSWATCH_SSH_COMMAND")
    assert ssh_module.ssh_command() == ["ssh"]


@pytest.mark.parametrize("command", ["check", "replay"])
def test_an_ssh_command_with_an_unclosed_quote_is_one_sentence(monkeypatch, command: str) -> None:
    """It was split only when the first connection opened: a ValueError traceback from inside the reader."""
    from conftest import run_main

    monkeypatch.setenv("LOSSWATCH_SSH_COMMAND", 'ssh -F "')
    result = run_main(command, "somehost:runs")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "LOSSWATCH_SSH_COMMAND='ssh -F \"' cannot be split as a shell would: No closing quotation" in result.stderr


@pytest.mark.parametrize("command", [("check",), ("replay",), ("watch", "--plain")])
@pytest.mark.parametrize(
    ("client", "said"),
    [
        ("nosuchssh-lw", "the ssh client 'nosuchssh-lw' of LOSSWATCH_SSH_COMMAND is not found"),
        ("", "the ssh client is not installed (no `ssh` on PATH"),
    ],
)
def test_a_missing_ssh_client_is_said_not_a_missing_folder(monkeypatch, tmp_path: Path, command, client, said) -> None:
    """Its failed start read as the remote folder's "No such file or directory" (watch: waiting for it to appear)."""
    from conftest import run_cli

    if client:
        monkeypatch.setenv("LOSSWATCH_SSH_COMMAND", client)
    else:  # no ssh on PATH at all
        monkeypatch.delenv("LOSSWATCH_SSH_COMMAND", raising=False)
        monkeypatch.setenv("PATH", str(tmp_path))
    result = run_cli(*command, "somehost:runs")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"losswatch: somehost:runs: {said}") and "No such file" not in line


def test_a_client_gone_after_the_start_makes_the_root_unreachable_saying_why(monkeypatch, tmp_path: Path) -> None:
    root = SshRoot("somehost", "runs")
    monkeypatch.setenv("LOSSWATCH_SSH_COMMAND", "nosuchssh-lw -F x")
    try:
        listing = root.list()
    finally:
        root.close()
    assert listing.errors == {".": "the ssh client 'nosuchssh-lw' of LOSSWATCH_SSH_COMMAND is not found (not on PATH?)"}


def test_a_root_under_a_long_tmpdir_still_connects(root_at, tmp_path: Path, monkeypatch) -> None:
    """A hostile tester's find: under a $TMPDIR of 75 characters or more (a cluster job's) every ssh root failed,
    'unix_listener: path … too long for Unix domain socket'. The control socket goes to /tmp then."""
    long = tmp_path / ("x" * 90)
    long.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long))
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "events.out.tfevents.1").write_bytes(b"x" * 10)
    root = root_at(tmp_path)
    assert set(root.list().files) == {"run/events.out.tfevents.1"}
    assert root._control_dir is not None and root._control_dir.startswith("/tmp/lw-ssh-")


def test_a_folder_whose_name_starts_with_a_dash_is_entered(root_at, tmp_path: Path) -> None:
    """``host:-runs`` (relative to the login folder) said "permission denied": the remote ``cd -runs`` read it as
    an option."""
    home = Path(subprocess.run(["sh", "-c", "echo ~"], capture_output=True, text=True).stdout.strip())
    folder = home / f"-lw-dash-{os.getpid()}"
    try:
        (folder / "run").mkdir(parents=True)
        (folder / "run" / "events.out.tfevents.1").write_bytes(b"x" * 10)
        assert set(root_at(folder.name).list().files) == {"run/events.out.tfevents.1"}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_folder_removed_while_listed_is_no_error(monkeypatch) -> None:
    """find's 'No such file or directory' for an entry removed while it walked (a Trainer's oldest checkpoint under
    save_total_limit) made a run 'unreadable'; removed is gone. A refused folder still is an error."""
    root = SshRoot("lwtest", "/runs")
    said = "find: './out/checkpoint-450': No such file or directory\nfind: './locked': Permission denied\n"
    monkeypatch.setattr(root, "_run", lambda script, what, ok=(0,): (b"", said))
    assert root._list_entries() == ({}, {"locked": "Permission denied"}, {})


def test_a_link_to_nothing_or_a_folder_in_a_logs_place_is_listed_as_locally(root_at, tmp_path: Path) -> None:
    """A hostile tester's find: over ssh an event file that is a symlink to nothing, or a folder, was dropped
    without a word (locally each is a run that cannot be read, with the reason). The listing says what stands
    there in the local root's words."""
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "events.out.tfevents.1.x").write_bytes(b"x" * 10)
    (tmp_path / "dangling").mkdir()
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling" / "events.out.tfevents.1.x")
    (tmp_path / "dir" / "events.out.tfevents.1.x").mkdir(parents=True)
    # A reviewer's finds: a file's link that loops was an error over ssh; a link to a folder the root is in was
    # walked (every file outside the root listed as in it; with a link to /, the whole disk at every poll).
    (tmp_path / "looped").mkdir()
    os.symlink("events.out.tfevents.1.x", tmp_path / "looped" / "events.out.tfevents.1.x")
    os.symlink(tmp_path.parent, tmp_path / "good" / "up")
    os.symlink("/", tmp_path / "good" / "disk")
    remote, local = root_at(tmp_path).list(), LocalRoot(str(tmp_path)).list()
    assert remote.others == local.others
    assert remote.others == {
        "dangling/events.out.tfevents.1.x": "a symlink to nothing (its target is missing)",
        "dir/events.out.tfevents.1.x": "a folder, not a file",
        "looped/events.out.tfevents.1.x": "a symlink loop",
    }
    assert set(remote.files) == set(local.files) == {"good/events.out.tfevents.1.x"}
    assert remote.errors == local.errors == {}


def test_a_root_that_is_a_file_is_missing_as_a_local_one_is(root_at, tmp_path: Path) -> None:
    """A hostile tester's find: an ssh root deleted and then made again as a plain file was said 'back: watching
    it'. A file where the root's folder should be is a root that is not there (a local root says the same)."""
    (tmp_path / "runs").write_text("not a folder")
    remote, local = root_at(tmp_path / "runs").list(), LocalRoot(str(tmp_path / "runs")).list()
    assert (remote.missing, remote.errors) == (local.missing, local.errors) == (True, {".": "not a folder"})


def test_a_login_shell_that_waits_is_named_as_a_cause(sshd: Sshd, tmp_path: Path, monkeypatch) -> None:
    """Logged in, the script losswatch runs never answers (a ~/.bashrc that waits): "no answer in 60 s" said
    nothing of where to look."""
    monkeypatch.setattr(ssh_module, "OPERATION_SECONDS", 2.0)
    root = SshRoot("lwhang", str(tmp_path))
    try:
        error = root.list().errors["."]
    finally:
        root.close()
        subprocess.run(["pkill", "-f", f"lwhang-{sshd.port}"], check=False)  # its waiting shell, on this machine
    assert error == (
        "logged in, but no answer in 2 s: a folder very slow to list, or a login shell that waits (its .bashrc or "
        ".profile reading input or sleeping)"
    )
    assert root.reachability.state == "reconnecting"  # it logged in: the next round tries again
