"""Which runs form a sweep, and each run's hyper-parameters as values.

Users lay a sweep out as sibling folders named by their hyper-parameters (``lr=0.3``,
``lr_1e-3``, ``bs64``, ``wd=1e-4,lr=0.3``, nested ``lr=0.1/seed=2``), or log them (a
TensorBoard HParams summary, Lightning's ``hparams.yaml``, a W&B config, MLflow params: all
arrive in ``Run.hparams``). Runs whose names have the same shape once their values are taken
out (``sweep/lr=*/seed=*``), or that sit in one folder and log the same hyper-parameter names,
form a sweep when at least one real hyper-parameter varies among them: runs that differ only
by ``seed``, ``run`` or ``version`` are replicas, not a sweep, and so are runs numbered by a key of their own
(``r1`` … ``r200``: each its own integer from 0 or 1 on, the only key that varies). ``--sweep REGEX`` overrides it
all: the runs it matches form sweeps, one per value of its first group (or one in all).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from tui.judging.stalled import PLANNED_ROUNDS, PLANNED_STEPS
from tui.patterns import UserPattern

Value = int | float | str | bool

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TOKEN = re.compile(
    rf"(?P<key>(?:[A-Za-z]+_)+[A-Za-z][A-Za-z0-9.]+?|[A-Za-z][A-Za-z0-9.]*?)="  # lr=, batch_size=
    rf"(?P<value>{_NUMBER}(?![A-Za-z0-9.])|[^,;=\s_/]+)"  # 0.3, adam
    rf"|(?P<key2>[A-Za-z]+)[-_:]?(?P<value2>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![A-Za-z0-9.])"  # lr_1e-3, bs64
    r"|(?P<word>[A-Za-z0-9.]+)"  # anything else is part of the name
)
"""A key before ``=`` may be snake_case (``batch_size=32``, ``warmup_steps=100``: a config's own names, read whole;
they were cut to ``size`` and ``steps``, and ``steps`` taken for the run's planned length); a word with digits before
an underscore, or a last word of one letter, leaves the rest to the name (``exp1_lr=0.1``: ``lr``; ``arcface_s=30``:
ArcFace's ``s``). Other forms (``bs64``, ``lr_1e-3``) take one word."""
IDENTIFIERS = frozenset(
    {"run", "trial", "seed", "version", "v", "id", "job", "rep", "replica", "exp", "experiment", "fold", "worker"}
    | {"rank", "node", "attempt", "try", "ckpt", "checkpoint", "epoch", "step", "part", "shard", "tmp", "copy"}
)
"""Keys that number runs rather than configure them: a sweep needs another key to vary."""
PLANNED_LENGTH = frozenset(key.lower() for key in (*PLANNED_ROUNDS, *PLANNED_STEPS))
"""Keys that say how long a run is planned to be: runs that differ in these alone are jobs of several lengths."""
COMMON_NAMES = frozenset(
    {"lr", "bs", "batch", "wd", "dropout", "drop", "momentum", "mom", "beta", "beta1", "beta2", "eps", "warmup"}
    | {"layers", "heads", "dim", "hidden", "width", "depth", "epochs", "ep", "steps", "temp", "alpha", "gamma"}
    | {"lambda", "decay", "clip", "seed", "k", "n", "r", "rank", "scale", "ratio", "size", "emb", "ctx", "seq"}
)
"""Names that make a word with a number on it a hyper-parameter (``lr0.1``, ``bs_64``, ``wd-1e-4``);
any other (``cifar10``, ``resnet18``, ``gen-3``) is part of the name."""
RUN_INDEX_MIN = 10
"""Fewest runs that a key of their own numbers ``0/1 … N`` (``r1`` … ``r200``) for it to read as their index, not a
hyper-parameter swept over every integer (``r=8,16,32``, LoRA's rank, and ``layers=2,4,8`` stay sweeps)."""
RUN_INDEX_FILL = 0.9
"""Share of the integers from 0 or 1 to the highest that a run index takes at least: replicas, some deleted."""
SEED_WORDS = frozenset({"s"})
"""A word of these letters (as written: ``S16`` is a model's size) with a number on it is a seed, named ``seed``
(``lr0.1-s1``, ``lr=0.1_s2``): the seeds of a configuration are points of one sweep, not a sweep each. ``s=30`` stays
a hyper-parameter of its own (ArcFace's scale)."""


@dataclass(frozen=True)
class Sweep:
    """Runs compared as one sweep, and what varies among them."""

    name: str
    runs: tuple[str, ...]
    swept: tuple[str, ...]
    """Hyper-parameters whose values differ among the runs, in name order; the identifiers (a seed) after them."""
    params: Mapping[str, Mapping[str, Value]] = field(default_factory=dict)
    """Run -> its hyper-parameters (from its name and from what it logged)."""


def as_value(text: object) -> Value:
    """A hyper-parameter value: an int or float where the text is a number, else as it is."""
    if isinstance(text, bool | int | float):
        if isinstance(text, float) and text.is_integer() and abs(text) < 2**53:
            return int(text)
        return text
    string = str(text).strip()
    if re.fullmatch(r"[-+]?\d+", string):
        return int(string)
    if re.fullmatch(_NUMBER, string):
        number = float(string)
        return number
    lowered = string.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return string


@functools.lru_cache(maxsize=4096)
def parse_name(name: str) -> tuple[str, tuple[tuple[str, Value], ...]]:
    """(template, hyper-parameters) of a run name: ``sweep/lr=0.3_bs64`` -> (``sweep/lr=*_bs*``, lr 0.3, bs 64)."""
    template_parts: list[str] = []
    params: list[tuple[str, Value]] = []
    for component in name.split("/"):
        pieces: list[str] = []
        position = 0
        for match in _TOKEN.finditer(component):
            pieces.append(component[position : match.start()])
            position = match.end()
            if match.group("key"):
                params.append((match.group("key"), as_value(match.group("value"))))
                pieces.append(match.group("key") + "=*")
            elif match.group("key2") and (
                match.group("key2").lower() in COMMON_NAMES or match.group("key2") in SEED_WORDS
            ):
                key = "seed" if match.group("key2") in SEED_WORDS else match.group("key2")
                params.append((key, as_value(match.group("value2"))))
                joiner = component[match.start("key2") + len(match.group("key2")) : match.start("value2")]
                pieces.append(match.group("key2") + joiner + "*")
            else:
                pieces.append(match.group(0))  # a word, or a number on a word that names no hyper-parameter
        pieces.append(component[position:])
        template_parts.append("".join(pieces))
    return "/".join(template_parts), tuple(params)


def run_params(name: str, logged: Mapping[str, object] | None = None) -> dict[str, Value]:
    """A run's hyper-parameters: those in its name, then those it logged (which win)."""
    params: dict[str, Value] = dict(parse_name(name)[1])
    for key, value in (logged or {}).items():
        params[str(key)] = as_value(value)
    return params


def find_sweeps(
    runs: Mapping[str, Mapping[str, object]],
    pattern: UserPattern | None = None,
    seen_as: Callable[[str], str] | None = None,
) -> list[Sweep]:
    """The sweeps among ``runs`` (name -> logged hyper-parameters), sorted by name. (The HParams sub-folder
    PyTorch's ``add_hparams`` writes is no run: discovery gives its values to the run it sits in.) ``seen_as``: a
    run's name as grouped, searched by ``pattern`` and read for hyper-parameters (its name under its root, without
    the root's label among several, whose '/' or ':' is no folder of the run's); the sweeps are named from it."""
    logged = {name: dict(hparams) for name, hparams in runs.items()}
    local = {name: seen_as(name) if seen_as else name for name in runs}
    members = [name for name in runs if name in logged]
    groups: dict[str, list[str]] = {}
    if pattern is not None:
        for name in members:
            match = pattern.search(local[name])
            if match:
                key = match.group(1) if match.groups() and match.group(1) else pattern.pattern  # '' names nothing
                groups.setdefault(key, []).append(name)
        return _sweeps(groups, logged, local, require_varying=False)
    by_template: dict[str, list[str]] = {}
    by_logged: dict[tuple[str, frozenset[str]], list[str]] = {}
    for name in members:
        template, params = parse_name(local[name])
        if any(key.lower() not in IDENTIFIERS for key, _ in params):  # a seed alone names no configuration
            by_template.setdefault(template, []).append(name)
        elif logged[name]:
            by_logged.setdefault((os.path.dirname(local[name]), frozenset(logged[name])), []).append(name)
    folders = {
        template: os.path.commonpath([local[name] for name in names]) if len(names) > 1 else ""
        for template, names in by_template.items()
    }
    shared = {folder for folder in folders.values() if list(folders.values()).count(folder) > 1}
    for template, names in by_template.items():
        folder = folders[template]  # a folder holding several sweeps names none of them (adam's and sgd's alike)
        label = folder if folder and folder not in shared and folder not in groups else template
        groups[label] = names
    for (folder, keys), names in by_logged.items():
        label = folder or "."
        groups[label if label not in groups else f"{label} ({', '.join(sorted(keys))})"] = names
    return _sweeps(groups, logged, local, require_varying=True)


def _sweeps(
    groups: Mapping[str, list[str]],
    logged: Mapping[str, Mapping[str, object]],
    local: Mapping[str, str],
    require_varying: bool,
) -> list[Sweep]:
    sweeps = []
    for label, names in groups.items():
        if len(names) < 2:
            continue
        names = sorted(names)
        params = {name: run_params(local[name], logged.get(name)) for name in names}
        keys = sorted({key for p in params.values() for key in p})
        varying = [k for k in keys if len({_hashable(params[n].get(k)) for n in names}) > 1]
        swept = tuple(sorted(varying, key=lambda k: k.lower() in IDENTIFIERS))  # hyper-parameters, then the seeds
        configuring = [k for k in swept if k.lower() not in IDENTIFIERS | PLANNED_LENGTH]
        index = len(configuring) == 1 and _numbers(configuring[0], params)
        if require_varying and (not configuring or index):
            continue  # a seed, only the planned length (jobs of 3 and 5 epochs in one folder) or the runs' index
            # alone (r1 … r200: replicas) makes no sweep
        sweeps.append(Sweep(label, tuple(names), swept, params))
    return sorted(sweeps, key=lambda s: s.name)


def _numbers(key: str, params: Mapping[str, Mapping[str, Value]]) -> bool:
    """Whether ``key`` is the runs' index, as a seed is their replica's number: each run its own integer, counting
    from 0 or 1 with few gaps (``RUN_INDEX_FILL``), ``RUN_INDEX_MIN`` runs at least. Called on the one key that
    varies: beside a learning rate it is swept with it."""
    values = [p.get(key) for p in params.values()]
    numbers = {v for v in values if isinstance(v, int) and not isinstance(v, bool) and v >= 0}
    return len(numbers) == len(values) >= RUN_INDEX_MIN and len(numbers) >= RUN_INDEX_FILL * max(numbers)


def _hashable(value: object) -> object:
    return repr(value) if isinstance(value, list | dict) else value


def may_join_a_sweep(name: str, run_names: Iterable[str], hparams: Mapping[str, object] | None = None) -> bool:
    """Whether a run could be in a sweep, before all runs are read: it logs hyper-parameters, its
    name carries some, or an HParams sub-run (``<run>/<timestamp>``) sits in it."""
    if hparams or any(key.lower() not in IDENTIFIERS for key, _ in parse_name(name)[1]):
        return True
    prefix = name + "/"
    return any(other.startswith(prefix) and re.fullmatch(r"[\d.]+", other[len(prefix) :]) for other in run_names)


def sweep_of(sweeps: Iterable[Sweep]) -> dict[str, Sweep]:
    """Run -> the sweep it belongs to."""
    return {run: sweep for sweep in sweeps for run in sweep.runs}
