"""SVG snapshots of the main screens (pytest-textual-snapshot); update with --snapshot-update after a UI change."""

from __future__ import annotations

from test_app import fixture_app, select_run


async def _settle(pilot) -> None:
    await pilot.pause(0.2)
    await pilot.wait_for_scheduled_animations()


def test_main_screen_80x24(snap_compare):
    assert snap_compare(fixture_app(), terminal_size=(80, 24), run_before=_settle)


def test_main_screen_120x40(snap_compare):
    assert snap_compare(fixture_app(), terminal_size=(120, 40), run_before=_settle)


def test_overfitting_run_selected_120x40(snap_compare):
    async def select(pilot):
        await _settle(pilot)
        await pilot.press("down", "down")
        await _settle(pilot)

    assert snap_compare(fixture_app(), terminal_size=(120, 40), run_before=select)


def test_compare_mode_120x40(snap_compare):
    async def compare(pilot):
        await _settle(pilot)
        await pilot.press("space", "down", "space", "down", "space", "c")
        await _settle(pilot)

    assert snap_compare(fixture_app(), terminal_size=(120, 40), run_before=compare)


def test_help_80x24(snap_compare):
    async def help_screen(pilot):
        await _settle(pilot)
        await pilot.press("question_mark")
        await _settle(pilot)

    assert snap_compare(fixture_app(), terminal_size=(80, 24), run_before=help_screen)


def test_distributions_120x40(snap_compare):
    async def distributions(pilot):
        await _settle(pilot)
        await select_run(pilot, "torch/frozen-7")
        await pilot.press("h", "down")
        await _settle(pilot)

    assert snap_compare(fixture_app(), terminal_size=(120, 40), run_before=distributions)
