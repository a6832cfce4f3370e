"""The sweep view (w), driven by Textual's pilot, and its SVG snapshot at 80x24."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA, until
from rich.console import Console
from sweep_fixtures import lr_sweep, start_run, write_run

from tui.app.app import LossWatchApp
from tui.app.sweep_data import sweep_view
from tui.app.sweep_view import SweepScreen
from tui.live.demo import DemoJobs
from tui.live.monitor import Monitor

FIXED_NOW = 1795400400.0


def screen_text(app: LossWatchApp) -> list[str]:
    """The screen as plain text, a string per row."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False).split("\n")[:height]


def _app(logdir: Path) -> LossWatchApp:
    monitor = Monitor(str(logdir), clock=lambda: FIXED_NOW)
    monitor.label = "runs/"
    return LossWatchApp(monitor, watch=False, clock=lambda: FIXED_NOW)


def _two_sweeps(root: Path, going_on: list | None = None) -> Path:
    """Two sweeps, written whole; or, given ``going_on``, as jobs still writing: their last epoch is written by the
    functions it is given (``_seen_writing``)."""
    curves = lr_sweep(1)
    for name, values in curves.items():
        for folder, run, hparams in ((root / "adam", values, {"epochs": 80}), (root / "sgd", values[:40] * 1.1, None)):
            if going_on is None:
                write_run(folder / name, run, hparams=hparams)
            else:
                going_on.append(start_run(folder / name, run, hparams=hparams))
    return root


def _seen_writing(root: Path, going_on: list) -> LossWatchApp:
    """The app on jobs read once, then writing their next epoch, which its own first read finds: jobs seen writing
    (runs written before the watch began have nothing to stop)."""
    app = _app(root)
    app.monitor.refresh()
    for go_on in going_on:
        go_on()
    return app


def _two_sweeps_writing(root: Path) -> LossWatchApp:
    going_on: list = []
    return _seen_writing(_two_sweeps(root, going_on), going_on)


async def _open(pilot, run: str) -> SweepScreen:
    while pilot.app.table.selected != run:
        await pilot.press("down")
    await pilot.press("w")
    await until(pilot, lambda: isinstance(pilot.app.screen, SweepScreen), "the sweep view", seconds=10)
    await until(pilot, lambda: pilot.app.screen.query_one("#sweep-runs").row_count, "the sweep's table", seconds=10)
    return pilot.app.screen


async def test_the_titles_total_saving_is_the_sum_of_the_rows_shown(tmp_path: Path):
    """The title added the exact savings and rounded once (0.95 GPU h as '0.9' or '1.0' over rows of 0.32 h)."""
    import re

    app = _two_sweeps_writing(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, "adam/lr=0.001")
        table = screen.query_one("#sweep-runs")
        cells = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        stop = [row for row in cells if "behind-peers" in row or "diverged" in row]  # the title's "N to stop"
        shown = [re.fullmatch(r"(\d+) ep · ([\d.]+) h", row[-1]) for row in stop]
        assert len(shown) >= 2 and all(shown)
        epochs = sum(int(match.group(1)) for match in shown if match)
        hours = sum(float(match.group(2)) for match in shown if match)
        title = str(screen.query_one("#sweep-title").render())
        assert f"{len(stop)} to stop (saves {epochs:,} ep, {hours:.2f} GPU h)" in title, (title, cells)


async def test_w_opens_the_runs_sweep_ranked_with_advice_and_n_goes_to_the_next(tmp_path: Path):
    app = _two_sweeps_writing(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        assert "behind-peers" in app.table._rows["adam/lr=0.001"].flags
        screen = await _open(pilot, "adam/lr=0.001")
        assert screen.sweep == "adam"
        table = screen.query_one("#sweep-runs")
        labels = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        view = sweep_view(app.monitor, "adam")
        assert labels == [row.label for row in view.rows] and labels[0] == "lr=0.03"  # the best first
        assert [row.best_at for row in view.rows if row.best_at is not None] == sorted(
            row.best_at for row in view.rows if row.best_at is not None
        )
        row = [str(cell) for cell in table.get_row(next(r for r in view.rows if r.label == "lr=0.001").run)]
        assert row[table.get_column_index("param:lr")] == "0.001" and any(" ep · " in cell for cell in row)  # saves
        assert row[2] == "behind-peers"  # the advice beside the name
        title = str(screen.query_one("#sweep-title").render())
        assert "ranked at step 60" in title and "to stop" in title
        await pilot.press("n")
        await pilot.pause(0.2)
        assert screen.sweep == "sgd"
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, SweepScreen)


