"""MMEngine's ``vis_data/scalars.json`` (MMDetection, MMPretrain, ...), written as its ``LocalVisBackend`` writes it.

``LoggerHook.after_train_iter`` logs at ``step=runner.iter + 1`` the tag ``LogProcessor.get_log_after_iter`` makes
(the smoothed scalars, then ``epoch``, ``iter`` = the global iteration, ``memory``); ``after_val_epoch`` logs the
metrics with validation's ``data_time`` and ``time`` at ``step=runner.epoch``; ``LocalVisBackend.add_scalars``
appends ``json.dump({**tag, "step": step})`` and a newline (mmengine ``hooks/logger_hook.py``,
``runner/log_processor.py``, ``visualization/vis_backend.py``).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from tensorboardX import SummaryWriter

from tui.cli.main import main
from tui.live.monitor import Monitor

ITERS_PER_EPOCH = 100
INTERVAL = 50
EPOCHS = 24


def train_tag(iteration: int, epoch: int, blow_up_at: int | None = None) -> dict:
    loss = 2.0 * math.exp(-iteration / 600) + 0.3
    if blow_up_at is not None and iteration >= blow_up_at:
        loss = float("nan")
    return {
        "lr": 0.02,
        "data_time": 0.012,
        "loss": loss,
        "loss_cls": 0.6 * loss,
        "loss_bbox": 0.4 * loss,
        "time": 0.35,
        "epoch": epoch,
        "iter": iteration,
        "memory": 3120,
    }


def val_tag(epoch: int) -> dict:
    top = 0.4 * (1 - math.exp(-epoch / 6))
    return {"coco/bbox_mAP": round(top, 4), "coco/bbox_mAP_50": round(top + 0.2, 4), "data_time": 0.004, "time": 0.09}


def epoch_lines(epoch: int, blow_up_at: int | None = None) -> list[tuple[dict, int]]:
    """(tag, step) of every add_scalars call of one epoch (epochs from 1): training every INTERVAL iterations,
    then validation at the epoch."""
    calls = []
    for iteration in range((epoch - 1) * ITERS_PER_EPOCH + INTERVAL, epoch * ITERS_PER_EPOCH + 1, INTERVAL):
        calls.append((train_tag(iteration, epoch, blow_up_at), iteration))
    calls.append((val_tag(epoch), epoch))
    return calls


def append(path: Path, calls: list[tuple[dict, int]]) -> None:
    """``LocalVisBackend.add_scalars`` for each call: the tag with its step, one JSON document per line."""
    with open(path, "a+") as handle:
        for tag, step in calls:
            json.dump({**tag, "step": step}, handle)
            handle.write("\n")


def work_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "work_dirs" / "faster-rcnn_r50_fpn_1x_coco" / "20241203_101500" / "vis_data"
    folder.mkdir(parents=True)
    (folder / "config.py").write_text("model = dict(type='FasterRCNN')\n")
    return folder


RUN = "faster-rcnn_r50_fpn_1x_coco/20241203_101500"


def test_validation_is_placed_at_the_iteration_it_follows_and_purges_nothing(tmp_path: Path):
    folder = work_dir(tmp_path)
    monitor = Monitor(str(tmp_path / "work_dirs"))
    for epoch in range(1, EPOCHS + 1):  # tailed as the job writes
        append(folder / "scalars.json", epoch_lines(epoch))
        if epoch % 5 == 0 or epoch == EPOCHS:
            monitor.refresh()
    run = monitor.store.runs[RUN]
    assert run.restarts == 0
    steps, values, _ = run.scalars["loss"].arrays()
    assert steps.tolist() == list(range(INTERVAL, EPOCHS * ITERS_PER_EPOCH + 1, INTERVAL))  # none purged
    assert np.allclose(values, [train_tag(s, 1)["loss"] for s in steps.tolist()])
    steps, values, _ = run.scalars["coco/bbox_mAP"].arrays()
    assert steps.tolist() == [epoch * ITERS_PER_EPOCH for epoch in range(1, EPOCHS + 1)]
    assert values.tolist() == [val_tag(epoch)["coco/bbox_mAP"] for epoch in range(1, EPOCHS + 1)]
    assert run.scalars["iter_time"].values[0] == 0.35  # seconds per iteration, not the time of day
    assert run.last_write is not None and run.last_write > 1e9  # the file's time: the run is not 55 years idle
    verdict = monitor.verdict(RUN)
    assert (verdict.train_tag, verdict.kind) == ("loss", "learning")


def test_a_blow_up_in_an_mmengine_log_rings(tmp_path: Path, capsys):
    folder = work_dir(tmp_path)
    append(folder / "scalars.json", [call for epoch in range(1, 9) for call in epoch_lines(epoch, blow_up_at=650)])
    assert main(["replay", str(tmp_path / "work_dirs")]) == 0
    out = capsys.readouterr().out
    assert f"{RUN}  step 650  diverging" in out


def test_with_its_tensorboard_backend_too_the_run_is_shown_once(tmp_path: Path):
    """``vis_backends=[LocalVisBackend, TensorboardVisBackend]``: the event files hold the same tags at the same
    steps (validation's at the epoch, which goes back); the run is the scalars.json's."""
    folder = work_dir(tmp_path)
    with SummaryWriter(str(folder)) as writer:
        for epoch in range(1, EPOCHS + 1):
            calls = epoch_lines(epoch)
            append(folder / "scalars.json", calls)
            for tag, step in calls:
                for key, value in tag.items():
                    writer.add_scalar(key, value, step)
    monitor = Monitor(str(tmp_path / "work_dirs"))
    monitor.refresh()
    assert list(monitor.store.runs) == [RUN]
    assert monitor.echoes == {f"{RUN}/vis_data": RUN}
    assert len(monitor.store.runs[RUN].scalars["loss"]) == EPOCHS * ITERS_PER_EPOCH // INTERVAL


def test_a_damaged_step_does_not_move_later_validation_out_of_reach(tmp_path: Path):
    """A line whose step is 1e20 (damaged; the reader takes its ``iter``) left validation placed below it: each
    validation took the run for restarted, and the training curve was purged."""
    folder = work_dir(tmp_path)
    calls = [call for epoch in range(1, 11) for call in epoch_lines(epoch)]
    with open(folder / "scalars.json", "w") as handle:
        for index, (tag, step) in enumerate(calls):
            handle.write(json.dumps({**tag, "step": 1e20 if index == 4 else step}) + "\n")
    monitor = Monitor(str(tmp_path / "work_dirs"))
    monitor.refresh()
    run = monitor.store.runs[RUN]
    assert run.scalars["coco/bbox_mAP"].arrays()[0].tolist() == [epoch * ITERS_PER_EPOCH for epoch in range(1, 11)]
    assert len(run.scalars["loss"]) == 20 and run.restarts == 0


def test_its_tensorboard_backend_alone_keeps_the_training_curves(tmp_path: Path):
    """``vis_backends=[TensorboardVisBackend]`` only: validation's ``data_time``/``time`` at the epoch went back from
    the iterations in the same file, a restart that purged every curve at each validation."""
    folder = work_dir(tmp_path)
    monitor = Monitor(str(tmp_path / "work_dirs"))
    with SummaryWriter(str(folder), max_queue=1) as writer:
        for epoch in range(1, EPOCHS + 1):
            for tag, step in epoch_lines(epoch):
                for key, value in tag.items():
                    writer.add_scalar(key, value, step)
            writer.flush()
            if epoch % 5 == 0:
                monitor.refresh()  # tailed as it grows
        monitor.refresh()
    run = monitor.store.runs[f"{RUN}/vis_data"]
    assert run.restarts == 0
    assert len(run.scalars["loss"]) == EPOCHS * ITERS_PER_EPOCH // INTERVAL
    assert monitor.verdict(f"{RUN}/vis_data").train_tag == "loss"
    # Validation's metrics at the iteration they follow, as from scalars.json (they sat at steps 1, 2, 3).
    steps, values, _ = run.scalars["coco/bbox_mAP"].arrays()
    assert steps.tolist() == [epoch * ITERS_PER_EPOCH for epoch in range(1, EPOCHS + 1)]
    assert np.allclose(values, [val_tag(epoch)["coco/bbox_mAP"] for epoch in range(1, EPOCHS + 1)])
    assert run.scalars["data_time"].values.tolist() == pytest.approx([0.012] * len(run.scalars["loss"]))


def test_its_events_emptied_then_written_again_are_read_anew(tmp_path: Path):
    """A reviewer's find: a file seen empty by one poll (a sync rewriting it in place) kept the highest step read
    before, and every point written again was placed there and dropped: the old curves stayed."""

    def written(folder: Path, epochs: int) -> Path:
        with SummaryWriter(str(folder)) as writer:
            for epoch in range(1, epochs + 1):
                for tag, step in epoch_lines(epoch):
                    for key, value in tag.items():
                        writer.add_scalar(key, value, step)
        return next(folder.glob("events*"))

    long_file, short_file = written(tmp_path / "long", 8), written(tmp_path / "short", 2)
    target = work_dir(tmp_path) / long_file.name
    shutil.copyfile(long_file, target)
    monitor = Monitor(str(tmp_path / "work_dirs"))
    monitor.refresh()
    target.write_bytes(b"")
    monitor.refresh()
    shutil.copyfile(short_file, target)
    monitor.refresh()
    run = monitor.store.runs[f"{RUN}/vis_data"]
    assert run.scalars["coco/bbox_mAP"].steps.tolist() == [ITERS_PER_EPOCH, 2 * ITERS_PER_EPOCH]
    assert run.scalars["loss"].steps.tolist()[-1] == 2 * ITERS_PER_EPOCH


def test_a_log_written_over_by_a_job_started_again_places_validation_as_a_fresh_read_does(tmp_path: Path):
    """A job started again in its work dir, its log written over past its old size between two reads: the iteration
    kept from the old job (the highest seen) placed the new job's validation at the old job's last iteration."""
    folder = work_dir(tmp_path)
    log = folder / "scalars.json"
    append(log, [call for epoch in range(1, 5) for call in epoch_lines(epoch)])
    live = Monitor(str(tmp_path / "work_dirs"))
    live.refresh()
    with open(log, "r+") as handle:  # written over in place (same file), longer than before, between two reads
        for epoch in range(1, 7):
            for tag, step in epoch_lines(epoch):
                handle.write(json.dumps({**tag, "lr": 0.01, "step": step}) + "\n")  # another learning rate
    fresh = Monitor(str(tmp_path / "work_dirs"))
    fresh.refresh()
    live.refresh()
    steps = [monitor.store.runs[RUN].scalars["coco/bbox_mAP"].arrays()[0].tolist() for monitor in (live, fresh)]
    assert steps[0] == steps[1] == [epoch * ITERS_PER_EPOCH for epoch in range(1, 7)]


def test_a_validation_metric_named_as_a_training_key_is_kept_as_validations(tmp_path: Path, capsys):
    """A ``BaseMetric`` that returns ``{"loss": ...}``: placed at the iteration it follows, each validation point was
    a second point of training's ``loss`` at that step and dropped without a word (``val –``, a plateau read on an
    overfitting run). Read as ``val/loss``, it is paired with training's loss and rings."""
    folder = work_dir(tmp_path)
    calls = []
    for epoch in range(1, EPOCHS + 1):
        for tag, step in epoch_lines(epoch):
            if "iter" not in tag:
                tag = {**tag, "loss": round(0.9 + 1.2 * math.exp(-epoch / 3) + 0.03 * max(epoch - 10, 0), 4)}
            calls.append((tag, step))
    append(folder / "scalars.json", calls)
    monitor = Monitor(str(tmp_path / "work_dirs"))
    monitor.refresh()
    run = monitor.store.runs[RUN]
    steps, values, _ = run.scalars["val/loss"].arrays()
    assert steps.tolist() == [epoch * ITERS_PER_EPOCH for epoch in range(1, EPOCHS + 1)]
    assert values[0] == round(0.9 + 1.2 * math.exp(-1 / 3), 4)
    assert run.scalars["loss"].arrays()[1].tolist() == [train_tag(s, 1)["loss"] for s in run.scalars["loss"].steps]
    assert run.scalars["val/iter_time"].values[0] == 0.09 and run.scalars["iter_time"].values[0] == 0.35
    verdict = monitor.verdict(RUN)
    assert (verdict.train_tag, verdict.val_tag, verdict.kind) == ("loss", "val/loss", "overfitting")
    assert main(["replay", str(tmp_path / "work_dirs")]) == 0
    assert "overfitting" in capsys.readouterr().out


def test_a_new_job_writing_the_log_over_has_its_own_training_keys(tmp_path: Path):
    """Which validation keys are renamed ``val/`` is told by the training lines of the job that wrote them: a log
    written over by a new job, tailed, renamed the new job's validation ``acc`` after the old job's training
    ``acc``, where a whole read of the same file did not."""
    folder = work_dir(tmp_path)
    log = folder / "scalars.json"
    append(log, [({**train_tag(50 * k, 1), "acc": 0.5}, 50 * k) for k in range(1, 5)])
    tailed = Monitor(str(tmp_path / "work_dirs"))
    tailed.refresh()
    log.unlink()
    append(log, [(train_tag(50 * k, 1), 50 * k) for k in range(1, 3)] + [({"acc": 0.61, "step": 1}, 1)])
    tailed.refresh()
    whole = Monitor(str(tmp_path / "work_dirs"))
    whole.refresh()
    for monitor in (whole, tailed):
        run = monitor.store.runs[RUN]
        assert "val/acc" not in run.scalars and run.scalars["acc"].values.tolist() == [0.61]
