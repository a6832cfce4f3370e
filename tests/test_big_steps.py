"""Steps past 2**53 (up to 2**63 - 1) read exactly from every text log, as TensorBoard's event files give them.

A float64 holds integers exactly only below 2**53: JSON lines, CSV logs and ``trainer_state.json`` read through
one merged neighbouring steps (``export`` lost half the points), kept 2 of 40 points from 2**62, and cast the
last 64-bit steps to -2**63 with a NumPy RuntimeWarning on stderr. A step that is no 64-bit integer (past 64
bits, a fraction) is no step: a JSON object without one is counted as damaged, a CSV row takes its row number.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from logger_runs import curve_of

from tui.live.monitor import Monitor
from tui.sources import logjson
from tui.sources.tensorboard.writer import EventWriter
from tui.sources.wandb import stream as wandb_stream

POINTS = 40
FIRSTS = {"2**53": 2**53, "2**62": 2**62, "last": 2**63 - POINTS}
"""First steps of the runs: from 2**53 a float64 rounds; from 2**63 - 512 it rounds to 2**63, past int64."""
TAGS = {"tb": "val_loss", "jsonl": "val_loss", "lightning": "val_loss", "keras": "val_loss", "hf": "eval_loss"}


def train(i: int) -> float:
    return 2.0 - i * 0.03


def val(i: int) -> float:
    return 2.0 - i * 0.02


def write_logs(folder: Path, steps: list) -> None:
    """The same curves at ``steps`` in every text format losswatch reads, and in an event file where they fit."""
    if all(abs(step) < 2**63 for step in steps):
        writer = EventWriter(str(folder / "tb"))
        for i, step in enumerate(steps):
            writer.add_scalar("train_loss", train(i), step, wall_time=1.0)
            writer.add_scalar("val_loss", val(i), step, wall_time=1.0)
        writer.close()
    (folder / "jsonl").mkdir(parents=True)
    lines = [json.dumps({"step": step, "train_loss": train(i), "val_loss": val(i)}) for i, step in enumerate(steps)]
    (folder / "jsonl" / "log.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "lightning").mkdir(parents=True)
    rows = [f"0,{step},{train(i)!r},{val(i)!r}" for i, step in enumerate(steps)]
    (folder / "lightning" / "metrics.csv").write_text("\n".join(["epoch,step,train_loss,val_loss", *rows]) + "\n")
    (folder / "keras").mkdir(parents=True)
    rows = [f"{step},{train(i)!r},{val(i)!r}" for i, step in enumerate(steps)]
    (folder / "keras" / "history.csv").write_text("\n".join(["epoch,loss,val_loss", *rows]) + "\n")
    history = []
    for i, step in enumerate(steps):  # the Trainer's order: a step's training log, then its evaluation
        history.append({"epoch": i / 10, "loss": train(i), "step": step})
        history.append({"epoch": i / 10, "eval_loss": val(i), "step": step})
    state = {"global_step": steps[-1], "log_history": history, "max_steps": steps[-1]}
    (folder / "hf" / "checkpoint-1").mkdir(parents=True)
    (folder / "hf" / "checkpoint-1" / "trainer_state.json").write_text(json.dumps(state, indent=2, sort_keys=True))


@pytest.mark.parametrize("first", FIRSTS.values(), ids=FIRSTS.keys())
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_steps_up_to_the_last_64_bit_one_are_exact_in_every_format(tmp_path: Path, first: int, compiled, monkeypatch):
    if not compiled:  # trainer_state.json read the general way, as where the kernel is not built
        monkeypatch.setattr(logjson, "compiled_logjson", lambda: None)
    steps = [first + i for i in range(POINTS)]
    write_logs(tmp_path, steps)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert set(monitor.store.runs) == set(TAGS)
    for name, tag in TAGS.items():
        run = monitor.store.runs[name]
        read, values = curve_of(run, tag)
        assert read == steps == curve_of(monitor.store.runs["tb"], "val_loss")[0], name
        assert values == pytest.approx([val(i) for i in range(POINTS)], rel=1e-6), name  # float32 in the event file
        assert not run.damaged and run.restarts == 0, name
        assert monitor.verdict(name).kind == "learning", name


def test_a_json_step_that_is_no_64_bit_integer_is_a_damaged_record(tmp_path: Path):
    """Past 64 bits, 1e30 or a fraction: no step. The run was 'waiting' with nothing said; its lines count as
    damaged, as MLflow's and trackio's rows do, and the lines with a step are read."""
    bad = {"past": [2**64 + i for i in range(POINTS)], "1e30": [1e30] * POINTS, "half": [i + 0.5 for i in range(5)]}
    for name, steps in bad.items():
        (tmp_path / name).mkdir()
        lines = [json.dumps({"step": step, "loss": 1.0}) for step in steps]
        (tmp_path / name / "log.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "some").mkdir()
    some = [2**63 - 1 - POINTS + i if i % 4 else 2**63 + i for i in range(POINTS)]
    lines = [json.dumps({"step": step, "loss": float(i)}) for i, step in enumerate(some)]
    (tmp_path / "some" / "log.jsonl").write_text("\n".join(lines) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    for name, steps in bad.items():
        run = monitor.store.runs[name]
        assert not run.has_points and run.skipped_records == len(steps), name
        assert run.damage_note() == (
            f"skipped {len(steps)} damaged record(s); no data could be read: not a log losswatch reads, "
            "or damaged throughout"
        )
    run = monitor.store.runs["some"]
    assert curve_of(run, "loss") == ([s for s in some if s < 2**63], [float(i) for i in range(POINTS) if i % 4])
    assert run.skipped_records == POINTS // 4


def test_trainer_state_entries_without_a_64_bit_step_are_noted(tmp_path: Path):
    steps = [2**63 + i if i >= 30 else 2**62 + i for i in range(POINTS)]
    write_logs(tmp_path, steps)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    run = monitor.store.runs["hf"]
    assert curve_of(run, "eval_loss")[0] == steps[:30]
    assert run.damage_note() == "skipped 20 log_history entries without a 64-bit step; everything else was read"


def test_a_csv_step_past_64_bits_or_written_as_a_float_is_read_as_before(tmp_path: Path):
    """A CSV row without a step is skipped and counted as damaged (at its row number it read as a restart);
    ``12.0`` is step 12, and a step written as a float past 2**53 is the float's."""
    rows = {
        "past": ["epoch,step,loss", *(f"0,{2**64 + i},1.0" for i in range(5))],
        "floats": ["epoch,step,loss", *(f"0,{i}.0,1.0" for i in range(5))],
        "big_floats": ["epoch,step,loss", *(f"0,{float(2**60 * (i + 1))!r},1.0" for i in range(5))],
        "mixed": ["epoch,step,loss", *(f"0,{step},1.0" for step in (2**62 + 1, 2**62 + 2, f"{2**62 + 2048}.0"))],
    }
    for name, lines in rows.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.csv").write_text("\n".join(lines) + "\n")
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    steps = {name: curve_of(monitor.store.runs[name], "loss")[0] for name in rows if name != "past"}
    assert "loss" not in monitor.store.runs["past"].scalars and monitor.store.runs["past"].skipped_records == 5
    assert steps["floats"] == [0, 1, 2, 3, 4]
    assert steps["big_floats"] == [2**60 * (i + 1) for i in range(5)]
    assert steps["mixed"] == [2**62 + 1, 2**62 + 2, 2**62 + 2048]  # float64 has 2**62 + 2048, not 2**62 + 1


