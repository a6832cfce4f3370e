"""Every threshold and window of the verdicts, in one place.

Defaults work without any file. A ``losswatch.toml`` in LOGDIR (else in the current folder) overrides
them under a ``[verdicts]`` table, and command-line ``--set NAME=VALUE`` flags override both.

All thresholds are scale-free: a curve's *range* is the progress it made (its first value minus its
best), its *noise* the robust point-to-point spread of its recent points (second differences).
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from dataclasses import dataclass, fields

CONFIG_NAME = "losswatch.toml"


@dataclass(frozen=True)
class Thresholds:
    """Tuning knobs of the verdict engine; each is documented in the README or docs/verdicts.md."""

    min_points: int = 5
    """Validation points needed before any trend verdict, the overfitting bell's too (until then: waiting)."""
    noise_window: int = 24
    """Recent points a curve's noise is measured on."""
    trend_window: int = 12
    """Fewest points a direction (falling / flat / rising) is judged on; a tenth of a long curve, up to 60."""
    trend_z: float = 3.0
    """A direction needs a change of this many standard errors over the window..."""
    flat_range: float = 0.01
    """...and of at least this fraction of the curve's range; anything less is flat."""
    confirm: int = 3
    """plateau / data-suspect / unstable need the same reading at this many judgements in a row."""
    explode_ranges: float = 30.0
    """Diverging: a training point this many ranges above its best (at once)..."""
    explode_floor: float = 0.3
    """...where a range is at least this fraction of the starting level (before anything was learned)."""
    explode_ratio: float = 10.0
    """Diverging: a training point above its starting level and this many times its best (positive losses)."""
    regress: float = 0.5
    """Diverging: both curves rising and back more than this fraction of the way from their best to their start."""
    lost_share: float = 0.25
    """Plateau: both curves back more than this fraction of the way from their best to their start (and
    ``learned_enough`` noise deviations above it), neither falling, validation not rising: a run that lost what it
    had learned and sits there, short of a divergence, is not "learning"."""
    rise_z: float = 5.0
    """Overfitting: validation's recent median this many noise deviations above its best level (the noise blind
    to the curve's bend, ``windows.bend_blind_noise``; plus how much lower the best three-point mean of a curve
    longer than 80 points, or of noise that wanders, sits by chance: ``chance.best_bias_excess``)..."""
    rise_trend_z: float = 3.0
    """...or its slope since the best this many standard errors above zero (counting noise that wanders as fewer
    independent points) and its median ``rise_trend_level`` noise deviations above the best..."""
    rise_trend_level: float = 2.0
    rise_range: float = 0.005
    """...and in every case (a steady rise: ``steady_rise_range``) this fraction of its range above the best,
    training not risen meanwhile..."""
    steady_rise_range: float = 0.002
    """...or, for a steady rise (the trend test at ``steady_rise_z`` standard errors over at least
    ``steady_rise_points`` points since the best), this smaller fraction: where the first epoch's fall from chance
    makes the range many times the level (FMNIST: 2.30 → 0.26), ``rise_range`` of it is 4 % of the level..."""
    steady_rise_z: float = 4.0
    steady_rise_points: int = 5
    rise_slope_z: float = 0.0
    """...validation not falling: its slope since the best at least this many standard errors..."""
    shift_z: float = 3.0
    """...or its mean since a change point among its latest 40 points this many standard errors above its mean
    from its best up to there (plus twice how low the best of many means sits by chance, ``rise_z``'s; each
    value counted at most ``shift_clip`` level-test noise deviations from ``Moment.floor``; noise that wanders
    counting as fewer points; ``windows.shift_up``), its slope since the best ``shift_trend`` standard errors up,
    its recent median ``shift_level`` noise deviations above the best, and training within ``flat_range`` of its
    range from its level at validation's best..."""
    shift_clip: float = 2.5
    shift_trend: float = 1.5
    shift_level: float = 1.5
    cusum_h: float = 4.0
    """...or (slow rises) the CUSUM of validation above its best five-point mean, in noise deviations, above this,
    each point counting its excess clipped to ±``cusum_clip`` minus ``cusum_kappa`` (``cusum.py``)..."""
    cusum_kappa: float = 2.0
    cusum_clip: float = 3.0
    rise_confirm: int = 2
    """...at this many validation points in a row (the bell)."""
    memorising_drop: float = 0.1
    """While training keeps falling — by this fraction of its range since validation's best (the net memorises)...
    """
    memorising_bar: float = 0.8
    """...the level, trend and CUSUM bars of the bell are this fraction of themselves: a rise is likelier real."""
    warn_slope_z: float = 0.5
    """val-rising (early warning, no bell): validation's slope since its best this many standard errors above
    zero (a heads-up, far below the bell's bar: it is meant to come as early as a patience-5 stop)..."""
    warn_range: float = 0.004
    """...its recent median this fraction of the range above the best, with at least ``warn_after`` points
    since the best..."""
    warn_z: float = 1.0
    """...and this many noise deviations up, from the level and in the noise its reason shows (the floor the level
    test stands on, or the best; 0: the trend and the range alone)."""
    warn_after: int = 3
    """Validation points since the best before val-rising may be raised..."""
    warn_train_z: float = 2.0
    """...and training still falling: below its level at validation's best by this many of its noise deviations
    or by ``warn_train_drop`` of its range (overfitting is a net still fitting its training set; beside a settled
    training curve a rise is as likely a plateau's wander)."""
    warn_train_drop: float = 0.01
    spike_z: float = 8.0
    """spike: a point this many noise deviations above the level before it..."""
    spike_range: float = 0.05
    """...and this fraction of the range, back within two points."""
    jump_z: float = 4.0
    """overfitting waits while one step of this many noise deviations, carrying half the rise, is among validation's
    latest eight points: a few bad evaluations in a row (spoiled batch-norm statistics) come back. The trend since
    the best reads a point this many noise deviations above both its neighbours at the higher one (a lone spike that
    came back, ``windows.despiked``)."""
    unstable_swing: float = 0.25
    """unstable: training noise above this fraction of its range, while not rising away."""
    parked_within: float = 0.005
    """A positive training loss and its validation loss both never this fraction of their first values below them,
    nor that far above them now, are parked at their start: the net learned nothing (FMNIST VAEs at 68 moving 0.01
    to 0.3 %), and their wander rings no bell; a plateau when training reads flat (``ranges.parked_at_start``)."""
    stuck_share: float = 0.75
    """plateau (no learning rate logged): training has sat within ``stuck_within`` of its range from its best..."""
    stuck_within: float = 0.0025
    """...for at least ``stuck_share`` of the run (it dropped early, then stopped learning)."""
    acc_learned: float = 0.05
    """plateau, whatever the losses do (after unstable, before data-suspect): validation accuracy proper (``acc``,
    ``accuracy``, ``top1``, ``top5``) started at or below half its top (1, or 100 for percentages) and its best is
    above that first value by at most this fraction of it: the loss moved, the predictions did not get better
    (a net parked at chance after a blow-up, or predicting one class)..."""
    acc_after: int = 10
    """...from this many validation points on (an LSTM's accuracy can sit at its most frequent character's for
    several epochs before it learns)."""
    lr_decayed: float = 0.5
    """converged (rather than plateau): the logged learning rate is below this fraction of its largest value. And
    overfitting: no rise is rung from a best validation set when the rate was below this fraction of what it is now
    (a warm-up, a restart or a rate raised since: the net disturbed, not memorising)."""
    lr_annealed: float = 0.01
    """The logged learning rate below this fraction of its largest: the net has all but stopped moving. No rise of
    validation is rung now (one rung before stands), and a run whose directions its noise hides is converged."""
    learned_enough: float = 5.0
    """data-suspect: training made no more progress than this many noise deviations (and under ``flat_range`` of its
    start: it never learned) while validation made more (overfitting: a net that learned nothing never overfits)."""
    noisy_ratio: float = 0.15
    """noisy-val: validation noise above this fraction of its range, or too large to tell its direction."""
    gap: float = 0.15
    """gap: train accuracy above validation accuracy by this fraction of the train accuracy..."""
    gap_min: float = 0.05
    """...and by at least this much accuracy (5 points of 100 %; accuracies above 1 are percentages): near chance,
    0.13 against 0.10 is 23 % of the train accuracy, but neither has learned anything to generalise."""
    static_change: float = 0.0001
    """weights-static: histogram moved less than this many standard deviations over the window."""
    static_window: int = 5
    """weights-static: histograms compared across this many recent steps."""
    dead_fraction: float = 0.9
    """dead-units: fraction of activations at exactly zero (or a sparsity scalar) above this."""
    stall_factor: float = 10.0
    """stalled: no write for this many times the run's usual write interval..."""
    stall_min_seconds: float = 120.0
    """...and at least this long."""
    sweep_slower: float = 2.0
    """behind-peers: best val worse than the peers' median at 1/this of the run's progress..."""
    sweep_z: float = 2.0
    """...by more than this many of its own noise sigmas..."""
    sweep_min_points: int = 4
    """...once it has this many validation points..."""
    sweep_bend: float = 0.5
    """...and most of the better half of its peers had slowed down (second half gaining at most this share)."""
    sweep_confirm: int = 3
    """behind-peers: a run behind catches up, and one caught up is told again, at this many points in a row."""


