"""W&B's offline binary log (``run-*.wandb``), written by the real ``wandb`` library, read by losswatch: histograms,
a log cut mid-record, a damaged chunk, the run's name, the record types, and the message without the extra."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from logger_runs import STEPS, curve_of, curves

from tui.cli.main import main
from tui.live.monitor import Monitor
from tui.sources.roots.local import LocalRoot
from tui.sources.wandb import stream as wandb_stream


def test_wandb_histograms_are_read(logger_logdir: Path):
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    [histogram] = monitor.store.runs["wb-run"].histograms["hist"].items
    assert histogram.step == STEPS and histogram.counts.tolist() == [1, 2, 3]


def _wandb_log(logger_logdir: Path) -> Path:
    return next(logger_logdir.glob("wandb/offline-run-*/run-*.wandb"))


def test_wandb_log_cut_mid_record_waits_then_reads_the_rest_once(logger_logdir: Path):
    path = _wandb_log(logger_logdir)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2 + 3])  # cut inside a record
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    run = monitor.store.runs["wb-run"]
    read_first = len(run.scalars["train/loss"])
    assert 0 < read_first < STEPS and run.incomplete_bytes > 0 and not run.damaged
    with open(path, "ab") as handle:  # the job goes on writing
        handle.write(whole[len(whole) // 2 + 3 :])
    monitor.refresh()
    assert curve_of(run, "train/loss") == (list(range(STEPS)), [curves(i)[0] for i in range(STEPS)])
    assert run.incomplete_bytes == 0 and run.live


def test_wandb_damaged_chunk_is_skipped_and_counted(logger_logdir: Path):
    path = _wandb_log(logger_logdir)
    data = bytearray(path.read_bytes())
    data[3000] ^= 0xFF  # inside the first block
    path.write_bytes(bytes(data))
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    run = monitor.store.runs["wb-run"]
    assert run.damaged and run.skipped_bytes > 0
    assert 0 < len(run.scalars["train/loss"]) <= STEPS


def test_without_the_wandb_extra_the_runs_are_named_with_a_note(logger_logdir: Path, monkeypatch):
    monkeypatch.setattr(wandb_stream, "_records_module", lambda: None)
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    assert any("pip install wandb (losswatch's [wandb] extra)" in note for note in monitor.store.notes)
    assert [r.errors for r in monitor.store.runs.values() if "wandb" in next(iter(r.files))] != []


def test_a_wandb_run_is_listed_once_its_name_is_written(logger_logdir: Path):
    """W&B writes the record that names the run right after its header: a log that has only the header yet is
    not listed under its id first (that row would stay behind, empty, once the name is read)."""
    path = _wandb_log(logger_logdir)
    whole = path.read_bytes()
    path.write_bytes(whole[:7])
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    assert not [name for name in monitor.store.runs if name.startswith(("wb-run", path.stem[4:]))]
    path.write_bytes(whole)
    monitor.refresh()
    assert [name for name in monitor.store.runs if name.startswith(("wb-run", path.stem[4:]))] == ["wb-run"]


def test_a_wandb_log_whose_writer_stopped_before_its_name_is_listed_by_its_id(logger_logdir: Path):
    """A job killed as it started leaves a log with the header alone: it was never listed (an event file cut as
    short is listed, waiting). Quiet for longer than a job takes to write its first records, it is listed by its
    id, and stays so when the rest comes after all (one row, not a second one under the name)."""
    path = _wandb_log(logger_logdir)
    whole = path.read_bytes()
    path.write_bytes(whole[:7])
    quiet = time.time() - 2 * wandb_stream.STARTING_SECONDS
    os.utime(path, (quiet, quiet))
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    run_id = path.stem[4:]
    listed = [name for name in monitor.store.runs if name.startswith(("wb-run", run_id))]
    assert listed == [name for name in monitor.store.runs if name.endswith(run_id)] and len(listed) == 1
    verdict = monitor.verdict(listed[0])
    assert verdict is not None and str(verdict.kind) == "waiting"
    with open(path, "ab") as handle:
        handle.write(whole[7:])
    monitor.refresh()
    assert [name for name in monitor.store.runs if name.startswith(("wb-run", run_id))] == listed
    assert monitor.store.runs[listed[0]].has_points


def test_wandb_record_types_read_off_the_wire_are_the_decoded_ones(logger_logdir: Path):
    """Only history, run and config records are decoded; the others are told apart by their bytes alone."""
    from tui.sources.wandb.log import LogReader
    from tui.sources.wandb.records import record_fields, record_type

    pb = wandb_stream._records_module()
    types, _ = record_fields(pb)
    path = _wandb_log(logger_logdir)
    records = LogReader(str(path.relative_to(logger_logdir))).read(LocalRoot(str(logger_logdir)))
    kinds = set()
    for raw in records:
        kind = pb.Record.FromString(raw).WhichOneof("record_type")
        kinds.add(kind)
        assert record_type(raw, types) == pb.Record.DESCRIPTOR.fields_by_name[kind].number, kind
    assert {"history", "run", "summary"} <= kinds
    assert record_type(b"\x08\xff", types) is None  # cut inside its num: decoded whole, never dropped unread


def test_a_wandb_log_damaged_before_its_name_is_listed_by_its_id_as_damaged(logger_logdir: Path):
    """Damage before the record that names the run: the log is a run named by its id, flagged damaged — never
    left out unseen (it was, as a log whose name was not written yet)."""
    path = _wandb_log(logger_logdir)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF  # inside the run record, the first after the header
    path.write_bytes(bytes(data))
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    run_id = path.stem[len("run-") :]
    [name] = [name for name in monitor.store.runs if name.startswith(("wb-run", run_id))]
    assert name.startswith(run_id) and monitor.store.runs[name].damaged


def test_a_foreign_file_named_like_a_wandb_log_is_listed_with_its_reason(logger_logdir: Path):
    path = _wandb_log(logger_logdir)
    path.write_bytes(bytes(range(256)) * 8)  # no W&B header
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    run_id = path.stem[len("run-") :]
    [run] = [run for name, run in monitor.store.runs.items() if name.startswith(run_id)]
    assert any("not a W&B run log" in error for error in run.errors)


def test_wandb_runs_of_two_projects_are_named_by_their_project_folder(logger_logdir: Path, capsys):
    """``projA/wandb/…`` and ``projB/wandb/…`` each with a run named ``wb-run``: they read ``wb-run (p3ijjium)`` twice,
    no word of which project, and plain ``wb-run`` from inside a project: the name hung on what else the root held."""
    for project in ("projA", "projB"):
        shutil.copytree(logger_logdir / "wandb", logger_logdir / "projects" / project / "wandb")
    main(["check", "--json", str(logger_logdir / "projects")])
    assert [run["run"] for run in json.loads(capsys.readouterr().out)] == ["projA/wb-run", "projB/wb-run"]
    main(["check", "--json", str(logger_logdir / "projects" / "projA")])
    assert [run["run"] for run in json.loads(capsys.readouterr().out)] == ["wb-run"]
    (logger_logdir / "projects" / "projA" / "wandb").rename(logger_logdir / "projects" / "projA" / ".wandb")
    main(["check", "--json", str(logger_logdir / "projects")])  # the SDK writes to .wandb/ when there is one
    assert [run["run"] for run in json.loads(capsys.readouterr().out)] == ["projA/wb-run", "projB/wb-run"]


def test_zeros_at_the_end_of_a_wandb_log_are_said_in_its_words(logger_logdir: Path):
    """A crash can leave zeros where the last records were to be: W&B's log is records, not lines or documents."""
    path = _wandb_log(logger_logdir)
    with open(path, "ab") as handle:
        handle.write(bytes(4096))
    monitor = Monitor(str(logger_logdir))
    monitor.refresh()
    run = monitor.store.runs["wb-run"]
    assert len(run.scalars["train/loss"]) == STEPS
    assert run.incomplete_note().startswith("4,096 byte(s) at the end of its W&B log are not a whole record")


