"""Ending a child process the one way every layer does: ask it to stop, then make it.

Below the layers (it imports none of them), so the ssh root's ControlMaster and the CLI's alert hooks share it.
"""

from __future__ import annotations

import subprocess


def end_process(child: subprocess.Popen, grace: float) -> None:
    """SIGTERM, wait up to ``grace`` seconds, then SIGKILL; reaped either way (no zombie left)."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
