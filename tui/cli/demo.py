"""``losswatch demo``: simulated jobs writing real event files, watched live, in a folder the demo owns."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

from tui.cli.commands import watch_tui
from tui.cli.exits import EXIT_USAGE, needs_a_terminal
from tui.cli.given_roots import remote
from tui.cli.plain_watch import watch_plain
from tui.judging.thresholds import Thresholds
from tui.live.demo import DemoJobs, default_jobs
from tui.text import printable, quoted


def why_not_for_the_demo(folder: str, names: set[str]) -> str | None:
    """Why the demo must not write into ``folder`` (None: it is new, empty, or holds only a demo's runs)."""
    if remote(folder) or "://" in folder:  # its writers write local files: it made ./s3:/bucket, watched the bucket
        why = "is not a local folder: the demo's jobs write their event files on this machine"
        return why if "://" in folder else f"{why} (a local folder so named is written ./{folder})"
    try:
        entries = sorted(os.listdir(folder))
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"cannot be used ({error.strerror or error})"
    other = next((entry for entry in entries if entry not in names), None)
    if other is None:
        return None
    return (
        f"holds {quoted(other)}, which no demo wrote: the demo writes its simulated runs into a new or empty "
        "folder (or one a demo wrote), never among real ones"
    )


def demo(folder: str | None, speed: float, plain: bool, bell: bool, notify: str | None = None) -> int:
    """Simulated jobs in a temporary folder (removed however the demo ends: q, Ctrl-C, SIGTERM, SIGHUP)."""
    if folder is not None and (why := why_not_for_the_demo(folder, {job.name.split("/")[0] for job in default_jobs()})):
        print(f"losswatch: demo --dir {printable(folder)} {why}", file=sys.stderr)
        return EXIT_USAGE
    if not plain:
        needs_a_terminal()  # before any job starts writing
    with tempfile.TemporaryDirectory(prefix="losswatch-demo-") as temp:
        logdir = folder or temp
        try:
            os.makedirs(logdir, exist_ok=True)
        except OSError as error:  # under /proc, a read-only parent, a file in the way
            why = f"cannot be used ({error.strerror or error})"
            print(f"losswatch: demo --dir {printable(logdir)} {why}", file=sys.stderr)
            return EXIT_USAGE
        jobs = DemoJobs(logdir, speed=speed)
        try:
            jobs.start()
            if plain:
                return watch_plain(logdir, Thresholds(), None, None, False, bell, None, None, notify)
            forced_end = None if folder else lambda: shutil.rmtree(temp, ignore_errors=True)
            return watch_tui(logdir, Thresholds(), None, None, bell, None, notify, on_forced_end=forced_end)
        finally:
            jobs.stop()
