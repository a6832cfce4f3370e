"""Exit codes every command shares (``check --help`` lists them)."""

import errno

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
