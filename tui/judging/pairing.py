"""Pick a run's primary training and validation curves from its tag names.

Tags are split into lower-case words (on ``/ _ - .`` and camelCase), then:

* a *loss* tag has a word containing ``loss``; an *accuracy-like* tag (higher is
  better) has one of ``acc``, ``accuracy``, ``top1``, ``f1``, ``auc``, ...;
* its *role* is validation if a word is ``val``, ``valid``, ``validation``,
  ``eval``, ``test``, ``dev``...; training if a word is ``train``/``training``
  or no role word is present (``loss`` beside ``val_loss``);
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

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

VAL_WORDS = frozenset({"val", "valid", "validation", "validate", "eval", "evaluation", "test", "dev", "holdout"})
TRAIN_WORDS = frozenset({"train", "training", "trn"})
BATCH_WORDS = frozenset({"batch", "batches", "step", "steps", "iter", "iters", "iteration", "iterations", "minibatch"})
EPOCH_WORDS = frozenset({"epoch", "epochs"})
ACCURACY_WORDS = frozenset(
    {"acc", "accuracy", "top1", "top5", "f1", "auc", "precision", "recall", "iou", "miou", "map", "dice", "r2", "bleu"}
)
_NOISE_WORDS = frozenset({"metrics", "metric", "scalars", "losses", "epoch", "total", "avg", "mean"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[/_\-.\s:|]+")


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
    return [w for w in _SPLIT.split(_CAMEL.sub("_", tag).lower()) if w]


def _is_loss(tag_words: list[str]) -> bool:
    return any("loss" in w for w in tag_words)


def _is_accuracy(tag_words: list[str]) -> bool:
    return any(w in ACCURACY_WORDS for w in tag_words) and not _is_loss(tag_words)


def _role(tag_words: list[str]) -> str:
    if any(w in VAL_WORDS for w in tag_words):
        return "val"
    return "train"


def _rank(tag: str, tag_words: list[str]) -> tuple[int, int, int, str]:
    """Lower is better: per-epoch before per-batch, then fewest extra words, then shortest."""
    batchy = any(w in BATCH_WORDS for w in tag_words) and not any(w in EPOCH_WORDS for w in tag_words)
    extra = [
        w
        for w in tag_words
        if w not in VAL_WORDS | TRAIN_WORDS | _NOISE_WORDS and "loss" not in w and w not in ACCURACY_WORDS
    ]
    return (1 if batchy else 0, len(extra), len(tag), tag)


def _best(tags: Iterable[str], role: str, kind) -> str | None:
    candidates = []
    for tag in tags:
        tag_words = words(tag)
        if kind(tag_words) and _role(tag_words) == role:
            candidates.append((_rank(tag, tag_words), tag))
    return min(candidates)[1] if candidates else None


def _matching(tags: Iterable[str], pattern: str | None) -> list[str]:
    if not pattern:
        return []
    regex = re.compile(pattern)
    return [t for t in tags if regex.search(t)]


def _override(tags: list[str], pattern: str | None) -> str | None:
    """Best-ranked tag matching ``pattern`` (losses first), or None."""
    matches = _matching(tags, pattern)
    if not matches:
        return None
    return min(matches, key=lambda t: (not _is_loss(words(t)), _rank(t, words(t))))


def _is_learning_rate(tag_words: list[str]) -> bool:
    if "lr" in tag_words or "learningrate" in tag_words:
        return True
    return any(a == "learning" and b == "rate" for a, b in itertools.pairwise(tag_words))


def learning_rate_tag(tags: Iterable[str]) -> str | None:
    """The learning-rate curve among ``tags``: the one with the fewest other words (the first parameter group)."""
    candidates = []
    for tag in tags:
        tag_words = words(tag)
        if _is_learning_rate(tag_words) and not _is_loss(tag_words):
            candidates.append((len(tag_words), len(tag), tag))
    return min(candidates)[2] if candidates else None


def is_per_batch(tag: str) -> bool:
    """A per-batch (per-step) curve by its name: ``train_batch_loss``, ``train_loss_step``, ``loss/iter``."""
    tag_words = words(tag)
    return any(w in BATCH_WORDS for w in tag_words) and not any(w in EPOCH_WORDS for w in tag_words)


def pair_tags(tags: Iterable[str], train_pattern: str | None = None, val_pattern: str | None = None) -> Pair:
    """Choose the primary train/val loss tags and accuracy-like tags among ``tags``."""
    tags = sorted(tags)
    train = _override(tags, train_pattern) if train_pattern else _best(tags, "train", _is_loss)
    val = _override(tags, val_pattern) if val_pattern else _best(tags, "val", _is_loss)
    return Pair(
        train=train,
        val=val,
        train_acc=_best(tags, "train", _is_accuracy),
        val_acc=_best(tags, "val", _is_accuracy),
        learning_rate=learning_rate_tag(tags),
    )
