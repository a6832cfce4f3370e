"""Keys and clicks a reviewer found wrong: headers that cannot be sorted, ctrl+c and q on every screen, w on a
run in no sweep, the s cycle through the verdict column, and a filter typed fast."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA, until
from sweep_fixtures import lr_sweep, write_run
from test_screen import screen_lines
from textual import events

from tui.app.app import LossWatchApp
from tui.app.distributions import DistributionScreen
from tui.app.help import HelpScreen
from tui.app.sweep_view import SweepScreen
from tui.live.monitor import Monitor

FIXED_NOW = 1795400400.0


def _app(logdir: Path = DATA) -> LossWatchApp:
    return LossWatchApp(Monitor(str(logdir), clock=lambda: FIXED_NOW), watch=False, clock=lambda: FIXED_NOW)


async def _click_header(pilot, key: str) -> None:
    table = pilot.app.table
    columns = list(table.columns.values())
    before = next(i for i, col in enumerate(columns) if col.key.value == key)
    x = sum(col.get_render_width(table) for col in columns[:before]) + 1
    await pilot.click("#runs", offset=(x, 0))
    await pilot.pause()


@pytest.mark.parametrize("key", ["flags", "trend", "mark"])
async def test_a_click_on_a_header_that_cannot_be_sorted_does_nothing(key: str):
    """A click on `flags` raised KeyError in the sort and ended the app."""
    app = _app()
    async with app.run_test(size=(200, 30)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 6, "the fixture runs")
        assert key in app.table.shown_columns
        order = app.table.order
        await _click_header(pilot, key)
        await _click_header(pilot, key)
        assert app.is_running and app.table.sort_column == "verdict" and app.table.order == order


def _two_sweeps_and_a_lone_run(root: Path) -> Path:
    for name, values in lr_sweep(1).items():
        write_run(root / "adam" / name, values)
    write_run(root / "lone", lr_sweep(1)["lr=0.001"])
    return root


async def _open_each_screen(pilot, screen: str) -> None:
    """Open the help, a sweep or a run's distributions."""
    app = pilot.app
    if screen == "help":
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
    elif screen == "sweep":
        while app.table.selected != "adam/lr=0.001":
            await pilot.press("down")
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, SweepScreen), "the sweep")
    elif screen == "distributions":
        while app.table.selected != "torch/frozen-7":
            await pilot.press("down")
        await pilot.press("h")
        await until(pilot, lambda: isinstance(app.screen, DistributionScreen), "the distributions")
    elif screen == "filter":
        await pilot.press("slash", "t")
        await until(pilot, lambda: app.focused is app.filter_box, "the filter box")


@pytest.mark.parametrize("screen", ["main", "help", "sweep", "distributions", "filter"])
@pytest.mark.parametrize("key", ["ctrl+c", "q"])
async def test_ctrl_c_and_q_quit_from_every_screen(tmp_path: Path, screen: str, key: str):
    """Ctrl+C showed 'Press ctrl+q to quit the app' (Textual binds it to copy); q went back in the help, the
    sweep and the distributions instead of quitting (escape goes back). In the filter box q is typed."""
    app = _app(_two_sweeps_and_a_lone_run(tmp_path) if screen == "sweep" else DATA)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.table.order) > 1, "the runs")
        await _open_each_screen(pilot, screen)
        await pilot.press(key)
        await pilot.pause()
        if key == "q" and screen == "filter":
            assert app.is_running and app.filter_box.value == "tq"
            return
        assert not app.is_running and app.return_code == 0


@pytest.mark.parametrize("screen", ["help", "sweep", "distributions"])
async def test_escape_goes_back_from_every_screen(tmp_path: Path, screen: str):
    app = _app(_two_sweeps_and_a_lone_run(tmp_path) if screen == "sweep" else DATA)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.table.order) > 1, "the runs")
        await _open_each_screen(pilot, screen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and app.screen is app.screen_stack[0]


async def test_w_on_a_run_in_no_sweep_says_so_and_opens_no_other_sweep(tmp_path: Path):
    """`w` on a lone run opened the first sweep found, as if it were the run's."""
    app = _app(_two_sweeps_and_a_lone_run(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "lone" in app.table.order, "the runs")
        notes: list[str] = []
        app.notify = lambda message, **_kw: notes.append(message)  # type: ignore[method-assign]
        while app.table.selected != "lone":
            await pilot.press("down")
        await pilot.press("w")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, SweepScreen)
        assert notes == ["run lone is not part of a sweep"]


async def test_s_reverses_the_verdict_column_too_before_moving_on():
    """From `run ▼`, s went to `verdict ▲` then straight to `val ▲`: `verdict ▼` was never reached."""
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 6, "the fixture runs")
        table = app.table
        while not (table.sort_column == "run" and table.sort_reverse):
            await pilot.press("s")
        seen = []
        for _ in range(3):
            await pilot.press("s")
            await pilot.pause()
            header = screen_lines(app)[table.region.y]
            seen.append((table.sort_column, table.sort_reverse, "verdict ▼" in header))
        assert seen == [("verdict", False, False), ("verdict", True, True), ("val", False, False)]
        assert table.order[0] in ("torch/frozen-7", "keras/k-healthy", "torch/noisy-7")  # calm runs first


async def test_a_filter_typed_fast_leaves_no_excluded_run_in_the_chart():
    """`frxx` in one burst: `fr` selected torch/frozen-7, and its highlight, handled after `frxx` had emptied the
    table, charted it again under an empty table."""
    app = _app()
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.table.order) == 6, "the fixture runs")
        await pilot.press("slash")
        for key in "frxx":  # as a terminal sends them: all queued before the first is handled
            app.post_message(events.Key(key, key))
        await until(pilot, lambda: not app.table.order, "no row left")
        for _ in range(5):
            await pilot.pause(0.05)
        assert app.selected is None
        assert str(app.query_one("#chart-title").render()) == "no run matches 'frxx'"


@pytest.mark.parametrize("size", [(80, 6), (200, 5), (120, 40)])
async def test_page_keys_in_the_distributions_tag_list_work_in_a_pane_of_any_height(size: tuple[int, int]):
    """In a pane 6 rows high or less the tag list shows no row (its border takes them), and PageDown ended the app
    with a KeyError in Textual's page move; it moves by one tag there now."""
    app = _app()
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: len(app.table.order) > 1, "the runs")
        await _open_each_screen(pilot, "distributions")
        screen = app.screen
        tags = screen.query_one("#hist-tags")
        await pilot.press("pagedown")
        await pilot.pause()
        assert app.is_running and tags.highlighted == tags.option_count - 1
        await pilot.press("pageup")
        await pilot.pause()
        assert app.is_running and tags.highlighted == 0
