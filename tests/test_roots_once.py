"""A root given twice (``runs runs/``), or inside another (``runs runs/a``, as a shell glob gives them), is read
once and said on stderr: every run of it was listed twice, once as ``runs#2:...``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main, scalar_run


def _runs(tmp_path: Path) -> Path:
    for name in ("a", "b"):
        scalar_run(tmp_path / "runs" / name, {"loss": [1.0, 0.8, 0.6], "val_loss": [1.1, 0.9, 0.7]})
    return tmp_path / "runs"


@pytest.mark.parametrize(
    "given, says",
    [
        (["{r}", "{r}/"], "{r}/ is the same root as {r}: its runs are read once"),
        (["{r}", "{r}/a"], "{r}/a is inside {r}: its runs are read once"),
        (["{r}/a", "{r}"], "{r}/a is inside {r}: its runs are read once"),
        (["{r}", "{r}/../runs"], "{r}/../runs is the same root as {r}: its runs are read once"),
    ],
)
def test_each_run_is_listed_once_and_the_root_read_once_is_said(tmp_path: Path, given: list[str], says: str):
    runs = _runs(tmp_path)
    roots = [text.format(r=runs) for text in given]
    result = run_main("check", *roots, "--json")
    names = [record["run"] for record in json.loads(result.stdout)]
    assert result.returncode == 0, result.stderr
    assert sorted(names) == ["a", "b"]  # one root left: its runs' names as under it alone
    assert says.format(r=runs) in result.stderr


@pytest.mark.parametrize(("inside", "says"), [("typo", "no such folder"), ("a/notes.txt", "not a folder")])
def test_a_root_inside_another_that_is_not_there_is_said_so_exit_1(tmp_path: Path, inside: str, says: str):
    """``runs runs/typo`` read the runs once and exited 0: the mistyped folder went as 'inside runs: read once'."""
    runs = _runs(tmp_path)
    (runs / "a" / "notes.txt").write_text("not a folder")
    result = run_main("check", str(runs), str(runs / inside))
    assert result.returncode == 1, result.stderr
    assert f"{runs / inside}: {says}" in result.stderr
    assert "read once" not in result.stderr


def test_two_roots_side_by_side_are_both_read(tmp_path: Path):
    runs = _runs(tmp_path)
    scalar_run(tmp_path / "more" / "c", {"loss": [1.0, 0.8, 0.6], "val_loss": [1.1, 0.9, 0.7]})
    result = run_main("check", str(runs), str(tmp_path / "more"), "--json")
    assert len(json.loads(result.stdout)) == 3 and "read once" not in result.stderr


@pytest.mark.parametrize("link_to", ["other", "parent"])
def test_another_roots_folder_reached_through_a_symlink_is_read_under_that_root_only(tmp_path: Path, link_to: str):
    """``losswatch runs /data/other`` with runs/shared -> /data/other (or -> /data): each run of the other root was
    listed twice, as runs:shared/x and other:x, and its bell rang twice."""
    runs = _runs(tmp_path)
    other = tmp_path / "data" / "other"
    scalar_run(other / "x", {"loss": [1.0, 0.8, 0.6], "val_loss": [1.1, 0.9, 0.7]})
    (runs / "shared").symlink_to(other if link_to == "other" else tmp_path / "data")
    for command in ("check", "export"):
        extra = ["-o", str(tmp_path / "points.csv")] if command == "export" else ["--json"]
        result = run_main(command, str(runs), str(other), *extra)
        assert result.returncode == 0, result.stderr
    names = sorted(record["run"] for record in json.loads(run_main("check", str(runs), str(other), "--json").stdout))
    assert names == ["other:x", "runs:a", "runs:b"]
    alone = json.loads(run_main("check", str(runs), "--json").stdout)  # alone, the link is read as any folder
    assert sorted(record["run"] for record in alone) == [
        "a",
        "b",
        "shared/other/x" if link_to == "parent" else "shared/x",
    ]
