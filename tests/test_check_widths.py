"""``check`` into a pipe or a file: every note whole on its line; ``COLUMNS=0`` is no width."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import DATA, run_main


def test_check_into_a_pipe_gives_each_note_one_line():
    """Without COLUMNS a pipe gets room for every column, and the notes were hard-wrapped at 160 cells: a grep for a
    run's reason lost its end (``(13.5`` then ``standard errors)`` on the next line)."""
    lines = run_main("check", str(DATA)).stdout.splitlines()
    (overfit,) = [line for line in lines if line.startswith("torch/overfit-7: overfitting:")]
    assert len(overfit) > 160 and overfit.endswith(")")  # the reason to its end: "train still falling (… → …)"
    assert "standard errors); train still falling" in overfit


def test_columns_zero_is_as_if_unset():
    """``COLUMNS=0`` (Python's ``shutil`` takes it for unset) printed nothing at all, table and notes, exit 1."""
    result = run_main("check", str(DATA), columns=0)
    assert result.returncode == 1 and "torch/overfit-7" in result.stdout
    assert result.stdout == run_main("check", str(DATA)).stdout


def test_columns_zero_is_unset_for_every_command():
    """The fix above was check's alone: ``replay`` (and ``watch --plain``, ``demo --plain``) printed nothing."""
    assert run_main("replay", str(DATA), columns=0).stdout == run_main("replay", str(DATA)).stdout != ""


def test_long_names_of_one_sweep_are_whole_in_a_pipe(tmp_path: Path):
    """Two 130-character names that differ by their learning rate were cut in a pipe (``aaa…01_bbb`` against
    ``aaa…1_bbb`` in the table, an end cut in ``replay``): a script could not tell them apart."""
    names = [f"{'a' * 60}_lr={lr}_{'b' * 60}" for lr in ("0.1", "0.01")]
    for name in names:
        shutil.copytree(DATA / "torch" / "overfit-7", tmp_path / name)
    checked = run_main("check", str(tmp_path)).stdout.splitlines()
    replayed = run_main("replay", str(tmp_path)).stdout.splitlines()
    for name in names:
        assert any(line.startswith(f"{name} ") for line in checked)  # the table
        assert any(line.startswith(f"{name}: overfitting: ") for line in checked)  # the note
        assert any(line.startswith(f"{name}  step ") and "overfitting" in line for line in replayed)
