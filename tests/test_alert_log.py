"""The alert log in a narrow pane: every number of a reason whole, the reason never dropped."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from conftest import scalar_run, until
from judging_helpers import write_epoch_numbered
from test_screen import _alert, screen_lines

from tui.app.alerts import entries, when
from tui.app.app import LossWatchApp
from tui.judging.verdict import Alert
from tui.live.monitor import Monitor

NUMBER = r"\d[\d.,]*\d|\d"
REASON = (
    "v 0.4001 → 0.5857 since its best level at step 1,237,467,870: +33.2% of its range, 12.4x its noise 0.01497; "
    "train still falling (0.2192 → 0.05142)"
)


@pytest.mark.parametrize("width", [40, 60, 80])
async def test_a_reason_beside_a_long_step_and_name_keeps_its_numbers_whole(tmp_path: Path, width: int):
    """At 40 columns a step of ten digits left the reason three cells: ``0.5857`` read ``0.5`` over ``857``."""
    scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(width, 40)) as pilot:
        await pilot.pause()
        app.alert_log.show([_alert("experiment-long-1", "overfitting", 1_237_467_890, REASON)])
        await pilot.pause()
        region = app.alert_log.region
        lines = [line for line in screen_lines(app)[region.y : region.bottom] if line.strip()]
        whole = set(re.findall(NUMBER, REASON)) | {"1,237,467,890", "1"}  # "1" of the run's name
        for line in lines:  # the pane shows the first lines of a long reason (it scrolls): each number there whole
            assert set(re.findall(NUMBER, line)) <= whole, (line, lines)
        panel = " ".join(lines)
        assert "1,237,467,890" in panel and "overfitting" in panel and "experiment-long-1" in panel
        assert "0.4001 → 0.5857" in panel


async def test_the_log_shows_when_each_alerts_point_was_written_not_when_it_was_read(tmp_path: Path):
    """A run read at start told its history's alerts all at the minute losswatch started: an overfitting onset of
    last week read as if it had just happened. The step's wall time is shown, with the day when not today."""
    written = time.mktime((2024, 3, 1, 10, 15, 0, 0, 0, -1))
    steps = 40
    val = [1.0 - 0.02 * i for i in range(20)] + [0.62 + 0.03 * i for i in range(20)]
    scalar_run(tmp_path / "old", {"loss": [1.0 - 0.02 * i for i in range(steps)], "val_loss": val}, wall0=written)
    monitor = Monitor(str(tmp_path))
    app = LossWatchApp(monitor, watch=False, bell=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: any(a.kind == "overfitting" for a in monitor.alerts), "the bell")
        bell = next(a for a in monitor.alerts if a.kind == "overfitting")
        assert bell.written == written + bell.step  # scalar_run writes one point a second
        await until(pilot, lambda: "2024-03-01" in " ".join(screen_lines(app)), "the day written")
    today = Alert("r", 5, "overfitting", "val_loss", "x", "", time=time.time(), written=time.time() - 5)
    assert when(today) == time.strftime("%H:%M:%S", time.localtime(today.written))
    assert when(Alert("r", 5, "stalled", "", "x", "", time=written)) == "2024-03-01"  # unknown: read time
    this_year = time.mktime((time.localtime().tm_year, 1, 1, 10, 15, 0, 0, 0, -1))
    january = Alert("r", 5, "overfitting", "val_loss", "x", "", time=this_year + 86400 * 40, written=this_year)
    assert when(january, now=this_year + 86400 * 40) == "Jan 01 10:15"  # this year: the day, not the year


def test_the_log_is_newest_first_by_the_time_it_shows():
    """Runs read at start arrive as their workers finish: by arrival, last week's bell stood above today's."""
    today, last_week = time.time() - 60, time.time() - 7 * 86400
    told = [
        Alert("a", 9, "overfitting", "val_loss", "x", "", time=1.0, written=today),
        Alert("b", 9, "overfitting", "val_loss", "x", "", time=2.0, written=last_week),
        Alert("c", 9, "plateau", "val_loss", "x", "", time=3.0, written=last_week),
        Alert("d", 9, "plateau", "val_loss", "x", "", time=4.0, written=today),
    ]
    assert [entry.alert.run for entry in entries(told)] == ["a", "b", "d", "c"]


