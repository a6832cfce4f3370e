"""The app's status line: what the chart shows, how many runs (how many damaged), their order, what went wrong.

Its own module so the app stays about events. What matters most comes first; a line longer than the pane
wraps onto more rows rather than being cut (a note is a sentence with numbers and names in it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from tui.app.chart_data import NO_LOG_Y, NO_TIMES
from tui.app.format import trouble
from tui.judging.kinds import gone_words
from tui.live.group import given_up, members_of
from tui.text import printable, shown_name

if TYPE_CHECKING:
    from tui.app.app import LossWatchApp
    from tui.live.monitor import Monitor

SEPARATOR = "  ·  "


def status_line(app: LossWatchApp) -> Text:
    """The status line of ``app`` now."""
    parts: list[tuple[str, str]] = []  # (text, style); a part starting with "," goes on the part before
    if app.filter_error:
        parts.append((app.filter_error, "bold red"))
    too_slow = app.table.filter.too_slow() if app.table.filter is not None else None
    if too_slow:
        parts.append((f"filter: {too_slow}", "bold yellow"))
    parts.extend((f"{option}: {why}", "bold yellow") for option, why in given_up(app.monitor))
    progress = _progress(app)
    if progress:
        parts.append((progress, "dim"))
    view = app.view
    mode = {"pair": "train + val", "tag": f"tag {printable(view.tag or '', 40)}", "compare": "compare"}
    # The chart's title says why an axis is not the one asked for, but is cut first in a narrow pane.
    drawn = app.chart.spec if app.chart.spec is not None and app.chart.spec.curves else None
    x_said = NO_TIMES if view.x_axis == "time" and drawn is not None and drawn.xlabel == "step" else f"x: {view.x_axis}"
    dim = [mode[view.mode], f"smoothing {view.weight:.2f}", x_said]
    if view.log_y:
        dim.append(NO_LOG_Y if drawn is not None and not drawn.log_y else "log y")
    runs = len(app.store.runs)
    counted = f"{runs:,} run{'s' if runs != 1 else ''}"
    dim.append(f"{len(app.table.order):,} of {counted}" if app.table.filter is not None else counted)
    parts.extend((part, "dim") for part in dim)
    damaged, unreadable, gone = app.trouble
    for number, what in ((damaged, "damaged"), (unreadable, "unreadable"), (gone, "gone")):
        if number:
            parts.append((f", {number:,} {what}", "bold yellow"))
    more = [app.table.hidden_sort] if app.table.hidden_sort else []
    sweep = app.monitor.sweeps.of_run.get(app.selected) if app.selected else None
    if sweep is not None:
        more.append(f"w: sweep {shown_name(sweep.name, 30)}")
    following = app.watcher.mode if app.watcher is not None else ""
    if following:
        more.append(following)
    parts.extend((part, "dim") for part in more)
    # The latest note, unless the watcher's mode says it already (a root unreachable: "…, unreachable: why").
    notes = [
        note
        for note in app.store.notes[-1:]
        if not (following and (said := note.partition(": ")[2]) and said in following)
    ]
    with app.store.lock:  # the engine thread may be adding files to the run
        run = app.store.runs.get(app.selected) if app.selected else None
        if run is not None and run.gone:  # what the table's ``!`` is about (its flags column is the first dropped)
            notes.append(f"{shown_name(run.name, 40)}: {gone_words(run.moved_to)}")
        elif run is not None and (run.troubled or run.cut_left):
            notes.append(f"{shown_name(run.name, 40)}: {trouble(run)}")
        if run is not None and not run.gone:
            notes.extend(app.tag_notes.of(app.monitor, run))
    parts.extend((printable(note), "yellow") for note in notes)
    return _joined(parts)


def _joined(parts: list[tuple[str, str]]) -> Text:
    """The parts with separators, each run of one style a single span (so the line is drawn as few segments)."""
    pieces: list[tuple[str, str]] = []
    for index, (part, style) in enumerate(parts):
        if index and not part.startswith(","):
            pieces.append((SEPARATOR, "dim"))
        pieces.append((part, style))
    text = Text()
    for piece, style in _runs_of(pieces):
        text.append(piece, style=style)
    return text


def _runs_of(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Neighbouring pieces of one style joined."""
    joined: list[tuple[str, str]] = []
    for piece, style in pieces:
        if joined and joined[-1][1] == style:
            joined[-1] = (joined[-1][0] + piece, style)
        else:
            joined.append((piece, style))
    return joined


def _progress(app: LossWatchApp) -> str | None:
    """Where the first look through LOGDIR is, until runs are there: of each root given, whether it is there yet
    (two roots' labels cut as one read as a path that is neither: "/runs/a/n…/runs/b")."""
    monitor = app.monitor
    done, total = monitor.progress
    if monitor.logdir_missing:
        return "; ".join(_waiting_for(member) for member in members_of(monitor))
    if done < total:
        return f"reading files {done:,}/{total:,}"
    if not app.looked():
        return "looking for runs…"
    if not app.store.runs:
        return "; ".join(
            _waiting_for(member) if member.logdir_missing else f"no runs yet in {printable(member.label, 40)}"
            for member in members_of(monitor)
        )
    return None


def _waiting_for(member: Monitor) -> str:
    note = member.missing_note
    return f"waiting for {printable(member.label, 40)} to appear" + (f" ({printable(note, 60)})" if note else "")
