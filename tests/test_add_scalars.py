"""``add_scalars``: PyTorch and tensorboardX write each key's curve to a folder inside the run's (``Loss_train/``,
``Loss/train/``), under the one tag ``Loss``. Each folder was a run of its own, so the most common PyTorch way of
logging training beside validation never had both curves in one run: an overfitting run read ``learning``, exit 0.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import file_version_event, scalar_event, scalar_run, write_records
from tensorboardX import SummaryWriter

from tui.cli.main import main
from tui.live.monitor import Monitor
from tui.sources.tensorboard.discovery import discover
from tui.sources.tensorboard.key_folders import PEEK_BYTES, tags_in


def _curves(epochs: int, rising_from: int | None) -> tuple[list[float], list[float]]:
    train = [2.0 * math.exp(-e / 30) + 0.05 for e in range(epochs)]
    val = [
        math.exp(-e / 30) + 0.5 + (0.03 * (e - rising_from) if rising_from and e > rising_from else 0.0)
        for e in range(epochs)
    ]
    return train, val


def _pytorch_add_scalars(run: Path, main_tag: str, by_key: dict[str, list[float]]) -> None:
    """The folders ``torch.utils.tensorboard.SummaryWriter.add_scalars`` makes: its own file in ``run``, and one
    writer per key in ``run/<main_tag with '/' as '_'>_<key>``, each point under the tag ``main_tag``."""
    with SummaryWriter(str(run)) as own:
        own.add_scalar("lr", 0.1, 0)
        writers = {key: SummaryWriter(str(run / f"{main_tag.replace('/', '_')}_{key}")) for key in by_key}
        for key, values in by_key.items():
            for step, value in enumerate(values):
                writers[key].add_scalar(main_tag, value, step)
        for writer in writers.values():
            writer.close()


def _verdicts(logdir: Path | str, capsys) -> dict[str, str]:
    main(["check", "--json", str(logdir)])
    return {record["run"]: record["verdict"] for record in json.loads(capsys.readouterr().out)}


def test_pytorchs_key_folders_are_the_runs_curves_and_its_overfitting_rings(tmp_path: Path, capsys):
    train, val = _curves(60, rising_from=20)
    _pytorch_add_scalars(tmp_path / "over", "Loss", {"train": train, "val": val})
    _pytorch_add_scalars(tmp_path / "over", "Accuracy/top1", {"train": [0.5] * 60, "val": [0.4] * 60})
    train, val = _curves(60, rising_from=None)
    _pytorch_add_scalars(tmp_path / "healthy", "Loss", {"train": train, "val": val})
    found = discover(str(tmp_path))
    assert found.runs == ["healthy", "over"]
    assert {(f.path.split("/")[-2], f.prefix) for f in found.files if f.run == "over"} == {
        ("over", ""),
        ("Loss_train", "train/"),
        ("Loss_val", "val/"),
        ("Accuracy_top1_train", "train/"),
        ("Accuracy_top1_val", "val/"),
    }
    assert _verdicts(tmp_path, capsys) == {"healthy": "learning", "over": "overfitting"}
    assert main(["check", str(tmp_path)]) == 1
    assert "val/Loss" in capsys.readouterr().out  # the reason names the curve as the key and the tag make it


def test_tensorboardx_nested_key_folders_join_the_run_the_writer_was_made_for(tmp_path: Path, capsys):
    train, val = _curves(50, rising_from=15)
    with SummaryWriter(str(tmp_path / "job")) as writer:  # tensorboardX's own add_scalars: job/Loss/train, job/Loss/val
        for step, (t, v) in enumerate(zip(train, val)):
            writer.add_scalars("Loss", {"train": t, "val": v}, step)
            writer.add_scalars("losses/total", {"training": t, "validation": v}, step)
    found = discover(str(tmp_path))
    assert found.runs == ["job"]
    assert {f.prefix for f in found.files} == {"", "train/", "val/", "training/", "validation/"}
    assert _verdicts(tmp_path, capsys) == {"job": "overfitting"}


def test_folders_whose_first_tag_does_not_name_them_stay_runs_of_their_own(tmp_path: Path):
    """A stray event file at the top of a sweep made every run below it a candidate: each is read, none merged."""
    scalar_run(tmp_path, {"hparams/n": [1.0]})
    for lr in ("lr_0.1", "lr_0.01"):
        scalar_run(tmp_path / lr, {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
    scalar_run(tmp_path / "lr_0.1" / "loss_extra", {"grad_norm": [1.0]})  # named like a key's, not holding it
    scalar_run(tmp_path / "a" / "train", {"epoch_loss": [1.0]})  # Keras' split folders below a writer's
    scalar_run(tmp_path / "a" / "validation", {"epoch_loss": [1.0]})
    found = discover(str(tmp_path))
    assert found.runs == [".", "a", "lr_0.01", "lr_0.1", "lr_0.1/loss_extra"]
    assert sorted(f.prefix for f in found.files if f.run == "a") == ["train/", "validation/"]


def test_a_writer_folder_named_like_a_split_is_its_own_run(tmp_path: Path, capsys):
    """``runs/test`` holding its own events and add_scalars' key folders was taken for a Keras split of ``runs``."""
    train, val = _curves(40, rising_from=None)
    _pytorch_add_scalars(tmp_path / "test", "loss", {"train": train, "test": val})
    assert _verdicts(tmp_path, capsys) == {"test": "learning"}


