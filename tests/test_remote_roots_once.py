"""A remote root given inside another (``s3://b/exp s3://b/exp/a``, ``box:/runs box:/runs/a``) is read once and said
on stderr, as local roots are: each of its runs was listed twice (``s3://b/exp/a`` and ``s3://b/exp:a``), and a
live watch rang each bell twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import scalar_run
from servers import S3Server, Sshd

from tui.cli.given_roots import _covers
from tui.sources.roots.parse import parse_root


def _runs(folder: Path) -> Path:
    for name in ("a", "b"):
        scalar_run(folder / name, {"loss": [1.0, 0.8, 0.6], "val_loss": [1.1, 0.9, 0.7]})
    return folder


def _check(*roots: str) -> tuple[list[str], str]:
    done = subprocess.run(
        [sys.executable, "-m", "tui", "check", "--json", *roots],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    return sorted(record["run"] for record in json.loads(done.stdout)), done.stderr


@pytest.mark.parametrize("outer", ["{bucket}/exp", "{bucket}"])
def test_a_prefix_inside_another_root_of_its_bucket_is_read_once(tmp_path: Path, s3: S3Server, outer: str):
    bucket = s3.new_bucket()
    s3.upload_tree(_runs(tmp_path / "exp"), bucket, "exp")
    outer_root = "s3://" + outer.format(bucket=bucket)
    names, stderr = _check(outer_root, f"s3://{bucket}/exp/a")
    assert names == (["a", "b"] if outer == "{bucket}/exp" else ["exp/a", "exp/b"])
    assert f"s3://{bucket}/exp/a is inside {outer_root}: its runs are read once" in stderr


def test_another_bucket_and_a_sibling_prefix_are_both_read(tmp_path: Path, s3: S3Server):
    bucket, other = s3.new_bucket(), s3.new_bucket()
    runs = _runs(tmp_path / "exp")
    s3.upload_tree(runs, bucket, "exp")
    s3.upload_tree(runs, bucket, "exp2")
    s3.upload_tree(runs, other, "exp")
    names, stderr = _check(f"s3://{bucket}/exp", f"s3://{bucket}/exp2", f"s3://{other}/exp")
    assert len(names) == 6 and "read once" not in stderr


def test_a_folder_inside_another_root_on_the_same_host_is_read_once(tmp_path: Path, sshd: Sshd):
    runs = _runs(tmp_path / "runs")
    names, stderr = _check(f"lwtest:{runs}", f"lwtest:{runs}/a")
    assert names == ["a", "b"]
    assert f"lwtest:{runs}/a is inside lwtest:{runs}: its runs are read once" in stderr
    names, stderr = _check(f"lwtest:{runs}", f"lwtest2:{runs}/a")  # another host name: not known to be the same
    assert len(names) == 3 and "read once" not in stderr


@pytest.mark.parametrize(
    ("outer", "inner", "covers"),
    [
        ("box:/", "box:/runs", True),  # the whole machine
        ("box:/", "box:runs", False),  # relative to the login folder: not known to be under /
        ("box:", "box:runs/a", True),
        ("box:runs", "box:./runs/a", True),
        ("box:/runs", "box:/runs2", False),
        ("me@box:/runs", "you@box:/runs/a", False),
        ("s3://b", "s3://b2/x", False),
        ("s3://b/exp", "s3://b/exp2/a", False),
    ],
)
def test_which_remote_root_reads_another(outer: str, inner: str, covers: bool):
    assert _covers(parse_root(outer), parse_root(inner)) is covers
