"""Desktop notifications through the terminal: OSC 777 / OSC 9 escape sequences.

A job on a GPU box over SSH has no way to reach the laptop's notification
centre, but the laptop's terminal does: OSC 777 (``notify;title;body``: urxvt,
foot, Ghostty, WezTerm, kitty, iTerm2, VTE terminals) and OSC 9 (body only:
iTerm2, Ghostty, kitty, WezTerm, Windows Terminal) raise one. Inside tmux the
sequence must be wrapped for passthrough (and tmux needs
``set -g allow-passthrough on``), or tmux swallows it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from tui.text import shown_name

if TYPE_CHECKING:
    from tui.judging.engine import Alert

TITLE = "losswatch"
FORMATS = ("777", "9")


def notification_body(alert: Alert, best_step: int | None) -> str:
    """'run: overfitting at step 390, best val at step 150' (printable, without ';', which ends a field): the best
    the alert was raised at (a run read whole knows of bests set after it), else ``best_step``."""
    body = f"{shown_name(alert.run, 80)}: {alert.kind} at step {alert.step:,}"
    best_step = alert.best_step if alert.best_step is not None else best_step
    if best_step is not None:
        body += f", best val at step {best_step:,}"
    return body.replace(";", ",")


def osc(body: str, form: str = "777") -> str:
    """The OSC sequence (BEL-terminated, which every terminal that knows it accepts)."""
    if form == "9":
        return f"\x1b]9;{TITLE}: {body}\x07"
    return f"\x1b]777;notify;{TITLE};{body}\x07"


def tmux_passthrough(sequence: str) -> str:
    """Wrap ``sequence`` so tmux hands it to the outer terminal: DCS tmux; (ESC doubled) ST."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def notification(
    alert: Alert, best_step: int | None, form: str = "777", environ: Mapping[str, str] | None = None
) -> str:
    """The bytes to write for one alert, wrapped for tmux when ``$TMUX`` is set."""
    sequence = osc(notification_body(alert, best_step), form)
    if (os.environ if environ is None else environ).get("TMUX"):
        sequence = tmux_passthrough(sequence)
    return sequence