async def test_today_is_the_apps_clocks_today(tmp_path: Path):
    """The log asked the machine's clock what today is, the rest of the app its own: with the app's clock on the day
    the points were written (a replayed demo, the screenshots), they showed as another day's."""
    written = time.mktime((2024, 3, 1, 10, 15, 0, 0, 0, -1))
    val = [1.0 - 0.02 * i for i in range(20)] + [0.62 + 0.03 * i for i in range(20)]
    scalar_run(tmp_path / "old", {"loss": [1.0 - 0.02 * i for i in range(40)], "val_loss": val}, wall0=written)
    monitor = Monitor(str(tmp_path))
    app = LossWatchApp(monitor, watch=False, bell=False, clock=lambda: written + 3600.0)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: any(a.kind == "overfitting" for a in monitor.alerts), "the bell")
        bell = next(a for a in monitor.alerts if a.kind == "overfitting")
        shown = time.strftime("%H:%M:%S", time.localtime(bell.written))
        await until(pilot, lambda: shown in " ".join(screen_lines(app)), "the time of day")
        assert "2024-03-01" not in " ".join(screen_lines(app))


async def test_after_midnight_the_same_alerts_show_their_day(tmp_path: Path):
    """The log was drawn again only for a new alert or a new width: past midnight, yesterday's alerts kept showing a
    bare time of day, as if they were today's."""
    scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    written = time.mktime((2026, 3, 1, 23, 50, 0, 0, 0, -1))
    alert = Alert("r", 5, "overfitting", "val_loss", "val_loss 0.5 → 0.6", "", time=written, written=written)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        app.alert_log.show([alert], now=written + 60)
        await pilot.pause()
        assert "23:50:00" in " ".join(screen_lines(app))
        app.alert_log.show([alert], now=written + 3600)  # the next day
        await pilot.pause()
        assert "Mar 01 23:50" in " ".join(screen_lines(app))


@pytest.mark.parametrize(("width", "whole"), [(120, False), (200, True)])
async def test_a_wide_pane_gives_the_run_column_a_fifth_of_its_width(tmp_path: Path, width: int, whole: bool):
    """A newcomer's find: at 200 columns the run column stayed 28 cells and cut names with room to spare."""
    name = "experiment-long-descriptive-name-seed-1"  # 39 cells: cut in 28, whole in a fifth of 200
    scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(width, 40)) as pilot:
        await pilot.pause()
        app.alert_log.show([_alert(name, "overfitting", 1_200, "val_loss 0.5 → 0.6")])
        await pilot.pause()
        region = app.alert_log.region
        text = " ".join(screen_lines(app)[region.y : region.bottom])
        assert (name in text) == whole and ("…" in text) != whole, text


async def test_validation_at_epoch_numbers_is_a_notice_in_the_log_beside_the_bell_it_explains(tmp_path: Path):
    """At 80 columns the table drops its flags column: a stuck net logged with validation at the epoch's number (a
    writer for each curve) rang overfitting with no word of why; the log says it (``epoch-steps``), once."""
    write_epoch_numbered(tmp_path / "dead", val_at_epoch=True, two_files=True)
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app._refresh()  # a second look tells it no second time
        await pilot.pause()
        shown = [entry.alert for entry in entries(app.alert_log._alerts)]
        assert [a.kind for a in shown] == ["overfitting", "epoch-steps", "val-rising"]
        assert shown[1].run == "dead" and shown[1].reason.startswith("val/loss is logged at steps 1–20")
        seen: list[str] = []  # under the bell's reason, in a pane five lines tall: scrolled to
        for _ in range(12):
            region = app.alert_log.region
            seen += screen_lines(app)[region.y : region.bottom]
            app.alert_log.scroll_relative(y=1, animate=False)
            await pilot.pause()
        assert any("epoch-steps" in line and "val/loss is logged at steps" in line for line in seen), seen
