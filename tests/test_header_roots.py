"""The header names every root: cut each on its own to a share of the width, shown whole where they fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import scalar_run

from tui.app.app import LossWatchApp
from tui.live.group import build_monitor
from tui.sources.roots.parse import parse_root


@pytest.mark.parametrize("width", [200, 100, 60])
async def test_each_root_keeps_its_start_and_end_in_the_header(tmp_path: Path, monkeypatch, width: int):
    """Three roots were cut as one 60-cell string even at 200 columns: two roots vanished into one '…'."""
    monkeypatch.chdir(tmp_path)  # the roots as a user writes them, relative
    roots = [f"{name}-experiments-of-the-week" for name in ("first", "second", "third")]
    for root in roots:
        scalar_run(tmp_path / root / "run", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
    app = LossWatchApp(build_monitor([parse_root(root) for root in roots]), watch=False)
    async with app.run_test(size=(width, 30)) as pilot:
        await pilot.pause()
        parts = app.sub_title.split("  ")
        assert len(parts) == 3
        for root, part in zip(roots, parts, strict=True):
            if width == 200:
                assert part == root
            else:
                head, _, tail = part.partition("…")
                assert root.startswith(head) and head[:2] == root[:2] and root.endswith(tail) and tail.endswith("ek")


async def test_the_header_shows_the_root_whole_again_after_a_narrow_spell(tmp_path: Path, monkeypatch):
    """At 100 columns, then 30, then 100 again: the header kept the 30-column cut, `losswatch — /work/…tures`."""
    monkeypatch.chdir(tmp_path)
    root = "a-root-with-a-long-enough-name-to-be-cut-when-narrow"
    scalar_run(tmp_path / root / "run", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
    app = LossWatchApp(build_monitor([parse_root(root)]), watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.sub_title == root
        await pilot.resize_terminal(30, 10)
        await pilot.pause()
        assert "…" in app.sub_title
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert app.sub_title == root