def test_a_key_folder_with_no_point_yet_waits_then_joins_its_run_with_every_point(tmp_path: Path):
    """PyTorch flushes every 120 s: a key's folder holds only its writer's first record for a while."""
    train, val = _curves(30, rising_from=None)
    scalar_run(tmp_path / "exp", {"lr": [0.1]})
    key = tmp_path / "exp" / "Loss_val" / "events.out.tfevents.1000.host.2.0"
    key.parent.mkdir()
    write_records(key, [file_version_event()])
    scalar_run(tmp_path / "exp" / "Loss_train", {"Loss": train}, wall0=1001)
    monitor = Monitor(str(tmp_path))
    new_runs, _, _ = monitor.refresh()
    assert [n.run for n in new_runs] == ["exp"]
    assert sorted(monitor.store.runs) == ["exp"]
    assert "val/Loss" not in monitor.store.runs["exp"].scalars
    write_records(key, [scalar_event("Loss", step, value) for step, value in enumerate(val)], mode="ab")
    new_runs, _, _ = monitor.refresh()
    assert new_runs == [] and sorted(monitor.store.runs) == ["exp"]
    assert monitor.store.runs["exp"].scalars["val/Loss"].values.tolist() == pytest.approx(val, rel=1e-6)
    assert monitor.store.runs["exp"].scalars["train/Loss"].values.tolist() == pytest.approx(train, rel=1e-6)


def _key_file(folder: Path, tag: str, values: list[float], wall: int = 1000, writer: int = 1) -> Path:
    """One writer's event file in ``folder`` (``…host.<writer>.0``), a point per step from step 0."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"events.out.tfevents.{wall}.host.{writer}.0"
    points = [scalar_event(tag, step, value, wall + step) for step, value in enumerate(values)]
    write_records(path, [file_version_event(), *points])
    return path


def test_an_attempt_that_crashed_before_its_first_flush_leaves_its_folders_found(tmp_path: Path, capsys):
    """The first files hold the writer's start only (or nothing): the tags are read from the next attempt's."""
    train, val = _curves(60, rising_from=20)
    _key_file(tmp_path / "exp", "lr", [0.1])
    write_records(_key_file(tmp_path / "exp" / "Loss_train", "Loss", []), [file_version_event()])
    (_key_file(tmp_path / "exp" / "Loss_val", "Loss", [])).write_bytes(b"")
    _key_file(tmp_path / "exp", "lr", [0.1], wall=2000, writer=2)
    _key_file(tmp_path / "exp" / "Loss_train", "Loss", train, wall=2001, writer=2)
    _key_file(tmp_path / "exp" / "Loss_val", "Loss", val, wall=2001, writer=2)
    assert _verdicts(tmp_path, capsys) == {"exp": "overfitting"}


def test_sweep_trials_that_log_a_hyper_parameter_first_are_no_keys(tmp_path: Path, capsys):
    """Below a stray event file, ``lr_0.1/`` logging ``lr`` first was read as the key ``0.1`` of ``add_scalars``."""
    _key_file(tmp_path, "hparams/n", [1.0])
    for lr, rising_from in (("lr_0.1", 20), ("lr_0.01", None)):
        train, val = _curves(60, rising_from)
        scalar_run(tmp_path / lr, {"lr": [float(lr[3:])], "train_loss": train, "val_loss": val}, wall0=2000)
    assert _verdicts(tmp_path, capsys) == {".": "waiting", "lr_0.01": "learning", "lr_0.1": "overfitting"}


def test_key_folders_listed_before_their_writers_file_join_its_run_once_it_is_there(tmp_path: Path):
    """A root synced in name order lists ``Loss_train/`` before the writer's ``events…``: the folders were runs of
    their own; once the writer's file is there, they are read again into its run, and their runs go."""
    train, val = _curves(40, rising_from=None)
    _key_file(tmp_path / "exp" / "Loss_train", "Loss", train)
    _key_file(tmp_path / "exp" / "Loss_val", "Loss", val)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert sorted(monitor.store.runs) == ["exp/Loss_train", "exp/Loss_val"]
    _key_file(tmp_path / "exp", "lr", [0.1], wall=999)
    new_runs, _, _ = monitor.refresh()
    assert [n.run for n in new_runs] == ["exp"]
    assert sorted(monitor.store.runs) == ["exp"] and sorted(monitor.verdicts) == ["exp"]
    curves = monitor.store.runs["exp"].scalars
    assert curves["val/Loss"].values.tolist() == pytest.approx(val, rel=1e-6)
    assert curves["train/Loss"].values.tolist() == pytest.approx(train, rel=1e-6)


