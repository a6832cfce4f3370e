"""A first read of many runs from a remote root: their files come a batch at a time, not one request each.

Against a real sshd and S3 server on 127.0.0.1. Over ssh each file cost a channel of its own (3,000 runs: 118 s);
now many files travel in one script's answer, each behind a random mark, and what could not be read is said per
file as before.
"""

from __future__ import annotations

import errno
import os
import pickle
from pathlib import Path

import pytest
from conftest import scalar_run
from servers import S3Server, Sshd

from tui.live.monitor import Monitor
from tui.sources.roots.objectstore import ObjectStoreRoot
from tui.sources.roots.ssh import SshRoot
from tui.sources.roots.ssh_scripts import read_parts


def read_all(root: SshRoot | ObjectStoreRoot, path: str, size: int) -> bytes:
    data = b""
    while len(data) < size:
        piece = root.read(path, len(data), 1000)
        if not piece:
            break
        data += piece
    return data


def awkward_files(folder: Path, count: int, odd: str = "\n") -> dict[str, bytes]:
    """Files whose bytes look like the batch's framing, with names a shell must be careful with, one empty."""
    bodies: dict[str, bytes] = {}
    for k in range(count):
        name = f"run {k}/with{odd}odd-{k}" if k % 7 == 3 else f"run-{k}/events.out.tfevents.{k}"
        body = os.urandom(k * 37) + b"\n\x1elosswatch-part-0123456789abcdef 0 0\nend\n" * (k % 3)
        bodies[name] = body if k != 5 else b""
    for name, body in bodies.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(body)
    return bodies


@pytest.fixture
def ssh_root(sshd: Sshd):
    made: list[SshRoot] = []

    def make(path: Path) -> SshRoot:
        made.append(SshRoot("lwtest", str(path)))
        return made[-1]

    yield make
    for root in made:
        root.close()


def test_many_files_read_from_their_start_come_over_a_few_channels(ssh_root, tmp_path: Path) -> None:
    bodies = awkward_files(tmp_path, 60)
    root = ssh_root(tmp_path)
    listing = root.list()
    assert set(listing.files) == set(bodies)
    root.read_ahead(sorted(bodies))
    for name in sorted(bodies):
        assert read_all(root, name, listing.files[name].size) == bodies[name], name
    # 59 files with bytes (the empty one asks nothing) in 4 scripts, the channels used at once: it was 60 channels.
    assert root.requests["get"] == 4
    assert root.bytes_fetched == sum(map(len, bodies.values()))


def test_a_file_that_cannot_be_read_among_them_says_why_and_the_others_are_read(ssh_root, tmp_path: Path) -> None:
    names = "abcdefgh"
    for name in names:
        (tmp_path / name).write_bytes(name.encode() * 100)
    root = ssh_root(tmp_path)
    root.list()
    (tmp_path / "b").unlink()  # gone between the listing and the read
    (tmp_path / "c").unlink()
    (tmp_path / "c").mkdir()  # a folder in its place
    root.read_ahead(list(names))
    with pytest.raises(FileNotFoundError):
        root.read("b", 0, 1000)
    with pytest.raises(IsADirectoryError):
        root.read("c", 0, 1000)
    for name in names.replace("b", "").replace("c", ""):
        assert root.read(name, 0, 1000) == name.encode() * 100
    assert root.requests["get"] == 4  # two files a script: the errors came with the others' bytes, not asked again


def test_check_over_ssh_reads_many_runs_in_few_requests_and_judges_them_as_locally(ssh_root, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    for k in range(40):
        falling = [2.0 / (1 + step / (5 + k % 4)) for step in range(30)]
        rising = falling[:15] + [falling[14] * (1 + 0.08 * i) for i in range(1, 16)]
        scalar_run(logs / f"run-{k:02d}", {"train_loss": falling, "val_loss": rising if k % 2 else falling})
    remote = Monitor(ssh_root(logs))
    remote.refresh()
    local = Monitor(str(logs))
    local.refresh()
    assert {name: v.kind for name, v in remote.verdicts.items()} == {name: v.kind for name, v in local.verdicts.items()}
    assert len(remote.verdicts) == 40
    assert {v.kind.value for v in remote.verdicts.values()} >= {"learning", "overfitting"}
    assert remote.root.requests["get"] <= 4  # was 40, a channel per file


def test_an_object_store_reads_ahead_alike(s3: S3Server, tmp_path: Path) -> None:
    bodies = awkward_files(tmp_path, 20, odd=" ")
    bucket = s3.new_bucket()
    s3.upload_tree(tmp_path, bucket, "runs")
    root = ObjectStoreRoot(f"s3://{bucket}/runs")
    listing = root.list()
    s3.client.delete_object(Bucket=bucket, Key="runs/run-2/events.out.tfevents.2")
    root.read_ahead(sorted(bodies))
    for name in sorted(bodies):
        if name == "run-2/events.out.tfevents.2":
            with pytest.raises(FileNotFoundError):
                root.read(name, 0, 1000)
        else:
            assert read_all(root, name, listing.files[name].size) == bodies[name], name


def test_an_answer_that_stops_short_leaves_no_file_read_short() -> None:
    mark = b"\x1elosswatch-part-feed"
    whole = b"\n" + mark + b" 0 0\nfirst" + b"\n" + mark + b" 1 3\n" + b"\n" + mark + b" 2 0\nthird" + b"\n" + mark
    assert [str(r) if isinstance(r, OSError) else r for r in read_parts(whole + b" end\n", mark, 3)] == [
        b"first",
        "[Errno 2] no such file",
        b"third",
    ]
    cut = read_parts(whole[: whole.index(b"third") + 2], mark, 4)  # the connection dropped in the third file
    assert cut[0] == b"first" and isinstance(cut[1], FileNotFoundError)
    assert all(isinstance(r, OSError) and r.errno == errno.EIO for r in cut[2:])


def test_a_root_copied_to_a_worker_starts_with_no_hints(ssh_root, tmp_path: Path) -> None:
    """What a worker process gets of a root is where it is, not the hints of the process that sent it."""
    (tmp_path / "f").write_bytes(b"x")
    root = ssh_root(tmp_path)
    root.list()
    root.read_ahead(["f"])
    copy = pickle.loads(pickle.dumps(root))
    assert copy._ahead == {} and copy.read("f", 0, 10) == b"x"
    copy.close()


def test_text_files_beside_the_runs_are_told_a_batch_at_a_time(ssh_root, tmp_path: Path) -> None:
    """Every ``.txt``, ``.log`` and ``.csv`` file is read to tell whether it is a log (a Keras CSV log goes by any
    such name): over ssh each cost a channel of its own, and 2,000 notes beside the runs took 434 s (a QA pass)."""
    logs = tmp_path / "logs"
    for k in range(300):
        note = logs / f"run-{k % 3}" / "samples" / f"notes-{k:03d}.txt"
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text(f"sample {k}: a cat\nnot a log\n")
    (logs / "run-0" / "metrics.jsonl").write_text(
        "".join(f'{{"step": {s}, "loss": {1 / (s + 1)}, "val_loss": {1.1 / (s + 1)}}}\n' for s in range(20))
    )
    remote = Monitor(ssh_root(logs))
    remote.refresh()
    assert list(remote.store.runs) == ["run-0"] and remote.verdict("run-0") is not None
    assert remote.root.requests["get"] <= 10  # 301 files told in scripts of 64: it was 301 channels
