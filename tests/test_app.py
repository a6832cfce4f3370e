"""The live TUI driven by Textual's pilot: keys, sorting, filter, selection, compare, smoothing, bell, live tail."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    DATA,
    REAL_FILE_FOR_DAMAGE,
    frame,
    scalar_event,
    scalar_run,
    until,
)

from tui.app.app import LossWatchApp
from tui.app.help import HelpScreen
from tui.app.runs_table import RunsTable
from tui.live.monitor import Monitor

FIXED_NOW = 1795400400.0


def fixture_app(**kwargs) -> LossWatchApp:
    monitor = Monitor(str(DATA), clock=lambda: FIXED_NOW)
    monitor.label = "tests/data"
    return LossWatchApp(monitor, watch=False, clock=lambda: FIXED_NOW, **kwargs)


async def select_run(pilot, name: str) -> None:
    """Move the runs table's cursor to run ``name``, from the top row down."""
    if pilot.app.table.selected != name:
        await pilot.press("home")
    while pilot.app.table.selected != name:
        await pilot.press("down")


def status_text(app: LossWatchApp) -> str:
    return str(app.query_one("#status").render())


def rows(app: LossWatchApp) -> list[str]:
    return list(app.query_one("#runs", RunsTable).order)


async def test_help_opens_and_closes():
    app = fixture_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits():
    app = fixture_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 or app._exit


async def test_attention_first_then_sort_keys():
    app = fixture_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        order = rows(app)
        assert order[0] == "torch/diverge-7"  # diverging sorts first
        assert set(order[1:3]) == {"keras/k-overfit", "torch/overfit-7"}
        await pilot.press("s")  # next sort: the next column to the right, validation loss
        table = app.query_one("#runs", RunsTable)
        assert table.sort_column == "val"
        values = [table._rows[name].val for name in rows(app)]
        assert values == sorted(values)


async def test_click_on_header_sorts_and_reverses():
    app = fixture_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.query_one("#runs", RunsTable)
        columns = list(table.columns.values())
        before = next(i for i, col in enumerate(columns) if col.key.value == "step")
        x = sum(col.get_render_width(table) for col in columns[:before]) + 1  # the "step" header
        await pilot.click("#runs", offset=(x, 0))
        await pilot.pause()
        steps = [table._rows[name].step for name in rows(app)]
        assert table.sort_column == "step" and steps == sorted(steps)
        await pilot.click("#runs", offset=(x, 0))
        await pilot.pause()
        steps = [table._rows[name].step for name in rows(app)]
        assert steps == sorted(steps, reverse=True)


async def test_filter_by_regex_and_escape_clears():
    app = fixture_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"keras", "enter")
        await pilot.pause()
        assert rows(app) == ["keras/k-overfit", "keras/k-healthy"] or sorted(rows(app)) == [
            "keras/k-healthy",
            "keras/k-overfit",
        ]
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert len(rows(app)) == 6