async def _notes_on_w(pilot) -> list[str]:
    """What the app notifies when ``w`` is pressed on its first run."""
    await pilot.pause(0.2)
    notes: list[str] = []
    pilot.app.notify = lambda message, **_kw: notes.append(message)
    await pilot.press("w")
    await pilot.pause(0.1)
    return notes


async def test_w_without_any_sweep_says_how_to_make_one():
    app = _app(DATA)
    async with app.run_test(size=(100, 30)) as pilot:
        notes = await _notes_on_w(pilot)
        assert not isinstance(app.screen, SweepScreen) and "--sweep" in notes[0]


async def test_w_when_the_given_sweep_pattern_groups_nothing_says_so_not_to_use_it():
    """It advised '--sweep REGEX' to a user who had given one (check says what the pattern did)."""
    monitor = Monitor(str(DATA), clock=lambda: FIXED_NOW, sweep_pattern=r"(nomatch)")
    app = LossWatchApp(monitor, watch=False, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        notes = await _notes_on_w(pilot)
        assert notes == ["no sweep found: --sweep '(nomatch)' groups no runs (searched in each run's name)"]


def test_best_against_the_swept_value_uses_log_x_across_decades(tmp_path: Path):
    monitor = Monitor(str(_two_sweeps(tmp_path)))
    monitor.refresh()
    key, x, y, log_x = sweep_view(monitor, "adam").against()
    assert key == "lr" and log_x and list(x) == sorted(x) and len(x) == len(y) == 8


@pytest.fixture
def halfway_demo(tmp_path: Path) -> Path:
    DemoJobs(str(tmp_path)).run_to_end(30)
    return tmp_path


def test_sweep_view_80x24(snap_compare, tmp_path: Path):
    """The demo half-way, as watched while its jobs write (read at epoch 29, then 30): runs to stop."""
    demo = DemoJobs(str(tmp_path))
    demo.run_to_end(29, more=True)
    app = _seen_writing(tmp_path, [lambda: demo.run_to_end(30)])

    async def open_sweep(pilot):
        await pilot.pause(0.2)
        while pilot.app.table.selected != "lr-sweep/lr=0.03":
            await pilot.press("down")
        await pilot.press("w")
        await pilot.pause(0.3)
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_sweep)


async def test_a_narrow_sweep_view_cuts_the_names_where_they_differ_and_keeps_every_number_whole(tmp_path: Path):
    """At 80x24 a DeepOBS sweep's table ran past the screen (advice 'behind-', no savings), its legend cut the
    names inside the swept value, and its log axis read 1e-05 as '0.0000'."""
    for name, values in lr_sweep(1).items():
        lr = float(name.split("=")[1])
        write_run(tmp_path / f"cifar10_3c3d-adam-lr{lr:.2e}-s42", values, hparams={"epochs": 80})
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, "cifar10_3c3d-adam-lr1.00e-03-s42")
        await pilot.pause(0.3)
        table = screen.query_one("#sweep-runs")
        assert sum(column.get_render_width(table) for column in table.ordered_columns) <= table.size.width
        names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert len(set(names)) == len(names) and all("…" in name and name.endswith("-s42") for name in names)
        advice = {str(table.get_row_at(i)[table.get_column_index("advice")]) for i in range(table.row_count)}
        assert "behind-peers" in advice  # whole
        lines = screen_text(app)
        axis = lines[next(k for k, line in enumerate(lines) if "└" in line and "┘" in line) + 1]  # the x ticks
        assert "0.0000" not in axis and "0.01" in axis and "0.1" in axis, axis


