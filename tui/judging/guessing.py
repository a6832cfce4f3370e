"""A classifier's loss blown far above what guessing scores.

A classifier guessing at chance among C classes scores an accuracy of 1/C and a cross-entropy of ln C: the level
every classifier starts from (Karpathy's "verify loss at init"). So ln(1 / accuracy) is, for a net whose accuracy is
at chance, about the loss it would have if its outputs were merely uninformed. A loss many times that is outputs
blown up: confidently wrong. It needs no start of the curve's own, which a run blown up at its first logged epoch
does not have (DeepOBS nets at learning rates of 10 and more: FMNIST at 40 to 900 beside an accuracy of 0.10, ln 10
being 2.3; CIFAR-100 at 50 to 7,000 beside 0.01).
"""

from __future__ import annotations

import math

from tui.judging.moment import Moment
from tui.judging.pairing import Pair, is_chance_accuracy
from tui.judging.thresholds import Thresholds
from tui.judging.verdict import fmt


def guessing_loss(accuracy: float) -> float:
    """ln(top / accuracy), the cross-entropy of guessing at that accuracy, for an accuracy above 0 and below half
    its top (1, or 100 for a percentage: at or under chance for two classes or more); NaN otherwise (a net that
    learned something is read by its own range, not by chance's)."""
    if not math.isfinite(accuracy) or accuracy <= 0.0:
        return math.nan
    top = _top(accuracy)
    return math.log(top / accuracy) if accuracy < 0.5 * top else math.nan


def _top(accuracy: float) -> float:
    """100 for an accuracy in percent (above 1), else 1."""
    return 100.0 if accuracy > 1.0 else 1.0


def times_guessing(loss: float, accuracy: float, accuracy_tag: str | None) -> float:
    """How many times the loss of guessing (``guessing_loss``) a loss stands at, beside an accuracy proper
    (``is_chance_accuracy``: not an f1 or an AUC); NaN when that cannot be said."""
    if not (is_chance_accuracy(accuracy_tag) and math.isfinite(loss)):
        return math.nan
    guess = guessing_loss(accuracy)
    return loss / guess if guess > 0.0 else math.nan


class Guessing:
    """A curve's loss at ``guess_ratio`` times the loss of guessing at its accuracy from its first readable point on,
    two judged points in a row: blown up before it had a start of its own (one point alone may be a bad batch of
    an evaluation). Training's loss with training's accuracy, validation's with validation's. Once a curve's loss
    is read under the bar, its own start and range read it (``ranges``): a net thrown that high after it learned
    has them (character LSTMs at a learning rate too high swing to 10 to 13 times guessing and back; unstable)."""

    def __init__(self, thresholds: Thresholds, pair: Pair) -> None:
        self.t = thresholds
        self.curves = ((pair.train, pair.train_acc), (pair.val, pair.val_acc))
        self._streaks = [0, 0]
        """Judged points read over the bar since the curve's first readable one (-1: read under it once)."""
        self.now = False
        """A curve stands that far above guessing at the latest judgement: a blown-up run has not recovered."""

    def at(self, m: Moment) -> tuple[str, str] | None:
        """(tag, reason) of the first curve blown up past guessing from its first readable point on and at two
        judgements so far, else None."""
        levels = (m.train.level, m.val.level if m.val is not None else math.nan)
        accuracies = (m.train_acc, m.val_acc)
        found: tuple[str, str] | None = None
        self.now = False
        for i, ((tag, acc_tag), level, accuracy) in enumerate(zip(self.curves, levels, accuracies, strict=True)):
            times = times_guessing(level, accuracy, acc_tag)
            if tag is None or self._streaks[i] < 0 or math.isnan(times):
                continue  # no such curve; read under the bar once; or not readable at this point
            self._streaks[i] = self._streaks[i] + 1 if times >= self.t.guess_ratio else -1
            self.now |= self._streaks[i] > 0
            if found is None and self._streaks[i] >= 2:
                found = tag, _reason(tag, level, m.step, acc_tag or "", accuracy)
        return found


def _reason(tag: str, level: float, step: int, acc_tag: str, accuracy: float) -> str:
    guess = guessing_loss(accuracy)
    return (
        f"{tag} at {fmt(level)} at step {step:,} beside {acc_tag} {fmt(accuracy)}: {fmt(level / guess)} times the "
        f"loss of guessing at that accuracy, ln({_top(accuracy):g}/{fmt(accuracy)}) = {fmt(guess)}, and that far "
        "above it since its first validation point: the outputs have blown up"
    )
