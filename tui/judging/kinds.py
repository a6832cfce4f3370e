"""The one vocabulary of verdicts and flags: what each means, what to do, whether it rings.

Every other module (the engine, ``check``, the app, the docs) reads this table; nothing keeps a list
of kinds of its own. ``Kind`` is a ``StrEnum``, so a kind compares equal to its text (``"overfitting"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from tui.text import printable


class Kind(StrEnum):
    """Verdicts (one per run at a time) and flags (any number beside the verdict)."""

    WAITING = "waiting"
    LEARNING = "learning"
    CONVERGED = "converged"
    OVERFITTING = "overfitting"
    DIVERGING = "diverging"
    UNSTABLE = "unstable"
    PLATEAU = "plateau"
    DATA_SUSPECT = "data-suspect"
    VAL_RISING = "val-rising"
    BOTH_RISING = "both-rising"
    SPIKE = "spike"
    NOISY_VAL = "noisy-val"
    NO_NEW_BEST = "no-new-best"
    WEIGHTS_STATIC = "weights-static"
    DEAD_UNITS = "dead-units"
    STALLED = "stalled"
    GAP = "gap"
    EPOCH_STEPS = "epoch-steps"
    DAMAGED = "damaged"
    UNREADABLE = "unreadable"
    GONE = "gone"
    BEHIND_PEERS = "behind-peers"


@dataclass(frozen=True)
class Meaning:
    """What a kind means to the user."""

    advice: str
    verdict: bool
    """A verdict (one per run) rather than a flag."""
    bell: bool = False
    """Rings the terminal bell when it is raised."""
    attention: bool = False
    """Makes ``check`` exit 1."""
    style: str = ""
    """Rich style, the same in ``check`` and the app."""
    severity: int = 9
    """Sort order of runs: lower needs attention sooner."""
    shown: str = ""
    """How the runs table shows it when it differs from the kind's name (the early warning)."""


MEANINGS: dict[Kind, Meaning] = {
    Kind.DIVERGING: Meaning(
        "learning rate too high, or a bad architecture or hyper-parameters",
        verdict=True,
        bell=True,
        attention=True,
        style="bold red",
        severity=0,
    ),
    Kind.OVERFITTING: Meaning(
        "stop, or keep the best checkpoint; regularize, augment or get more data",
        verdict=True,
        bell=True,
        attention=True,
        style="bold red",
        severity=1,
    ),
    Kind.UNSTABLE: Meaning(
        "learning rate too high or batch too small", verdict=True, attention=True, style="bold yellow", severity=2
    ),
    Kind.DATA_SUSPECT: Meaning(
        "check the dataset, the labels and the train/validation split",
        verdict=True,
        attention=True,
        style="bold magenta",
        severity=3,
    ),
    Kind.PLATEAU: Meaning(
        "learning hit a bottleneck: lower the learning rate or change the batch size",
        verdict=True,
        attention=True,
        style="yellow",
        severity=4,
    ),
    Kind.LEARNING: Meaning("keep training", verdict=True, style="green", severity=6),
    Kind.CONVERGED: Meaning("done: keep the best checkpoint", verdict=True, style="cyan", severity=7),
    Kind.WAITING: Meaning(
        "nothing to judge yet: too few points, or no loss curve (its reason says which)",
        verdict=True,
        style="dim",
        severity=8,
    ),
    Kind.VAL_RISING: Meaning(
        "validation is rising since its best: watch it; if it goes on, keep the best checkpoint",
        verdict=False,
        style="dark_orange",
        severity=5,
        shown="overfitting?",
    ),
    Kind.BOTH_RISING: Meaning(
        "both curves are rising, short of a blow-up: watch it; if the rise goes on, lower the learning rate"
        " (momentum's overshoot comes back by itself)",
        verdict=False,
        style="dark_orange",
        severity=5,
        shown="diverging?",
    ),
    Kind.SPIKE: Meaning(
        "a one- or two-point excursion that came back: routine, unless it repeats", verdict=False, style="yellow"
    ),
    Kind.NOISY_VAL: Meaning(
        "not a concern: validation is noisy around a healthy trend; judge the trend, not single epochs",
        verdict=False,
        style="dim",
    ),
    Kind.NO_NEW_BEST: Meaning(
        "validation stopped improving: keep its best checkpoint; stop, or lower the learning rate to go on",
        verdict=False,
        style="yellow",
    ),
    Kind.WEIGHTS_STATIC: Meaning(
        "a frozen layer, vanishing gradients or a learning rate too low", verdict=False, style="yellow"
    ),
    Kind.DEAD_UNITS: Meaning(
        "dead ReLUs: lower the learning rate, check initialisation, or try LeakyReLU/GELU",
        verdict=False,
        style="yellow",
    ),
    Kind.STALLED: Meaning("the job stopped writing: check whether it crashed or hung", verdict=False, style="yellow"),
    Kind.GAP: Meaning(
        "the model generalises poorly: regularize, augment or get more data", verdict=False, style="yellow"
    ),
    Kind.EPOCH_STEPS: Meaning(
        "validation looks logged at epoch numbers, training at its own steps: log both at the training step, so"
        " that the verdict reads them side by side",
        verdict=False,
        style="yellow",
    ),
    Kind.DAMAGED: Meaning("part of a log file could not be read; the rest was read", verdict=False, style="yellow"),
    Kind.UNREADABLE: Meaning(
        "its folder or a file could not be read (say, permission denied): what could be read is shown",
        verdict=False,
        style="yellow",
    ),
    Kind.GONE: Meaning(
        "its folder or its log files vanished: the points already read are kept", verdict=False, style="dim"
    ),
    Kind.BEHIND_PEERS: Meaning(
        "clearly behind its sweep's peers (worse than they were at half its progress): stop its job to free the GPU",
        verdict=False,
        style="yellow",
    ),
}

