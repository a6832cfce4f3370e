"""A remote root that did not answer while a run's file was read: the root's trouble, said on stderr as its
reachability (reconnecting, unreachable). ``watch --plain`` also said the run "unreadable" (``"kind":
"unreadable"`` under ``--json``) with the connection's error, just as the host came back after a long outage."""

from __future__ import annotations

import io
import json
import time
from contextlib import redirect_stdout
from pathlib import Path

from servers import Sshd
from tensorboardX import SummaryWriter

from tui.cli.plain_watch import PlainWatch
from tui.live.monitor import Monitor
from tui.sources.base import NOT_ANSWERING
from tui.sources.points import FileHealth
from tui.sources.roots.ssh import SshRoot


def _said(watch: PlainWatch) -> list[tuple[str, str]]:
    out = io.StringIO()
    with redirect_stdout(out):
        watch.say([], [])
    return [(line["run"], line["kind"]) for line in map(json.loads, out.getvalue().splitlines())]


def test_a_read_while_the_host_does_not_answer_is_no_unreadable_run(sshd: Sshd, tmp_path: Path):
    root = SshRoot("lwtest", str(tmp_path))
    writer = SummaryWriter(str(tmp_path / "job"))
    try:
        for step in range(20):
            writer.add_scalar("loss", 1 / (step + 1), step)
        writer.flush()
        monitor = Monitor(root)
        watch = PlainWatch(monitor, as_json=True, bell=False, notify=None, hook=None)
        new_runs, _, _ = monitor.refresh()
        with redirect_stdout(io.StringIO()):
            watch.say(new_runs, [])
        for step in range(20, 40):  # the job goes on writing
            writer.add_scalar("loss", 1 / (step + 1), step)
        writer.flush()
        root._lost("connect to host 127.0.0.1 port 22: Connection refused")  # as a failed request leaves it
        root._retry_at = time.monotonic() + 60
        root._listed_at = -1e9  # no listing fresh enough to answer for the file: the host must be asked
        monitor.read()  # the watcher reads the grown file while the root waits to try again
        run = monitor.store.runs["job"]
        assert run.errors and run.errors[0].startswith(NOT_ANSWERING)
        assert "Connection refused (trying again in" in run.errors[0]
        assert _said(watch) == []  # the root's line says it, not one per run
        root._retry_at = 0.0  # the host answers again: the file is read, the error goes
        monitor.refresh()
        local = Monitor(str(tmp_path))  # what the file holds (tensorboardX flushes what it has when asked)
        local.refresh()
        steps = run.scalars["loss"].steps.tolist()
        assert not run.errors and len(steps) > 20 and steps == local.store.runs["job"].scalars["loss"].steps.tolist()
        assert _said(watch) == []
    finally:
        writer.close()
        root.close()


def test_a_not_answering_error_said_inside_a_formats_words_is_the_roots_too(tmp_path: Path):
    """MLflow's file store names the metric before the error (``metrics/loss: its host did not answer: …``), and a
    Trainer's folder the state file: the root's trouble all the same, not an unreadable run."""
    with SummaryWriter(str(tmp_path / "job")) as writer:
        writer.add_scalar("loss", 1.0, 0)
    monitor = Monitor(str(tmp_path))
    watch = PlainWatch(monitor, as_json=True, bell=False, notify=None, hook=None)
    new_runs, _, _ = monitor.refresh()
    with redirect_stdout(io.StringIO()):
        watch.say(new_runs, [])
    run = monitor.store.runs["job"]
    run.files["mlruns/0/abc/metrics/loss"] = FileHealth(error=f"metrics/loss: {NOT_ANSWERING}Connection refused")
    assert _said(watch) == []
    run.files["mlruns/0/abc/metrics/acc"] = FileHealth(error="metrics/acc: permission denied")
    assert _said(watch) == [("job", "unreadable")]
