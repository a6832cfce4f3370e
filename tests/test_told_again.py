"""A plateau, data-suspect or unstable verdict that returns after another of them was told is told again.

A wide ResNet on SVHN (momentum, lr 1.58; ``tests/data/deepobs``) sits near chance after its blow-up and is read
in turns as swinging and as flat: `unstable` was told at epoch 144, `plateau` at 155, and from epoch 158 the
verdict was `unstable` again, shown in the table and by `check`, while the latest alert still said plateau.
"""

from __future__ import annotations

from pathlib import Path

from judging_helpers import DEEPOBS, judge

RUN = DEEPOBS["svhn_wrn164-momentum-lr1.58e+00-s42"]


def _judged(tmp_path: Path, upto: int | None = None):
    curves = {"Loss/train": RUN["train"], "Loss/val": RUN["val"], "Accuracy/train": RUN["train_acc"]}
    curves["Accuracy/val"] = RUN["val_acc"]
    return judge(tmp_path / "run", {tag: values[:upto] for tag, values in curves.items()})


def test_unstable_told_again_after_a_plateau_was_told(tmp_path: Path):
    judged = _judged(tmp_path)
    assert judged.verdict.kind == "unstable"
    kinds = [(a.step, a.kind) for a in judged.alerts if a.kind in ("plateau", "unstable")]
    assert kinds[-2:] == [(155, "plateau"), (160, "unstable")], kinds
    assert judged.first("diverging") is not None and judged.first("diverging").step == 1


def test_until_confirmed_again_the_verdict_stays_what_was_told_last(tmp_path: Path):
    """At epoch 158 the reading is `unstable` once: the verdict stays the plateau told, not an untold unstable."""
    judged = _judged(tmp_path, upto=159)
    assert judged.verdict.kind == "plateau"
    assert [a.kind for a in judged.alerts if a.kind in ("plateau", "unstable")][-1] == "plateau"
