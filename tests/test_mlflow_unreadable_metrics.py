"""An MLflow run whose ``metrics/`` folder cannot be read is that run, flagged unreadable: it was listed twice, as
``mlruns/<exp>/<id>/metrics`` (unreadable) and as ``mlruns/exp/<name>`` with no flag and no reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import refused, run_cli

LOGGERS = Path(__file__).parent / "loggers" / "runs"


def test_a_refused_metrics_folder_flags_the_run_it_belongs_to(tmp_path: Path):
    shutil.copytree(LOGGERS / "mlruns", tmp_path / "mlruns")
    (metrics,) = tmp_path.glob("mlruns/*/*/metrics")
    with refused(metrics):
        result = run_cli("check", str(tmp_path), refuse=True)
    rows = [line for line in result.stdout.splitlines() if line.startswith("mlruns/") and ": " not in line]
    assert len(rows) == 1, result.stdout
    assert rows[0].startswith("mlruns/exp/") and "unreadable" in rows[0]
    assert "permission denied" in result.stdout


def test_export_names_the_one_metric_file_it_could_not_read_not_the_run(tmp_path: Path):
    """One metric file of a run refused, its others read: ``export`` wrote the run's other metrics and said
    ``mlruns/exp/ml-file: permission denied (not exported)``, as if the whole run were missing from the file."""
    shutil.copytree(LOGGERS / "mlruns", tmp_path / "logs" / "mlruns")
    (metrics,) = tmp_path.glob("logs/mlruns/*/*/metrics")
    beside = tmp_path / "logs" / "jl" / "log.jsonl"
    beside.parent.mkdir()
    beside.write_text("".join(f'{{"step": {step}, "loss": {1 / (step + 1)}}}\n' for step in range(20)))
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o777)
    with refused(metrics / "val_loss"):
        result = run_cli("export", str(tmp_path / "logs"), "-o", str(out / "points.csv"), refuse=True)
    assert result.returncode == 1, result.stderr  # a file could not be read: the rest is written
    assert "Traceback" not in result.stderr
    (said,) = [line for line in result.stderr.splitlines() if "permission denied" in line]
    assert said == (
        "losswatch: mlruns/exp/ml-file: metrics/val_loss: permission denied (not exported; the run's other points were)"
    )
    exported = {tuple(line.split(",")[:2]) for line in (out / "points.csv").read_text().splitlines()[1:]}
    assert exported == {("mlruns/exp/ml-file", "train_loss"), ("mlruns/exp/ml-file", "gpu_mem"), ("jl", "loss")}


def test_check_names_each_metric_file_it_could_not_read(tmp_path: Path):
    shutil.copytree(LOGGERS / "mlruns", tmp_path / "mlruns")
    (metrics,) = tmp_path.glob("mlruns/*/*/metrics")
    with refused(metrics / "val_loss", metrics / "gpu_mem"):
        result = run_cli("check", "--json", str(tmp_path), refuse=True)
    (row,) = [row for row in json.loads(result.stdout) if row["run"].startswith("mlruns/")]
    assert row["errors"] == ["metrics/gpu_mem: permission denied (and 1 other metric file(s))"]
