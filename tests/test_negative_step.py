"""A TensorBoard event at a negative step is skipped and counted as damaged, as a JSON line, CSV row or database row
at one is: it is no training step. Taken as a step going back (TensorBoard's purge on a restart), one such event
after 199 good ones dropped every point before it and an overfitting run read ``waiting``, exit 0."""

from __future__ import annotations

import math

import pytest
from conftest import run_main
from tensorboardX import SummaryWriter


def _write(folder, negative_at: int | None, points: int = 200, histogram: bool = False) -> None:
    writer = SummaryWriter(str(folder))
    for i in range(points):
        step = -5 if i == negative_at else i
        train = 2 * math.exp(-i / 20)
        writer.add_scalar("train/loss", train, step)
        writer.add_scalar("val/loss", train + 0.002 * max(0, i - 60), step)
        if histogram:  # a record the bulk scalar decoder leaves to the protobuf one
            writer.add_histogram("weights", [0.1, 0.2, 0.3], step)
    writer.close()


@pytest.mark.parametrize("histogram", [False, True], ids=["bulk", "protobuf"])
def test_a_negative_step_after_good_points_loses_nothing_and_is_counted_damaged(tmp_path, histogram):
    _write(tmp_path / "logs" / "r", negative_at=199, histogram=histogram)
    result = run_main("check", str(tmp_path / "logs"))
    assert result.returncode == 1, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("r "))
    assert row.split()[1] == "198"  # the last good step, not -5
    assert "overfitting" in row and "damaged" in row
    damaged = 3 if histogram else 2  # one record per scalar event at step -5 (and the histogram's)
    assert f"r: skipped {damaged} damaged record(s); everything else was read" in result.stdout


def test_the_same_run_without_the_negative_step_reads_the_same_verdict(tmp_path):
    _write(tmp_path / "logs" / "r", negative_at=None, points=199)
    result = run_main("check", str(tmp_path / "logs"))
    row = next(line for line in result.stdout.splitlines() if line.startswith("r "))
    assert row.split()[1] == "198" and "overfitting" in row and "damaged" not in row
