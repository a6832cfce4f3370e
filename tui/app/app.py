"""The losswatch Textual app: runs table, chart, tags, alerts. It only reads the store."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from tui.app.alerts import AlertLog, FlagNotices
from tui.app.chart import ChartTitle, LossChart
from tui.app.chart_data import SmoothingCache, View, chart_spec
from tui.app.help import HelpScreen
from tui.app.paged_options import PagedOptionList
from tui.app.runs_table import SORTABLE, RunRow, RunsTable
from tui.app.status import status_line
from tui.app.stop_signals import StopSignals
from tui.judging.engine import Alert
from tui.live.discovery import NewRun
from tui.live.group import MonitorGroup, TagOptionNotes, members_of
from tui.live.monitor import Monitor
from tui.live.watcher import FirstRead, Watcher
from tui.notify import notification
from tui.patterns import PatternError, compile_pattern
from tui.store import Change
from tui.text import printable, quoted, shown_name

PAIR_OPTION = "\0pair"
WEIGHT_STEP = 0.05
TITLE_CELLS = 16
"""The header's cells besides the roots: its icon, 'losswatch', the dash between them and a margin."""
ROOT_TITLE_MIN = 12
"""Cells each root keeps in the header however many there are (Textual cuts what then does not fit)."""


SMOOTHING = Binding.Group("smooth", compact=True)
MAIN_VIEW = frozenset(
    {"filter", "sort", "mark", "compare", "toggle_x", "toggle_log", "smoothing", "distributions", "sweep", "escape"}
)
"""The main view's actions: they act only while it is on top; under the help, a sweep or the distributions
they would change the view behind, or warn over the help's text."""


class EngineUpdate(Message):
    """Posted from the watcher thread after each round that found something."""

    def __init__(self, new_runs: list[NewRun], changes: list[Change], alerts: list[Alert]) -> None:
        super().__init__()
        self.new_runs = new_runs
        self.changes = changes
        self.alerts = alerts