async def test_invalid_regex_is_flagged_not_fatal():
    app = fixture_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash", "[", "(")
        await pilot.pause()
        assert app.query_one("#filter").has_class("invalid")
        assert len(rows(app)) == 6


async def test_selection_stays_on_the_same_run_when_rows_reorder(tmp_path: Path):
    # Two healthy runs; the selected one later diverges, which moves it to the top of the table.
    a = scalar_run(tmp_path / "a", {"loss": [1.0, 0.9, 0.8, 0.7, 0.6, 0.5], "val_loss": [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]})
    scalar_run(tmp_path / "b", {"loss": [1.0, 0.9, 0.8, 0.7, 0.6, 0.5], "val_loss": [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]})
    monitor = Monitor(str(tmp_path))
    app = LossWatchApp(monitor, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("down")  # select "b"
        await pilot.pause()
        assert app.selected == "b"
        with open(tmp_path / "a" / a.name, "ab") as handle:
            handle.write(frame(scalar_event("loss", 6, math.nan, 1006.0)))
        app._from_engine(*monitor.refresh())
        await pilot.pause()
        assert rows(app)[0] == "a"  # a diverged: first now
        assert app.selected == "b"
        assert app.query_one("#runs", RunsTable).selected == "b"


async def test_mark_and_compare_overlays_marked_validation_curves():
    app = fixture_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("space", "down", "space")
        await pilot.press("c")
        await pilot.pause()
        chart = app.query_one("#chart")
        assert app.view.mode == "compare"
        assert len(chart._spec.curves) == 2
        assert "2 marked runs" in chart._spec.title
        await pilot.press("c")
        assert app.view.mode == "pair"
        await pilot.press("space", "c")  # one left marked: "1 marked run", not "1 marked runs"
        await pilot.pause()
        assert app.view.mode == "compare" and "validation loss of 1 marked run ·" in chart._spec.title + " ·"


def record_notifications(app: LossWatchApp) -> list[str]:
    """The messages the app shows as notifications from now on, as it sends them."""
    sent: list[str] = []
    notify = app.notify

    def recording(message, *args, **kwargs):
        sent.append(str(message))
        return notify(message, *args, **kwargs)

    app.notify = recording  # type: ignore[method-assign]
    return sent


async def test_compare_without_marks_says_how():
    app = fixture_app()
    sent = record_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert app.view.mode == "pair"
        assert sent == ["mark runs with space first, then press c"]


async def test_smoothing_axis_and_log_keys_change_the_chart():
    app = fixture_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        chart = app.query_one("#chart")
        key = chart._spec.key
        await pilot.press("right_square_bracket")
        assert app.view.weight == pytest.approx(0.65)
        assert "smoothing 0.65" in chart._spec.title
        assert chart._spec.key != key
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert app.view.weight == pytest.approx(0.55)
        await pilot.press("x")
        assert app.view.x_axis == "time" and chart._spec.xlabel == "seconds since start"  # the run took 0.7 s
        await pilot.press("l")
        assert chart._spec.log_y
        status = status_text(app)
        assert "smoothing 0.55" in status and "log y" in status


async def test_choosing_a_tag_charts_it():
    app = fixture_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.query_one("#tags").focus()
        await pilot.press("down", "down", "enter")  # the first tag after "train + val loss"
        await pilot.pause()
        assert app.view.mode == "tag" and app.view.tag is not None
        assert len(app.query_one("#chart")._spec.curves) == 2  # raw + smoothed


async def test_chart_is_not_redrawn_when_nothing_changes():
    app = fixture_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        chart = app.query_one("#chart")
        draws = chart.draws
        await pilot.pause(1.2)  # several ticks and age refreshes
        assert chart.draws == draws


async def _grow(monitor: Monitor, app: LossWatchApp, path: Path, tag_values: dict[str, list[float]], start: int):
    with open(path, "ab") as handle:
        for i in range(len(next(iter(tag_values.values())))):
            for tag, values in tag_values.items():
                handle.write(frame(scalar_event(tag, start + i, values[i], 1000.0 + start + i)))
    app._from_engine(*monitor.refresh())


async def test_bell_rings_on_overfitting_and_not_on_noise(tmp_path: Path):
    rng = np.random.default_rng(0)
    train = list(np.linspace(2.0, 0.1, 60))
    overfit_val = list(np.concatenate((np.linspace(2.0, 0.5, 20), np.linspace(0.5, 1.5, 40))) + rng.normal(0, 0.01, 60))
    noisy_val = list(np.linspace(2.0, 0.6, 60) * (1 + rng.normal(0, 0.15, 60)))
    over = scalar_run(tmp_path / "over", {"loss": train[:5], "val_loss": overfit_val[:5]})
    noisy = scalar_run(tmp_path / "noisy", {"loss": train[:5], "val_loss": noisy_val[:5]})
    monitor = Monitor(str(tmp_path))
    app = LossWatchApp(monitor, watch=False)
    rings = []
    app.bell = lambda: rings.append(time.time())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for start in range(5, 60, 5):
            await _grow(
                monitor, app, noisy, {"loss": train[start : start + 5], "val_loss": noisy_val[start : start + 5]}, start
            )
            await pilot.pause()
        assert rings == []
        for start in range(5, 60, 5):
            await _grow(
                monitor,
                app,
                over,
                {"loss": train[start : start + 5], "val_loss": overfit_val[start : start + 5]},
                start,
            )
            await pilot.pause()
        assert len(rings) == 1  # once per onset
        assert any(a.kind == "overfitting" and a.run == "over" for a in monitor.alerts)


async def test_no_bell_flag_silences(tmp_path: Path):
    scalar_run(tmp_path / "nan", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    rings = []
    app.bell = lambda: rings.append(1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert rings == []
        assert any(a.kind == "diverging" for a in app.monitor.alerts)


async def test_live_tail_updates_table_and_chart(tmp_path: Path):
    """A writer appends while the app watches (inotify or polling): rows and chart follow within seconds."""
    path = scalar_run(tmp_path / "live", {"loss": [2.0, 1.8, 1.6], "val_loss": [2.1, 1.9, 1.7]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=True)
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + 10
        while "live" not in rows(app) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert rows(app) == ["live"]
        chart = app.query_one("#chart")
        before = chart._spec.key
        with open(path, "ab") as handle:
            for step, (t, v) in enumerate(zip([1.4, 1.2], [1.5, 1.3]), start=3):
                handle.write(frame(scalar_event("loss", step, t, 1000.0 + step)))
                handle.write(frame(scalar_event("val_loss", step, v, 1000.0 + step)))
        scalar_run(tmp_path / "newcomer", {"loss": [1.0], "val_loss": [1.0]})
        deadline = time.monotonic() + 10
        table = app.query_one("#runs", RunsTable)
        while time.monotonic() < deadline and (
            table._rows.get("live") is None or table._rows["live"].step != 4 or "newcomer" not in rows(app)
        ):
            await pilot.pause(0.05)
        assert table._rows["live"].step == 4
        assert "newcomer" in rows(app)
        await until(pilot, lambda: chart._spec.key != before, "a new chart")
        assert len(app.store.runs["live"].scalars["val_loss"]) == 5


async def test_hostile_names_are_shown_literally(tmp_path: Path):
    nasty = "[b]x[/][@click=app.quit]\x1b[31m"
    scalar_run(tmp_path / nasty, {"loss": [1.0, 0.9], "[red]val_loss": [1.0, 0.9]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.query_one("#runs", RunsTable)
        cell = table.get_cell(nasty, "run")
        assert "[@click=app.quit]" in cell.plain and "\\x1b" in cell.plain
        await pilot.click("#runs", offset=(8, 1))
        await pilot.pause()
        assert app.is_running  # clicking the name did not run app.quit


async def test_home_and_end_select_the_first_and_the_last_run():
    app = fixture_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        order = rows(app)
        await pilot.press("down", "down", "end")
        assert app.table.selected == order[-1]
        await pilot.press("up", "home")
        assert app.table.selected == order[0]


async def test_status_line_says_what_is_wrong_with_a_damaged_run(tmp_path: Path):
    scalar_run(tmp_path / "good", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "events.out.tfevents.1.junk").write_bytes(bytes(range(256)) * 20)
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        await select_run(pilot, "good")
        await pilot.pause(0.3)  # a status tick with "good" selected: the damaged run's note is not there
        assert "junk:" not in status_text(app)
        await select_run(pilot, "junk")
        await until(pilot, lambda: "junk: skipped" in status_text(app), "the damaged run's note")
        assert "no data could be read" in status_text(app)


async def test_cursor_starts_on_the_run_most_in_need_of_attention():
    app = fixture_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.table.selected == rows(app)[0] == "torch/diverge-7"
        assert app.selected == "torch/diverge-7"


async def test_big_logdir_is_read_in_workers_then_tailed(tmp_path: Path, monkeypatch):
    """At start-up the runs are read in worker processes (whole runs come back); the table fills with the
    same verdicts one process gives, and appends are then tailed as usual. The curves come back through
    memory files (read-only), as big runs do: charting and tailing them must not write into them."""
    from tui.live import firstread as parallel
    from tui.live import shipping

    monkeypatch.setattr(shipping, "MIN_OUT_OF_BAND", 0)
    for i in range(10):
        t = np.arange(60)
        scalar_run(
            tmp_path / f"run-{i}",
            {
                "loss": list(np.exp(-t / 20) + 0.1),
                "val_loss": list(0.4 + np.exp(-t / 15) + 0.004 * np.maximum(t - 4 * i, 0)),
            },
        )
    alone = Monitor(str(tmp_path))
    alone.refresh()
    # Earlier tests may have left a library's thread running (watchdog keeps one for inotify): fork anyway.
    monkeypatch.setattr(parallel, "_other_threads_running", lambda: False)
    first_read = parallel.FirstRead(parallel.Workers.start(2, whole=True))
    assert first_read.workers is not None
    app = LossWatchApp(Monitor(str(tmp_path)), watch=True, bell=False, first_read=first_read)
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + 60
        while len(rows(app)) < 10 and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert sorted(rows(app)) == [f"run-{i}" for i in range(10)]
        assert not app.store.notes  # the workers did the reading
        assert {n: v.kind for n, v in app.monitor.verdicts.items()} == {n: v.kind for n, v in alone.verdicts.items()}
        assert not app.store.runs["run-3"].scalars["loss"].arrays()[1].flags.writeable
        for _ in range(3):  # chart a few runs drawn from memory files
            await pilot.press("down")
            await pilot.pause()
        path = next((tmp_path / "run-0").glob("*tfevents*"))
        with open(path, "ab") as handle:
            handle.write(frame(scalar_event("val_loss", 60, 0.5, 2000.0)))
        deadline = time.monotonic() + 10
        while len(app.store.runs["run-0"].scalars["val_loss"]) < 61 and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert len(app.store.runs["run-0"].scalars["val_loss"]) == 61
    assert first_read.workers is None  # they served the first read and stopped


def test_tui_shows_non_finite_and_damaged_runs(tmp_path: Path):
    import asyncio

    from tui.app.app import LossWatchApp

    scalar_run(tmp_path / "nan", {"loss": [1.0, math.nan], "val_loss": [math.inf, 1.0]})

    async def go():
        app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: "nan" in app.table._rows, "the run in the table")
            assert app.table._rows["nan"].verdict == "diverging"

    asyncio.run(go())


async def test_tui_marks_damaged_runs(tmp_path: Path):
    from tui.app.app import LossWatchApp

    run = tmp_path / "hurt"
    run.mkdir()
    blob = bytearray(REAL_FILE_FOR_DAMAGE.read_bytes())
    blob[200] ^= 0xFF
    (run / REAL_FILE_FOR_DAMAGE.name).write_bytes(bytes(blob))
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await until(pilot, lambda: "hurt" in app.table._rows, "the run in the table")
        assert app.table._rows["hurt"].trouble
        assert "damaged" in app.table.get_cell("hurt", "flags").plain


async def test_sorting_keeps_the_selected_run_selected():
    app = fixture_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await select_run(pilot, "torch/frozen-7")
        for _ in range(6):  # by name, reversed, by step, ...: the run moves, the cursor with it
            await pilot.press("s")
            await pilot.pause()
            assert app.selected == app.table.selected == "torch/frozen-7", app.table.sort_column
            assert app.chart_title.render().plain.startswith("torch/frozen-7")


async def test_sorting_before_moving_the_cursor_keeps_the_top_run_selected():
    app = fixture_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("s")  # by val: torch/diverge-7 (nan) is no longer on top, and stays selected
        await pilot.pause()
        assert rows(app)[0] != "torch/diverge-7" and app.selected == app.table.selected == "torch/diverge-7"


async def test_a_bad_filter_regex_says_what_is_wrong():
    app = fixture_app()
    sent = record_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash", "(", "[", "enter")
        await pilot.pause()
        assert "bad regex: unterminated character set at position 1" in status_text(app)
        assert sent == ["bad regex: unterminated character set at position 1"]
        assert app.focused is app.filter_box and len(rows(app)) == 6  # stay to mend it; the filter is unchanged
        await pilot.press("escape")
        await pilot.pause()
        assert "bad regex" not in status_text(app)


async def test_the_main_views_keys_do_nothing_under_the_help():
    app = fixture_app()
    sent = record_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await select_run(pilot, "keras/k-healthy")  # no histograms, no sweep: h and w would warn
        await pilot.press("c")  # a warning, then the help: the warning goes
        await pilot.press("question_mark")
        await pilot.pause()
        assert not app._notifications
        await pilot.press("h", "w", "s", "x", "slash")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and not app._notifications
        assert sent == ["mark runs with space first, then press c"]
        assert app.table.sort_column == "verdict" and app.view.x_axis == "step"


async def test_keys_typed_right_after_the_slash_go_into_the_filter():
    from textual import events

    app = fixture_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        typed = [("slash", "/"), ("left_parenthesis", "("), ("left_square_bracket", "[")]
        for key, character in typed:
            app.post_message(events.Key(key, character))  # all queued at once, as a quick typist's keys arrive
        await pilot.pause()
        assert app.filter_box.value == "([" and app.view.weight == 0.6
        await pilot.press("escape")
        for character in "/torch/f":
            key = {"/": "slash"}.get(character, character)
            app.post_message(events.Key(key, character))
        await pilot.pause()
        assert app.filter_box.value == "torch/f" and rows(app) == ["torch/frozen-7"]
