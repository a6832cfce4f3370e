"""Choosing the primary train/val curves from tag names."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from tui.judging import pairing
from tui.judging.engine import VerdictEngine, first_steps
from tui.judging.pairing import Pair, PairChooser, pair_schedule
from tui.judging.thresholds import Thresholds
from tui.sources.points import Decoded
from tui.store import Run, Store
from tui.store.series import Series


def pair_tags(tags, train_pattern: str | None = None, val_pattern: str | None = None) -> Pair:
    """The pair of ``tags`` all at once, as the engine's chooser gives it."""
    chooser = PairChooser(train_pattern, val_pattern)
    for tag in tags:
        chooser.add(tag)
    return chooser.pair()


STYLES = [
    (["loss", "val_loss", "acc", "val_acc", "lr"], "loss", "val_loss"),
    (["train_loss", "val_loss", "lr"], "train_loss", "val_loss"),
    (["train/loss", "eval/loss", "train/acc", "eval/acc"], "train/loss", "eval/loss"),
    (["Loss/train", "Loss/val", "Accuracy/train", "Accuracy/val"], "Loss/train", "Loss/val"),
    (
        [
            "train/epoch_loss",
            "validation/epoch_loss",
            "validation/evaluation_loss_vs_iterations",
            "train/epoch_accuracy",
            "validation/epoch_accuracy",
        ],
        "train/epoch_loss",
        "validation/epoch_loss",
    ),
    (["train_loss_epoch", "train_loss_step", "val_loss_epoch", "epoch"], "train_loss_epoch", "val_loss_epoch"),
    (["metrics/train_loss", "metrics/valid_loss"], "metrics/train_loss", "metrics/valid_loss"),
    (["Loss/training", "Loss/validation"], "Loss/training", "Loss/validation"),
    (["train_batch_loss", "train_loss", "val_loss"], "train_loss", "val_loss"),
    (["BatchLoss/train", "train_loss", "val_loss"], "train_loss", "val_loss"),
    (["train/loss", "train/loss_cls", "train/loss_box", "eval/loss"], "train/loss", "eval/loss"),
    (["train/loss", "heldout/loss"], "train/loss", "heldout/loss"),  # a held-out set, however it is spelt,
    (["train_loss", "held_out_loss"], "train_loss", "held_out_loss"),  # was read as a second training loss
    (["trainLoss", "heldOutLoss"], "trainLoss", "heldOutLoss"),
    (["loss", "hold-out/loss"], "loss", "hold-out/loss"),
    (["train/loss", "heldout/loss", "val/loss"], "train/loss", "val/loss"),  # validation before a held-out set
]


@pytest.mark.parametrize(("tags", "train", "val"), STYLES, ids=lambda x: x[0] if isinstance(x, list) else None)
def test_naming_styles(tags, train, val):
    pair = pair_tags(tags)
    assert (pair.train, pair.val) == (train, val)


def test_accuracy_like_metrics_are_paired():
    pair = pair_tags(["loss", "val_loss", "acc", "val_acc"])
    assert (pair.train_acc, pair.val_acc) == ("acc", "val_acc")
    pair = pair_tags(["Loss/train", "Loss/val", "Accuracy/train", "Accuracy/val"])
    assert (pair.train_acc, pair.val_acc) == ("Accuracy/train", "Accuracy/val")


def test_an_accuracy_proper_takes_the_accuracy_slot_before_shorter_metrics_and_an_error_rate_never():
    """Keras logs ``val_recall``, ``val_f1``, ``val_auc`` beside ``val_accuracy``: the shortest name won the slot,
    and ``val_top1_err`` (lower is better) was taken for an accuracy by its word ``top1``."""
    tags = ["loss", "val_loss", "accuracy", "val_accuracy", "recall", "val_recall", "f1", "val_f1", "auc", "val_auc"]
    assert (pair_tags(tags).train_acc, pair_tags(tags).val_acc) == ("accuracy", "val_accuracy")
    assert pair_tags(["train_loss", "val_loss", "val_top1_err", "val_error"]).val_acc is None
    assert pair_tags(["train_loss", "val_loss", "val_f1"]).val_acc == "val_f1"  # no accuracy proper: the metric


@pytest.mark.parametrize(
    ("tags", "val_acc"),
    [
        (["val/acc1", "val/acc5", "val/f1"], "val/acc1"),  # torchvision's reference scripts
        (["val_acc@1", "val_acc@5"], "val_acc@1"),
        (["val/top-1", "val/top-5"], "val/top-1"),
        (["val/top5", "val/top1_acc"], "val/top1_acc"),  # top-1 before a shorter top-5
        (["val_acc5", "val_accuracy"], "val_accuracy"),
    ],
)
def test_top_k_accuracies_by_their_usual_names_are_accuracies(tags, val_acc):
    pair = pair_tags(["train_loss", "val_loss", *tags])
    assert pair.val_acc == val_acc and pairing.is_chance_accuracy(pair.val_acc)


