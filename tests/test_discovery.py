"""Finding runs: names, Keras split folders, file order, odd file system entries."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import FIXTURE_RUNS, scalar_run

from tui.live.monitor import Monitor
from tui.sources.roots.local import LocalRoot
from tui.sources.tensorboard.discovery import discover, file_order_key


def test_fixture_runs_are_found_once_each(fixtures_copy: Path):
    found = discover(str(fixtures_copy))
    assert found.runs == FIXTURE_RUNS
    prefixes = {f.prefix for f in found.files if f.run == "keras/k-overfit"}
    assert prefixes == {"train/", "validation/"}


def test_logdir_itself_is_a_run_named_dot(tmp_path: Path):
    scalar_run(tmp_path, {"loss": [1.0]})
    assert discover(str(tmp_path)).runs == ["."]


def test_keras_split_folders_directly_under_logdir_form_run_dot(tmp_path: Path):
    scalar_run(tmp_path / "train", {"epoch_loss": [1.0]})
    scalar_run(tmp_path / "validation", {"epoch_loss": [1.0]})
    found = discover(str(tmp_path))
    assert found.runs == ["."]
    assert sorted(f.prefix for f in found.files) == ["train/", "validation/"]


def test_a_keras_run_is_found_at_its_own_folder_not_its_train_split(tmp_path: Path):
    """watch --plain said 'keras/k-healthy  new run at …/k-healthy/train': the run is the folder of its splits."""
    for split in ("train", "validation"):
        scalar_run(tmp_path / "job" / split, {"epoch_loss": [1.0, 0.9]})
    scalar_run(tmp_path / "plain", {"loss": [1.0]})
    new_runs, _, _ = Monitor(str(tmp_path)).refresh()
    assert {(n.run, n.path) for n in new_runs} == {("job", str(tmp_path / "job")), ("plain", str(tmp_path / "plain"))}


def test_a_folder_named_train_that_holds_a_runs_other_files_is_that_run(tmp_path: Path):
    """Ultralytics trains into ``runs/detect/train`` (then ``train2``, ...) beside its args.yaml, weights and
    results.csv, tags named ``train/box_loss``: it was taken for a Keras split of a run ``detect``, its tags
    prefixed again (``train/val/box_loss``)."""
    run = tmp_path / "detect" / "train"
    scalar_run(run, {"train/box_loss": [1.0, 0.9], "val/box_loss": [1.0, 0.95]})
    (run / "args.yaml").write_text("task: detect\n")
    scalar_run(tmp_path / "detect" / "train2", {"train/box_loss": [1.0]})
    found = discover(str(tmp_path))
    assert found.runs == ["detect/train", "detect/train2"]
    assert {f.prefix for f in found.files} == {""}


def test_split_folders_stay_one_run_with_other_files_in_them_or_only_the_profilers(tmp_path: Path):
    scalar_run(tmp_path / "a" / "train", {"loss": [1.0]})
    scalar_run(tmp_path / "a" / "val", {"loss": [1.0]})
    (tmp_path / "a" / "train" / "model.pt").write_bytes(b"weights")  # a sibling split: still the run's split
    scalar_run(tmp_path / "k" / "train", {"epoch_loss": [1.0]})  # Keras before its first validation
    (tmp_path / "k" / "train" / "events.out.tfevents.1.host.profile-empty").write_bytes(b"")
    (tmp_path / "k" / "train" / ".nfs0001").write_bytes(b"")
    found = discover(str(tmp_path))
    assert found.runs == ["a", "k"]
    assert sorted(f.prefix for f in found.files) == ["train/", "train/", "val/"]


def test_a_split_folder_stays_its_runs_split_when_a_file_is_written_beside_its_events(tmp_path: Path):
    """A Keras ``train/`` (no validation) that gets a checkpoint after its first epoch was renamed mid-run: the
    run ``exp`` went 'gone' and ``exp/train`` started with the later steps only (a reviewer's find)."""
    from conftest import frame, scalar_event

    from tui.live.monitor import Monitor

    events = scalar_run(tmp_path / "exp" / "train", {"epoch_loss": [1.0, 0.9, 0.8]})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    (tmp_path / "exp" / "train" / "keras_embedding.ckpt-1").write_bytes(b"weights")
    with open(events, "ab") as handle:  # the next epochs
        handle.write(b"".join(frame(scalar_event("epoch_loss", step, 0.7)) for step in (3, 4)))
    monitor.refresh()
    assert sorted(name for name, run in monitor.store.runs.items() if not run.gone) == ["exp"]
    assert monitor.store.runs["exp"].scalars["train/epoch_loss"].steps.tolist() == [0, 1, 2, 3, 4]


def test_fairseqs_three_writers_are_one_run_paired_on_its_epoch_curves(tmp_path: Path):
    """fairseq-train --tensorboard-logdir keeps a writer per split: train_inner/ (every log interval), train/ and
    valid/ (each epoch), all at the update count; train_inner was a run of its own."""
    from conftest import file_version_event, scalar_event, write_records

    from tui.live.monitor import Monitor

    def writer(split: str, curves: dict[str, list[float]], steps: list[int]) -> None:
        (tmp_path / split).mkdir()
        events = [scalar_event(tag, step, values[i]) for i, step in enumerate(steps) for tag, values in curves.items()]
        write_records(tmp_path / split / "events.out.tfevents.1000.host.1.0", [file_version_event(), *events])

    updates, epochs = list(range(100, 4001, 100)), [1000, 2000, 3000, 4000]
    writer("train_inner", {"loss": [5.0 - u / 1000 for u in updates], "lr": [5e-4] * 40}, updates)
    writer("train", {"loss": [4.5, 3.5, 2.5, 1.5]}, epochs)
    writer("valid", {"loss": [4.6, 3.9, 3.6, 3.5], "best_loss": [4.6, 3.9, 3.6, 3.5]}, epochs)
    assert discover(str(tmp_path)).runs == ["."]
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    verdict = monitor.verdict(".")
    assert (verdict.train_tag, verdict.val_tag) == ("train/loss", "valid/loss")


def test_add_hparams_folder_gives_its_run_the_hyper_parameters_and_is_no_run(tmp_path: Path):
    """tensorboardX's (and PyTorch's) ``add_hparams`` writes into a folder named by the time inside the run: it was
    a run of its own, ``waiting`` forever, and the run it belongs to had no hyper-parameters (nor a sweep)."""
    from tensorboardX import SummaryWriter

    from tui.live.monitor import Monitor

    with SummaryWriter(str(tmp_path / "exp")) as writer:
        for step in range(5):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
            writer.add_scalar("val_loss", 1.2 / (step + 1), step)
        writer.add_hparams({"lr": 0.01, "optimizer": "adam"}, {"val_loss": 0.24})
    assert len([p for p in (tmp_path / "exp").iterdir() if p.is_dir()]) == 1  # the folder add_hparams made
    assert discover(str(tmp_path)).runs == ["exp"]
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["exp"]
    assert run.hparams == {"lr": 0.01, "optimizer": "adam"}
    assert run.scalars["val_loss"].steps.tolist() == [0, 1, 2, 3, 4]  # its one-point metric is not a curve point


def test_profile_empty_and_folders_named_like_event_files_are_skipped(tmp_path: Path):
    run = tmp_path / "run"
    scalar_run(run, {"loss": [1.0]})
    (run / "events.out.tfevents.123.profile-empty").write_bytes(b"")
    (tmp_path / "other" / "events.out.tfevents.999").mkdir(parents=True)
    found = discover(str(tmp_path))
    assert found.runs == ["run"]
    assert len(found.files) == 1


def test_files_sort_by_the_timestamp_in_their_name():
    names = [
        "events.out.tfevents.1700000010.h.1.0",
        "events.out.tfevents.999.h.1.0",
        "events.out.tfevents.1700000002.h.1.0",
    ]
    assert sorted(names, key=file_order_key) == [names[1], names[2], names[0]]


def test_symlink_loops_do_not_hang(tmp_path: Path):
    scalar_run(tmp_path / "a", {"loss": [1.0]})
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    os.symlink(tmp_path / "a", tmp_path / "b")
    found = discover(str(tmp_path))
    assert found.runs == ["a"]


def test_unreadable_folder_is_reported_and_others_still_found(tmp_path: Path):
    scalar_run(tmp_path / "good", {"loss": [1.0]})
    locked = tmp_path / "locked"
    scalar_run(locked / "inner", {"loss": [1.0]})
    locked.chmod(0)
    try:
        found = discover(str(tmp_path))
    finally:
        locked.chmod(0o755)
    assert "good" in found.runs
    if os.geteuid() != 0:  # root reads everything
        assert any("locked" in path for path in found.errors)


def test_a_symlink_to_a_folder_the_root_is_inside_is_not_walked(tmp_path: Path):
    """A hostile tester's find: ``ln -s / runs/x`` had ``check`` walk the whole disk (it never ended) before the
    loop back to the root showed. A link to a folder the root lies in is a loop: its other folders are not runs."""
    logs = tmp_path / "logs"
    scalar_run(logs / "a", {"loss": [1.0]})
    scalar_run(tmp_path / "elsewhere" / "other", {"loss": [1.0]})  # beside the root, reached only through the link
    os.symlink(tmp_path, logs / "a" / "up")
    os.symlink("/", logs / "a" / "disk")
    found = discover(str(logs))
    assert found.runs == ["a"]


def test_a_folder_removed_while_the_root_is_walked_is_not_unreadable(tmp_path: Path, monkeypatch):
    """A hostile tester's find: a Trainer with ``save_total_limit`` deletes its oldest checkpoint right after each
    save; caught between the listing of its parent and its own, it was announced as a new run and then as
    'unreadable: no such file or directory'. Removed is gone, not unreadable."""
    scalar_run(tmp_path / "out", {"loss": [1.0]})
    doomed = tmp_path / "out" / "checkpoint-450"
    doomed.mkdir()
    real = os.scandir

    def removing(path):
        if str(path) == str(doomed):
            doomed.rmdir()
        return real(path)

    monkeypatch.setattr(os, "scandir", removing)
    listing = LocalRoot(str(tmp_path)).list()
    assert listing.errors == {} and not doomed.exists()
