"""The one vocabulary: the docs' verdict table is the table in ``kinds.py``; every kind has a meaning."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tui.cli.report import _short_flags
from tui.judging.kinds import ADVICE, BELL, FLAGS, MEANINGS, TABLE, VERDICTS, Kind, flag_names, severity, shown
from tui.judging.thresholds import Thresholds

README = Path(__file__).parent.parent / "README.md"


def _readme_rows() -> list[list[str]]:
    text = README.read_text()
    block = text.split("<!-- verdict-table -->")[1].split("<!-- /verdict-table -->")[0]
    lines = [line for line in block.strip().splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_the_readme_verdict_table_is_the_one_in_kinds():
    expected = []
    for train, val, kind in TABLE:
        name = f"**{kind}** (bell)" if kind in BELL else str(kind)
        expected.append([train, val, name, ADVICE[kind]])
    assert _readme_rows() == expected


def test_the_readme_flag_table_names_every_flag_and_nothing_else():
    """Help's flags table is built from ``FLAGS``; it lacked ``unreadable`` and ``gone``, which the README and
    ``check`` name."""
    block = README.read_text().split("Flags, shown beside any verdict")[1].split("\n\n")[1]
    names = {re.match(r"\| `([\w-]+)", line)[1] for line in block.splitlines()[2:]}  # type: ignore[index]
    assert names == set(FLAGS)


def test_every_kind_has_one_meaning_and_sorts_by_it():
    assert set(MEANINGS) == set(Kind)
    assert set(VERDICTS) | set(FLAGS) == set(Kind) and not set(VERDICTS) & set(FLAGS)
    assert {"overfitting", "diverging"} == BELL
    order = sorted(VERDICTS, key=severity)
    assert order[:2] == [Kind.DIVERGING, Kind.OVERFITTING] and order[-1] == Kind.WAITING


def test_the_early_warning_shows_in_the_verdicts_place_unless_something_worse_is_said():
    assert shown(Kind.LEARNING, {Kind.VAL_RISING: "why"})[0] == "overfitting?"
    assert shown(Kind.OVERFITTING, {Kind.VAL_RISING: "why"})[0] == "overfitting"
    assert severity("overfitting?") < severity(Kind.LEARNING)
    assert shown("weights-static:layer0")[0] == "weights-static:layer0"


def test_every_threshold_is_documented_with_its_default():
    """Each setting of ``losswatch.toml``'s ``[verdicts]`` is named where users look (the README's verdict section or
    the rules in full, ``docs/verdicts.md``), and every ``name = value`` there is its default."""
    docs = README.read_text() + (README.parent / "docs" / "verdicts.md").read_text()
    undocumented = [f.name for f in dataclasses.fields(Thresholds) if not re.search(rf"`{f.name}(\s*=|`)", docs)]
    assert undocumented == []
    defaults = {f.name: f.default for f in dataclasses.fields(Thresholds)}
    stated = re.findall(r"`(\w+) = ([0-9.,e+-]+)\s*(%|×)?`", " ".join(docs.split()))
    wrong = [
        (name, number, unit)
        for name, number, unit in stated
        if name in defaults
        and float(number.replace(",", "")) / (100 if unit == "%" else 1) != pytest.approx(defaults[name])
    ]
    assert len(stated) > 30 and wrong == []


def test_flags_read_alike_in_check_and_the_live_view_whatever_order_they_were_raised_in():
    """A run read live raises its flags over time, one read whole at once: check listed 'noisy-val,gap' where
    the live view listed 'gap,noisy-val' for the same run."""
    live = {"gap": "train 0.99 vs val 0.85", "noisy-val": "…", "weights-static:fc1": "…", "weights-static:fc2": "…"}
    whole = dict(reversed(live.items()))
    assert flag_names(live) == flag_names(whole) == ["gap", "noisy-val", "weights-static"]
    assert _short_flags(live) == _short_flags(whole) == "gap,noisy-val,weights-static"