@pytest.mark.parametrize(
    ("tags", "val_acc"),
    [
        (["val/mIoU", "val/loss_seg"], "val/mIoU"),  # segmentation
        (["val/bbox_mAP", "val/bbox_mAP_50"], "val/bbox_mAP"),  # detection
        (["val_IoU"], "val_IoU"),
        (["mean_io_u", "val_mean_io_u"], "val_mean_io_u"),  # Keras' MeanIoU
    ],
)
def test_metrics_spelled_in_mixed_case_are_metrics(tags, val_acc):
    """``mIoU`` was split like camelCase (``m``, ``io``, ``u``) and never recognised."""
    pair = pair_tags(["train_loss", "val_loss", *tags])
    assert pair.val_acc == val_acc and not pairing.is_chance_accuracy(pair.val_acc)


YOLOV5_KEYS = [  # utils/loggers/__init__.py, Loggers.keys (v7.0)
    *("train/box_loss", "train/obj_loss", "train/cls_loss"),
    *("metrics/precision", "metrics/recall", "metrics/mAP_0.5", "metrics/mAP_0.5:0.95"),
    *("val/box_loss", "val/obj_loss", "val/cls_loss", "x/lr0", "x/lr1", "x/lr2"),
]
ULTRALYTICS_KEYS = [  # what DetectionTrainer logs to results.csv and TensorBoard (8.x)
    *("train/box_loss", "train/cls_loss", "train/dfl_loss", "metrics/precision(B)", "metrics/recall(B)"),
    *("metrics/mAP50(B)", "metrics/mAP50-95(B)", "val/box_loss", "val/cls_loss", "val/dfl_loss"),
    *("lr/pg0", "lr/pg1", "lr/pg2"),
]


@pytest.mark.parametrize(
    ("tags", "val_acc", "learning_rate"),
    [(YOLOV5_KEYS, "metrics/mAP_0.5", "x/lr0"), (ULTRALYTICS_KEYS, "metrics/mAP50(B)", "lr/pg0")],
    ids=["yolov5", "ultralytics"],
)
def test_detection_runs_pair_their_box_losses_with_map_as_validations_metric(tags, val_acc, learning_rate):
    """``mAP50(B)`` was split at camelCase (``m``, ``ap50(``, ``b)``) and never a metric; mAP without a role word was
    taken for a training metric, though no trainer measures it on its training set; ``x/lr0`` was no learning
    rate, so a YOLOv5 run flat at a decayed rate could not be told converged."""
    pair = pair_tags(tags)
    assert (pair.train, pair.val) == ("train/box_loss", "val/box_loss")
    assert (pair.val_acc, pair.learning_rate) == (val_acc, learning_rate)
    assert not pairing.is_chance_accuracy(pair.val_acc)  # the chance rule is for accuracies proper


def test_a_metric_at_a_threshold_keeps_its_role_word():
    assert pair_tags(["train_loss", "train/mAP50", "val/AP75"]).train_acc == "train/mAP50"
    assert pair_tags(["train_loss", "val/AP75"]).val_acc == "val/AP75"
    assert pairing.words("val/AP75") == ["val", "ap", "75"]


def test_camel_case_names_still_split():
    assert pairing.words("valAccuracy") == ["val", "accuracy"]
    assert pairing.words("trainLoss/epochMean") == ["train", "loss", "epoch", "mean"]


def test_gradient_accumulation_is_not_an_accuracy():
    assert pair_tags(["train_loss", "val_loss", "grad_acc_steps"]).train_acc is None


def test_no_validation_curve():
    pair = pair_tags(["loss", "lr"])
    assert pair.train == "loss" and pair.val is None


def test_regex_overrides():
    tags = ["train/loss", "eval/loss", "eval/nll", "train/nll"]
    pair = pair_tags(tags, train_pattern=r"train/nll", val_pattern=r"^eval/nll$")
    assert (pair.train, pair.val) == ("train/nll", "eval/nll")


@pytest.mark.parametrize(
    ("tags", "train_pattern", "val_pattern", "train", "val"),
    [
        (["train_loss", "val_loss"], "loss", None, "train_loss", "val_loss"),  # val_loss matched too, and is shorter
        (["loss", "val_loss", "val_loss_ema"], None, "val_loss", "loss", "val_loss"),  # a whole match first
        (["train_loss", "val_loss"], "val_loss", "val", "val_loss", "val_loss"),  # asked for: given
    ],
)
def test_a_tag_pattern_takes_a_whole_match_then_the_slots_own_role(tags, train_pattern, val_pattern, train, val):
    """``--train-tag loss`` gave val_loss to both slots: an overfitting run read as learning, exit 0."""
    pair = pair_tags(tags, train_pattern=train_pattern, val_pattern=val_pattern)
    assert (pair.train, pair.val) == (train, val)


