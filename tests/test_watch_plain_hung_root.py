"""``watch --plain`` over several roots, one of them a host that takes the connection and never answers: the
README says a slow or unreachable root holds up no other, yet nothing was printed, not even the local runs and
their alerts, until the hung host timed out (10 s for ssh, 30 s for S3; with a longer ``ConnectTimeout``, longer).
Then the local runs of the first round were said at once, but nothing that happened after the start (a new run, a
new alert) until the hung host's first round ended (30 s for ssh): the watching began once every root was read."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from children import Child, spawn
from conftest import scalar_run

pytestmark = pytest.mark.skipif(shutil.which("ssh") is None, reason="no ssh client")

LIVE_WITHIN = 10.0
"""Seconds a line of the local root may take: well under the 30 s after which losswatch gives up on an ssh
master's login (the old code's live lines came then), with room for a busy machine."""


@contextlib.contextmanager
def silent_host() -> Iterator[str]:
    """An ssh root on 127.0.0.1 whose listener takes the connection (the kernel's backlog) and says nothing, ever;
    ssh itself would wait 600 s for its banner."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        yield f"ssh://nobody@127.0.0.1:{listener.getsockname()[1]}/runs"


def env() -> dict[str, str]:
    return {
        **os.environ,
        "LOSSWATCH_SSH_COMMAND": "ssh -o ConnectTimeout=600 -o ServerAliveInterval=600 -o BatchMode=yes"
        " -o StrictHostKeyChecking=no",
    }


def records(child: Child) -> list[tuple[str, str]]:
    """(kind, run under its root) of each JSON line so far."""
    lines = [json.loads(line) for line in child.text().splitlines() if line.strip()]
    return [(line["kind"], line["run"].rsplit(":", 1)[-1]) for line in lines]


def stopped_at_once(child: Child, number: int = signal.SIGINT) -> None:
    """Ctrl-C (or SIGTERM) ends it with the host still silent, at once (not when the host's first round gives up)."""
    began = time.monotonic()
    assert child.stop(number) == 0
    assert time.monotonic() - began < 5.0
    assert "Traceback" not in child.errors()


def test_a_hung_root_holds_up_no_other_roots_runs(tmp_path: Path):
    scalar_run(tmp_path / "local" / "run", {"loss": [1.0, 0.9, float("nan")], "val_loss": [1.1, 1.0, float("nan")]})
    with silent_host() as hung, spawn("watch", "--plain", "--json", str(tmp_path / "local"), hung, env=env()) as child:
        # Well before the 30 s losswatch gives an ssh master to log in, after which the old code went on
        child.wait_for(lambda c: '"diverging"' in c.text(), 20, "the local run's alert")
        assert records(child)[:2] == [("new-run", "run"), ("diverging", "run")]
        stopped_at_once(child)


def test_a_hung_root_holds_up_no_other_roots_live_lines(tmp_path: Path):
    """A run made in the local root after the start is said, and its alert, while the host is still silent."""
    scalar_run(tmp_path / "local" / "first", {"loss": [1.0, 0.9, 0.8], "val_loss": [1.1, 1.0, 0.9]})
    with silent_host() as hung, spawn("watch", "--plain", "--json", str(tmp_path / "local"), hung, env=env()) as child:
        child.wait_for(lambda c: ("new-run", "first") in records(c), 20, "the first round's run")
        time.sleep(0.5)  # the local root's watching has begun (or, before, would never begin in time)
        written = time.monotonic()
        scalar_run(tmp_path / "local" / "late", {"loss": [1.0, math.nan], "val_loss": [1.1, 1.0]})
        child.wait_for(lambda c: ("diverging", "late") in records(c), LIVE_WITHIN, "the new run's alert")
        assert time.monotonic() - written < LIVE_WITHIN
        assert records(child) == [("new-run", "first"), ("new-run", "late"), ("diverging", "late")]
        assert "127.0.0.1" not in child.errors()  # the host's first round is not over: nothing said of it yet
        stopped_at_once(child)


def test_an_empty_root_beside_a_hung_one_is_said_empty_at_once(tmp_path: Path):
    """Said once every root was read, "no runs yet" waited for the hung host, and then named both roots (one of
    which it could not look into): each root is said empty when it is read, by itself."""
    local = tmp_path / "local"
    local.mkdir()
    with silent_host() as hung, spawn("watch", "--plain", str(local), hung, env=env()) as child:
        said = f"losswatch: no runs yet in {local}; waiting for training logs"
        child.wait_for(lambda c: said in c.errors(), LIVE_WITHIN, "the local root said empty")
        scalar_run(local / "late", {"loss": [1.0, math.nan], "val_loss": [1.1, 1.0]})
        child.wait_for(lambda c: "late  step 1  diverging" in c.text(), LIVE_WITHIN, "the new run's alert")
        assert child.errors().splitlines() == [said]
        stopped_at_once(child, signal.SIGTERM)
