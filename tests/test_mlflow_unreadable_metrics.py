"""An MLflow run whose ``metrics/`` folder cannot be read is that run, flagged unreadable: it was listed twice, as
``mlruns/<exp>/<id>/metrics`` (unreadable) and as ``mlruns/exp/<name>`` with no flag and no reason."""

from __future__ import annotations

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
