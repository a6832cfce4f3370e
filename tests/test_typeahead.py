"""Keys typed while the app starts: a ``q`` pressed at once quits. It went to the hidden filter box (the first
focusable widget, focused before the table was), and ``q`` became a pattern that matched no run."""

from __future__ import annotations

from children import spawn
from conftest import DATA


def test_q_typed_while_the_app_starts_quits():
    with spawn("watch", str(DATA), terminal=(80, 24)) as child:
        child.type(b"q")
        assert child.proc.wait(timeout=30) == 0