async def test_the_selection_stays_on_its_run_when_the_ranking_changes(tmp_path: Path):
    """The cursor kept its row number: when the ranks moved, the note below the table named another run."""
    from dataclasses import replace

    app = _app(_two_sweeps(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, "adam/lr=0.01")
        table = screen.query_one("#sweep-runs")
        await pilot.press("down")
        await pilot.pause(0.1)
        view = sweep_view(app.monitor, "adam")
        chosen = view.rows[table.cursor_row].run
        screen._table(replace(view, rows=list(reversed(view.rows))))  # the ranking turned over
        await pilot.pause(0.1)
        assert list(reversed(view.rows))[table.cursor_row].run == chosen


async def test_the_sweep_plots_x_labels_are_whole_steps_with_separators_and_values_as_written(tmp_path: Path):
    """plotext labelled the step axis ``555.0 1110.0 1665.0`` and a linear swept value ``0.2 0.3 0.4000``-like."""
    curves = lr_sweep(1)
    for i, values in enumerate(curves.values()):
        dropout = round(0.1 + 0.05 * i, 2)
        write_run(tmp_path / "do" / f"dropout={dropout}", values, steps_per_epoch=37, hparams={"dropout": dropout})
    app = _app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        await _open(pilot, app.table.order[0])
        lines = screen_text(app)
        (axes,) = [k for k, line in enumerate(lines) if line.count("└") == 2]
        labels = lines[axes + 1].split()
        middle = lines[axes].index("┘") + 1  # the two plots side by side: steps left, dropout right
        steps = lines[axes + 1][:middle].split()
        dropouts = lines[axes + 1][middle:].split()
        assert "1,000" in steps and all("." not in label for label in steps), labels
        assert len(dropouts) >= 2 and all(len(label) <= 4 and float(label) < 1 for label in dropouts), labels


def _two_seeds(root: Path) -> Path:
    """One learning-rate sweep run with two seeds (``lr=0.003-s1``), written whole."""
    for seed in (1, 2):
        for name, values in lr_sweep(seed).items():
            write_run(root / f"{name}-s{seed}", values)
    return root


@pytest.mark.parametrize("sizes", [[(200, 60)], [(200, 60), (120, 40)], [(90, 30)]])
async def test_the_sweep_table_is_laid_out_whole_again_after_a_resize(tmp_path: Path, sizes):
    """Laid out during the resize, every column took its header's width: 'lr=' for the runs, '0.' for each rate,
    'behind' for the advice, until 'n' redrew it."""
    app = _app(_two_seeds(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, app.table.selected)
        for size in sizes:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.3)
        await until(pilot, lambda: screen._laid_width == screen._content_width(), "the table laid out for its width")
        table = screen.query_one("#sweep-runs")
        for column in table.ordered_columns:
            assert column.get_render_width(table) >= column.content_width + 2 * table.cell_padding, column.label
        text = "\n".join(screen_text(app))
        assert "lr=0.003-s1" in text and " 0.003 " in text and "behind-peers" in text


async def test_the_grey_curves_of_runs_behind_their_peers_have_a_legend_entry(halfway_demo):
    """Drawn grey with no entry, three of five curves were unnamed (the legend named the two in front)."""
    app = _app(halfway_demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, "lr-sweep/lr=0.03")
        await pilot.pause(0.3)
        lines = screen_text(app)
        legend = [line for line in lines if "▞▞" in line]
        assert any("behind peers" in line for line in legend), legend
        assert any("lr=0.1" in line for line in legend)


async def test_seeds_are_no_axis_the_best_loss_is_plotted_against_the_swept_value(tmp_path: Path):
    """A hostile tester's find: runs wd=0.1-s1 ... wd=0.001-s2 plotted the best loss against the seed ('best val
    vs s', x from 1 to 2), its column before wd's: the first swept key in name order was the seed."""
    for seed in (1, 2):
        for name, values in lr_sweep(seed, nan_runs=0).items():
            write_run(tmp_path / f"{name.replace('lr=', 'wd=')}-s{seed}", values)
    app = _app(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, app.table.selected)
        await pilot.pause(0.3)
        text = "\n".join(screen_text(app))
        assert "best val vs wd" in text and "best val vs seed" not in text
        table = screen.query_one("#sweep-runs")
        headers = [str(column.label) for column in table.ordered_columns]
        assert headers.index("wd") < headers.index("seed"), headers


async def test_runs_that_ended_are_not_counted_to_stop(tmp_path: Path):
    """A newcomer's find: once the demo's runs had all ended, the title still read '3 to stop (saves 40 ep, …)',
    the 40 epochs those of a diverged run dead for minutes. A run behind its peers that reached its planned end
    (here, its logged epochs), stopped writing or is gone says so instead of a saving, and is not counted."""
    going_on = []
    for name, values in lr_sweep(1).items():
        going_on.append(start_run(tmp_path / "adam" / name, values, hparams={"epochs": 80}))  # running
        write_run(tmp_path / "done" / name, values[:40], hparams={"epochs": 40})
    app = _seen_writing(tmp_path, going_on)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause(0.2)
        behind = [run for run, row in app.table._rows.items() if "behind-peers" in row.flags]
        assert behind[:3] == ["adam/lr=1", "adam/lr=2", "done/lr=1"]  # the table's order: opened top down
        screen = await _open(pilot, "adam/lr=1")
        assert "to stop (saves" in str(screen.query_one("#sweep-title").render())  # still running: counted
        await pilot.press("escape")
        await pilot.pause(0.1)
        screen = await _open(pilot, "done/lr=1")
        table = screen.query_one("#sweep-runs")
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        ended = [row for row in rows if "behind-peers" in row or "diverged" in row]
        assert ended and all(row[-1] == "finished" for row in ended), rows
        title = str(screen.query_one("#sweep-title").render())
        assert "to stop" not in title, title
        assert "finished: nothing left to stop" in str(screen.query_one("#sweep-note").render())


def test_the_note_cuts_a_long_peer_name_and_keeps_its_numbers_whole():
    """A hostile tester's find: at 80x24 the note named the peer a saving runs until in full (150 characters), and
    the note folded it over three lines, splitting its '0.005' in two."""
    from tui.app.sweep_data import SweepRow
    from tui.live.sweeps import Saving

    peer = "x" * 140 + "_lr=0.005"
    saving = Saving(12.0, 0.5, f"until step 1,200, as far as {peer} went", peer)
    row = SweepRow("sweep/lr=0.3", "lr=0.3", {}, None, 0.4, 600.0, behind="best val 0.4 …", saving=saving)
    note = SweepScreen._note(row).plain
    assert peer not in note and note.endswith("_lr=0.005 went"), note
    shown = note.split("as far as ")[1].removesuffix(" went")
    assert len(shown) <= 30 and "…" in shown


def test_a_run_blown_up_to_a_finite_value_is_marked_diverged(tmp_path: Path):
    """A hostile tester's find: a run thrown to 7.9e17 (finite: still in the sweep's pool, not behind its peers on
    its best) showed no advice at all in the sweep view, ranked second; its verdict was diverging."""
    curves = lr_sweep(1)
    for name, values in curves.items():
        values = values.copy()
        if name == "lr=0.1":
            values[-6:] = 7.9e17
        write_run(tmp_path / "sweep" / name, values, hparams={"epochs": 80})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert monitor.verdict("sweep/lr=0.1").kind == "diverging"
    view = sweep_view(monitor, "sweep")
    assert view is not None
    marked = {row.label for row in view.rows if row.diverged}
    assert "lr=0.1" in marked
    assert all(monitor.verdict(row.run).kind == "diverging" or row.behind for row in view.rows if row.diverged)
    row = next(row for row in view.rows if row.label == "lr=0.1")
    assert not row.behind  # its note said "in the race" beside a row marked diverged
    assert SweepScreen._note(row).plain == "lr=0.1: diverged, out of the race"
    in_race = next(row for row in view.rows if not row.diverged and not row.behind)
    assert SweepScreen._note(in_race).plain == f"{in_race.label}: in the race"


async def test_n_with_a_single_sweep_says_there_is_no_other(tmp_path: Path):
    """A newcomer's find: with one sweep, n did nothing without a word."""
    for name, values in lr_sweep(1).items():
        write_run(tmp_path / "only" / name, values)
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, next(iter(app.table._rows)))
        notes: list[str] = []
        app.notify = lambda message, **_kw: notes.append(message)  # type: ignore[method-assign]
        await pilot.press("n")
        await pilot.pause(0.1)
        assert notes == ["n: this is the only sweep"] and screen.sweep == "only"


