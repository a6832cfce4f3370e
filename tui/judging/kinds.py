"""What each verdict and flag means, and what practitioners do about it."""

from __future__ import annotations

VERDICT_STYLES = {
    "learning": "green",
    "waiting": "dim",
    "overfitting": "bold red",
    "diverging": "bold red",
    "unstable": "bold yellow",
    "plateau": "yellow",
    "data-suspect": "bold magenta",
}
"""Rich styles of the verdicts, the same in `check` and in the TUI."""

ATTENTION = frozenset({"overfitting", "diverging", "unstable", "data-suspect", "plateau"})
"""Verdicts that make ``check`` exit 1."""

BELL = frozenset({"overfitting", "diverging"})
"""Alerts that ring the terminal bell."""

SEVERITY = {
    "diverging": 0,
    "overfitting": 1,
    "unstable": 2,
    "data-suspect": 3,
    "plateau": 4,
    "learning": 5,
    "waiting": 6,
}
"""Sort order of verdicts: the ones that need attention first."""


def severity(kind: str) -> int:
    """Where a verdict sorts; a kind missing from SEVERITY sorts by whether it rings or needs attention."""
    if kind in SEVERITY:
        return SEVERITY[kind]
    if kind in BELL:
        return SEVERITY["overfitting"]
    return SEVERITY["plateau"] if kind in ATTENTION else SEVERITY["learning"]


ADVICE = {
    "waiting": "not enough points yet to judge a trend",
    "learning": "keep training",
    "overfitting": "stop, or keep the best checkpoint; regularize, augment or get more data",
    "data-suspect": "check the dataset, the labels and the train/validation split",
    "plateau": "lower the learning rate or change the batch size",
    "diverging": "learning rate too high, or a bad architecture or hyper-parameters",
    "unstable": "learning rate too high or batch too small",
    "noisy-val": "not a concern: validation is noisy around a healthy trend; judge the trend, not single epochs",
    "weights-static": "a frozen layer, vanishing gradients or a learning rate too low",
    "dead-units": "dead ReLUs: lower the learning rate, check initialisation, or try LeakyReLU/GELU",
    "stalled": "the job stopped writing: check whether it crashed or hung",
    "gap": "the model generalises poorly: regularize, augment or get more data",
    "damaged": "part of an event file could not be read; the rest was",
}

TABLE = (
    ("falling", "falling", "learning"),
    ("falling", "rising", "overfitting"),
    ("flat", "falling", "data-suspect"),
    ("flat", "flat", "plateau"),
    ("rising", "rising", "diverging"),
    ("oscillating strongly", "", "unstable"),
)
"""The practitioners' table: (train loss, validation loss, verdict)."""