@pytest.mark.parametrize(
    ("tags", "train_pattern", "val_pattern", "train", "val"),
    [
        (["loss", "val_loss"], None, "loss", None, "loss"),  # was loss against itself: "train flat, val flat"
        (["train_loss", "train_batch_loss", "val_loss"], None, "^train_loss$", "train_batch_loss", "train_loss"),
        (["train_loss", "val_loss", "valid_loss"], "^val_loss$", None, "val_loss", "valid_loss"),
        (["train_loss", "val_loss"], "^val_loss$", None, "val_loss", None),
    ],
)
def test_a_tag_named_for_one_loss_is_never_the_other_too(tags, train_pattern, val_pattern, train, val):
    """``--val-tag loss`` paired loss with itself as training and validation, and judged it flat against itself."""
    for order in (tags, tags[::-1]):
        pair = pair_tags(order, train_pattern=train_pattern, val_pattern=val_pattern)
        assert (pair.train, pair.val) == (train, val)


def test_keras_fixture_is_paired(fixtures_copy):
    from tui.live.monitor import Monitor

    monitor = Monitor(str(fixtures_copy / "keras"))
    monitor.refresh()
    verdict = monitor.verdict("k-overfit")
    assert (verdict.train_tag, verdict.val_tag) == ("train/epoch_loss", "validation/epoch_loss")


WORDS = ["train", "val", "eval", "loss", "acc", "lr", "batch", "epoch", "cls", "top1", "learning", "rate", "box"]


def _by_brute_force(tags: list[str], train_pattern: str | None, val_pattern: str | None) -> Pair:
    """The pair by the rules written out plainly: each role's best-ranked tag over all tags at once."""

    def best(role: str, kind) -> str | None:
        found = [(pairing._rank(t, pairing.words(t)), t) for t in tags if kind(pairing.words(t))]
        found = [c for c in found if pairing._role(pairing.words(c[1])) == role]
        return min(found)[1] if found else None

    def matching(pattern: str, slot: str) -> str | None:
        """A whole match first, then a loss, then a tag of the slot's own role, then the rank; never a higher-is-better
        curve (an accuracy judged as a loss reads its climb as a blow-up)."""
        found = [t for t in tags if re.search(pattern, t) and not pairing._is_accuracy(pairing.words(t))]

        def key(t: str) -> tuple:
            tag_words = pairing.words(t)
            own = pairing._role(tag_words) == slot
            return (not re.fullmatch(pattern, t), not pairing._is_loss(tag_words), not own, pairing._rank(t, tag_words))

        return min(found, key=key) if found else None

    rates = [
        (len(pairing.words(t)), len(t), t)
        for t in tags
        if pairing._is_learning_rate(pairing.words(t)) and not pairing._is_loss(pairing.words(t))
    ]
    train = matching(train_pattern, "train") if train_pattern else best("train", pairing._is_loss)
    val = matching(val_pattern, "val") if val_pattern else best("val", pairing._is_loss)
    # A pattern that picks nothing (no tag, or only accuracies: higher is better) leaves the slot to the rules' loss.
    for slot, pattern in (("train", train_pattern), ("val", val_pattern)):
        picked = train if slot == "train" else val
        default = best(slot, pairing._is_loss)
        if pattern and picked is None and default is not None and default not in (train, val):
            train, val = (default, val) if slot == "train" else (train, default)
    train_acc, val_acc = best("train", pairing._is_accuracy), best("val", pairing._is_accuracy)
    named_train = {"train", "training", "trn"}

    def accuracy_rank(tag: str) -> tuple:
        tag_words = pairing.words(tag)
        return (
            "accuracy" not in pairing._metrics(tag_words),
            pairing._beyond_top1(tag_words),
            pairing._rank(tag, tag_words),
        )

    # An accuracy named for no role (and not per batch or epoch by name) beside losses named for both: validation's;
    # training's is then the best accuracy named for training, if any.
    bare = train_acc is not None and not named_train & set(pairing.words(train_acc))
    bare = bare and not pairing.is_per_batch(train_acc) and not pairing.is_per_epoch(train_acc)
    if bare and train and val and not val_acc and named_train & set(pairing.words(train)):
        named = [
            t
            for t in tags
            if pairing._is_accuracy(pairing.words(t))
            and named_train & set(pairing.words(t))
            and pairing._role(pairing.words(t)) == "train"
        ]
        train_acc, val_acc = min(named, key=accuracy_rank, default=None), train_acc
    return Pair(
        train=train, val=val, train_acc=train_acc, val_acc=val_acc, learning_rate=min(rates)[2] if rates else None
    )


