"""JSON that parses in no Python reader of it: an integer of more than 4,300 digits (Python refuses to convert it:
``ValueError``, not ``JSONDecodeError``) or a value nested deeper than Python's stack. Each killed ``check``,
``replay``, ``export`` and ``watch --plain`` with a traceback; now the file is damaged like any other that does not
parse, its run listed with the reason, and the runs beside it judged as before."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from conftest import run_main, scalar_run

from tui.live.monitor import Monitor
from tui.sources import jsontext
from tui.store import Run

HUGE = "1" + "0" * 5000
"""An integer of 5,001 digits: valid JSON, past Python's limit for an int's text (``sys.get_int_max_str_digits``)."""


def _good_run(logdir: Path) -> None:
    falling = [2.0 / (1 + i / 10) for i in range(60)]
    scalar_run(logdir / "good", {"train_loss": falling, "val_loss": [v * 1.05 for v in falling]})


def _state_text(last_step: int, huge_at: int | None = None) -> str:
    """A ``trainer_state.json`` as the Trainer writes it (``json.dumps(..., indent=2, sort_keys=True)``), one loss
    replaced by ``HUGE`` (which ``json.dumps`` cannot write: the same limit)."""
    steps = range(10, last_step + 1, 10)
    history = [{"epoch": step / 100, "loss": 2.0 / (1 + step / 10), "step": step} for step in steps]
    text = json.dumps({"global_step": last_step, "log_history": history}, indent=2, sort_keys=True)
    if huge_at is not None:
        loss = json.dumps(history[huge_at]["loss"])
        text = text.replace(f'"loss": {loss}', f'"loss": {HUGE}', 1)
    return text


def test_a_trainer_state_with_an_integer_past_4300_digits_is_damaged_not_a_traceback(tmp_path: Path):
    _good_run(tmp_path)
    state = tmp_path / "hf" / "checkpoint-10" / "trainer_state.json"
    state.parent.mkdir(parents=True)
    state.write_text(_state_text(10, huge_at=0))

    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["hf"]
    assert run.damaged and not run.has_points
    assert len(monitor.store.runs["good"].scalars["val_loss"]) == 60

    result = run_main("check", "--json", str(tmp_path))
    assert result.returncode == 1, result.stderr  # a run with nothing readable needs attention
    assert "Traceback" not in result.stderr
    rows = {row["run"]: row for row in json.loads(result.stdout)}
    assert rows["hf"]["damaged"] and rows["hf"]["skipped_records"] == 1
    assert rows["good"]["flags"] == [] and rows["good"]["verdict"] == "learning"

    out = tmp_path / "out.csv"
    exported = run_main("export", str(tmp_path), "-o", str(out))
    assert exported.returncode == 1 and "Traceback" not in exported.stderr
    assert "hf: " in exported.stderr and out.read_text().count("good,") == 120


def test_an_older_checkpoint_stands_in_for_a_newest_state_with_such_an_integer(tmp_path: Path):
    """The newest checkpoint's state will never parse here: the one before it is read, the newest named damaged."""
    for step in (200, 300):
        state = tmp_path / "hf" / f"checkpoint-{step}" / "trainer_state.json"
        state.parent.mkdir(parents=True)
        state.write_text(_state_text(step, huge_at=5 if step == 300 else None))
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["hf"]
    assert run.scalars["loss"].steps.tolist() == list(range(10, 201, 10))
    assert run.damaged and "an older checkpoint" in run.damage_note()


