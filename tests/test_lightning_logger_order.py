"""Lightning with a ``CSVLogger`` and a ``TensorBoardLogger`` given one ``save_dir``: the logger listed first takes
``version_N`` (and the checkpoints), the second ``version_N+1``. With the CSV logger listed first, the events sit one
version *after* the CSV log; only the other order was known, and one job was two runs with two bells per onset (a
QA pass with Lightning 2.6). Jobs run again into one folder leave events on both sides of a CSV log: the curves
decide which run it repeats."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tensorboardX import SummaryWriter
from test_echoes import Clock, write_lightning_both

from tui.cli.main import main
from tui.live.echoes import ECHO_WAIT
from tui.live.monitor import Monitor


def csv_first(logs: Path, version: int, epochs: int = 40) -> None:
    """One job, CSV logger listed first: its metrics.csv, hparams.yaml and checkpoints in ``version``, the events
    in the next version."""
    write_lightning_both(logs / f"version_{version}", epochs)
    events = logs / f"version_{version + 1}"
    events.mkdir()
    for path in (logs / f"version_{version}").glob("*tfevents*"):
        shutil.move(path, events / path.name)
    (logs / f"version_{version}" / "checkpoints").mkdir()
    (logs / f"version_{version}" / "checkpoints" / "epoch=15-step=160.ckpt").write_bytes(b"\0")


def events_alone(logs: Path, version: int) -> None:
    """A job with a TensorBoardLogger alone: the same curves' names, other numbers."""
    with SummaryWriter(str(logs / f"version_{version}")) as writer:
        for epoch in range(30):
            step = epoch * 10 + 9
            for key, value in (("train_loss", 2.0 / (1 + epoch)), ("val_loss", 0.9 - 0.001 * epoch), ("epoch", epoch)):
                writer.add_scalar(key, value, step)


def _read(logdir: Path) -> Monitor:
    monitor = Monitor(str(logdir))
    monitor.refresh()
    return monitor