def find_config(logdir: str | None) -> str | None:
    """The losswatch.toml that applies: LOGDIR's first, then the current folder's."""
    for folder in ([logdir] if logdir else []) + [os.getcwd()]:
        path = os.path.join(folder, CONFIG_NAME)
        if os.path.isfile(path):
            return path
    return None


class ConfigError(ValueError):
    """A config file or flag that cannot be used; the message says why."""


TREND_WINDOW_MAX = 60
"""Longest direction window, in points (a tenth of the curve beyond the minimum)."""
LONE_TREND_WINDOW_MAX = 1_000
"""Longest direction window of a training curve judged alone: most often a loss logged at every step (a language
model's), whose single batches scatter far more than a curve of epochs moves in 60 points. A tenth of it, up to a
thousand points, tells a run still learning from one that stalled long ago."""

_BOUNDS: dict[str, tuple[float, float, str]] = {
    "noise_window": (5, 1_000, "points; the noise needs five, and each judged point holds a row that wide"),
    "trend_window": (
        3,
        TREND_WINDOW_MAX,
        "points; a direction compares thirds of its window, and a tenth of a "
        f"long curve is judged on at most {TREND_WINDOW_MAX}",
    ),
    "static_window": (2, 1_000, "histograms; a change needs two"),
}
"""Settings whose useful values are bounded (low, high, why); every other whole-number setting is 1 to 1,000,000
(a count of points or judgements: zero would judge on nothing, and a huge one never finishes)."""
_WHOLE = (1, 1_000_000, "")

