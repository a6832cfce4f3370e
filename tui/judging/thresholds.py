"""Every threshold and window of the verdicts, in one place.

Defaults work without any file. A ``losswatch.toml`` in LOGDIR (else in the
current folder) overrides them under a ``[verdicts]`` table, and command-line
``--set NAME=VALUE`` flags override both.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields

CONFIG_NAME = "losswatch.toml"


@dataclass(frozen=True)
class Thresholds:
    """Tuning knobs of the verdict engine; each is documented in the README."""

    min_points: int = 5
    """Validation points needed before any trend verdict (until then: waiting)."""
    window: int = 8
    """Recent points a trend is judged on."""
    z: float = 1.645
    """One-sided confidence (95%) a slope must clear to count as rising or falling."""
    confirm: int = 3
    """plateau / data-suspect alerts need the same reading at this many validation points in a row."""
    flat_tolerance: float = 0.02
    """A curve whose fitted change over the window is below this fraction of its level is flat."""
    cusum_h: float = 5.0
    """Overfitting: the CUSUM of validation above its best (in noise sigmas) must exceed this..."""
    cusum_kappa: float = 2.0
    """...each point counting (v - best)/sigma minus this allowance..."""
    cusum_clip: float = 3.0
    """...clipped to ±this, so a single spike cannot fire it..."""
    cusum_flat_factor: float = 1.5
    """...and h times this when training loss is flat rather than falling..."""
    rise_min: float = 0.01
    """...and the recent median must sit at least this fraction above the best."""
    explode_ratio: float = 10.0
    """Diverging: a loss above this multiple of its running minimum (and above half its first value)."""
    unstable_ratio: float = 0.5
    """Unstable: training noise above this fraction of the current training level..."""
    unstable_progress: float = 0.1
    """...and above this fraction of the loss's initial level."""
    noisy_ratio: float = 0.15
    """noisy-val: validation noise above this fraction of its level while its trend is healthy."""
    gap: float = 0.15
    """gap: train accuracy above validation accuracy by this fraction of the train accuracy."""
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


def find_config(logdir: str | None) -> str | None:
    """The losswatch.toml that applies: LOGDIR's first, then the current folder's."""
    for folder in ([logdir] if logdir else []) + [os.getcwd()]:
        path = os.path.join(folder, CONFIG_NAME)
        if os.path.isfile(path):
            return path
    return None


class ConfigError(ValueError):
    """A config file or flag that cannot be used; the message says why."""


def _coerce(name: str, value: object) -> object:
    field = {f.name: f for f in fields(Thresholds)}.get(name)
    if field is None:
        known = ", ".join(f.name for f in fields(Thresholds))
        raise ConfigError(f"unknown setting {name!r} (known: {known})")
    kind = int if field.type in (int, "int") else float
    try:
        number = kind(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name!r} needs a number, got {value!r}") from None
    if number < 0:
        raise ConfigError(f"setting {name!r} must not be negative")
    return number


def load_thresholds(logdir: str | None, overrides: list[str] | None = None) -> tuple[Thresholds, str | None]:
    """Defaults, then losswatch.toml, then ``NAME=VALUE`` overrides; returns the file used too."""
    values: dict[str, object] = {}
    path = find_config(logdir)
    if path:
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"cannot read {path}: {error}") from None
        section = data.get("verdicts", data)
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [verdicts] must be a table")
        for name, value in section.items():
            values[name] = _coerce(name, value)
    for item in overrides or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set needs NAME=VALUE, got {item!r}")
        values[name.strip()] = _coerce(name.strip(), value.strip())
    return dataclasses.replace(Thresholds(), **values), path
