"""A Hugging Face job started again in its output folder (``rm -rf out``, train again) is read again live.

Only log entries past the last step read were taken from ``trainer_state.json``, so the new job's entries (steps
from 10 again) were never read: the live view kept the old job's verdict and curves for good while ``check`` showed
the new one (a hostile tester's find)."""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path

from tui.live.monitor import Monitor


def _trainer_job(out: Path, overfit: bool, epochs: int, every: int = 5) -> None:
    """The Trainer's checkpoints: ``checkpoint-<step>/trainer_state.json`` every ``every`` epochs, each with the
    whole history so far (10 steps an epoch, training and evaluation loss logged at each)."""
    history: list[dict] = []
    for epoch in range(1, epochs + 1):
        t, step = (epoch - 1) / 79, epoch * 10
        train = 2 * math.exp(-4 * t) + 0.1
        val = 2 * math.exp(-6 * t) + 0.3 + max(0.0, t - 0.4) * 1.5 if overfit else 2 * math.exp(-3.5 * t) + 0.2
        history += [{"epoch": epoch, "step": step, "loss": train}, {"epoch": epoch, "step": step, "eval_loss": val}]
        if epoch % every == 0:
            folder = out / f"checkpoint-{step}"
            folder.mkdir(parents=True)
            state = {"global_step": step, "max_steps": epochs * 10, "log_history": history}
            (folder / "trainer_state.json").write_text(json.dumps(state))


def _last(monitor: Monitor) -> tuple[int | None, str]:
    verdict = monitor.verdict("out")
    assert verdict is not None
    return verdict.step, verdict.kind


def test_a_job_started_again_in_its_folder_is_read_again(tmp_path: Path):
    _trainer_job(tmp_path / "out", overfit=True, epochs=80)
    live = Monitor(str(tmp_path))
    live.refresh()
    assert _last(live) == (800, "overfitting")
    shutil.rmtree(tmp_path / "out")
    _trainer_job(tmp_path / "out", overfit=False, epochs=30)
    live.refresh()
    fresh = Monitor(str(tmp_path))
    fresh.refresh()
    assert _last(live) == _last(fresh) == (300, "learning")
    steps, _, _ = live.store.runs["out"].scalars["eval_loss"].arrays()
    assert steps.tolist() == list(range(10, 310, 10))  # the new job's points alone, none of the old one's


def test_a_job_resumed_from_an_earlier_checkpoint_is_read_from_there(tmp_path: Path):
    """Resumed from checkpoint-300 after step 400 was read: its history is the old one up to 300, then its own."""
    _trainer_job(tmp_path / "out", overfit=True, epochs=40)
    live = Monitor(str(tmp_path))
    live.refresh()
    assert _last(live)[0] == 400
    for folder in (tmp_path / "out").glob("checkpoint-*"):
        if int(folder.name.split("-")[1]) > 300:
            shutil.rmtree(folder)
    state = json.loads((tmp_path / "out" / "checkpoint-300" / "trainer_state.json").read_text())
    state["log_history"] += [{"epoch": 31, "step": 310, "loss": 9.0}, {"epoch": 31, "step": 310, "eval_loss": 9.5}]
    state["global_step"] = 310
    (tmp_path / "out" / "checkpoint-310").mkdir()
    (tmp_path / "out" / "checkpoint-310" / "trainer_state.json").write_text(json.dumps(state))
    live.refresh()
    steps, values, _ = live.store.runs["out"].scalars["eval_loss"].arrays()
    assert steps[-1] == 310 and values[-1] == 9.5 and 400 not in steps.tolist()


