"""`losswatch demo`: real event files written over time; the right verdicts; the TUI follows them live."""

from __future__ import annotations

import math
import time
from pathlib import Path

from conftest import event_files, run_main

from tui.app.app import LossWatchApp
from tui.cli.demo import why_not_for_the_demo
from tui.live.demo import DemoJobs, default_jobs
from tui.live.monitor import Monitor


def test_demo_jobs_produce_the_story(tmp_path: Path):
    DemoJobs(str(tmp_path)).run_to_end()
    monitor = Monitor(str(tmp_path))
    _, _, alerts = monitor.refresh()
    runs = monitor.store.runs
    sweep = {f"lr-sweep/lr={lr}" for lr in ("0.3", "0.1", "0.03", "0.01", "0.003")}
    assert set(runs) == {"resnet18-lr3e-4", "bert-small-overfit", "tiny-val-set", "vit-tiny-late"} | sweep
    assert monitor.verdict("bert-small-overfit").kind == "overfitting"
    assert monitor.verdict("lr-sweep/lr=0.3").kind == "diverging"
    assert any(math.isnan(v) for v in runs["lr-sweep/lr=0.3"].scalars["val/loss"].values)
    assert monitor.verdict("resnet18-lr3e-4").kind in ("learning", "converged")  # healthy, whichever it reached
    kinds = {(a.run, a.kind) for a in alerts}
    assert ("tiny-val-set", "overfitting") not in kinds
    assert "noisy-val" in monitor.verdict("tiny-val-set").flags
    # Real files in PyTorch's format: one per job, readable by tbparse too.
    from tbparse import SummaryReader

    frame = SummaryReader(str(tmp_path / "bert-small-overfit")).scalars
    assert set(frame.tag) >= {"train/loss", "val/loss", "train/batch_loss"}
    assert len(event_files(tmp_path)) == 9
    # The learning-rate sweep logs its hyper-parameters; its slowest runs are behind their peers.
    assert runs["lr-sweep/lr=0.01"].hparams == {"lr": 0.01, "epochs": 60.0}
    assert [s.name for s in monitor.sweeps.sweeps] == ["lr-sweep"]
    assert {"lr-sweep/lr=0.003", "lr-sweep/lr=0.3"} <= set(monitor.sweeps.flags)
    assert "lr-sweep/lr=0.03" not in monitor.sweeps.flags


def test_late_job_appears_later(tmp_path: Path):
    jobs = DemoJobs(str(tmp_path), speed=50)
    jobs.start()
    try:
        time.sleep(0.05)
        early = {p.parent.name for p in event_files(tmp_path)}
        jobs.done.wait(timeout=30)
    finally:
        jobs.stop()
    assert "vit-tiny-late" not in early
    assert "vit-tiny-late" in {p.parent.name for p in event_files(tmp_path)}


async def test_demo_in_the_tui_turns_red_with_a_bell(tmp_path: Path):
    jobs = DemoJobs(str(tmp_path), speed=40)
    app = LossWatchApp(Monitor(str(tmp_path)), watch=True)
    rings = []
    app.bell = lambda: rings.append(time.monotonic())
    async with app.run_test(size=(100, 30)) as pilot:
        jobs.start()
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                await pilot.pause(0.1)
                verdict = app.monitor.verdict("bert-small-overfit")
                if verdict is not None and verdict.kind == "overfitting" and "vit-tiny-late" in app.store.runs:
                    break
            await pilot.pause(0.5)
        finally:
            jobs.stop()
        row = app.table._rows["bert-small-overfit"]
        assert row.verdict == "overfitting"
        assert rings  # overfitting and diverging ring the bell
        assert "vit-tiny-late" in app.store.runs  # a job that starts at epoch 15 is found while the app runs
        assert jobs.done.is_set()  # and the writer stopped with the test


def test_demo_never_writes_its_runs_among_real_ones(tmp_path: Path):
    """``demo --dir LOGDIR`` on a real log folder wrote nine simulated runs among the real ones and left them."""
    real = tmp_path / "runs"
    (real / "my-job").mkdir(parents=True)
    result = run_main("demo", "--plain", "--dir", str(real))
    assert result.returncode == 2 and "holds 'my-job', which no demo wrote" in result.stderr
    assert sorted(p.name for p in real.iterdir()) == ["my-job"]  # nothing written
    (tmp_path / "file").write_text("x")
    assert "cannot be used" in run_main("demo", "--plain", "--dir", str(tmp_path / "file")).stderr
    # a folder that cannot be made (under a file): one sentence, not a traceback
    result = run_main("demo", "--plain", "--dir", str(tmp_path / "file" / "runs"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"demo --dir {tmp_path / 'file' / 'runs'} cannot be used (Not a directory)" in result.stderr
    names = {job.name.split("/")[0] for job in default_jobs()}
    demos = tmp_path / "demo"
    for name in names:
        (demos / name).mkdir(parents=True)
    # a new folder, an empty one, and one a demo wrote before are the demo's to use
    assert why_not_for_the_demo(str(tmp_path / "new"), names) is None
    assert why_not_for_the_demo(str(demos), names) is None
    (tmp_path / "empty").mkdir()
    assert why_not_for_the_demo(str(tmp_path / "empty"), names) is None


def test_demo_refuses_a_remote_dir_it_would_not_write_into(tmp_path: Path, monkeypatch):
    """``--dir s3://bucket/demo`` made ./s3:/bucket/demo here and watched the bucket, which stayed empty."""
    monkeypatch.chdir(tmp_path)
    for where in ("s3://lwb/demo", "box:runs", "file:///tmp/demo"):
        result = run_main("demo", "--plain", "--dir", where)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert f"demo --dir {where} is not a local folder" in result.stderr
    assert "(a local folder so named is written ./box:runs)" in run_main("demo", "--dir", "box:runs").stderr
    assert list(tmp_path.iterdir()) == []
