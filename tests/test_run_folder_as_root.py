"""``losswatch wandb/latest-run``, or one W&B or MLflow run's own folder: the root is the run. The W&B log was known
by its folder's name and the MLflow run by its id folder, neither of which is in root-relative paths, so each
said "no runs under …: no training logs found" (exit 2) where ``losswatch wandb`` read the run."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import refused

from tui.cli.main import main

WANDB_RUN = "wandb/offline-run-20261202_054423-p3ijjium"
MLFLOW_EXPERIMENT = "mlruns/460833417045410877"
MLFLOW_RUN = MLFLOW_EXPERIMENT + "/46f5f5076bc3463d98b26fee8b93dec2"


def checked(root: Path, capsys) -> tuple[int, list[tuple[str, str, int, dict]]]:
    code = main(["check", "--json", str(root)])
    runs = json.loads(capsys.readouterr().out)
    return code, [(run["run"], run["verdict"], run["step"], run["hparams"]) for run in runs]


def test_a_wandb_run_folder_and_latest_run_are_the_run(logger_logdir: Path, capsys):
    _, [whole] = checked(logger_logdir / "wandb", capsys)
    assert whole[:3] == ("wb-run", "overfitting", 29) and whole[3]["lr"] == 0.01
    (logger_logdir / "wandb" / "latest-run").symlink_to(logger_logdir / WANDB_RUN)
    for folder in (logger_logdir / WANDB_RUN, logger_logdir / "wandb" / "latest-run"):
        assert checked(folder, capsys) == (1, [whole])
    assert main(["replay", "--json", str(logger_logdir / WANDB_RUN)]) == 0
    kinds = [json.loads(line)["kind"] for line in capsys.readouterr().out.splitlines()]
    assert kinds.count("overfitting") == 1


def test_an_mlflow_run_folder_is_the_run_and_an_experiment_folder_names_its_runs(logger_logdir: Path, capsys):
    _, [whole] = checked(logger_logdir / "mlruns", capsys)
    assert whole == ("exp/ml-file", "overfitting", 29, {"lr": 0.02})
    assert checked(logger_logdir / MLFLOW_RUN, capsys) == (1, [("ml-file", "overfitting", 29, {"lr": 0.02})])
    # The experiment's folder: named by its meta.yaml as from above it (it read './ml-file')
    assert checked(logger_logdir / MLFLOW_EXPERIMENT, capsys) == (1, [whole])


def test_a_folder_with_a_meta_yaml_and_no_metrics_is_no_mlflow_run(tmp_path: Path, capsys):
    (tmp_path / "meta.yaml").write_text("name: not a run\n")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("hello\n")
    assert main(["check", str(tmp_path)]) == 2
    assert "no training logs found" in capsys.readouterr().err


def test_a_refused_folder_in_an_mlflow_run_given_as_the_root_is_that_runs(logger_logdir: Path, capsys):
    """Its ``artifacts/`` refused: from the run's folder it became a run of its own, ``artifacts``, waiting."""
    run_folder = logger_logdir / MLFLOW_RUN
    (run_folder / "artifacts").mkdir(exist_ok=True)
    (run_folder / "artifacts" / "model.txt").write_text("weights\n")
    with refused(run_folder / "artifacts"):
        main(["check", "--json", str(run_folder)])
    runs = json.loads(capsys.readouterr().out)
    assert [(run["run"], run["verdict"], run["errors"]) for run in runs] == [
        ("ml-file", "overfitting", ["permission denied"])
    ]
