"""The live view under input that broke it: regular expressions re refuses otherwise, values plotext cannot draw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import refused, scalar_run, until
from tensorboardX import SummaryWriter
from test_app import fixture_app, rows, status_text

from tui.app.app import LossWatchApp
from tui.live.monitor import Monitor


async def test_a_filter_with_a_repeat_count_past_res_limit_says_so_and_the_view_goes_on():
    """``a{99999999999}`` made re.compile raise OverflowError, which ended the live view with a traceback."""
    app = fixture_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"a{99999999999}", "enter")
        await pilot.pause()
        assert "bad regex: the repetition number is too large" in status_text(app)
        assert app.is_running and app.focused is app.filter_box  # still there, in the box to mend it
        await pilot.press("escape")
        await pilot.pause()
        assert len(rows(app)) == 6


async def test_values_at_the_float_limit_and_a_log_axis_over_nothing_positive_never_end_the_view(tmp_path: Path):
    """Losses near 1e308 (plotext's ticks over a span past the float limit) and the log axis (`l`) on a run with
    nothing positive to draw ended the live view with a traceback from plotext."""
    scalar_run(
        tmp_path / "huge", {"loss": [1e308, 1.7e308, -1e308, 5e307], "val_loss": [1e308, 1.5e308, 1e308, 1.7e308]}
    )
    scalar_run(tmp_path / "negative", {"loss": [-1.0, -2.0, -3.0, -4.0], "val_loss": [-1.0, -1.5, -2.0, -2.5]})
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for keys in (["l"], ["down"], ["up"], ["l"], ["down"]):
            await pilot.press(*keys)
            await pilot.pause()
        assert app.is_running and {app.selected} <= {"huge", "negative"}


async def test_a_run_that_cannot_be_read_says_why_in_the_charts_place(tmp_path: Path):
    """Its chart read "locked: no loss curves found (choose a tag)": no tag to choose, the reason only at the end
    of the status line."""
    event_file = scalar_run(tmp_path / "locked", {"loss": [1.0, 0.9], "val_loss": [1.1, 1.0]})
    with refused(event_file):
        app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: rows(app) == ["locked"], "the run")
            title = app.query_one("#chart-title")
            await until(pilot, lambda: "permission denied" in str(title.render()), "the reason")
            assert "choose a tag" not in str(title.render())


async def test_a_run_of_histograms_alone_says_so_in_the_charts_place(tmp_path: Path):
    """A run that logs only weight histograms: its chart said to choose a tag, and there is none; ``h`` shows them."""
    with SummaryWriter(str(tmp_path / "weights-only")) as writer:
        for step in range(3):
            writer.add_histogram("fc1/weight", np.random.default_rng(step).normal(size=200), step)
    app = LossWatchApp(Monitor(str(tmp_path)), watch=False, bell=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: rows(app) == ["weights-only"], "the run")
        title = app.query_one("#chart-title")
        await until(pilot, lambda: "only distributions (h shows them)" in str(title.render()), "the note")


async def test_tag_options_that_pick_no_curve_of_a_run_say_so_in_the_charts_place(tmp_path: Path):
    """``--train-tag`` and ``--val-tag`` that pick only accuracies of a run that logs no loss: the live view has no
    stderr to say it on, and the chart read "no loss curves found (choose a tag)", which says nothing of the options."""
    scalar_run(tmp_path / "run", {"train/accuracy": [0.5, 0.6, 0.7], "val/accuracy": [0.5, 0.55, 0.6]})
    monitor = Monitor(str(tmp_path), train_pattern="train/accuracy", val_pattern="val/accuracy")
    app = LossWatchApp(monitor, watch=False, bell=False)
    async with app.run_test(size=(200, 30)) as pilot:
        await until(pilot, lambda: rows(app) == ["run"], "the run")
        title = app.query_one("#chart-title")
        said = "choose a tag: --train-tag and --val-tag pick only higher-is-better curves (train/accuracy, val/"
        await until(pilot, lambda: said in str(title.render()), "the options named")


@pytest.mark.parametrize(
    ("pattern", "said"),
    [
        ("val_acc", "--val-tag 'val_acc' matches only higher-is-better curves (an accuracy, not a loss) of this run"),
        ("nomatch", "--val-tag 'nomatch' matches no tag of this run"),
    ],
)
async def test_the_status_line_says_a_tag_option_picks_no_curve_of_the_selected_run(tmp_path: Path, pattern, said):
    """``--val-tag`` matching no tag of a run, or only its accuracy: the chart shows the loss the rules chose in its
    place, and the live view said nothing (``check`` says it on stderr). The status line says it for the run shown."""
    scalar_run(tmp_path / "losses", {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    scalar_run(tmp_path / "with-acc", {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9], "val_acc": [0.5] * 3})
    app = LossWatchApp(Monitor(str(tmp_path), val_pattern=pattern), watch=False, bell=False)
    async with app.run_test(size=(200, 30)) as pilot:
        await until(pilot, lambda: rows(app) == ["losses", "with-acc"], "the runs")
        await pilot.press("down")  # the run with an accuracy
        await until(pilot, lambda: app.selected == "with-acc", "its selection")
        await until(pilot, lambda: f"{said}: judged instead: 'val_loss'" in status_text(app), "the note")
        await pilot.press("up")  # the run without one: no tag of it matches either pattern
        await until(pilot, lambda: app.selected == "losses", "its selection")
        no_tag = f"--val-tag {pattern!r} matches no tag of this run: judged instead: 'val_loss'"
        await until(pilot, lambda: no_tag in status_text(app), "the note on the other run")


async def test_the_status_lines_tag_note_follows_the_curves_the_run_gains(tmp_path: Path):
    """The note is kept while the run's curves stay as they were: a run that logs its accuracy only later is then
    said to match only that accuracy, not still no tag."""
    scalar_run(tmp_path / "run", {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    monitor = Monitor(str(tmp_path), val_pattern="val_acc")
    app = LossWatchApp(monitor, watch=False, bell=False)
    async with app.run_test(size=(200, 30)) as pilot:
        no_tag = "--val-tag 'val_acc' matches no tag of this run: judged instead: 'val_loss'"
        await until(pilot, lambda: no_tag in status_text(app), "the first note")
        scalar_run(tmp_path / "run", {"val_acc": [0.5, 0.6, 0.7]}, wall0=2000.0)  # a second event file
        app._from_engine(*monitor.refresh())
        only = "--val-tag 'val_acc' matches only higher-is-better curves (an accuracy, not a loss) of this run"
        await until(pilot, lambda: only in status_text(app) and no_tag not in status_text(app), "the note again")


async def test_the_status_lines_tag_note_says_yet_while_the_run_waits_for_its_curves(tmp_path: Path):
    """A run whose first epoch is under way (a training loss, no validation yet): the option matches nothing of it
    and nothing stands in for it, yet; said as the live stderr says it, not as if for good."""
    scalar_run(tmp_path / "run", {"loss": [1.0, 0.9]})
    app = LossWatchApp(Monitor(str(tmp_path), val_pattern="val_acc"), watch=False, bell=False)
    async with app.run_test(size=(200, 30)) as pilot:
        said = "--val-tag 'val_acc' matches no tag of this run yet: nothing judged in its place yet"
        await until(pilot, lambda: said in status_text(app), "the note")


async def test_the_status_line_says_a_tag_option_took_the_other_slots_curve(tmp_path: Path):
    """``--train-tag val_loss`` takes validation's curve for training, and the run is judged without a validation
    curve: an overfitting run read "learning" with no word (a new user's find). Taken as asked, and said."""
    scalar_run(tmp_path / "run", {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    app = LossWatchApp(Monitor(str(tmp_path), train_pattern="val_loss"), watch=False, bell=False)
    async with app.run_test(size=(200, 30)) as pilot:
        await until(pilot, lambda: rows(app) == ["run"], "the run")
        said = "--train-tag 'val_loss' takes 'val_loss', named as validation, for training: judged without a validation"
        await until(pilot, lambda: said in status_text(app), "the note")