async def test_the_sweep_table_shows_a_runs_name_as_the_runs_table_and_its_note_do(tmp_path: Path):
    """A backslash in a sweep's run names showed once in the sweep's table and doubled in the note under it and in
    the runs table: one run, two names (and ``a\\x1b`` in letters beside an escape character, one name for two)."""
    for name, values in lr_sweep(1).items():
        write_run(tmp_path / "sw" / ("x\\y_" + name), values, hparams={"epochs": 80})
    app = _app(tmp_path)
    app.monitor.refresh()
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause(0.2)
        names = sorted(app.table._rows)
        screen = await _open(pilot, names[0])
        table = screen.query_one("#sweep-runs")
        labels = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert labels and all(label.startswith("x\\\\y_") for label in labels), labels
        assert app.table.get_cell(names[0], "run").plain.startswith("sw/x\\\\y_")


async def test_a_frame_drawn_right_after_the_table_is_rebuilt_shows_it_whole(tmp_path: Path):
    """Widths measured by the table when it next idled: a frame drawn before that (a resize under load) showed
    every column at its header's width, 'lr=' for the names and '0.' for the rates, and kept showing it."""
    app = _app(_two_seeds(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, app.table.selected)
        screen._shown = None
        screen.refresh_view()  # rebuilt, and drawn at once: no idle in between
        text = "\n".join(screen_text(app))
        assert "lr=0.003-s1" in text and " 0.003 " in text and "behind-peers" in text


@pytest.mark.parametrize("size", [(60, 16), (70, 15)])
async def test_a_pane_too_short_for_the_whole_view_scrolls_it_and_still_cuts_no_number(tmp_path: Path, size):
    """In a short pane the title, the table, the note and the plots do not fit: the screen shows a scrollbar of its own,
    which took two columns from a table laid out for the whole width ('best @ 3' for 'best @ 39', 1.98 for
    1.987)."""
    for seed in range(1, 9):
        for name, values in lr_sweep(seed).items():
            write_run(tmp_path / f"{name},wd=0.0001,warmup=500,batch=128-seed{seed}", values)
    app = _app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, app.table.selected)
        table = screen.query_one("#sweep-runs")
        # the case itself: the view is taller than the pane, and the table laid out for the width left beside it
        await until(pilot, lambda: screen.show_vertical_scrollbar and table.region.width > 0, "a scrolled view")
        await until(pilot, lambda: screen._laid_width == screen._content_width(), "the table laid out again")
        assert table.region.right <= screen.scrollable_content_region.right
        widths = sum(column.get_render_width(table) for column in table.ordered_columns)
        assert widths <= table.scrollable_content_region.width, (widths, table.scrollable_content_region)
        shown = "\n".join(screen_text(app))
        assert table.columns[table.ordered_columns[-1].key].label.plain in shown  # the last header, whole


