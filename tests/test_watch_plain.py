"""`losswatch watch --plain`: new runs and alerts as lines, live; --on-alert; Ctrl-C exits 0."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import scalar_event, scalar_run

from tui.sources.tensorboard.records import frame


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-u", "-m", "tui", "watch", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def read_json_line(proc: subprocess.Popen, timeout: float = 20.0) -> dict:
    import selectors

    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=max(0.0, deadline - time.monotonic())):
            line = proc.stdout.readline()
            if line.strip():
                return json.loads(line)
    raise AssertionError("no line in time")


def test_plain_json_lines_for_new_runs_and_alerts_and_ctrl_c(tmp_path: Path):
    scalar_run(tmp_path / "first", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
    marker = tmp_path / "hook.txt"
    fields = "+'|'+".join(f"os.environ['LOSSWATCH_{name}']" for name in ("RUN", "KIND", "STEP", "REASON"))
    hook = f"{sys.executable} -c \"import os,sys; open(sys.argv[1],'a').write({fields}+chr(10))\" {marker}"
    proc = start(str(tmp_path), "--plain", "--json", "--bell", "--on-alert", hook)
    try:
        line = read_json_line(proc)
        assert line == {
            "run": "first",
            "step": None,
            "kind": "new-run",
            "tag": "",
            "reason": f"found at {tmp_path / 'first'}",
        }
        # A run whose name would be dangerous in a shell string arrives, then diverges.
        name = "evil; touch pwned $(id)"
        path = scalar_run(tmp_path / name, {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
        line = read_json_line(proc)
        assert line["kind"] == "new-run" and line["run"] == name
        with open(path, "ab") as handle:
            handle.write(frame(scalar_event("loss", 2, math.nan, 1002.0)))
        line = read_json_line(proc)
        assert set(line) == {"run", "step", "kind", "tag", "reason"}
        assert (line["run"], line["kind"], line["step"], line["tag"]) == (name, "diverging", 2, "loss")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not marker.exists():
            time.sleep(0.05)
        time.sleep(0.3)
        assert marker.read_text().splitlines()[0].startswith(f"{name}|diverging|2|")
        assert not (Path.cwd() / "pwned").exists() and not (tmp_path / "pwned").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "losswatch: config" in err


def test_plain_text_rings_bell_on_divergence(tmp_path: Path):
    scalar_run(tmp_path / "r", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})
    proc = start(str(tmp_path), "--plain", "--bell")
    try:
        import selectors

        deadline = time.monotonic() + 20
        seen = ""
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline and "\a" not in seen:
            if selector.select(timeout=0.2):
                seen += os.read(proc.stdout.fileno(), 4096).decode()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert "diverging" in seen and "\a" in seen
    assert proc.returncode == 0


def test_watch_missing_dir_is_a_clear_error(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "tui", "watch", str(tmp_path / "nope"), "--plain"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "no such folder" in result.stderr and "Traceback" not in result.stderr
