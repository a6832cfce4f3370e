"""Where the one-shot commands print: rich's console, sized for a terminal, a pipe or a file."""

from __future__ import annotations

import errno
import os

from rich.console import Console

from tui.cli.report import UNBOUNDED


class OutputConsole(Console):
    """rich's console, except that a reader that went away (``losswatch check | head -1``) is the
    ``BrokenPipeError`` that ``cli.main`` ends on quietly with status 0, as it means to: rich's own
    handling exits with status 1, which a shell with ``pipefail`` takes for a failure."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "the reader of the output went away")


def report_console() -> Console:
    """``$COLUMNS`` if set (``cli.main`` unsets one that is no positive number), else the terminal's width; a file
    or a pipe without it gets room for every column, and each note under the table on one line (greppable)."""
    if os.environ.get("COLUMNS", "").isdigit():
        return OutputConsole(highlight=False)
    console = OutputConsole(highlight=False)
    return console if console.is_terminal else OutputConsole(highlight=False, width=UNBOUNDED, soft_wrap=True)
