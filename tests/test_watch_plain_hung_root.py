"""``watch --plain`` over several roots, one of them a host that takes the connection and never answers: the
README says a slow or unreachable root holds up no other, yet nothing was printed, not even the local runs and
their alerts, until the hung host timed out (10 s for ssh, 30 s for S3; with a longer ``ConnectTimeout``, longer)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
from pathlib import Path

import pytest
from children import spawn
from conftest import scalar_run


@pytest.mark.skipif(shutil.which("ssh") is None, reason="no ssh client")
def test_a_hung_root_holds_up_no_other_roots_runs(tmp_path: Path):
    scalar_run(tmp_path / "local" / "run", {"loss": [1.0, 0.9, float("nan")], "val_loss": [1.1, 1.0, float("nan")]})
    with socket.socket() as listener:  # takes the connection (the kernel's backlog) and says nothing, ever
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        env = {
            **os.environ,
            "LOSSWATCH_SSH_COMMAND": "ssh -o ConnectTimeout=600 -o ServerAliveInterval=600 -o BatchMode=yes"
            " -o StrictHostKeyChecking=no",
        }
        hung = f"ssh://nobody@127.0.0.1:{port}/runs"
        with spawn("watch", "--plain", "--json", str(tmp_path / "local"), hung, env=env) as child:
            # Well before the 30 s losswatch gives an ssh master to log in, after which the old code went on
            child.wait_for(lambda c: '"diverging"' in c.text(), 20, "the local run's alert")
            lines = [json.loads(line) for line in child.text().splitlines() if line.strip()]
            assert [(line["kind"], line["run"].rsplit(":", 1)[-1]) for line in lines][:2] == [
                ("new-run", "run"),
                ("diverging", "run"),
            ]
            assert child.stop(signal.SIGINT) == 0  # Ctrl-C ends it with the host still silent