def test_an_older_checkpoint_read_while_the_newest_is_cut_short_is_no_restart(tmp_path: Path):
    """A reviewer's find: while the newest trainer_state.json is being written (cut short), the one before it is
    read; it is from before the last step read, and was taken for a restart: the run purged and read again."""
    _trainer_job(tmp_path / "out", overfit=True, epochs=80)
    live = Monitor(str(tmp_path))
    live.refresh()
    newest = tmp_path / "out" / "checkpoint-800" / "trainer_state.json"
    whole = newest.read_text()
    for _ in range(3):
        newest.write_text(whole[: len(whole) // 2])
        live.refresh()
        newest.write_text(whole)
        live.refresh()
    assert live.store.runs["out"].restarts == 0
    steps, _, _ = live.store.runs["out"].scalars["eval_loss"].arrays()
    assert steps.tolist() == list(range(10, 810, 10))


def test_a_job_resumed_over_its_later_checkpoints_is_read_as_rewritten(tmp_path: Path):
    """A reviewer's find: resumed from checkpoint-300 with checkpoint-350 and -400 of the old job left in place,
    the new job writes over them; checkpoint-400 then holds the new history, at a step already read, and the live
    view kept the old job's values for steps 310 to 400 (``check`` showed the new ones)."""
    _trainer_job(tmp_path / "out", overfit=True, epochs=40)
    live = Monitor(str(tmp_path))
    live.refresh()
    old = json.loads((tmp_path / "out" / "checkpoint-300" / "trainer_state.json").read_text())["log_history"]
    history = list(old)
    for epoch in range(31, 41):  # the resumed job: other values from step 310 on
        history += [
            {"epoch": epoch, "step": epoch * 10, "loss": 0.05},
            {"epoch": epoch, "step": epoch * 10, "eval_loss": 0.9},
        ]
        if epoch % 5 == 0:
            state = {"global_step": epoch * 10, "max_steps": 400, "log_history": history}
            (tmp_path / "out" / f"checkpoint-{epoch * 10}" / "trainer_state.json").write_text(json.dumps(state))
    live.refresh()
    fresh = Monitor(str(tmp_path))
    fresh.refresh()
    for monitor in (live, fresh):
        steps, values, _ = monitor.store.runs["out"].scalars["eval_loss"].arrays()
        assert steps.tolist() == list(range(10, 410, 10)) and values[30:].tolist() == [0.9] * 10


def _read_whole(logdir: Path) -> tuple[int | None, str]:
    """The run's (step, verdict) as ``check`` reads it."""
    monitor = Monitor(str(logdir))
    monitor.refresh()
    return _last(monitor)


def _save_state(out: Path, history_from: Path, mtime: float) -> None:
    """``trainer.save_state()``: the whole state in the output folder itself, beside the checkpoints."""
    state = json.loads((history_from / "trainer_state.json").read_text())
    (out / "trainer_state.json").write_text(json.dumps(state))
    os.utime(out / "trainer_state.json", (mtime, mtime))


def test_the_state_saved_at_the_end_is_read_when_newer_than_every_checkpoint(tmp_path: Path):
    """``save_strategy="best"`` keeps checkpoints of improving steps only (the last at step 250 here), and
    ``trainer.save_state()`` writes the whole history, to step 800, in the output folder: that file was always
    taken as older than any checkpoint's, and ``check`` said ``learning`` at step 250 for an overfitting run."""
    out = tmp_path / "out"
    _trainer_job(out, overfit=True, epochs=80, every=5)
    _save_state(out, out / "checkpoint-800", mtime=1_700_000_000)
    for folder in out.glob("checkpoint-*"):
        os.utime(folder / "trainer_state.json", (1_600_000_000, 1_600_000_000))
        if int(folder.name.split("-")[1]) > 250:
            shutil.rmtree(folder)
    assert _read_whole(tmp_path) == (800, "overfitting")


def test_a_state_left_from_an_earlier_job_is_older_than_the_new_checkpoints(tmp_path: Path):
    """The output folder's own file, written before the checkpoints of the job now running, is the old job's."""
    out = tmp_path / "out"
    _trainer_job(out, overfit=True, epochs=80, every=5)
    _save_state(out, out / "checkpoint-800", mtime=1_500_000_000)
    for folder in out.glob("checkpoint-*"):
        shutil.rmtree(folder)
    _trainer_job(out, overfit=False, epochs=30)
    assert _read_whole(tmp_path) == (300, "learning")


def test_the_state_saved_at_the_end_of_a_watched_job_is_read_on(tmp_path: Path):
    out = tmp_path / "out"
    _trainer_job(out, overfit=True, epochs=80, every=5)
    for folder in out.glob("checkpoint-*"):
        if int(folder.name.split("-")[1]) > 250:
            shutil.rmtree(folder)
    live = Monitor(str(tmp_path))
    live.refresh()
    assert _last(live)[0] == 250
    _trainer_job(tmp_path / "whole", overfit=True, epochs=80, every=80)
    _save_state(out, tmp_path / "whole" / "checkpoint-800", mtime=time.time() + 5)
    shutil.rmtree(tmp_path / "whole")
    live.refresh()
    assert _last(live) == (800, "overfitting")
    steps, _, _ = live.store.runs["out"].scalars["eval_loss"].arrays()
    assert steps.tolist() == list(range(10, 810, 10))


def test_a_left_over_state_with_the_same_time_as_the_checkpoints_is_placed_by_its_step(tmp_path: Path):
    """Copied folders (scp, a hub download) give every file one time: the folder's own state of an earlier job, at
    step 300, was taken as newer than checkpoint-800 on the tie (a review's find). Its global_step says it is not."""
    out = tmp_path / "out"
    _trainer_job(out, overfit=True, epochs=80, every=5)
    _save_state(out, out / "checkpoint-300", mtime=1_700_000_000)
    for state in out.glob("checkpoint-*/trainer_state.json"):
        os.utime(state, (1_700_000_000, 1_700_000_000))
    assert _read_whole(tmp_path) == (800, "overfitting")


def test_a_folders_own_state_replaced_by_rename_while_watched_is_read_by_its_new_step(tmp_path: Path):
    """A state replaced by rename (rsync, a hub download) was read through the handle kept on the file it
    replaced: its old global_step was taken for the new one's, and the live view stayed behind (a review's find)."""
    out = tmp_path / "out"
    _trainer_job(out, overfit=True, epochs=10, every=10)  # checkpoint-100
    _save_state(out, out / "checkpoint-100", mtime=time.time())
    live = Monitor(str(tmp_path))
    live.refresh()
    assert _last(live)[0] == 100
    _trainer_job(tmp_path / "whole", overfit=True, epochs=30, every=10)
    shutil.copytree(tmp_path / "whole" / "checkpoint-200", out / "checkpoint-200")
    _save_state(tmp_path / "whole", tmp_path / "whole" / "checkpoint-300", mtime=time.time() + 5)
    os.replace(tmp_path / "whole" / "trainer_state.json", out / "trainer_state.json")
    live.refresh()
    assert _last(live)[0] == _read_whole(tmp_path)[0] == 300
