"""Command-line roots: local paths (also with ':'), scp-style and ssh:// hosts, object-store URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.sources.roots.parse import RootError, RootSpec, parse_root, source_names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("runs", RootSpec("local", "runs", "runs")),
        ("./a:b", RootSpec("local", "./a:b", "./a:b")),
        ("/data/x:y", RootSpec("local", "/data/x:y", "/data/x:y")),
        ("C:\\runs", RootSpec("local", "C:\\runs", "C:\\runs")),
        ("c:/runs", RootSpec("local", "c:/runs", "c:/runs")),
        ("file:///data/runs", RootSpec("local", "file:///data/runs", "/data/runs")),
        ("box1:/runs", RootSpec("ssh", "box1:/runs", "/runs", "box1")),
        ("box1:runs", RootSpec("ssh", "box1:runs", "runs", "box1")),
        ("box1:", RootSpec("ssh", "box1:", ".", "box1")),
        ("alice@gpu-3.lab:~/runs", RootSpec("ssh", "alice@gpu-3.lab:~/runs", "~/runs", "gpu-3.lab", "alice")),
        ("[::1]:/runs", RootSpec("ssh", "[::1]:/runs", "/runs", "::1")),
        ("ssh://alice@box1:2222/runs", RootSpec("ssh", "ssh://alice@box1:2222/runs", "/runs", "box1", "alice", 2222)),
        ("ssh://box1/~/runs", RootSpec("ssh", "ssh://box1/~/runs", "~/runs", "box1")),
        ("ssh://box1", RootSpec("ssh", "ssh://box1", ".", "box1")),
        ("ssh://[::1]:22/r", RootSpec("ssh", "ssh://[::1]:22/r", "/r", "::1", None, 22)),
        ("s3://team/runs/", RootSpec("s3", "s3://team/runs/", "team/runs")),
        ("S3A://team", RootSpec("s3", "S3A://team", "team")),
        ("gs://team/runs", RootSpec("gs", "gs://team/runs", "team/runs")),
        ("gcs://team/runs", RootSpec("gs", "gcs://team/runs", "team/runs")),
        ("az://container/runs", RootSpec("az", "az://container/runs", "container/runs")),
        ("-oProxyCommand=x:y", RootSpec("local", "-oProxyCommand=x:y", "-oProxyCommand=x:y")),
    ],
)
def test_parse(text: str, expected: RootSpec) -> None:
    assert parse_root(text) == expected


def test_an_existing_local_path_with_a_colon_stays_local(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs:2024").mkdir()
    assert parse_root("runs:2024").kind == "local"
    assert parse_root("runs:2025").kind == "ssh"  # no such folder here: a host named runs


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("s3://", "give a bucket"),
        ("s3:///runs", "give a bucket"),  # was read as a bucket named 'runs'
        ("gs:////runs/x", "give a bucket"),
        ("ssh:///runs", "no host"),
        ("ssh://box1:99999/runs", "port must be a number"),
        ("ftp://box/runs", "unknown scheme ftp://"),
        ("  ", "empty"),
    ],
)
def test_wrongly_written_roots_say_why(text: str, message: str) -> None:
    with pytest.raises(RootError, match=message):
        parse_root(text)


def test_source_names_are_short_and_unique() -> None:
    specs = [parse_root(text) for text in ("box1:/runs", "box2:/runs", "s3://team/runs", "/data/local/")]
    assert source_names(specs) == ["box1", "box2", "team", "local"]
    specs = [parse_root(text) for text in ("box1:/runs", "box1:/scratch/", "box1:/runs")]
    assert source_names(specs) == ["box1:/runs", "box1:/scratch", "box1:/runs#2"]
