"""``check`` into a pipe or a file: every note whole on its line; ``COLUMNS=0`` is no width."""

from __future__ import annotations

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
