"""Both curves blow up at one step: the verdict's reason names training, read whole (``check``) or a point at a
time (``replay``, the live view), whichever file comes first. ``check`` named validation (its point, read second,
took the reason over), ``replay`` training (found by a review)."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import DATA
from judging_helpers import judge_folder

from tui.sources.tensorboard.writer import EventWriter


def test_a_keras_run_whose_curves_both_go_nan_at_one_step_is_told_by_training(tmp_path: Path):
    run = tmp_path / "k-healthy"
    shutil.copytree(DATA / "keras" / "k-healthy", run)
    for folder in ("train", "validation"):  # each curve in its own file, as Keras writes them
        writer = EventWriter(str(run / folder))
        writer.add_scalar("epoch_loss", float("nan"), 40, 2e9)
        writer.close()
    judged = judge_folder(run)  # asserts the whole read and the replay agree, reason and all
    assert judged.verdict.kind == "diverging"
    assert judged.verdict.reason == "train/epoch_loss is nan at step 40"
    assert [(a.step, a.tag) for a in judged.alerts if a.kind == "diverging"] == [(40, "train/epoch_loss")]
