"""A stop signal whose interrupt lands in a garbage collector's callback still stops the command: Python prints
such an exception and goes on, and ``watch --plain`` ran on after a SIGTERM, ignoring the signals after it."""

from __future__ import annotations

import os
import signal
import weakref

import pytest

from tui.cli.signals import stopped_by_signals


class _Thing:
    pass


def _signal_inside_a_callback(_ref: object) -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    for _ in range(1000):  # the handler runs here, between two of the callback's own instructions
        pass


def test_an_interrupt_raised_in_a_weakref_callback_is_raised_again(capsys):
    with pytest.raises(KeyboardInterrupt), stopped_by_signals():
        thing = _Thing()
        ref = weakref.ref(thing, _signal_inside_a_callback)
        del thing  # the callback runs, the signal's interrupt is raised in it, and Python ignores it there
        for _ in range(10_000_000):  # the command goes on: the interrupt must come here
            pass
        assert ref() is None
    assert "Exception ignored" not in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN  # the handlers came back
