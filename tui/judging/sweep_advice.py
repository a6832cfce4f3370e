"""What the stop-early advice says of a run: behind its peers (with the numbers behind it), caught up since, and
what a judge had said before it started over. Decided in ``sweeps``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from tui.judging.windows import ROUNDING_NOISE


@dataclass(frozen=True)
class Behind:
    """A run newly behind its peers, with the numbers behind the advice."""

    run: str
    step: int
    """The run's own step (as logged) of the validation point that decided it."""
    progress: float
    """Where that point is on the sweep's common axis (step, or validation round)."""
    best: float
    """The run's best validation loss up to that point."""
    diverged: bool = False
    median: float = math.nan
    """The peers' median best at the reference point."""
    reference: float = math.nan
    """The reference point on the common axis (progress / slower)."""
    noise: float = 0.0
    peers: int = 0
    lost: bool = False
    """It went up from its start by more than its peers came down: behind whatever its noise (not counted)..."""
    recent: float = math.nan
    first: float = math.nan
    """...its recent median and its start, which say so."""

    @property
    def gap(self) -> float:
        return self.best - self.median

    def reason(self, axis: str = "step") -> str:
        """One line with the numbers: the run's best, the peers' median and where, the gap, the noise."""
        if self.diverged:
            return f"validation loss is {self.best} at {axis} {self.progress:,.0f}: it cannot catch up (left the pool)"
        relative = self.gap / abs(self.median) if self.median else math.inf
        noisy = self.noise > ROUNDING_NOISE * max(abs(self.best), abs(self.median))  # float32's rounding is none
        noise = f"{self.gap / self.noise:,.1f}x its noise" if noisy else "no noise"  # as every other reason
        if self.lost:  # its noise set aside: a run that went up from its start is behind whatever its scatter
            noise = "risen from its start by more than its peers fell"
            if math.isfinite(self.recent) and math.isfinite(self.first):
                noise += (
                    f": its recent median {_fmt(self.recent)} is {_fmt(self.recent - self.first)} above its start "
                    f"{_fmt(self.first)}, the peers' median {_fmt(self.first - self.median)} below it"
                )
        return (
            f"best val {_fmt(self.best)} up to {axis} {self.progress:,.0f} vs the peers' median {_fmt(self.median)} "
            f"up to {axis} {self.reference:,.0f}: +{_fmt(self.gap)} ({relative:+.1%}, {noise}); {self.peers} peers"
        )


class Said(NamedTuple):
    """What a judge had said: the runs behind, and every (run, step) it told."""

    behind: frozenset[str]
    told: frozenset[tuple[str, int]]


@dataclass(frozen=True)
class CaughtUp:
    """A run once behind its peers whose best is now no worse than their median: the advice withdrawn."""

    run: str
    step: int
    progress: float
    best: float
    median: float
    reference: float
    peers: int

    def reason(self, axis: str = "step") -> str:
        return (
            f"caught up: best val {_fmt(self.best)} up to {axis} {self.progress:,.0f} vs the peers' median "
            f"{_fmt(self.median)} up to {axis} {self.reference:,.0f}; {self.peers} peers"
        )


def _fmt(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)