def test_a_wandb_run_renamed_as_it_starts_is_shown_by_its_new_name(tmp_path: Path):
    """``wandb.init(name="wb-first-name")`` then ``run.name = "wb-renamed"`` (real W&B, ``tests/loggers/renamed``):
    W&B writes a second run record, and the run was shown by its first name, not the one W&B shows."""
    shutil.copytree(Path(__file__).parent / "loggers" / "renamed", tmp_path / "logs")
    monitor = Monitor(str(tmp_path / "logs"))
    monitor.refresh()
    assert list(monitor.store.runs) == ["wb-renamed"]
    assert monitor.store.runs["wb-renamed"].scalars["train/loss"].values.tolist() == [1.0, 0.5, 1 / 3, 0.25, 0.2]


def test_a_watched_wandb_run_keeps_the_name_it_was_found_by(tmp_path: Path):
    """Found before the record that renames it was written, a run keeps its first name while it is watched (one
    row, its points under it), as a watched MLflow run renamed does."""
    shutil.copytree(Path(__file__).parent / "loggers" / "renamed", tmp_path / "logs")
    path = _wandb_log(tmp_path / "logs")
    whole = path.read_bytes()
    path.write_bytes(whole[: whole.index(b"wb-renamed")])  # cut inside the record that renames it
    monitor = Monitor(str(tmp_path / "logs"))
    monitor.refresh()
    assert list(monitor.store.runs) == ["wb-first-name"]
    path.write_bytes(whole)
    monitor.refresh()
    assert list(monitor.store.runs) == ["wb-first-name"]
    assert len(monitor.store.runs["wb-first-name"].scalars["train/loss"]) == 5
