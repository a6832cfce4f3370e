"""The commands behind the CLI; each drives the same Monitor the TUI uses."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time

from rich.console import Console
from rich.text import Text

from tui.cli.exits import EXIT_ATTENTION, EXIT_OK, EXIT_USAGE
from tui.cli.report import needs_attention, print_json, print_table
from tui.judging.engine import Alert
from tui.judging.kinds import BELL
from tui.judging.replay import replay_run
from tui.judging.thresholds import Thresholds
from tui.live.firstread import read_in_workers, unread_paths
from tui.live.monitor import Monitor, NewRun
from tui.text import printable


def _load(
    logdir: str, thresholds: Thresholds, train_tag: str | None, val_tag: str | None, spread: bool = False
) -> Monitor:
    """One round of reading and judging; with ``spread``, the runs go to one worker process per core
    and come back as summaries (for commands that need verdicts, not whole curves)."""
    monitor = Monitor(logdir, thresholds, train_pattern=train_tag, val_pattern=val_tag)
    if not spread:
        monitor.refresh()
        return monitor
    monitor.scan()
    read_in_workers(monitor)  # when there are enough runs to pay for the processes
    monitor.read(unread_paths(monitor))  # what the workers did not take (everything, without workers)
    return monitor


def _no_runs(monitor: Monitor) -> int | None:
    if monitor.store.runs:
        return None
    detail = ""
    if monitor.scan_errors:
        path, why = next(iter(monitor.scan_errors.items()))
        detail = f" ({printable(path)}: {why})"
    print(
        f"losswatch: no runs under {printable(monitor.logdir)}: no training logs found (TensorBoard, W&B, MLflow,"
        f" trackio, Lightning or Keras CSV, Hugging Face){detail}",
        file=sys.stderr,
    )
    return EXIT_USAGE


def check(logdir: str, thresholds: Thresholds, train_tag: str | None, val_tag: str | None, as_json: bool) -> int:
    """One-shot verdicts; exit 1 when a run needs attention."""
    monitor = _load(logdir, thresholds, train_tag, val_tag, spread=True)
    if (code := _no_runs(monitor)) is not None:
        return code
    runs = [(run, monitor.verdict(run.name)) for run in monitor.store.snapshot()]
    if as_json:
        print_json(runs, sys.stdout)
    else:
        console = Console(highlight=False)
        if not console.is_terminal:
            console = Console(highlight=False, width=160)  # a file or a pipe: do not squeeze into 80 columns
        print_table(runs, console)
    return EXIT_ATTENTION if any(needs_attention(verdict) for _, verdict in runs) else EXIT_OK


def line_console() -> Console:
    """A console that prints each alert on one line, whatever the width: greppable when piped."""
    return Console(highlight=False, soft_wrap=True)


def format_alert(alert: Alert) -> Text:
    return Text(
        f"{printable(alert.run, 80)}  step {alert.step:,}  {alert.kind}  "
        f"{printable(alert.tag, 80)}: {printable(alert.reason)}"
    )


def alert_json(alert: Alert) -> str:
    record = alert.as_dict()
    record.update(run=printable(alert.run), tag=printable(alert.tag), reason=printable(alert.reason))
    return json.dumps(record)


def replay(logdir: str, thresholds: Thresholds, train_tag: str | None, val_tag: str | None, as_json: bool) -> int:
    monitor = _load(logdir, thresholds, train_tag, val_tag)
    if (code := _no_runs(monitor)) is not None:
        return code
    console = line_console()
    for run in monitor.store.snapshot():
        for alert in replay_run(run, thresholds, train_tag, val_tag):
            if as_json:
                print(alert_json(alert), flush=True)
            else:
                console.print(format_alert(alert))
    return EXIT_OK


def export(logdir: str, output: str) -> int:
    from tui.cli.export import export_scalars

    rows = export_scalars(logdir, output)
    print(f"losswatch: wrote {rows:,} points to {printable(output)}", file=sys.stderr)
    return EXIT_OK


class _AlertHook:
    """Runs the user's --on-alert command; data goes through the environment only."""

    def __init__(self, command: str) -> None:
        self.argv = shlex.split(command)
        self.children: list[subprocess.Popen] = []

    def __call__(self, alert: Alert) -> None:
        env = dict(
            os.environ,
            LOSSWATCH_RUN=alert.run,
            LOSSWATCH_KIND=alert.kind,
            LOSSWATCH_STEP=str(alert.step),
            LOSSWATCH_REASON=alert.reason,
            LOSSWATCH_TAG=alert.tag,
        )
        self.children = [c for c in self.children if c.poll() is None]
        try:
            self.children.append(subprocess.Popen(self.argv, env=env, stdin=subprocess.DEVNULL))
        except OSError as error:
            print(f"losswatch: --on-alert failed: {error.strerror or error}", file=sys.stderr, flush=True)


def watch_plain(
    logdir: str,
    thresholds: Thresholds,
    train_tag: str | None,
    val_tag: str | None,
    as_json: bool,
    bell: bool,
    on_alert: str | None,
    poll: float | None,
) -> int:
    """Tail LOGDIR and print one line per new run and per alert until Ctrl-C."""
    import threading

    from tui.live.watcher import Watcher

    monitor = Monitor(logdir, thresholds, train_pattern=train_tag, val_pattern=val_tag)
    hook = _AlertHook(on_alert) if on_alert else None
    console = line_console()
    lock = threading.Lock()

    def emit(new_runs: list[NewRun], _changes, alerts: list[Alert]) -> None:
        with lock:
            for new in new_runs:
                if as_json:
                    print(
                        json.dumps(
                            {
                                "run": printable(new.run),
                                "step": None,
                                "kind": "new-run",
                                "tag": "",
                                "reason": f"found at {printable(new.path)}",
                            }
                        ),
                        flush=True,
                    )
                else:
                    console.print(Text(f"{printable(new.run, 80)}  new run at {printable(new.path)}"))
                    sys.stdout.flush()
            for alert in alerts:
                if as_json:
                    print(alert_json(alert), flush=True)
                else:
                    console.print(format_alert(alert))
                    sys.stdout.flush()
                if bell and alert.kind in BELL:
                    sys.stdout.write("\a")
                    sys.stdout.flush()
                if hook:
                    hook(alert)

    new_runs, changes, alerts = monitor.refresh()
    emit(new_runs, changes, alerts)
    watcher = Watcher(monitor, emit, poll_seconds=poll)
    watcher.start()
    if watcher.note:
        print(f"losswatch: {watcher.note}", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
    return EXIT_OK


def watch_tui(
    logdir: str, thresholds: Thresholds, train_tag: str | None, val_tag: str | None, bell: bool, poll: float | None
) -> int:
    from tui.app.app import LossWatchApp

    monitor = Monitor(logdir, thresholds, train_pattern=train_tag, val_pattern=val_tag)
    LossWatchApp(monitor, bell=bell, poll_seconds=poll).run()
    return EXIT_OK


def demo(folder: str | None, speed: float, plain: bool, bell: bool) -> int:
    import tempfile

    from tui.live.demo import DemoJobs

    with tempfile.TemporaryDirectory(prefix="losswatch-demo-") as temp:
        logdir = folder or temp
        os.makedirs(logdir, exist_ok=True)
        jobs = DemoJobs(logdir, speed=speed)
        jobs.start()
        try:
            if plain:
                return watch_plain(logdir, Thresholds(), None, None, False, bell, None, None)
            return watch_tui(logdir, Thresholds(), None, None, bell, None)
        finally:
            jobs.stop()