async def test_moving_the_cursor_in_a_short_pane_keeps_the_tables_columns(tmp_path: Path):
    """A selected run with a longer note (behind its peers: four lines) brought the screen's scrollbar; laid out for
    the width it left (as the short-pane test asks), the table dropped or took back a column at every move of the
    cursor, and a frame in between read 'best @ 2' for 'best @ 29'."""
    steps = np.arange(30)
    for lr in (0.001, 0.003, 0.01, 0.03):
        for wd in (0.0001, 0.001, 0.01, 0.1):
            for seed in (0, 1):
                floor = 0.3 + 3 * lr + 0.01 * seed
                noise = np.random.default_rng(seed * 100 + int(wd * 1000)).normal(0, 0.01, steps.size)
                values = (floor + (2.3 - floor) * np.exp(-steps * min(lr * 30, 0.5))) * (1 + noise)
                write_run(tmp_path / f"lr={lr},wd={wd},warmup=500,batch=128-seed{seed}", values)
    app = _app(tmp_path)
    async with app.run_test(size=(60, 16)) as pilot:
        await pilot.pause(0.2)
        screen = await _open(pilot, app.table.selected)
        table = screen.query_one("#sweep-runs")
        table.move_cursor(row=0)
        layouts, notes, scrolled = set(), set(), set()
        for _ in range(table.row_count):
            await pilot.press("down")
            await pilot.pause()
            layouts.add(tuple((str(c.key.value), c.get_render_width(table)) for c in table.ordered_columns))
            notes.add(screen.query_one("#sweep-note").size.height)
            scrolled.add(screen.show_vertical_scrollbar)
        assert len(notes) > 1 and scrolled == {False, True}  # the case itself: notes of several heights
        assert len(layouts) == 1, layouts
        (layout,) = layouts
        assert sum(width for _, width in layout) <= screen.size.width - screen.styles.scrollbar_size_vertical
