"""The words a run's file health is told in: what was skipped, what waits at the end of its files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.sources.base import basename
from tui.sources.jsonlogs import STATE_KEY
from tui.sources.tensorboard.discovery import is_event_file_name
from tui.text import quoted

if TYPE_CHECKING:
    from tui.store.runs import Run


def _event_files_only(troubled: list[str]) -> bool:
    """Whether the files a note is about are all TensorBoard event files, whose records the note can name."""
    return bool(troubled) and all(is_event_file_name(basename(path)) for path in troubled)


def _trainer_states_only(troubled: list[str]) -> bool:
    """Whether the sources a note is about are all Hugging Face output folders, read as one whole document."""
    return bool(troubled) and all(key.endswith(STATE_KEY) for key in troubled)


def _waiting(run: Run) -> list[str]:
    """The run's files whose last bytes are not whole, that are empty, or in whose place an older one was read."""
    return [path for path, h in run.files.items() if h.incomplete_bytes or h.empty or h.older_read]


def trainer_states_cut(run: Run) -> bool:
    """Whether the bytes the run waits for are all a Hugging Face output folder's newest trainer state (cut short or
    empty): a document the Trainer writes whole at a checkpoint, so one that stays not whole is a save cut short,
    where a log's unfinished last line or record is a writer's buffer waiting for its next flush."""
    return _trainer_states_only(_waiting(run))


def _instead(run: Run, troubled: list[str]) -> str:
    """What stands for a Hugging Face output folder's newest trainer state, which could not be read."""
    if any(run.files[key].older_read for key in troubled):
        return "an older checkpoint's was read"
    return "what was read of it before stands"


def damage_note(run: Run) -> str:
    """What was skipped in the run's files, and whether anything at all could be read."""
    troubled = [path for path, health in run.files.items() if health.damaged]
    if _trainer_states_only(troubled):  # a whole trainer_state.json that is none, or entries without a step
        files = sum(run.files[key].skipped_records for key in troubled)
        entries = sum(run.files[key].undecodable for key in troubled)
        damaged = [f"{files:,} damaged trainer_state.json (whole, but not a trainer state)"] if files else []
        if entries:
            damaged.append(f"{entries:,} log_history entr{'y' if entries == 1 else 'ies'} without a 64-bit step")
        readable = _instead(run, troubled) if files else "everything else was read"
        return f"skipped {' and '.join(damaged)}; {readable if run.has_points else 'no data could be read'}"
    skipped = []
    texts = [run.files[key].text_example for key in troubled if run.files[key].text_example]
    if run.skipped_records:
        text = f" (text where a number should be: {quoted(texts[0], 40)})" if texts else ""
        skipped.append(f"{run.skipped_records:,} damaged record(s){text}")
    if run.skipped_bytes:
        skipped.append(f"{run.skipped_bytes:,} unreadable byte(s)")
    unreadable = run.nothing_readable
    if run.incomplete_bytes and unreadable:  # too few after the junk to be a record: every byte said
        skipped.append(f"{run.incomplete_bytes:,} byte(s) at the end, not whole")
    lost = sum(run.files[key].lost_bytes for key in troubled)
    shorter = f"its file is {lost:,} byte(s) shorter than what was read (cut short in place)"
    if lost and not skipped:
        return f"{shorter}: what was read of it before stands"
    what = "a TensorBoard event file" if _event_files_only(troubled) else "a log losswatch reads"
    unread = f"no data could be read: not {what}, or damaged throughout"
    if texts and not run.skipped_bytes:  # every row text: a loss written as text (str of a tensor), not a number
        unread = "no number could be read: log each value as a number (loss.item()), not as text"
    if run.has_points:  # written over since it was read (``FileHealth.written_over``): what was read is kept
        unread += "; what was read of it before stands"
    outcome = unread if unreadable else "everything else was read"
    return f"skipped {' and '.join(skipped)}; {f'{shorter}; ' if lost else ''}{outcome}"


def incomplete_note(run: Run) -> str:
    """The bytes at the end of the run's files that were not read yet, in the words of their format."""
    troubled = _waiting(run)
    if _trainer_states_only(troubled):  # read whole or not at all: the newest checkpoint's, cut short or empty
        held = f"{run.incomplete_bytes:,} byte(s)" if run.incomplete_bytes else "empty"
        why = f"{held}: a job still writing, or killed while saving"
        if run.has_points:
            return f"its newest trainer_state.json is not a whole document ({why}); {_instead(run, troubled)}"
        return f"no trainer_state.json of it is a whole document ({why}); nothing was read"
    if _event_files_only(troubled):
        words = "event files are not a whole record"
    elif all(path.endswith(".wandb") for path in troubled):  # W&B's log is records too (zeros at its end)
        words = "W&B log are not a whole record"
    else:
        words = "log files are not a whole line or document"
    return (
        f"{run.incomplete_bytes:,} byte(s) at the end of its {words} (a job still writing, or a file cut "
        "short) and were not read"
    )