SHARES = frozenset(
    {
        "flat_range", "rise_range", "steady_rise_range", "memorising_drop", "warn_range", "warn_train_drop",
        "stuck_share", "stuck_within", "parked_within", "lr_decayed", "lr_annealed", "gap", "gap_min", "dead_fraction",
        "sweep_bend",
    }
)  # fmt: skip
"""Settings that are a share of something, at most all of it (the README writes them as percentages:
``flat_range = 1 %``): 0 to 1, or written with ``%`` (``--set gap=15%``); ``gap=15`` is refused."""
PERCENTS = SHARES | {
    "explode_floor",
    "regress",
    "lost_share",
    "spike_range",
    "unstable_swing",
    "noisy_ratio",
    "acc_learned",
}
"""Settings the README writes as percentages, which may also be written with ``%``; those not in ``SHARES`` may
pass 100 % (noise larger than the range, an accuracy three times its chance level), written with ``%`` only
(``acc_learned=200%``): ``regress=50`` is a misread 50 %, refused."""
SCALES = frozenset({"memorising_bar"})
"""Settings that scale bars down (``memorising_bar = 0.8`` of themselves): more than 0 (bars of nothing pass any
rise, and a test divides by it), at most 1."""
RATIOS = frozenset({"explode_ratio", "stall_factor", "sweep_slower"})
"""Settings that are a multiple (``explode_ratio = 10 ×``): at least 1 (half its best is no blow-up)."""