def test_a_key_folder_that_could_not_be_read_once_joins_its_run_the_next_time(tmp_path: Path, monkeypatch):
    from tui.sources.roots.local import LocalRoot

    train, val = _curves(40, rising_from=None)
    _key_file(tmp_path / "exp", "lr", [0.1])
    _key_file(tmp_path / "exp" / "Loss_train", "Loss", train)
    _key_file(tmp_path / "exp" / "Loss_val", "Loss", val)
    read, failed = LocalRoot.read, []

    def once_refused(root: LocalRoot, path: str, offset: int, size: int) -> bytes:
        if "Loss_val" in path and not failed:
            failed.append(path)
            raise OSError(5, "Input/output error")
        return read(root, path, offset, size)

    monkeypatch.setattr(LocalRoot, "read", once_refused)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert failed and "exp/Loss_train" not in monitor.store.runs  # it waits for its sibling
    monitor.refresh()
    assert sorted(monitor.store.runs) == ["exp"]
    assert monitor.store.runs["exp"].scalars["val/Loss"].values.tolist() == pytest.approx(val, rel=1e-6)


def test_a_damaged_first_record_shows_its_folder_and_the_damage(tmp_path: Path, capsys):
    train, val = _curves(40, rising_from=None)
    _key_file(tmp_path / "exp", "lr", [0.1])
    _key_file(tmp_path / "exp" / "Loss_train", "Loss", train)
    damaged = _key_file(tmp_path / "exp" / "Loss_val", "Loss", val)
    data = bytearray(damaged.read_bytes())
    data[14] ^= 0xFF  # inside the writer's start record: its checksum fails
    damaged.write_bytes(bytes(data))
    main(["check", "--json", str(tmp_path)])
    records = {record["run"]: record for record in json.loads(capsys.readouterr().out)}
    assert [flag["name"] for flag in records["exp/Loss_val"]["flags"]] == ["damaged"]


def test_the_tags_are_read_past_the_writers_start_and_a_graph_or_damage_says_own(tmp_path: Path):
    from conftest import frame
    from tensorboard.compat.proto import event_pb2

    start = frame(file_version_event())
    assert tags_in(start) is None  # only the writer's start: wait
    assert tags_in(start + frame(scalar_event("Loss", 0, 1.0))[:20]) is None  # a record being written: wait
    assert tags_in(start + frame(scalar_event("Loss", 0, 1.0)) + frame(scalar_event("Loss", 1, 0.9))) == ["Loss"] * 2
    graph = event_pb2.Event(step=0, graph_def=b"g" * 100).SerializeToString()
    assert tags_in(start + frame(graph)) == []
    assert tags_in(start + frame(event_pb2.Event(graph_def=b"g" * PEEK_BYTES).SerializeToString())[:PEEK_BYTES]) == []
    damaged = bytearray(start + frame(scalar_event("Loss", 0, 1.0)))
    damaged[3] ^= 0xFF  # the start record's length, its checksum now wrong
    assert tags_in(bytes(damaged)) == []


def test_key_folders_in_an_s3_bucket_are_found_the_same_way(s3, tmp_path: Path, capsys):
    """The first tag is read through the root, here a ranged GET to the S3 server on 127.0.0.1."""
    train, val = _curves(60, rising_from=20)
    _pytorch_add_scalars(tmp_path / "over", "Loss", {"train": train, "val": val})
    bucket = s3.new_bucket()
    s3.upload_tree(tmp_path, bucket, "runs")
    assert _verdicts(f"s3://{bucket}/runs", capsys) == {"over": "overfitting"}