class LossWatchApp(App[None]):
    """Live view of a log directory."""

    CSS_PATH = "app.tcss"
    TITLE = "losswatch"
    AUTO_FOCUS = "#runs"
    """The table, from the first instant: keys typed while the app started (a ``q`` at once) went to the hidden
    filter box, the first focusable widget, and ``q`` became a pattern matching no run. The other screens focus
    their first widget (``AUTO_FOCUS = "*"`` there)."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "quit"),
        # Textual binds ctrl+c to copy; here it stops the app from every screen, as Ctrl-C stops every command.
        Binding("ctrl+c", "quit", "quit", show=False, priority=True),
        Binding("question_mark", "help", "help", key_display="?"),
        # A priority binding is run as the key arrives, so the keys typed right after it reach the box.
        Binding("slash", "filter", "filter", key_display="/", priority=True),
        Binding("s", "sort", "sort"),
        Binding("space", "mark", "mark", show=False),
        Binding("c", "compare", "compare"),
        Binding("x", "toggle_x", "x-axis"),
        Binding("l", "toggle_log", "log y"),
        Binding("left_square_bracket", "smoothing(-1)", "smooth", key_display="[", group=SMOOTHING),
        Binding("right_square_bracket", "smoothing(1)", "smooth", key_display="]", group=SMOOTHING),
        Binding("h", "distributions", "hist"),
        Binding("w", "sweep", "sweep", show=False),  # the status line offers it when the run is in a sweep
        Binding("escape", "escape", show=False),
    ]

    view: reactive[View] = reactive(View, init=False)
    """What the chart shows (mode, tag, smoothing, axes); a new one redraws the chart and the status line."""

    def __init__(
        self,
        monitor: Monitor | MonitorGroup,
        bell: bool = True,
        poll_seconds: float | None = None,
        watch: bool = True,
        clock: Callable[[], float] = time.time,
        notify: str | None = None,
        handle_signals: bool = False,
        first_read: FirstRead | None = None,
        on_forced_end: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.notify_osc = notify
        """'777' or '9': also send a desktop notification (OSC escape sequence) with each bell."""
        self.handle_signals = handle_signals
        self.stop_signals = StopSignals(self.exit, lambda: self._forced_end(on_forced_end))
        self.monitor = monitor
        self.first_read = first_read
        """How the runs found at start-up are read (the CLI's: worker processes forked before the app)."""
        self.store = monitor.store
        self.ring_bell = bell
        self.poll_seconds = poll_seconds
        self.watch_files = watch
        self.clock = clock
        self.smoothing = SmoothingCache()
        self.flag_notices = FlagNotices()
        self.watcher: Watcher | None = None
        self.selected: str | None = None
        self.bells = 0
        self._dirty = True
        self._tags_shown: tuple[str | None, tuple[str, ...]] = (None, ())
        self.loaded = False
        self.tag_notes = TagOptionNotes()  # the status line's words on the tag options, searched once per change
        self._status_text: Text | None = None
        self.trouble: tuple[int, int, int] = (0, 0, 0)
        """Runs damaged, unreadable and gone (each counted once, under the last it is), for the status line."""
        self.filter_error: str | None = None
        """Why the pattern in the filter box is not a regex (the status line says it)."""
        self._filter_toast = False
        """A bad regex's toast is up: cleared with the error, not left saying a pattern no longer typed."""

    # ---- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="≋")
        with Vertical(id="main"):
            yield Input(placeholder="filter runs (regex), enter to apply, escape to clear", id="filter")
            yield RunsTable(id="runs")
            with Horizontal(id="middle"):
                with Vertical(id="plot"):
                    yield ChartTitle(id="chart-title")
                    yield LossChart(id="chart")
                yield PagedOptionList(id="tags")
            yield Static(id="status")
            yield AlertLog(id="alerts")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        # Keep direct references: timers fire whichever screen is on top (help, distributions).
        self.table = self.query_one("#runs", RunsTable)
        self.chart = self.query_one("#chart", LossChart)
        self.chart_title = self.query_one("#chart-title", ChartTitle)
        self.tags = self.query_one("#tags", OptionList)
        self.status = self.query_one("#status", Static)
        self.alert_log = self.query_one("#alerts", AlertLog)
        self.filter_box = self.query_one("#filter", Input)
        self.title = "losswatch"
        self.sub_title = self._roots_title()
        self.filter_box.display = False
        self.table.focus()
        if self.handle_signals:
            self.stop_signals.install()
        self.set_interval(0.25, self._tick)
        self.set_interval(1.0, self._refresh_ages)
        self.set_interval(1.0, self._check_trouble)
        if self.watch_files:
            self.watcher = Watcher(
                self.monitor, self._from_engine, poll_seconds=self.poll_seconds, first_read=self.first_read
            )
            self.watcher.start()  # the first round (all files) runs on the watcher's thread
        else:
            self._from_engine(*self.monitor.refresh())
        self._update_status()

    def _forced_end(self, then: Callable[[], None] | None) -> None:
        """From the stop deadline's thread, the process about to end without its shutdown: workers killed, then
        the caller's own (the demo's folder removed)."""
        if self.first_read is not None:
            self.first_read.kill()
        if then is not None:
            then()

    def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        if self.handle_signals:
            self.stop_signals.restore()

    # ---- engine → UI ---------------------------------------------------------------------

    def _from_engine(self, new_runs: list[NewRun], changes: list[Change], alerts: list[Alert]) -> None:
        """Called on the watcher thread (or directly without one): hand over to the UI thread."""
        self.post_message(EngineUpdate(new_runs, changes, alerts))

    def on_engine_update(self, message: EngineUpdate) -> None:
        self.loaded = True
        self._dirty = True
        for change in message.changes:
            if change.purged_from is not None:
                self.smoothing.forget(change.run)
        bells = [alert for alert in message.alerts if alert.rings]  # a run ended long ago tells history, silently
        if self.ring_bell and bells:
            self.bells += 1
            self.bell()
        if self.notify_osc and bells:
            for alert in bells:
                verdict = self.monitor.verdict(alert.run)
                self.write_terminal(notification(alert, verdict.best_step if verdict else None, self.notify_osc))
        self._refresh()

    def write_terminal(self, data: str) -> None:
        """Write escape sequences straight to the terminal (a desktop notification)."""
        if self._driver is not None:
            self._driver.write(data)
            self._driver.flush()

    def _check_trouble(self) -> None:
        """Damaged, unreadable and gone runs, checked once a second: a round that only found damage or a deleted
        folder brings no change to refresh on, and walking every run's files four times a second would cost a big
        log directory's idle CPU."""
        with self.store.lock:
            trouble = {name: (run.troubled, run.cannot_be_read, run.gone) for name, run in self.store.runs.items()}
        if self.table.trouble_changed(trouble):
            self._dirty = True
        gone = sum(g for _, _, g in trouble.values())
        unreadable = sum(u and not g for _, u, g in trouble.values())
        self.trouble = (sum(t and not (u or g) for t, u, g in trouble.values()), unreadable, gone)

    def _tick(self) -> None:
        if self._dirty:
            self._refresh()
        self._update_status()

    def _refresh_ages(self) -> None:
        self.table.refresh_ages(self.clock())

    def _refresh(self) -> None:
        self._dirty = False
        table = self.table
        with self.store.lock:
            behind = self.monitor.sweeps.flags
            rows = [
                RunRow.of(run, self.monitor.verdict(run.name), ("behind-peers",) if run.name in behind else ())
                for run in self.store.runs.values()
            ]
            alerts = list(self.monitor.alerts) + self.flag_notices.of(self.monitor.verdicts, self.clock())
        table.show(rows, self.clock())
        if self.selected is None or self.selected not in table.order:
            self.selected = table.selected
        self.alert_log.show(alerts, self.clock())
        self._update_tags()
        self._update_chart()

    def watch_view(self) -> None:
        self._update_chart()
        self._update_status()

    def _update_chart(self) -> None:
        marked = sorted(self.table.marked)
        spec = chart_spec(self.store, self.monitor.verdicts, self.selected, self.view, self.smoothing, marked)
        pattern = self.table.filter
        if spec.key == ("none",) and pattern is not None and self.store.runs and not self.table.order:
            # "no run selected" read as if the runs had gone
            empty = f"no run matches {quoted(pattern.pattern, 60)}"
            spec = replace(spec, key=("none", pattern.pattern), empty_message=empty)
        self.chart.show(spec)
        self.chart_title.show(spec)

    def _update_tags(self) -> None:
        run = self.store.runs.get(self.selected) if self.selected else None
        tags = tuple(sorted(run.scalars)) if run else ()
        if (self.selected, tags) == self._tags_shown:
            return
        self._tags_shown = (self.selected, tags)
        options = self.tags
        options.clear_options()
        if run is None:
            return
        options.add_option(Option(Text("train + val loss", style="bold"), id=PAIR_OPTION))
        for tag in tags:
            options.add_option(Option(Text(printable(tag)), id=tag))

    def looked(self) -> bool:
        """Whether a first look through LOGDIR is done (so an empty table means no runs, not not yet)."""
        return self.loaded or (self.watcher.rounds > 0 if self.watcher is not None else True)

    def _update_status(self) -> None:
        text = status_line(self)
        if text != self._status_text:  # an idle view does no work
            changed_height = self._status_lines(text) != self.status.size.height
            self._status_text = text
            # A layout pass re-measures the whole screen, table and chart included, and while runs load the
            # line changes four times a second: only when it needs another number of rows (a long note wraps
            # rather than being cut at the pane's edge) is the screen laid out again.
            self.status.update(text, layout=changed_height)

    def _status_lines(self, text: Text) -> int:
        """Rows the status line takes at the pane's width now."""
        width = self.status.content_region.width or self.size.width
        return max(1, len(text.wrap(self.console, max(1, width))))

    # ---- selection -----------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#runs")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None or event.row_key.value is None:
            return
        if event.row_key.value != self.table.selected:
            return  # a highlight from before the rows changed (keys typed fast in the filter): not the run shown
        if event.row_key.value != self.selected:
            self.selected = event.row_key.value
            if self.view.mode == "tag":
                self.view = replace(self.view, mode="pair", tag=None)
            self._update_tags()
            self._update_chart()
            self._update_status()

    @on(DataTable.RowSelected, "#runs")
    def _row_selected(self, _event: DataTable.RowSelected) -> None:
        """Into the tags list, on what the chart shows now (nothing highlighted, ↓ then enter chose the pair)."""
        self.tags.focus()
        if self.tags.option_count:
            try:
                shown = self.view.tag if self.view.mode == "tag" else PAIR_OPTION
                self.tags.highlighted = self.tags.get_option_index(shown or PAIR_OPTION)
            except OptionDoesNotExist:  # a tag no longer logged
                self.tags.highlighted = 0

    @on(DataTable.HeaderSelected, "#runs")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        column = event.column_key.value
        if column not in SORTABLE:  # the mark, ↕ and the flags have no order
            return
        self.table.cycle_sort(column)
        self._refresh()

    @on(OptionList.OptionSelected, "#tags")
    def _tag_selected(self, event: OptionList.OptionSelected) -> None:
        tag = event.option.id
        if tag == PAIR_OPTION:
            self.view = replace(self.view, mode="pair", tag=None)
        else:
            self.view = replace(self.view, mode="tag", tag=tag)

    # ---- actions -------------------------------------------------------------------------

    def action_help(self) -> None:
        self.clear_notifications()  # a warning shown a moment ago would lie over the help text
        self.push_screen(HelpScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The main view's keys do nothing while another screen is on top (the help: ``?`` or escape
        closes it)."""
        return action not in MAIN_VIEW or self.screen is self.screen_stack[0]

    def on_resize(self, event: events.Resize) -> None:
        self.sub_title = self._roots_title(event.size.width)  # the app's own size may still be the one before

    def _roots_title(self, width: int | None = None) -> str:
        """The roots for the header, each cut on its own (start and end) to a share of the width: one cut
        across them all read as one path (``s3:/…/nobucket/y`` for three roots)."""
        labels = [member.label for member in members_of(self.monitor)]
        room = (width or self.size.width or 80) - TITLE_CELLS
        each = max(room // len(labels) - 2, ROOT_TITLE_MIN)
        return "  ".join(printable(label, each) for label in labels)

    def action_sort(self) -> None:
        self.table.cycle_sort()
        self._refresh()

    def action_filter(self) -> None:
        box = self.filter_box
        if self.focused is box:  # a slash in the pattern ("torch/"): typed, behind the keys before it
            box.post_message(events.Key("slash", "/"))
            return
        box.display = True
        self.screen.set_focus(box)  # now, not later as focus() does: the next keys are already on their way

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self._apply_filter(event.value)
        if self.filter_error:  # stay in the box to mend the pattern; say what is wrong where it is typed too
            self.notify(self.filter_error, title="filter", severity="error", markup=False)
            self._filter_toast = True
        else:
            self.table.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._apply_filter(event.value)

    def _apply_filter(self, pattern: str) -> None:
        table = self.table
        box = self.filter_box
        try:
            table.set_filter(compile_pattern(pattern) if pattern else None)
        except PatternError as error:
            box.add_class("invalid")
            self.filter_error = f"bad regex: {error}"
            self._update_status()
            return
        box.remove_class("invalid")
        self.filter_error = None
        if self._filter_toast:  # a bad regex's toast said a pattern that is gone now
            self._filter_toast = False
            self.clear_notifications()
        self._refresh()
        self._update_status()

    def action_escape(self) -> None:
        """Back to the runs: clear the filter, or leave the tags list and the chosen tag; the arrows
        then move between runs again."""
        box = self.filter_box
        if box.display:
            box.value = ""
            box.display = False
            self._apply_filter("")
        elif self.view.mode != "pair":
            self.view = replace(self.view, mode="pair", tag=None)
        self.table.focus()

    def action_mark(self) -> None:
        table = self.table
        name = table.selected
        if name is None:
            return
        table.marked.symmetric_difference_update({name})
        table.update_cell(name, "mark", Text("●" if name in table.marked else " ", style="bold cyan"))
        if self.view.mode == "compare":
            self._update_chart()

    def action_compare(self) -> None:
        table = self.table
        if self.view.mode == "compare":
            self.view = replace(self.view, mode="pair")
        else:
            if not table.marked:
                self.notify("mark runs with space first, then press c", severity="warning")
                return
            self.view = replace(self.view, mode="compare")

    def action_toggle_x(self) -> None:
        self.view = replace(self.view, x_axis="time" if self.view.x_axis == "step" else "step")

    def action_toggle_log(self) -> None:
        self.view = replace(self.view, log_y=not self.view.log_y)

    def action_smoothing(self, direction: int) -> None:
        # On the grid of steps (0.99, the top, steps down to 0.95, not 0.94: 0.60 came back no more)
        weight = round(min(0.99, max(0.0, (round(self.view.weight / WEIGHT_STEP) + direction) * WEIGHT_STEP)), 2)
        self.view = replace(self.view, weight=weight)

    def action_distributions(self) -> None:
        if self.selected is None:
            return
        self.clear_notifications()  # another run's "logs no histograms" would lie over this one's table
        from tui.app.distributions import DistributionScreen

        run = self.store.runs.get(self.selected)
        if run is None or not run.histograms:
            self.notify("this run logs no histograms", severity="warning")
            return
        self.push_screen(DistributionScreen(self.store, self.monitor, self.selected))

    def action_sweep(self) -> None:
        from tui.app.sweep_data import sweep_names, sweep_of_run
        from tui.app.sweep_view import SweepScreen

        name = sweep_of_run(self.monitor, self.selected)
        if name is None and not sweep_names(self.monitor):
            given = next((member.sweeps.pattern for member in members_of(self.monitor)), None)
            advice = "name runs by their hyper-parameters (lr=0.1) or use --sweep REGEX"
            if given is not None:  # it was used: the sweeps found by name are off
                advice = given.too_slow() or (
                    f"--sweep {quoted(given.pattern, 60)} groups no runs (searched in each run's name)"
                )
            self.notify(f"no sweep found: {advice}", severity="warning", markup=False)
        elif name is None:  # not another sweep, which would read as the run's
            if self.selected is not None:
                self.notify(f"run {shown_name(self.selected)} is not part of a sweep", severity="warning", markup=False)
        else:
            self.clear_notifications()  # a warning of a moment ago would lie over the sweep's table
            self.push_screen(SweepScreen(self.monitor, name, self.selected))