@pytest.mark.parametrize("patterns", [(None, None), ("loss", "val"), ("^nothing$", "acc"), ("train", "acc")])
def test_the_choice_is_the_rules_best_whatever_order_the_tags_come_in(patterns) -> None:
    rng = random.Random(3)
    for _ in range(200):
        tags = list(
            {
                rng.choice(["/", "_", "-", ""]).join(rng.sample(WORDS, rng.randint(1, 3)))
                for _ in range(rng.randint(1, 12))
            }
        )
        expected = _by_brute_force(tags, *patterns)
        rng.shuffle(tags)
        assert pair_tags(tags, *patterns) == expected


def _series(steps, values) -> Series:
    series = Series()
    steps = list(steps)
    series.extend(steps, [0.0] * len(steps), list(values))
    return series


def test_a_run_with_many_tags_has_each_tag_classified_once(monkeypatch) -> None:
    """A log with 60,000 tags appearing over 300 steps took minutes: the pair of every step's tags so far
    was chosen afresh from all of them. Each tag's words are now read once, however often the schedule is made."""
    run = Run("wide")
    for step in range(300):
        for k in range(50):
            run.scalars[f"k{step}_{k}"] = _series([step], [1.0])
    run.scalars["loss"] = _series(range(300), np.linspace(1, 0.1, 300))
    run.scalars["val_loss"] = _series(range(150, 300), np.linspace(1, 0.2, 150))
    calls = 0
    real_words = pairing.words

    def counted(tag: str) -> list[str]:
        nonlocal calls
        calls += 1
        return real_words(tag)

    monkeypatch.setattr(pairing, "words", counted)
    pairing._offers.cache_clear()
    schedule = pair_schedule(first_steps(run), None, None)
    assert calls == len(run.scalars)
    assert schedule == [(0, Pair(train="loss")), (150, Pair(train="loss", val="val_loss"))]
    # A live run's tags grow: the schedule is made again, and only the new tag is read.
    run.scalars["val_accuracy"] = _series([299], [0.9])
    schedule = pair_schedule(first_steps(run), None, None)
    assert calls == len(run.scalars)
    assert schedule[-1] == (299, Pair(train="loss", val="val_loss", val_acc="val_accuracy"))


def test_the_engine_keeps_its_pair_schedule_as_tags_arrive_one_poll_at_a_time() -> None:
    """A live run's tags grow poll by poll; the engine reads only the new ones and gets the schedule a reader of
    the whole run gets, a tag seen before its first point included."""
    run = Run("trickle")
    engine = VerdictEngine("trickle", Thresholds())
    run.scalars["loss"] = _series(range(100), np.linspace(1, 0.1, 100))
    run.scalars["eval/loss"] = Series()  # created, no point yet
    engine.update(run)
    for step in range(0, 100, 5):
        run.scalars[f"layer{step}/grad_norm"] = _series([step], [1.0])
        if step == 50:
            run.scalars["eval/loss"].extend([50, 75], [0.0, 0.0], [0.5, 0.4])
            run.scalars["lr"] = _series([60], [0.1])
        engine.update(run)
    assert engine._schedule == pair_schedule(first_steps(run), None, None)
    assert engine._schedule == [
        (0, Pair(train="loss")),
        (50, Pair(train="loss", val="eval/loss")),
        (60, Pair(train="loss", val="eval/loss", learning_rate="lr")),
    ]


def test_after_a_restart_the_engine_reads_every_tag_again() -> None:
    """A restart at step 10 empties a validation curve that began at step 50; the job then logs on without it.
    The engine pairs what is left as a reader starting afresh does (it kept validation's old start before)."""

    def points(tags: dict[str, range]) -> Decoded:
        batch = Decoded()
        for tag, steps in tags.items():
            for step in steps:
                batch.add_scalar(tag, step, float(step), 1.0 / (1 + step) + (0.001 * step if "val" in tag else 0.0))
        return batch

    store, engine = Store(), VerdictEngine("run", Thresholds())
    store.apply("run", points({"loss": range(0, 100), "val_loss": range(50, 100, 5)}))
    engine.update(store.runs["run"])
    store.apply("run", points({"loss": range(10, 300), "lr": range(10, 300)}))  # restarted from step 10
    run = store.runs["run"]
    assert len(run.scalars["val_loss"]) == 0
    engine.update(run)
    fresh = VerdictEngine("run", Thresholds())
    fresh.update(run)
    assert engine._schedule == fresh._schedule == pair_schedule(first_steps(run), None, None)
    assert engine._schedule[-1] == (10, Pair(train="loss", learning_rate="lr"))
    assert (engine.verdict.kind, engine.verdict.val_tag) == (fresh.verdict.kind, None)
