"""``watch --plain`` started while a root's server is down: once the server answers, a root it does not have yet
is waited for ("waiting for … to appear"), then "is there". It was said "is gone: waiting for it to come back",
then "is back", of a root never seen."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from children import spawn
from conftest import DATA
from servers import free_port, start_s3_server


def test_a_root_unreachable_at_the_start_then_not_there_is_waited_for_not_gone(tmp_path: Path):
    port = free_port()  # nothing listens there yet
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    root = "s3://late-bucket/runs"
    with spawn("watch", "--plain", "--poll", "1", str(DATA / "keras"), root, env=env) as child:
        child.wait_for(lambda c: "Could not connect" in c.errors(), 60, "the unreachable root said")
        server = start_s3_server(port)  # up, without the bucket
        try:
            waiting = f"waiting for {root} to appear (bucket late-bucket not found)"
            child.wait_for(lambda c: waiting in c.errors(), 60, "the waiting line")
            server.client.create_bucket(Bucket="late-bucket")
            server.upload_tree(DATA / "torch" / "overfit-7", "late-bucket", "runs/overfit-7")
            child.wait_for(lambda c: f"{root} is there: watching it" in c.errors(), 60, "the root there")
            child.wait_for(lambda c: "overfit-7  new run" in c.text(), 60, "its run")
            time.sleep(0.5)
            assert "is gone" not in child.errors() and "is back" not in child.errors(), child.errors()
        finally:
            server.stop()
        assert child.stop(signal.SIGTERM) == 0 and "Traceback" not in child.errors()