def _with_fifth_line(tmp_path: Path, fifth: str) -> Run:
    """A JSON-lines log of 30 steps (loss and val_loss) whose fifth line is ``fifth``, read."""
    log = tmp_path / "j" / "log.jsonl"
    log.parent.mkdir()
    lines = [json.dumps({"step": step, "loss": 1 / step, "val_loss": 1.1 / step}) for step in range(1, 31)]
    lines[4] = fifth
    log.write_text("\n".join(lines) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    return monitor.store.runs["j"]


def test_a_json_lines_line_with_such_an_integer_is_one_damaged_line(tmp_path: Path):
    run = _with_fifth_line(tmp_path, f'{{"step": 5, "loss": {HUGE}, "val_loss": 0.22}}')
    assert len(run.scalars["val_loss"]) == 29 and run.skipped_records == 1


def test_cut_short_says_no_to_such_an_integer_and_to_nesting_past_the_stack():
    """``cut_short`` asks Python's parser where a document stops: it raised ValueError for the integer."""
    assert not jsontext.cut_short(f'{{"log_history": [{{"loss": {HUGE}}}]}}'.encode())
    assert not jsontext.cut_short(b"[" * 5000 + b"]" * 5000)
    assert jsontext.cut_short(b'{"log_history": [{"loss": 0.5')


def test_a_line_with_a_byte_that_is_no_utf_8_nested_as_deep_as_orjson_reads_is_salvaged():
    """Its keys are walked to leave out those holding the byte: a call per level overflowed Python's stack."""
    nested = b'{"x": ' * 1000 + b"1" + b"}" * 1000
    kept, dropped = jsontext.salvaged(b'{"step": 3, "caf\xe9": 0.5, "loss": 0.25, "deep": ' + nested + b"}")
    assert dropped == 1 and isinstance(kept, dict)
    assert kept["step"] == 3 and kept["loss"] == 0.25 and list(kept) == ["step", "loss", "deep"]
    depth, inner = 0, kept["deep"]
    while isinstance(inner, dict):
        depth, inner = depth + 1, inner["x"]
    assert depth == 1000 and inner == 1


def _nested(depth: int) -> str:
    return '{"x": ' * depth + "1" + "}" * depth


def test_a_json_lines_log_nested_300_deep_keeps_every_value(tmp_path: Path):
    """Nested objects became ``a/b`` tags by a call per level: 300 levels overflowed Python's stack, and every command
    died with a RecursionError. The walk keeps a stack of its own: the deep value is a point like any other."""
    _good_run(tmp_path)
    log = tmp_path / "deep" / "log.jsonl"
    log.parent.mkdir()
    rows = [
        json.dumps({"step": step, "loss": 2 / (1 + step / 10), "val_loss": 2.1 / (1 + step / 10)}).removesuffix("}")
        + f', "cfg": {_nested(300)}, "after": {step}}}'
        for step in range(60)
    ]
    log.write_text("\n".join(rows) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["deep"]
    deep_tag = "cfg/" + "x/" * 299 + "x"
    assert len(run.scalars["val_loss"]) == len(run.scalars["after"]) == len(run.scalars[deep_tag]) == 60
    assert not run.damaged and not run.errors

    result = run_main("check", "--json", str(tmp_path))
    assert result.returncode == 0, result.stderr  # both learning: nothing needs attention
    rows_read = {row["run"]: row for row in json.loads(result.stdout)}
    assert rows_read["good"]["verdict"] == rows_read["deep"]["verdict"] == "learning"


def test_a_trainer_state_entry_nested_as_deep_as_orjson_reads_keeps_every_value(tmp_path: Path):
    """The same walk for a ``log_history`` entry, nested 1,000 deep (orjson parses up to 1,024 levels)."""
    state = tmp_path / "hf" / "checkpoint-30" / "trainer_state.json"
    state.parent.mkdir(parents=True)
    history = ",".join(f'{{"step": {step}, "loss": {1 / step}, "extra": {_nested(1000)}}}' for step in (10, 20, 30))
    state.write_text(f'{{"global_step": 30, "log_history": [{history}]}}')
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["hf"]
    assert run.scalars["loss"].steps.tolist() == [10, 20, 30]
    assert run.scalars["extra/" + "x/" * 999 + "x"].steps.tolist() == [10, 20, 30]


def test_a_json_line_nested_past_what_orjson_reads_is_one_damaged_line(tmp_path: Path):
    """Past 1,024 levels orjson refuses the line and Python's parser overflows its stack: the line is damaged."""
    run = _with_fifth_line(tmp_path, f'{{"step": 5, "loss": 0.2, "val_loss": 0.22, "cfg": {_nested(1100)}}}')
    assert len(run.scalars["loss"]) == 29 and run.skipped_records == 1


def _deep_yaml(depth: int) -> str:
    return "lr: 0.001\nmodel: " + "[" * depth + "]" * depth + "\n"


def test_configs_nested_past_pythons_stack_leave_out_their_values_not_the_runs(logger_logdir: Path):
    """Configs read beside the points, each written by its real logger, then nested deep: Lightning's
    ``hparams.yaml`` and MLflow's ``meta.yaml`` 3,000 levels (PyYAML calls itself per level: a RecursionError killed
    every command), trackio's config 1,000 levels (orjson parses it; the flattening into dotted names called itself
    per level). The runs are read as before: a YAML file that does not load is left out as a broken one is (no
    hyper-parameters; MLflow's run named by its id), a JSON config's every value is kept."""

    def points(monitor: Monitor) -> list[int]:
        return sorted(sum(len(series) for series in run.scalars.values()) for run in monitor.store.runs.values())

    before = Monitor(str(logger_logdir))
    before.refresh()
    lightning = before.store.runs["lightning_logs/version_0"]
    assert lightning.hparams == {"lr": 0.001, "batch_size": 64}
    verdicts = {
        row["run"]: row["verdict"] for row in json.loads(run_main("check", "--json", str(logger_logdir)).stdout)
    }

    (logger_logdir / "lightning_logs" / "version_0" / "hparams.yaml").write_text(_deep_yaml(3000))
    (run_meta,) = logger_logdir.glob("mlruns/*/*/meta.yaml")
    run_meta.write_text(run_meta.read_text() + "tags: " + "[" * 3000 + "]" * 3000 + "\n")
    database = logger_logdir / "trackio" / "tproj.db"
    with closing(sqlite3.connect(database)) as db, db:
        db.execute("UPDATE configs SET config = ?", (f'{{"lr": 0.03, "model": {_nested(1000)}}}'.encode(),))

    after = Monitor(str(logger_logdir))
    after.refresh()
    runs = after.store.runs
    assert points(after) == points(before)
    assert runs["lightning_logs/version_0"].hparams == {}
    assert runs["trackio/tproj/tr-run"].hparams == {"lr": 0.03, "model" + ".x" * 1000: 1}
    assert not [run.name for run in runs.values() if run.errors or run.damaged]

    result = run_main("check", "--json", str(logger_logdir))
    assert "Traceback" not in result.stderr
    now = {row["run"]: row["verdict"] for row in json.loads(result.stdout)}
    mlflow = [name for name in verdicts if name.startswith("mlruns/")]
    assert sorted(name for name in now if name.startswith("mlruns/")) != mlflow  # named by its id now
    assert {k: v for k, v in now.items() if not k.startswith("mlruns/")} == {
        k: v for k, v in verdicts.items() if not k.startswith("mlruns/")
    }
    assert sorted(v for k, v in now.items() if k.startswith("mlruns/")) == sorted(verdicts[k] for k in mlflow)


def test_flattening_a_config_nested_as_deep_as_orjson_reads_keeps_its_names_in_order():
    from tui.sources.hparams import flattened

    config = jsontext.loads('{"a": 1, "deep": ' + _nested(1000) + ', "b": {"c": [1, 2], "d": null}, "e": "x"}')
    assert list(flattened(config).items()) == [
        ("a", 1),
        ("deep" + ".x" * 1000, 1),
        ("b.c", "[1, 2]"),
        ("b.d", None),
        ("e", "x"),
    ]
    assert flattened({"lr": 0.1}, "config") == {"config.lr": 0.1}