VERDICTS = tuple(kind for kind, meaning in MEANINGS.items() if meaning.verdict)
FLAGS = tuple(kind for kind, meaning in MEANINGS.items() if not meaning.verdict)

# Views of the table the rest of the code reads by name.
ADVICE: dict[str, str] = {kind.value: meaning.advice for kind, meaning in MEANINGS.items()}
VERDICT_STYLES: dict[str, str] = {kind.value: meaning.style for kind, meaning in MEANINGS.items() if meaning.style}
SEVERITY: dict[str, int] = {kind.value: meaning.severity for kind, meaning in MEANINGS.items()}
ATTENTION = frozenset(kind.value for kind, meaning in MEANINGS.items() if meaning.attention)
"""Verdicts that make ``check`` exit 1."""
BELL = frozenset(kind.value for kind, meaning in MEANINGS.items() if meaning.bell)
"""Alerts that ring the terminal bell."""


GONE = "its logs are gone (its folder or its log files were deleted); showing what was read"
"""The ``gone`` flag's reason, and the note beside a gone run (``check``, the live view's status line)."""


def gone_words(moved_to: str) -> str:
    """Why a run is gone: its files deleted (``GONE``), or its folder renamed to the run named ``moved_to`` while
    watched (shown with its control characters made visible)."""
    if not moved_to:
        return GONE
    return f"its logs moved: it is the run {printable(moved_to)} now; showing what was read under this name"


NOTICE_FLAGS = (Kind.EPOCH_STEPS,)
"""Flags said once as a notice where only alerts are said (``watch --plain``'s lines, the live view's log): they
explain the verdict beside them, and a narrow pane drops the table's flags column."""

WARNINGS = (Kind.VAL_RISING, Kind.BOTH_RISING)
"""Flags that are early warnings of a bell (no bell themselves): shown in the verdict's place, advised by ``check``."""

SHOWN_AS: dict[str, Kind] = {m.shown: kind for kind, m in MEANINGS.items() if m.shown}
"""Table labels that stand for a kind (``overfitting?`` is the early warning)."""


def shown(kind: str, flags: object = ()) -> tuple[str, str, int]:
    """How the runs table shows a run's verdict: (label, style, severity).

    An early warning takes the verdict's place while nothing worse is said (amber ``overfitting?`` or
    ``diverging?``).
    """
    worse = (Kind.OVERFITTING, Kind.DIVERGING, Kind.UNSTABLE)
    warning = warning_in(flags)
    if warning is not None and kind not in worse:
        kind = MEANINGS[warning].shown
    base = SHOWN_AS.get(kind, kind.split(":", 1)[0])
    if base not in SEVERITY:
        return str(kind), "", 9
    known = MEANINGS[Kind(base)]
    return known.shown or str(kind), known.style, known.severity


def warning_in(flags: object) -> Kind | None:
    """The early warning among a run's flags (``WARNINGS``, the first that is there), or None."""
    return next((w for w in WARNINGS if w in flags), None)  # type: ignore[operator]


def severity(kind: str) -> int:
    """Where a verdict, flag or table label sorts (lower needs attention sooner)."""
    return shown(kind)[2]


def meaning(kind: str) -> Meaning:
    """The meaning of a kind or of a per-tag flag (``weights-static:<tag>`` means ``weights-static``)."""
    return MEANINGS[Kind(kind.split(":", 1)[0])]


TABLE = (
    ("falling", "falling", Kind.LEARNING),
    ("falling", "rising", Kind.OVERFITTING),
    ("flat", "falling", Kind.DATA_SUSPECT),
    ("flat, early or at its first learning rate", "flat", Kind.PLATEAU),
    ("any, validation accuracy stuck at its first (chance) value", "any", Kind.PLATEAU),
    ("flat, learned, learning rate decayed", "flat", Kind.CONVERGED),
    ("rising, NaN/inf or exploding", "rising", Kind.DIVERGING),
    ("oscillating strongly", "", Kind.UNSTABLE),
)
"""The practitioners' table: (train loss, validation loss, verdict); the docs are tested against it."""


def flag_names(flags: Iterable[str]) -> list[str]:
    """Flags as a table shows them: each once, without its tag (``weights-static:<tag>``: ``weights-static``), in
    alphabetical order, which the live view and ``check`` share (the order they were raised in is not: a run read
    live raises them over time, a first read at its end at once)."""
    return sorted({flag.split(":")[0] for flag in flags})
