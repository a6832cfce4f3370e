"""Pick a run's primary training and validation curves from its tag names.

Tags are split into lower-case words (on ``/ _ - .`` and camelCase), then:

* a *loss* tag has a word containing ``loss`` (or names a measure like one: ``nll``, ``mse``,
  ``CrossEntropy``, ``ppl``, taken only where no ``loss`` competes); an *accuracy-like* tag (higher is
  better) has one of ``acc``, ``accuracy``, ``top1``, ``f1``, ``auc``, ...;
* its *role* is validation if a word is ``val``, ``valid``, ``validation``,
  ``eval``, ``test``, ``dev``...; training if a word is ``train``/``training``
  or no role word is present (``loss`` beside ``val_loss``); a test set's curve
  only where no validation curve is logged;
* auxiliary losses (``z_loss``, ``load_balancing_loss``) rank below the model's own;
* per-batch curves (``batch``, ``step``, ``iter`` words, Lightning's
  ``train_loss_step``, Keras' ``evaluation_loss_vs_iterations``) rank below
  per-epoch ones, and among equals the tag with the fewest extra words wins
  (``train/loss`` over ``train/loss_cls``).

The names every supported logger writes pair this way: ``loss``/``eval_loss`` (Hugging Face),
``train_loss``/``val_loss`` (Lightning, MLflow autologging), ``loss``/``val_loss`` (Keras),
``train/loss``/``val/loss`` (W&B, trackio). The learning rate is found by name too.
``--train-tag``/``--val-tag`` regexes override the choice, for every format alike.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass

from tui.patterns import user_pattern

VAL_WORDS = frozenset(
    {"val", "valid", "validation", "validate", "valdation", "eval", "evaluation", "test", "dev", "holdout", "heldout"}
)
"""``valdation``: Ignite's own TensorBoard example writes ``valdation/avg_loss``. ``held_out`` and ``heldOut`` are
read as the one word ``heldout`` (``words``)."""
HELD_OUT_WORDS = frozenset({"test", "holdout", "heldout"})
"""A test set's curve is validation's only when no validation curve is logged: ``Loss/test`` logged once after
training, or every epoch beside ``Loss/valid``, is not the curve to stop on (it was chosen for its shorter name)."""
AUXILIARY_WORDS = frozenset({"aux", "auxiliary", "z", "balancing", "balance", "router", "routing", "moe"})
"""A mixture of experts' auxiliary losses (Megatron's ``z_loss`` and ``load_balancing_loss`` beside ``lm loss``):
the slot takes the model's own loss before them."""
LOSS_LIKE = {
    "crossentropy": 1, "xent": 1, "ce": 1, "bce": 1, "nll": 1, "mse": 2, "rmse": 3, "mae": 4, "ppl": 5, "perplexity": 5
}  # fmt: skip
"""Lower-is-better measures a run may log instead of a loss named so (Composer's ``metrics/eval/CrossEntropy``,
Ignite's ``validation/nll``, ``val_mse``, ``val/ppl``, a hand-written loop's ``train/ce``): a slot takes them when
no curve named ``loss`` competes, in this order (a cross entropy before its perplexity, MSE before MAE, so both
slots take the same measure)."""
SHORT_LOSS_LIKE = frozenset({"ce", "bce"})
"""Loss-like words short enough to mean other things: a loss only in a tag of role words (``train/ce``,
``val_bce``), and a component's name beside a loss (``loss_ce`` beside ``total_loss``)."""
TRAIN_WORDS = frozenset({"train", "training", "trn"})
BATCH_WORDS = frozenset({"batch", "batches", "step", "steps", "iter", "iters", "iteration", "iterations", "minibatch"})
EPOCH_WORDS = frozenset({"epoch", "epochs"})
ACCURACY_WORDS = frozenset(
    {
        "acc",
        "accuracy",
        "top1",
        "top5",
        "f1",
        "auc",
        "precision",
        "recall",
        "iou",
        "miou",
        "map",
        "ap",
        "dice",
        "r2",
        "bleu",
    }
)
CHANCE_WORDS = frozenset({"acc", "accuracy", "top1", "top5"})
"""Accuracies proper: a share of right answers, which a net that learned nothing holds at chance. They take the
accuracy slots before the other higher-is-better metrics (f1, auc, recall, ...)."""
ERROR_WORDS = frozenset({"err", "error", "errors"})
"""``top1_err``, ``val_error``: lower is better, never an accuracy."""
_NOISE_WORDS = frozenset({"metrics", "metric", "scalars", "losses", "epoch", "total", "avg", "mean"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[/_\-.\s:|()\[\]]+")
_NUMBERED_METRIC = re.compile(r"(map|ap|iou|miou)(\d+)")
"""``mAP50`` (Ultralytics' ``metrics/mAP50(B)``), ``AP75``, ``IoU50``: a metric at a threshold."""
EVALUATION_ONLY = frozenset({"map", "ap"})
"""Detection metrics no trainer measures on its training set: without a role word they are validation's
(YOLOv5's ``metrics/mAP_0.5``, Ultralytics' ``metrics/mAP50-95(B)``)."""


@dataclass(frozen=True)
class Pair:
    """The tags chosen for a run (None where nothing fits)."""

    train: str | None = None
    val: str | None = None
    train_acc: str | None = None
    val_acc: str | None = None
    learning_rate: str | None = None
    """The learning-rate curve (``lr``, ``learning_rate``, Lightning's ``lr-Adam``, ``train/lr``, ``optimizer/lr``)."""


def words(tag: str) -> list[str]:
    """A tag's words, lower case: split at separators and camelCase, but a metric's own spelling (``mIoU``,
    ``mAP``, ``IoU``) is one word."""
    out: list[str] = []
    for token in _SPLIT.split(tag):
        lowered = token.lower()
        if lowered in ACCURACY_WORDS:
            out.append(lowered)
        elif numbered := _NUMBERED_METRIC.fullmatch(lowered):
            out += numbered.groups()
        else:
            out += _CAMEL.sub("_", token).lower().split("_")
    merged: list[str] = []
    for w in out:
        if w == "u" and merged and merged[-1] == "io":  # Keras logs its MeanIoU metric as ``mean_io_u``
            merged[-1] = "iou"
        elif w == "out" and merged and merged[-1] in ("held", "hold"):  # ``held_out/loss``: a held-out set's
            merged[-1] += "out"
        elif w:
            merged.append(w)
    return merged


def _is_loss(tag_words: list[str]) -> bool:
    return any("loss" in w for w in tag_words)


def _likeness(tag_words: list[str]) -> int | None:
    """0 for a loss named so; ``LOSS_LIKE``'s order for a measure like one (``cross entropy`` too) in a tag that
    names no accuracy, error or learning rate besides (``mae/val_acc1``: a masked autoencoder's accuracy);
    None for neither."""
    if _is_loss(tag_words):
        return 0
    if _metrics(tag_words) or _is_learning_rate(tag_words) or any(w in ERROR_WORDS for w in tag_words):
        return None
    if any(a == "cross" and b == "entropy" for a, b in itertools.pairwise(tag_words)):
        return 1
    if any(w in SHORT_LOSS_LIKE for w in tag_words) and any(w not in _BESIDE_SHORT_LOSS for w in tag_words):
        return None  # ``ce`` among other words names something else (``train/ce_weight``, a coefficient)
    return min((LOSS_LIKE[w] for w in tag_words if w in LOSS_LIKE), default=None)


_NUMBERED_ACCURACY = re.compile(r"(acc|top)@?\d+")
"""``acc1``, ``acc@5``, ``top5``: torchvision's and timm's names for top-k accuracy."""
_NOT_A_METRIC = frozenset({"grad", "gradient", "accum", "accumulation"})
"""``grad_acc_steps``: gradient accumulation, not accuracy."""


def _metrics(tag_words: list[str]) -> set[str]:
    """The higher-is-better metrics a tag's words name, accuracies proper as ``accuracy`` (``top-1`` too)."""
    if _is_loss(tag_words) or any(w in ERROR_WORDS or w in _NOT_A_METRIC for w in tag_words):
        return set()
    found = {"accuracy" if w in CHANCE_WORDS or _NUMBERED_ACCURACY.fullmatch(w) else w for w in tag_words}
    found = {w for w in found if w == "accuracy" or w in ACCURACY_WORDS}
    if any(a == "top" and b.isdigit() for a, b in itertools.pairwise(tag_words)):
        found.add("accuracy")
    return found


_TOP_K = re.compile(r"(?:acc|top)@?(\d+)")


def _beyond_top1(tag_words: list[str]) -> bool:
    """A top-k accuracy with k above 1 (``top5``, ``acc@5``, ``top-5``): the slot takes top-1 before it."""
    numbers = [int(m.group(1)) for w in tag_words if (m := _TOP_K.fullmatch(w))]
    numbers += [int(b) for a, b in itertools.pairwise(tag_words) if a == "top" and b.isdigit()]
    return any(k > 1 for k in numbers)


def _is_accuracy(tag_words: list[str]) -> bool:
    return bool(_metrics(tag_words))


def higher_is_better(tag: str) -> bool:
    """An accuracy-like curve (``val_accuracy``, ``f1``, ``mAP``) that names no loss or error. Judged as a loss, its
    climb reads as a blow-up (a healthy run whose accuracies were chosen with ``--train-tag`` and ``--val-tag`` rang
    ``diverging``): the options pass it over, and say so."""
    return _is_accuracy(words(tag))


NO_TAG = "no tag"
ONLY_HIGHER = "only higher-is-better curves (an accuracy, not a loss)"
"""How a tag option misses a run, in the words stderr and the status line say it in."""


def option_miss(pattern: str, tags: Iterable[str]) -> tuple[str, list[str]]:
    """How a tag option's ``pattern`` fails a run of ``tags`` (``miss``), with the tags it matched."""
    probe = user_pattern(pattern)
    matched = [tag for tag in tags if probe.search(tag)]
    return miss(matched), matched


def miss(matched: list[str]) -> str:
    """How a tag option that matched ``matched`` of a run's tags fails it: ``NO_TAG`` (none), ``ONLY_HIGHER`` (only
    accuracies, never judged as a loss: ``higher_is_better``) or "" (a curve that can be judged). One reading for
    every place that says so (stderr, the no-loss reason, the status line)."""
    if not matched:
        return NO_TAG
    return ONLY_HIGHER if all(map(higher_is_better, matched)) else ""


SLOT_WORDS = {"train": "training", "val": "validation"}


@dataclass(frozen=True)
class OtherSlot:
    """A tag option whose curve is named for the other slot, which is left empty (``--train-tag val_loss``;
    ``--val-tag loss``): the run is judged without that other curve, and no overfitting can show. Taken as asked,
    and said (stderr, the status line)."""

    option: str
    tag: str
    slot: str
    """Its slot's words (``training``)..."""
    other: str
    """...and the other's, left empty (``validation``)."""


def other_slots(train_tag: str | None, val_tag: str | None) -> list[OtherSlot]:
    """Of a run's judged pair, each curve a tag option took that is named for the other slot, left empty."""
    judged = {"train": train_tag, "val": val_tag}
    return [
        OtherSlot(option, picked, SLOT_WORDS[slot], SLOT_WORDS[other])
        for option, slot, other in (("--train-tag", "train", "val"), ("--val-tag", "val", "train"))
        if (picked := judged[slot]) and judged[other] is None and _role(words(picked)) != slot
    ]


@functools.lru_cache(maxsize=256)  # asked at every judgement of a run with an accuracy: its words, split once
def is_chance_accuracy(tag: str | None) -> bool:
    """An accuracy proper (``CHANCE_WORDS``, ``acc1``, ``top-1``, ...), not another metric in its slot."""
    return tag is not None and "accuracy" in _metrics(words(tag))


@functools.lru_cache(maxsize=256)
def same_metric(first: str | None, second: str | None) -> bool:
    """Both tags name a metric in common (``train_acc`` and ``val_accuracy`` do; ``train_acc`` and ``val_f1`` not)."""
    return first is not None and second is not None and bool(_metrics(words(first)) & _metrics(words(second)))


def _role(tag_words: list[str]) -> str:
    if any(w in VAL_WORDS for w in tag_words):
        return "val"
    evaluated = any(w in EVALUATION_ONLY for w in tag_words)
    if evaluated and not _is_loss(tag_words) and not any(w in TRAIN_WORDS for w in tag_words):
        return "val"
    return "train"


_BESIDE_SHORT_LOSS = (
    VAL_WORDS | TRAIN_WORDS | HELD_OUT_WORDS | EPOCH_WORDS | BATCH_WORDS | _NOISE_WORDS | set(LOSS_LIKE)
)
"""The words a tag naming ``ce`` or ``bce`` may hold besides and still name a loss: its role, and other loss words."""
_NOT_EXTRA = (
    VAL_WORDS | TRAIN_WORDS | _NOISE_WORDS | ACCURACY_WORDS | (set(LOSS_LIKE) - SHORT_LOSS_LIKE) | {"cross", "entropy"}
)  # ``loss_ce`` beside ``total_loss`` is a component of it, not the shorter name of the same loss


def _rank(tag: str, tag_words: list[str]) -> tuple[int, int, int, int, int, int, str]:
    """Lower is better: validation before a test set (``HELD_OUT_WORDS``), a curve named loss before one like it,
    the model's loss before an auxiliary one, per-epoch before per-batch, then fewest extra words, then
    shortest."""
    batchy = any(w in BATCH_WORDS for w in tag_words) and not any(w in EPOCH_WORDS for w in tag_words)
    held_out = any(w in HELD_OUT_WORDS for w in tag_words)
    auxiliary = any(w in AUXILIARY_WORDS for w in tag_words)
    extra = [w for w in tag_words if w not in _NOT_EXTRA and "loss" not in w]
    return (int(held_out), _likeness(tag_words) or 0, int(auxiliary), int(batchy), len(extra), len(tag), tag)


_NUMBERED_LR = re.compile(r"lr\d+")
"""YOLOv5's ``x/lr0``: one parameter group's learning rate."""


def _is_learning_rate(tag_words: list[str]) -> bool:
    if "lr" in tag_words or "learningrate" in tag_words or any(_NUMBERED_LR.fullmatch(w) for w in tag_words):
        return True
    return any(a == "learning" and b == "rate" for a, b in itertools.pairwise(tag_words))


def is_learning_rate(tag: str) -> bool:
    """A learning-rate curve by its name: ``lr``, ``learning_rate``, ``lr-Adam``, ``lr/pg0``, ``x/lr0``."""
    return _is_learning_rate(words(tag))


def is_per_batch(tag: str) -> bool:
    """A per-batch (per-step) curve by its name: ``train_batch_loss``, ``train_loss_step``, ``loss/iter``."""
    tag_words = words(tag)
    return any(w in BATCH_WORDS for w in tag_words) and not _says_epoch(tag_words)


def is_per_epoch(tag: str) -> bool:
    """A curve whose name says it is per epoch: ``epoch_loss``, ``train_loss_epoch``."""
    return _says_epoch(words(tag))


def _says_epoch(tag_words: list[str]) -> bool:
    return any(w in EPOCH_WORDS for w in tag_words)


BY_DEFAULT = "_by_default"
"""A slot of the chooser's own beside a ``--train-tag`` / ``--val-tag``: the loss the rules would choose without the
pattern, judged while the pattern picks nothing (``--val-tag val_acc``, an accuracy passed over: validation's loss,
not training alone). Whether a pattern picks anything never waits on a tag it passes over, so a run read whole and
one read as it is written are paired alike."""
NAMED_TRAIN_ACC = "named_train_acc"
"""A slot of the chooser's own, not of the pair: the best accuracy named for training (``train_accuracy``)."""
Offer = tuple[str, tuple[object, ...]]
"""A slot a tag competes for (train, val, train_acc, val_acc, learning_rate) and its rank there."""


@functools.lru_cache(maxsize=1 << 16)
def _offers(tag: str, train_pattern: str | None, val_pattern: str | None) -> tuple[Offer, ...]:
    """The slots ``tag`` competes for, classified once per tag (a run whose tags trickle in is paired again
    each time they grow: this keeps each pass a few dictionary lookups per tag)."""
    tag_words = words(tag)
    loss = _likeness(tag_words) is not None
    role = _role(tag_words)
    rank = _rank(tag, tag_words)
    out: list[Offer] = []
    for slot, pattern in (("train", train_pattern), ("val", val_pattern)):
        if pattern is not None:  # --train-tag / --val-tag: the best match: whole, then losses, then the slot's own
            chosen = user_pattern(pattern)  # (``--train-tag loss`` matches val_loss too, and took it: it is shorter)
            if chosen.search(tag) and not _is_accuracy(tag_words):  # higher is better: never judged as a loss
                out.append((slot, (not chosen.fullmatch(tag), not loss, role != slot, rank)))
            if loss and role == slot:
                out.append((slot + BY_DEFAULT, rank))  # judged in its place while the pattern picks nothing
        elif loss and role == slot:
            out.append((slot, rank))
    if _is_accuracy(tag_words):
        acc_rank = ("accuracy" not in _metrics(tag_words), _beyond_top1(tag_words), rank)
        out.append((role + "_acc", acc_rank))
        if role == "train" and any(w in TRAIN_WORDS for w in tag_words):
            out.append((NAMED_TRAIN_ACC, acc_rank))  # training's by name: its accuracy when a bare one is validation's
    if _is_learning_rate(tag_words) and not loss:
        out.append(("learning_rate", (len(tag_words), len(tag))))
    return tuple(out)


class PairChooser:
    """The pair of a growing set of tags: each tag is classified once, as it comes, and each role keeps its
    best-ranked tag so far. Every choice is a minimum over keys that end with the tag itself, so the pair
    does not depend on the order the tags came in; a run with tens of thousands of tags is paired in one
    pass (``pair_schedule`` asks again each time its tags grow; ``_offers`` remembers each tag)."""

    def __init__(self, train_pattern: str | None = None, val_pattern: str | None = None) -> None:
        user_pattern(train_pattern or "")  # a bad pattern fails here, where the caller expects it
        user_pattern(val_pattern or "")
        self._patterns = (train_pattern or None, val_pattern or None)
        self._best: dict[str, list[tuple[tuple[object, ...], str]]] = {}
        """Each slot's two best-ranked tags: a tag named for one loss that the other wants too goes to the named one,
        and the other takes its next (``pair``)."""

    def add(self, tag: str) -> bool:
        """Offer ``tag`` to the slots it competes for; whether it took a place (the pair may have changed)."""
        took = False
        for slot, key in _offers(tag, *self._patterns):
            held = self._best.setdefault(slot, [])
            if len(held) < 2 or (key, tag) < held[-1]:
                held.append((key, tag))
                held.sort()
                del held[2:]
                took = True
        return took

    def pair(self) -> Pair:
        chosen = {slot: held[0][1] for slot, held in self._best.items()}
        named = [pattern is not None for pattern in self._patterns]
        if named[0] != named[1] and "train" in chosen and chosen["train"] == chosen.get("val"):
            # The tag named for one loss (``--val-tag loss``) is that loss: the other takes its next-best tag, if
            # any. Named for both (``--train-tag val_loss --val-tag val``), it is given to both, as asked.
            loser = "val" if named[0] else "train"
            runner_up = self._best[loser][1:]
            if runner_up:
                chosen[loser] = runner_up[0][1]
            else:
                del chosen[loser]
        for slot in ("train", "val"):
            by_default = chosen.pop(slot + BY_DEFAULT, None)
            if slot not in chosen and by_default and by_default not in chosen.values():
                chosen[slot] = by_default
        named_train_acc = chosen.pop(NAMED_TRAIN_ACC, None)
        if _bare_metric_is_validations(chosen):
            chosen["val_acc"] = chosen.pop("train_acc")
            if named_train_acc is not None:
                chosen["train_acc"] = named_train_acc
        return Pair(**chosen)


def _bare_metric_is_validations(chosen: dict[str, str]) -> bool:
    """An accuracy named with no role beside losses named for both (fastai's ``history.csv``: ``train_loss``,
    ``valid_loss``, ``accuracy``, whose metrics are measured on the validation set) is validation's: a logger that
    names its training loss so would name a training metric too. Keras' ``accuracy`` beside ``loss`` stays
    training's."""
    metric, train = chosen.get("train_acc"), chosen.get("train")
    if metric is None or train is None or "val" not in chosen or "val_acc" in chosen:
        return False
    if is_per_batch(metric) or is_per_epoch(metric):  # Lightning's ``acc_step``, ``acc_epoch``: its training_step's
        return False
    return not any(w in TRAIN_WORDS for w in words(metric)) and any(w in TRAIN_WORDS for w in words(train))


def pair_schedule(firsts: dict[str, int], train_pattern: str | None, val_pattern: str | None) -> list[tuple[int, Pair]]:
    """(first step, pair) each time the paired curves change as the run's curves appear (``firsts``: each
    tag's first step), oldest first."""
    schedule: list[tuple[int, Pair]] = []
    chooser = PairChooser(train_pattern, val_pattern)
    by_first = sorted(firsts.items(), key=operator.itemgetter(1))
    for begins, starting in itertools.groupby(by_first, key=operator.itemgetter(1)):
        changed = False
        for tag, _first in starting:  # the tags that began by then: those before, and these
            changed |= chooser.add(tag)
        if changed or not schedule:
            pair = chooser.pair()
            if not schedule or pair != schedule[-1][1]:
                schedule.append((begins, pair))
    return schedule or [(0, Pair())]