def _coerce(name: str, value: object) -> object:
    field = {f.name: f for f in fields(Thresholds)}.get(name)
    if field is None:
        known = ", ".join(f.name for f in fields(Thresholds))
        raise ConfigError(f"unknown setting {name!r} (known: {known})")
    whole = field.type in (int, "int")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        shown = str(value).lower() if isinstance(value, bool) else repr(value)  # as TOML writes it: true, not True
        raise ConfigError(f"setting {name!r} needs a number, got {shown}")
    written = value.strip() if isinstance(value, str) else ""
    percent = written[:-1] if name in PERCENTS and written.endswith("%") else None
    try:
        number = float(percent) / 100 if percent is not None else float(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"setting {name!r} needs a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"setting {name!r} needs a finite number, got {value!r}")
    if number < 0 and not whole:  # a whole number's bounds are said below
        raise ConfigError(f"setting {name!r} must not be negative")
    if name in SHARES and number > 1 and percent is not None:
        raise ConfigError(f"setting {name!r} is a share, at most 100 %, got {value!r}")
    if name in PERCENTS and number > 1 and (name in SHARES or percent is None):
        if name in SHARES and number > 100:  # no reading of it is a share: suggest none that is refused next
            raise ConfigError(f"setting {name!r} is a share, at most 1 (100 %), got {value!r}")
        above = "" if name in SHARES else "; above 100 % write it with %, e.g. 150%"
        raise ConfigError(f"setting {name!r} is a share (1 % is 0.01, or write {number:g}%{above}), got {value!r}")
    if name in SCALES and not 0 < number <= 1:
        raise ConfigError(f"setting {name!r} scales the bars: more than 0 and at most 1, got {value!r}")
    if name in RATIOS and number < 1:
        raise ConfigError(f"setting {name!r} is a multiple, at least 1, got {value!r}")
    if not whole:
        return number
    if not number.is_integer():
        raise ConfigError(f"setting {name!r} needs a whole number, got {value!r}")
    low, high, why = _BOUNDS.get(name, _WHOLE)
    if not low <= number <= high:
        raise ConfigError(f"setting {name!r} must be {low:,} to {high:,}{f' ({why})' if why else ''}, got {value!r}")
    return int(number)


def load_thresholds(logdir: str | None, overrides: list[str] | None = None) -> tuple[Thresholds, str | None]:
    """Defaults, then losswatch.toml, then ``NAME=VALUE`` overrides; returns the file used too."""
    values: dict[str, object] = {}
    path = find_config(logdir)
    if path:
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read {path}: {error}") from None
        section = data.get("verdicts", data)
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [verdicts] must be a table")
        for name, value in section.items():
            if isinstance(value, dict):  # ``[verdict]``: a misspelt table, not a setting named so
                raise ConfigError(f"{path}: unknown table [{name}]: settings go under [verdicts] (or at the top)")
            try:
                values[name] = _coerce(name, value)
            except ConfigError as error:
                raise ConfigError(f"{path}: {error}") from None
    for item in overrides or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set needs NAME=VALUE, got {item!r}")
        values[name.strip()] = _coerce(name.strip(), value.strip())
    return dataclasses.replace(Thresholds(), **values), path  # type: ignore[arg-type]
