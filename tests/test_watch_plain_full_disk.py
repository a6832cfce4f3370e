"""``watch --plain`` whose output cannot be written (a full disk, ``/dev/full``) says so in one line and exits 2,
as ``check`` and ``replay`` do (a hostile tester's find: the watcher's thread died with a traceback and the watch
ran on, deaf, until killed; with several roots at once, from their first rounds)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DATA

ROOT = Path(__file__).parents[1]
SAID = "losswatch: cannot write the output: No space left on device"


def _watch(*roots: Path, json: bool = False) -> subprocess.Popen:
    with open("/dev/full", "w") as full:
        return subprocess.Popen(
            [sys.executable, "-m", "tui", "watch", *map(str, roots), "--plain", "--poll", "0.2", *["--json"] * json],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )


def _ended(watch: subprocess.Popen) -> tuple[int, str]:
    try:
        _out, err = watch.communicate(timeout=30)
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()
    return watch.returncode, err


def test_several_roots_whose_first_rounds_cannot_be_written(tmp_path: Path):
    for name in ("overfit-7", "diverge-7"):
        shutil.copytree(DATA / "torch" / name, tmp_path / name)
    code, err = _ended(_watch(tmp_path / "overfit-7", tmp_path / "diverge-7"))
    assert code == 2 and "Traceback" not in err and SAID in err


@pytest.mark.parametrize("json", [False, True])
def test_a_run_found_after_the_first_round_that_cannot_be_written(tmp_path: Path, json: bool):
    late = tmp_path / "late"
    late.mkdir()
    watch = _watch(late, json=json)
    time.sleep(1.5)  # its first round said nothing on stdout: no run yet
    shutil.copytree(DATA / "torch" / "overfit-7", late / "run")
    code, err = _ended(watch)
    assert code == 2 and "Traceback" not in err and SAID in err
