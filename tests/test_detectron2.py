"""Detectron2's ``metrics.json``, written as its ``JSONWriter`` writes it, read as a JSON-lines log.

``detectron2/utils/events.py``: ``JSONWriter.write`` groups the storage's latest scalars by iteration and appends
``json.dumps(scalars_per_iter, sort_keys=True) + "\\n"`` per iteration, with ``"iteration"`` among the keys;
an evaluation hook's results (``bbox/AP``, a validation loss) land at the iteration they were computed at.
The name ends in ``.json``, so it was not read at all: ``no runs``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from logger_runs import curve_of

from tui.cli.main import main
from tui.live.monitor import Monitor

PERIOD = 20
"""``CommonMetricPrinter``/``JSONWriter`` period: every 20 iterations."""


def write_iterations(path: Path, start: int, end: int) -> None:
    """Append iterations ``start`` to ``end`` as the writer does: training every PERIOD, evaluation every 500."""
    with open(path, "a") as handle:
        for iteration in range(start + PERIOD - 1, end, PERIOD):
            scalars = {
                "iteration": iteration,
                "total_loss": 2.0 * math.exp(-iteration / 800) + 0.3,
                "loss_cls": 0.4 * math.exp(-iteration / 800),
                "lr": 0.02,
                "data_time": 0.01,
                "time": 0.25,
                "eta_seconds": 100.0,
            }
            if (iteration + 1) % 500 == 0:
                scalars |= {"bbox/AP": 30.0 + iteration / 100, "validation_loss": 1.0 + abs(iteration - 1499) / 1500}
            handle.write(json.dumps(scalars, sort_keys=True) + "\n")


def test_a_detectron2_metrics_json_is_a_run_tailed_by_line(tmp_path: Path):
    output = tmp_path / "output"
    output.mkdir()
    write_iterations(output / "metrics.json", 0, 2000)
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "metrics.json").write_text(json.dumps({"step": 3, "accuracy": 0.9}, indent=2))
    (tmp_path / "dvc").mkdir()
    (tmp_path / "dvc" / "metrics.json").write_text(json.dumps({"step": 3000, "eval_loss": 0.41}) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert list(monitor.store.runs) == ["output"]  # a whole JSON document named metrics.json is no log, one line or not
    run = monitor.store.runs["output"]
    steps, values = curve_of(run, "validation_loss")
    assert steps == [499, 999, 1499, 1999] and values[2] == 1.0
    write_iterations(output / "metrics.json", 2000, 3000)
    monitor.refresh()
    assert curve_of(run, "validation_loss")[0][-3:] == [1999, 2499, 2999]
    assert curve_of(run, "total_loss")[0][-1] == 2999


def test_check_judges_a_detectron2_run_on_its_losses(tmp_path: Path, capsys):
    write_iterations(tmp_path / "metrics.json", 0, 4000)
    assert main(["check", str(tmp_path), "--json"]) in (0, 1)
    (record,) = json.loads(capsys.readouterr().out)
    assert (record["train_tag"], record["val_tag"], record["best_step"]) == ("total_loss", "validation_loss", 1499)
