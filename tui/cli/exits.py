"""Exit codes every command shares (``check --help`` lists them)."""

import errno
import os
import sys

EXIT_OK = 0
"""All fine (or `watch`/`demo` stopped by the user)."""
EXIT_ATTENTION = 1
"""``check``: at least one run needs attention."""
EXIT_USAGE = 2
"""Bad usage, a missing folder, no runs, nothing readable, or output that could not be written."""
EXIT_INTERRUPTED = 130
"""A one-shot command (check, replay, export) stopped by Ctrl-C, SIGTERM or SIGHUP before its end (128 + SIGINT)."""
WRITE_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}
"""Errors of writing the output (a full disk, a quota, /dev/full): said in one line, ``EXIT_USAGE``."""


class UsageError(Exception):
    """A problem with what the user asked for: one sentence on stderr, exit 2 (``EXIT_USAGE``)."""


def needs_a_terminal() -> None:
    """Refuse the live view without a terminal for its keys and its screen. Textual reads keys from stdin (at end of
    file, `nohup` or `< /dev/null`, its input thread spun a core at 100 %) and draws on stderr (`2>file` filled the
    file with escape codes and left the pane blank); stdout it leaves alone, so `> file` is fine. A driver chosen in
    ``TEXTUAL_DRIVER`` (`textual serve`'s, which talks over pipes) brings its own keys and screen."""
    if os.environ.get("TEXTUAL_DRIVER"):
        return
    missing = [name for name, stream in (("stdin", sys.__stdin__), ("stderr", sys.__stderr__)) if not _terminal(stream)]
    if missing:
        raise UsageError(
            "the live view needs a terminal for its keys (stdin) and its screen (stderr), but "
            f"{' and '.join(missing)} {'is not one' if len(missing) == 1 else 'are not terminals'}: "
            "run it in a terminal (tmux, screen, ssh -t), or add --plain for lines to a log or a pipe"
        )


def _terminal(stream: object) -> bool:
    try:
        return bool(stream is not None and stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):  # no such method, or a closed file
        return False