def test_the_csv_logger_listed_first_is_one_run_with_its_checkpoints(tmp_path: Path, capsys):
    logs = tmp_path / "lightning_logs"
    csv_first(logs, 0)
    assert main(["check", "--json", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    (record,) = json.loads(captured.out)
    assert record["run"] == "lightning_logs/version_1"
    assert "metrics.csv repeats the curves of lightning_logs/version_1: shown once" in captured.err
    assert record["checkpoint"].endswith("version_0/checkpoints/epoch=15-step=160.ckpt")  # the first logger's folder


def test_jobs_run_again_csv_first_are_one_run_each(tmp_path: Path):
    """A seeded job run again logs the same numbers: version_2's CSV repeats the first job's events right before it
    as well as its own after it. It was taken for the first job's, and its checkpoints were lost (a review's find)."""
    logs = tmp_path / "lightning_logs"
    csv_first(logs, 0)
    csv_first(logs, 2)
    monitor = _read(tmp_path)
    assert sorted(monitor.store.runs) == ["lightning_logs/version_1", "lightning_logs/version_3"]
    assert monitor.echoes == {
        "lightning_logs/version_0": "lightning_logs/version_1",
        "lightning_logs/version_2": "lightning_logs/version_3",
    }
    for shown, folder in (("version_1", "version_0"), ("version_3", "version_2")):
        (checkpoint,) = monitor.store.runs[f"lightning_logs/{shown}"].checkpoints.values()
        assert checkpoint.endswith(f"{folder}/checkpoints/epoch=15-step=160.ckpt")


def test_a_csv_first_job_after_a_tensorboard_only_job_repeats_the_events_after_it(tmp_path: Path):
    logs = tmp_path / "lightning_logs"
    events_alone(logs, 0)
    csv_first(logs, 1)
    monitor = _read(tmp_path)
    assert sorted(monitor.store.runs) == ["lightning_logs/version_0", "lightning_logs/version_2"]
    assert monitor.echoes == {"lightning_logs/version_1": "lightning_logs/version_2"}


def test_live_the_csv_waits_for_the_events_after_it_when_those_before_it_are_another_jobs(tmp_path: Path):
    """The events before it have every curve name of the CSV log, with other numbers: it waits for the other side's
    flush instead of turning into a run of its own at once."""
    logs = tmp_path / "lightning_logs"
    events_alone(logs, 0)
    csv_first(logs, 1)
    flushed = {path: path.read_bytes() for path in (logs / "version_2").glob("*tfevents*")}
    for path in flushed:
        path.write_bytes(b"")  # its writer has not flushed yet
    clock = Clock()
    monitor = Monitor(str(tmp_path), clock=clock)
    monitor.echo.wait = ECHO_WAIT
    monitor.refresh()
    assert "lightning_logs/version_1" not in monitor.store.runs  # neither hidden nor its own yet
    for path, data in flushed.items():
        path.write_bytes(data)
    clock.now += 30
    monitor.refresh()
    assert sorted(monitor.store.runs) == ["lightning_logs/version_0", "lightning_logs/version_2"]
    assert "lightning_logs/version_1" in monitor.echoes


def test_the_later_job_decided_first_still_repeats_its_own_events(tmp_path: Path):
    """version_10 sorts before version_8 and was decided first: it took the first job's events at version_9, and
    the first job's run got its checkpoint (a review's find). The run another log can repeat alone is left to it."""
    logs = tmp_path / "lightning_logs"
    csv_first(logs, 8)
    csv_first(logs, 10)
    (logs / "version_8" / "checkpoints" / "epoch=15-step=160.ckpt").unlink()  # the first job saved none
    monitor = _read(tmp_path)
    assert monitor.echoes == {
        "lightning_logs/version_8": "lightning_logs/version_9",
        "lightning_logs/version_10": "lightning_logs/version_11",
    }
    assert not monitor.store.runs["lightning_logs/version_9"].checkpoints
    (checkpoint,) = monitor.store.runs["lightning_logs/version_11"].checkpoints.values()
    assert checkpoint.endswith("version_10/checkpoints/epoch=15-step=160.ckpt")


def test_a_csv_job_of_its_own_gives_its_checkpoints_to_no_other_run(tmp_path: Path):
    """A TensorBoard-only job at version_0, a CSV-only job with other numbers at version_1: version_0 showed
    version_1's checkpoint, given to its neighbour before the curves were compared (a review's find)."""
    logs = tmp_path / "lightning_logs"
    events_alone(logs, 0)
    write_lightning_both(logs / "version_1", 40)
    for path in (logs / "version_1").glob("*tfevents*"):
        path.unlink()
    (logs / "version_1" / "checkpoints").mkdir()
    (logs / "version_1" / "checkpoints" / "epoch=15-step=160.ckpt").write_bytes(b"\0")
    monitor = _read(tmp_path)
    assert sorted(monitor.store.runs) == ["lightning_logs/version_0", "lightning_logs/version_1"]
    assert not monitor.store.runs["lightning_logs/version_0"].checkpoints
    assert monitor.store.runs["lightning_logs/version_1"].checkpoints


def test_a_chain_of_jobs_run_again_pairs_each_with_its_own(tmp_path: Path):
    """Three seeded jobs, CSV logger first, at versions 6, 8 and 10: version_10, decided first in the names' order,
    took version_9, and version_8 version_7 (a review's find). Read in their versions' order, each takes its own."""
    logs = tmp_path / "lightning_logs"
    for version in (6, 8, 10):
        csv_first(logs, version)
        (logs / f"version_{version}" / "checkpoints" / "epoch=15-step=160.ckpt").rename(
            logs / f"version_{version}" / "checkpoints" / f"epoch=15-step=16{version}.ckpt"
        )
    monitor = _read(tmp_path)
    assert monitor.echoes == {f"lightning_logs/version_{v}": f"lightning_logs/version_{v + 1}" for v in (6, 8, 10)}
    for version in (6, 8, 10):
        (checkpoint,) = monitor.store.runs[f"lightning_logs/version_{version + 1}"].checkpoints.values()
        assert checkpoint.endswith(f"version_{version}/checkpoints/epoch=15-step=16{version}.ckpt")


def test_logs_named_with_digits_of_any_kind_are_ordered_without_error():
    """'²' is a digit to str.isdigit, not to int(): a log named ``run1²`` stopped the read with a ValueError."""
    from tui.live.monitor import _read_order

    names = ["run1²", "²", "box1:runs/version_10", "box1:runs/version_8", "run_٣", "version_10", "version_9"]
    ordered = sorted(names, key=lambda name: _read_order(name, set(names)))
    assert ordered.index("box1:runs/version_8") < ordered.index("box1:runs/version_10")
    assert ordered.index("version_9") < ordered.index("version_10")
