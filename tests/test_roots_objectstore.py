"""s3:// roots against moto's S3 server on 127.0.0.1: listing, only new bytes, rewritten objects, failures."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from servers import S3Server, free_port

from tui.sources.base import NOT_ANSWERING, describe
from tui.sources.roots.base import TAIL_CHECK_BYTES
from tui.sources.roots.objectstore import MissingBackend, ObjectStoreRoot, require_backend
from tui.sources.roots.remote import READ_AHEAD_BYTES, FileReplacedError


def read_all(root: ObjectStoreRoot, path: str, offset: int = 0, chunk: int = 1000) -> bytes:
    """Read from ``offset`` to the size the last listing saw, as a reader does, in chunks."""
    size = root.list().files[path].size
    data = b""
    while offset + len(data) < size:
        piece = root.read(path, offset + len(data), chunk)
        if not piece:
            break
        data += piece
    return data


def test_listing_finds_objects_under_the_prefix_only_and_is_never_stale(s3: S3Server) -> None:
    bucket = s3.new_bucket()
    client = s3.client
    client.put_object(Bucket=bucket, Key="runs/a/events.out.tfevents.1", Body=b"a")
    client.put_object(Bucket=bucket, Key="runs/b/", Body=b"")  # a folder marker, as consoles make them
    client.put_object(Bucket=bucket, Key="runsx/other", Body=b"x")
    root = ObjectStoreRoot(f"s3://{bucket}/runs/")
    assert set(root.list().files) == {"a/events.out.tfevents.1"}
    client.put_object(Bucket=bucket, Key="runs/b/events.out.tfevents.2", Body=b"bb")
    listing = root.list()
    assert set(listing.files) == {"a/events.out.tfevents.1", "b/events.out.tfevents.2"}
    assert listing.files["b/events.out.tfevents.2"].size == 2
    assert root.requests["list"] == 2  # one LIST per listing: nothing served from a cache
    assert root.reachability.state == "connected"


def test_growing_object_rewritten_whole_is_read_on_from_the_offset(s3: S3Server) -> None:
    bucket = s3.new_bucket()
    client = s3.client
    body = os.urandom(5000)
    client.put_object(Bucket=bucket, Key="runs/r/f", Body=body)
    root = ObjectStoreRoot(f"s3://{bucket}/runs")
    assert read_all(root, "r/f") == body
    identity = root.list().files["r/f"].identity
    for _ in range(3):  # the uploader rewrites the whole object with more at its end
        more = os.urandom(700)
        client.put_object(Bucket=bucket, Key="runs/r/f", Body=body + more)
        assert read_all(root, "r/f", offset=len(body)) == more
        body += more
        assert root.list().files["r/f"].identity == identity
    # Every byte came down once, plus the few bytes before each offset that prove it is the same file.
    assert root.bytes_fetched == len(body) + 3 * TAIL_CHECK_BYTES
    assert root.requests["get"] == 4


def test_object_replaced_by_another_gets_a_new_identity_and_is_read_again(s3: S3Server) -> None:
    bucket = s3.new_bucket()
    client = s3.client
    first = os.urandom(3000)
    client.put_object(Bucket=bucket, Key="p/f", Body=first)
    root = ObjectStoreRoot(f"s3://{bucket}/p")
    assert read_all(root, "f") == first
    old = root.list().files["f"].identity
    second = os.urandom(4000)  # longer, but not a continuation: a restarted job under the same name
    client.put_object(Bucket=bucket, Key="p/f", Body=second)
    info = root.list().files["f"]
    assert info.identity != old
    assert read_all(root, "f") == second
    shorter = os.urandom(100)  # and an object that shrank is another file too
    client.put_object(Bucket=bucket, Key="p/f", Body=shorter)
    assert root.list().files["f"].identity not in (old, info.identity)
    assert read_all(root, "f") == shorter


def test_replacement_seen_only_when_reading_is_refused_then_read_again(s3: S3Server) -> None:
    """No listing between the rewrite and the read: the bytes before the offset still give it away."""
    bucket = s3.new_bucket()
    client = s3.client
    first = os.urandom(2000)
    client.put_object(Bucket=bucket, Key="p/f", Body=first)
    root = ObjectStoreRoot(f"s3://{bucket}/p")
    assert read_all(root, "f") == first
    old = root.stat("f").identity
    second = os.urandom(2500)
    client.put_object(Bucket=bucket, Key="p/f", Body=second)
    root._seen["f"].size = -1  # as if the reader asked before any listing saw the new size
    with pytest.raises(FileReplacedError):
        root.read("f", len(first), 1000)
    assert root.list().files["f"].identity != old
    assert read_all(root, "f") == second


def test_a_copy_for_a_worker_process_reads_on_its_own(s3: S3Server) -> None:
    bucket = s3.new_bucket()
    s3.client.put_object(Bucket=bucket, Key="p/f", Body=b"abc")
    root = ObjectStoreRoot(f"s3://{bucket}/p")
    root.list()
    copy = pickle.loads(pickle.dumps(root))
    assert copy.read("f", 0, 10) == b"abc"


def test_a_big_object_takes_few_requests(s3: S3Server) -> None:
    bucket = s3.new_bucket()
    body = os.urandom(READ_AHEAD_BYTES + 1_000_000)
    s3.client.put_object(Bucket=bucket, Key="p/big", Body=body)
    root = ObjectStoreRoot(f"s3://{bucket}/p")
    assert read_all(root, "big", chunk=2 * 1024 * 1024) == body  # the reader's 2 MB chunks
    assert root.requests["get"] == 2


def test_missing_bucket_is_a_listing_error_not_an_exception(s3: S3Server) -> None:
    root = ObjectStoreRoot("s3://no-such-bucket-here/runs")
    listing = root.list()
    assert listing.files == {}
    assert listing.errors == {".": "bucket no-such-bucket-here not found"}


def test_a_root_that_names_an_object_says_it_is_not_a_folder(s3: S3Server) -> None:
    """A root naming a log file itself (``s3://b/runs/a/events.out.tfevents.1``) said "no runs under" it."""
    bucket = s3.new_bucket()
    s3.client.put_object(Bucket=bucket, Key="runs/a/events.out.tfevents.1", Body=b"a")
    listing = ObjectStoreRoot(f"s3://{bucket}/runs/a/events.out.tfevents.1").list()
    assert listing.errors == {".": "not a folder: an object (give the prefix that holds the runs)"}
    assert set(ObjectStoreRoot(f"s3://{bucket}/runs").list().files) == {"a/events.out.tfevents.1"}


def test_a_misspelt_bucket_is_named_by_check_watch_and_the_status_line(s3: S3Server, tmp_path: Path) -> None:
    """A bucket that is not there is said as such: check said the root "holds no training logs" and watch waited
    without a word on why (beside another root, without a word at all)."""
    import signal
    import subprocess
    import sys

    from children import spawn
    from conftest import DATA

    typo = "s3://no-such-bucket-here/runs"
    done = subprocess.run([sys.executable, "-m", "tui", "check", typo], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr == f"losswatch: {typo}: bucket no-such-bucket-here not found\n"
    beside = subprocess.run(
        [sys.executable, "-m", "tui", "check", str(DATA / "torch"), typo], capture_output=True, text=True, timeout=60
    )
    assert beside.returncode == 1 and f"{typo}: bucket no-such-bucket-here not found" in beside.stderr
    with spawn("watch", "--plain", str(DATA / "keras"), typo) as child:
        waiting = f"waiting for {typo} to appear (bucket no-such-bucket-here not found)"
        child.wait_for(lambda c: waiting in c.errors(), 30, "the waiting line")
        assert child.stop(signal.SIGTERM) == 0 and "Traceback" not in child.errors()


async def _status_once(pilot, ready: Callable[[str], bool]) -> str:
    """The app's status line once ``ready`` holds of it, or after ten seconds of waiting."""
    status = pilot.app.query_one("#status")
    for _ in range(200):
        await pilot.pause(0.05)
        if ready(str(status.render())):
            break
    return str(status.render())


async def test_the_status_line_names_a_misspelt_bucket(s3: S3Server) -> None:
    from tui.app.app import LossWatchApp
    from tui.live.group import build_monitor
    from tui.sources.roots.parse import parse_root

    typo = "s3://no-such-bucket-here/runs"
    app = LossWatchApp(build_monitor([parse_root(typo)]), bell=False, poll_seconds=0.1)
    waiting = f"waiting for {typo} to appear (bucket no-such-bucket-here not found)"
    async with app.run_test(size=(120, 30)) as pilot:
        assert waiting in await _status_once(pilot, lambda shown: waiting in shown)
    app.monitor.root.close()


def test_unreachable_endpoint_says_why_and_waits_before_trying_again(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    root = ObjectStoreRoot("s3://team/runs")
    listing = root.list()
    assert "Could not connect to the endpoint URL" in listing.errors["."]
    assert f"127.0.0.1:{port}" in listing.errors["."]
    assert root.reachability.state == "unreachable"
    sent = sum(root.requests.values())
    again = root.list()  # within the wait: no request at all
    assert "trying again in" in again.errors["."]
    assert sum(root.requests.values()) == sent


def test_a_read_the_store_does_not_answer_is_the_roots_trouble(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file read while the endpoint is down (before any listing failed): a plain error was the file's, and
    ``watch --plain`` said its run "unreadable"; it is the store's now, which waits before trying again."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    root = ObjectStoreRoot("s3://team/runs")
    with pytest.raises(OSError) as raised:
        root.read("run/events.out.tfevents.1", 0, 100)
    assert describe(raised.value).startswith(NOT_ANSWERING + "Could not connect to the endpoint URL")
    assert root.reachability.state in ("reconnecting", "unreachable")
    sent = sum(root.requests.values())
    with pytest.raises(OSError, match="trying again in"):
        root.read("run/events.out.tfevents.1", 0, 100)
    assert sum(root.requests.values()) == sent


def test_a_profile_from_the_aws_config_files_is_used(s3: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """AWS_PROFILE with its endpoint and keys in ~/.aws-style files: what users of MinIO or Ceph set up."""
    bucket = s3.new_bucket()
    s3.client.put_object(Bucket=bucket, Key="runs/f", Body=b"x")
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    config = tmp_path / "config"
    config.write_text(f"[profile lwtest]\nregion = us-east-1\nendpoint_url = {s3.endpoint}\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[lwtest]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "lwtest")
    assert set(ObjectStoreRoot(f"s3://{bucket}/runs").list().files) == {"f"}


def test_missing_backend_says_which_extra_to_install() -> None:
    try:
        import gcsfs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("gcsfs is installed here")
    with pytest.raises(MissingBackend, match=r"pip install gcsfs \(losswatch's \[gcs\] extra\)"):
        require_backend("gs")


def test_the_monitor_reads_a_growing_object_once_and_a_replaced_one_again(s3: S3Server, tmp_path: Path) -> None:
    """End to end through the TensorBoard reader: appends continue, a restarted job's object is purged and re-read."""
    from conftest import scalar_run

    from tui.live.monitor import Monitor

    bucket = s3.new_bucket()
    client = s3.client
    path = scalar_run(tmp_path / "a", {"loss": [float(v) for v in range(10, 0, -1)]})
    key = f"runs/job/{path.name}"
    first = path.read_bytes()
    client.put_object(Bucket=bucket, Key=key, Body=first[: len(first) // 2 + 7])  # cut inside a record
    root = ObjectStoreRoot(f"s3://{bucket}/runs")
    monitor = Monitor(root)
    monitor.refresh()
    partial = len(monitor.store.runs["job"].scalars["loss"].arrays()[0])
    assert 0 < partial < 10
    client.put_object(Bucket=bucket, Key=key, Body=first)  # rewritten whole, longer
    monitor.refresh()
    steps, values, _ = monitor.store.runs["job"].scalars["loss"].arrays()
    assert list(steps) == list(range(10)) and list(values) == [float(v) for v in range(10, 0, -1)]
    fetched = root.bytes_fetched
    assert fetched <= len(first) + TAIL_CHECK_BYTES  # once, plus the bytes that prove it is the same file
    restarted = scalar_run(tmp_path / "b", {"loss": [5.0, 4.0, 3.0]}, wall0=2000.0).read_bytes()
    client.put_object(Bucket=bucket, Key=key, Body=restarted)  # a restarted job, same object name
    monitor.refresh()
    steps, values, _ = monitor.store.runs["job"].scalars["loss"].arrays()
    assert list(steps) == [0, 1, 2] and list(values) == [5.0, 4.0, 3.0]
    assert root.bytes_fetched - fetched <= len(restarted) + TAIL_CHECK_BYTES


def test_an_endpoint_that_never_answers_is_named_beside_the_local_runs(tmp_path: Path) -> None:
    """A frozen MinIO (it accepts, never replies) held `check` for minutes, and the local root's runs with it:
    s3fs tried each call five times over botocore's two 30-second attempts. The guard below is no timing
    assertion: before, the command was still waiting at it."""
    import socket
    import subprocess
    import sys

    from conftest import DATA

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        env = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{silent.getsockname()[1]}"}
        env.update(AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s", AWS_DEFAULT_REGION="us-east-1")
        done = subprocess.run(
            [sys.executable, "-m", "tui", "check", "s3://team/runs", str(DATA / "keras")],
            capture_output=True,
            text=True,
            env=env,
            timeout=150,
        )
    assert done.returncode == 1 and "keras:k-overfit" in done.stdout
    assert "s3://team/runs" in done.stderr and "timeout" in done.stderr.lower()


async def test_the_status_line_names_a_misspelt_bucket_among_other_roots(s3: S3Server) -> None:
    """Beside a root that was read, it said only 'polling every 5 s' of the missing bucket; watch --plain and
    check named it."""
    from conftest import DATA

    from tui.app.app import LossWatchApp
    from tui.live.group import build_monitor
    from tui.sources.roots.parse import parse_root

    typo = "s3://no-such-bucket-here/runs"
    app = LossWatchApp(build_monitor([parse_root(str(DATA / "keras")), parse_root(typo)]), bell=False, poll_seconds=0.1)
    waiting = f"{typo}: polling every 0.1 s, not there yet (bucket no-such-bucket-here not found)"
    async with app.run_test(size=(200, 30)) as pilot:
        shown = await _status_once(pilot, lambda shown: waiting in shown)
        assert waiting in shown, shown
    for member in app.monitor.monitors:
        member.root.close()


async def test_an_unreachable_root_is_said_once_on_the_status_line(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher's mode said it ('…, unreachable: why') and the latest note said it again beside it."""
    from conftest import DATA

    from tui.app.app import LossWatchApp
    from tui.live.group import build_monitor
    from tui.sources.roots.parse import parse_root

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    app = LossWatchApp(build_monitor([parse_root(str(DATA / "keras")), parse_root("s3://team/runs")]), bell=False)
    async with app.run_test(size=(250, 30)) as pilot:
        shown = await _status_once(pilot, lambda shown: "unreachable" in shown and bool(app.store.notes))
        assert shown.count("Could not connect to the endpoint URL") == 1, shown
    for member in app.monitor.monitors:
        member.root.close()