def test_no_numpy_warning_from_steps_past_2_53_or_64_bits(tmp_path: Path):
    """The last 64-bit steps were cast from float64 with 'RuntimeWarning: invalid value encountered in cast' on
    stderr; steps past 64 bits are no steps, without a warning either."""
    write_logs(tmp_path / "steps", [2**63 - POINTS + i for i in range(POINTS)])
    write_logs(tmp_path / "past", [2**64 + i for i in range(POINTS)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        monitor = Monitor(str(tmp_path))
        monitor.refresh()
        verdicts = monitor.verdicts
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []
    assert verdicts["steps/jsonl"].kind == "learning" and not monitor.store.runs["past/jsonl"].has_points


def test_no_numpy_warning_from_values_near_the_float_limit(tmp_path: Path):
    """Values near 1e308 overflow the judging's sums and means (to inf, which it reads as such): 'RuntimeWarning:
    overflow encountered in add' and the like reached stderr, hundreds of lines for ``replay``."""
    lines = [
        json.dumps({"step": i, "train_loss": 1e308 * (1.5 - i * 0.03), "val_loss": 1e308 * (1.7 - i * 0.02)})
        for i in range(POINTS)
    ]
    (tmp_path / "e308").mkdir()
    (tmp_path / "e308" / "log.jsonl").write_text("\n".join(lines) + "\n")
    writer = EventWriter(str(tmp_path / "histograms"))  # edges past float32's range, as TensorBoard keeps them
    for i in range(POINTS):
        writer.add_scalar("train_loss", train(i), i, wall_time=1.0)
        with np.errstate(over="ignore"):  # the writer's sum of squares
            writer.add_histogram("layer/weight", np.array([-1e300, 0.0, 1e300 * (i + 1)]), i, wall_time=1.0)
    writer.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        monitor = Monitor(str(tmp_path))
        monitor.refresh()
        verdict = monitor.verdict("e308")
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []
    assert verdict.kind == "learning" and monitor.store.runs["e308"].scalars["val_loss"].last() is not None
    assert len(monitor.store.runs["histograms"].histograms["layer/weight"]) == POINTS


def test_wandb_history_steps_are_exact_and_one_past_64_bits_is_none():
    """W&B's ``_step`` is JSON text (or a typed integer): read through a float64 it was rounded from 2**53 on,
    and 1e30 raised OverflowError, which took every run down. Such a record takes the record's own step."""
    pb = wandb_stream._records_module()
    if pb is None:
        pytest.skip("W&B's protobuf classes are not installed")
    records = []
    written = [("9007199254740993", None), ("", 2**62 + 1), ("1e30", None), ("2.5", None)]
    for number, (text, typed) in enumerate(written):
        record = pb.Record()
        record.history.step.num = 100 + number
        step = record.history.item.add(key="_step", value_json=text)
        if typed is not None:
            step.integer = typed
        record.history.item.add(key="loss", value_json=str(number))
        records.append(record.SerializeToString())
    steps, _walls, values = wandb_stream.decode_records(pb, records).scalars["loss"]
    assert steps.tolist() == [2**53 + 1, 2**62 + 1, 102, 103] and values.tolist() == [0.0, 1.0, 2.0, 3.0]
