""" "no trouble seen" is not said beside a `val-rising` warning: a real ResNet on a small set whose validation went
from its best level 0.079 to 0.141 read "no trouble seen: … val at 0.1414, its direction hidden by its noise"
next to the flag that warned of that very rise."""

from __future__ import annotations

from pathlib import Path

from judging_helpers import realnet


def test_a_warned_rise_is_not_called_no_trouble(tmp_path: Path):
    judged, _ = realnet(tmp_path, "resnet-spiky-s1")
    assert judged.verdict.kind == "learning" and "val-rising" in judged.verdict.flags
    assert "no trouble seen" not in judged.verdict.reason
    assert "its direction hidden by its noise" in judged.verdict.reason  # the reading itself is still said
