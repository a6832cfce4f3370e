"""The Hugging Face Trainer's default output: its TensorBoard events in ``<output_dir>/runs/<date>_<host>`` and its
``trainer_state.json`` in each ``checkpoint-*``, one job, so one run that rings once (it was two, each ringing)."""

from __future__ import annotations

import json
from pathlib import Path

from tensorboardX import SummaryWriter

from tui.cli.main import main

EVERY = 200
"""Steps between the Trainer's logs and evaluations."""


def _trainer_output(
    output: Path, evaluations: int, rising_from: int, logging_folder: str = "Dec05_10-00-00_gpu"
) -> None:
    """What ``Trainer(report_to="tensorboard", save_steps=...)`` leaves: the same numbers twice, renamed by
    ``rewrite_logs`` in the events (``eval/loss``) and as logged in ``log_history`` (``eval_loss``)."""
    history = []
    with SummaryWriter(str(output / "runs" / logging_folder)) as writer:
        for k in range(1, evaluations + 1):
            step = k * EVERY
            train = 2.0 / (1 + 0.2 * k)
            val = 0.9 + 1.2 / (1 + 0.2 * k) + 0.02 * max(k - rising_from, 0)
            learning_rate = 5e-5 * (1 - k / (evaluations + 1))
            for key, value in (("loss", train), ("learning_rate", learning_rate), ("epoch", k / 10)):
                writer.add_scalar(f"train/{key}", value, step)
            writer.add_scalar("eval/loss", val, step)
            history.append({"loss": train, "learning_rate": learning_rate, "epoch": k / 10, "step": step})
            history.append({"eval_loss": val, "epoch": k / 10, "step": step})
    for last in (evaluations - 1, evaluations):
        checkpoint = output / f"checkpoint-{last * EVERY}"
        checkpoint.mkdir(parents=True)
        entries = [entry for entry in history if entry["step"] <= last * EVERY]
        (checkpoint / "trainer_state.json").write_text(
            json.dumps({"global_step": last * EVERY, "log_history": entries})
        )


def test_the_trainers_events_and_state_are_one_run_that_rings_once(tmp_path: Path, capsys):
    _trainer_output(tmp_path / "output", 40, rising_from=15)
    assert main(["check", "--json", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    records = json.loads(captured.out)
    assert [(record["run"], record["verdict"]) for record in records] == [
        ("output/runs/Dec05_10-00-00_gpu", "overfitting")
    ]
    assert "output: trainer_state.json repeats the curves of output/runs/Dec05_10-00-00_gpu: shown once" in captured.err
    # The Trainer's checkpoints, in the output folder two levels above its events, are the shown run's
    assert records[0]["checkpoint"] == str(tmp_path / "output" / "checkpoint-7800") + "/"
    assert main(["replay", "--json", str(tmp_path)]) == 0
    bells = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [alert["kind"] for alert in bells if alert["kind"] in ("overfitting", "diverging")] == ["overfitting"]


def test_two_jobs_logged_into_one_output_folder_keep_the_state_as_a_run_of_its_own(tmp_path: Path, capsys):
    """Which of two logging folders the state repeats is unsure: nothing is hidden."""
    _trainer_output(tmp_path / "output", 30, rising_from=40)
    first = tmp_path / "output" / "runs" / "Dec05_10-00-00_gpu"
    second = tmp_path / "output" / "runs" / "Dec05_12-00-00_gpu"
    second.mkdir()
    for event_file in first.iterdir():
        (second / event_file.name).write_bytes(event_file.read_bytes())
    main(["check", "--json", str(tmp_path)])
    runs = sorted(record["run"] for record in json.loads(capsys.readouterr().out))
    assert runs == ["output", "output/runs/Dec05_10-00-00_gpu", "output/runs/Dec05_12-00-00_gpu"]


def test_a_state_beside_the_output_folders_own_events_repeats_those(tmp_path: Path, capsys):
    """A first job logged to ``runs/<date>``; the second logged into the output folder itself and left the
    checkpoints: the state repeats the output folder's own run, not the first job's."""
    _trainer_output(tmp_path / "output", 30, rising_from=40)
    (tmp_path / "output" / "runs" / "Dec05_10-00-00_gpu").rename(tmp_path / "first_job")
    old = tmp_path / "output" / "runs" / "Dec04_09-00-00_gpu"
    old.mkdir()
    for event_file in (tmp_path / "first_job").iterdir():
        (tmp_path / "output" / event_file.name).write_bytes(event_file.read_bytes())  # the second job's own events
    with SummaryWriter(str(old)) as writer:
        for k in range(1, 10):
            writer.add_scalar("train/loss", 3.0 / k, k * EVERY)
    (tmp_path / "first_job").rename(tmp_path.parent / f"{tmp_path.name}-elsewhere")
    main(["check", "--json", str(tmp_path)])
    captured = capsys.readouterr()
    assert sorted(record["run"] for record in json.loads(captured.out)) == ["output", "output/runs/Dec04_09-00-00_gpu"]
    assert "repeats the curves of output: shown once" in captured.err
