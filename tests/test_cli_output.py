"""What the headless commands print, as a user meets it: widths, JSON keys, bad input, unreadable runs."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, FIXTURE_RUNS, frame, refused, run_cli, run_main, scalar_event, scalar_run

from tui.app.format import number as table_number
from tui.cli.commands import format_alert
from tui.judging.engine import Alert
from tui.judging.thresholds import ConfigError, load_thresholds

# ---- check at the width it is given --------------------------------------------------------------


def test_check_fits_80_columns_with_at_most_3_lines_per_run():
    result = run_main("check", str(DATA), columns=80)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, "\n".join(lines)
    starts = [next(i for i, line in enumerate(lines) if line.startswith(name)) for name in FIXTURE_RUNS]
    table_end = lines.index("")  # the advice follows the table after a blank line
    for start, end in zip(starts, [*starts[1:], table_end]):
        assert end - start <= 3
    table = "\n".join(lines[:table_end])
    for number in ("0.5425 @ 150", "0.5817 @ 10", "0.005013 @ 4,554", "1,200", "5,520"):  # whole
        assert number in table
    advice = "\n".join(lines[table_end:])
    assert advice.count("stop, or keep the best checkpoint") == 1  # once per verdict, not per run


def test_check_uses_more_columns_when_given_more():
    wide = run_main("check", str(DATA), columns=160).stdout
    narrow = run_main("check", str(DATA), columns=80).stdout
    assert "train" in wide.splitlines()[0] and "train" not in narrow.splitlines()[0]
    assert max(len(line) for line in wide.splitlines()) > 80


def test_check_too_narrow_for_the_flags_column_lists_each_runs_flags_below():
    narrow = run_main("check", str(DATA), columns=60).stdout.splitlines()
    assert "flags" not in narrow[0] and max(len(line) for line in narrow) <= 60
    assert "torch/frozen-7: flags: weights-static" in narrow and "torch/noisy-7: flags: noisy-val" in narrow
    assert "keras/k-healthy: flags:" not in "\n".join(narrow)  # none to list
    wide = run_main("check", str(DATA), columns=80).stdout
    assert "flags" in wide.splitlines()[0] and ": flags:" not in wide  # said once, in the column


# ---- check --json -------------------------------------------------------------------------------------


def test_check_json_gives_raw_and_smoothed_values_and_flags_with_reasons(tmp_path: Path):
    train = [2.0, 1.5, 1.2, 1.0, 0.9, 0.85, 0.8, 0.78]
    val = [2.1, 1.7, 1.4, 1.3, 1.25, 1.5, 1.3, 1.6]
    scalar_run(tmp_path / "r", {"loss": train, "val_loss": val})
    result = run_main("check", str(tmp_path), "--json")
    record = json.loads(result.stdout)[0]
    assert record["train"] == pytest.approx(train[-1], rel=1e-6)  # the last point, as logged
    assert record["val"] == pytest.approx(val[-1], rel=1e-6)
    assert record["best_val"] == pytest.approx(min(val), rel=1e-6)
    # TensorBoard's smoothing at 0.6, worked by hand on the float32 values as logged: an average that starts at 0,
    # last = 0.6 * last + 0.4 * value, shown divided by 1 - 0.6 ** n (its debiasing) -> 1.466815 and 0.858127.
    assert record["val_smoothed"] == pytest.approx(1.4668151608, rel=1e-9)
    assert record["train_smoothed"] == pytest.approx(0.8581265043, rel=1e-9)
    for flag in record["flags"]:
        assert set(flag) == {"name", "reason"} and flag["reason"]


def test_check_json_store_flags_have_reasons(tmp_path: Path):
    run = tmp_path / "junk"
    run.mkdir()
    (run / "events.out.tfevents.1.junk").write_bytes(bytes(range(256)) * 20)
    scalar_run(tmp_path / "ok", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    records = {r["run"]: r for r in json.loads(run_main("check", str(tmp_path), "--json").stdout)}
    (flag,) = records["junk"]["flags"]
    assert flag["name"] == "damaged" and "no data could be read" in flag["reason"]


def test_readme_documents_every_check_json_key():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    keys = set()
    for record in json.loads(run_main("check", str(DATA), "--json").stdout):
        keys |= set(record)
        for layer in record.get("layers", []):
            keys |= {f"layers.{key}" for key in layer}
        for flag in record["flags"]:
            keys |= {f"flags.{key}" for key in flag}
    section = readme.split("### check --json")[1].split("\n#")[0]
    for key in keys:
        assert f"`{key.split('.')[-1]}`" in section, key


# ---- unreadable runs are listed, not dropped --------------------------------------------------------


@pytest.fixture
def half_locked(tmp_path: Path):
    scalar_run(tmp_path / "good", {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.9, 0.8]})
    scalar_run(tmp_path / "locked", {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.9, 0.8]})
    with refused(tmp_path / "locked"):
        yield tmp_path


def test_check_lists_an_unreadable_run_folder(half_locked: Path):
    result = run_cli("check", str(half_locked), refuse=True)
    assert "locked: permission denied" in result.stdout
    assert re.search(r"^locked .*unreadable", result.stdout, re.M)
    assert result.returncode == 1  # not 'all fine'
    records = {r["run"]: r for r in json.loads(run_cli("check", str(half_locked), "--json", refuse=True).stdout)}
    assert records["locked"]["errors"] == ["permission denied"]
    assert {"name": "unreadable", "reason": "permission denied"} in records["locked"]["flags"]


def test_replay_and_export_name_an_unreadable_run_folder(half_locked: Path, tmp_path_factory):
    replay = run_cli("replay", str(half_locked), refuse=True)
    assert replay.returncode == 1 and "locked: permission denied" in replay.stderr  # not all was read
    out = tmp_path_factory.mktemp("out")
    out.chmod(0o777)
    export = run_cli("export", str(half_locked), "-o", str(out / "points.csv"), refuse=True)
    assert export.returncode == 1, export.stderr  # the rest is written; exit 0 took part for all of it
    assert "losswatch: locked: permission denied (not exported)" in export.stderr


def test_a_folder_of_only_unreadable_files_is_not_all_fine(tmp_path: Path):
    run = tmp_path / "junk"
    run.mkdir()
    (run / "events.out.tfevents.1.junk").write_bytes(bytes(range(256)) * 20)
    result = run_main("check", str(tmp_path))
    assert result.returncode == 2 and "nothing could be read" in result.stderr
    assert "Traceback" not in result.stderr
    scalar_run(tmp_path / "good", {"loss": [1.0, 0.5], "val_loss": [1.0, 0.6]})  # beside a readable run: exit 1
    for command in (["check"], ["replay"], ["export", "-o", str(tmp_path / "out.csv")]):
        result = run_main(command[0], str(tmp_path), *command[1:])
        assert result.returncode == 1 and "junk" in result.stdout + result.stderr, (command, result.stderr)


DEEP = "[" * 100_000 + "]" * 100_000
"""JSON nested deeper than Python's stack: orjson refuses it, and the standard parser raised RecursionError."""


@pytest.mark.parametrize(
    "name, text",
    [
        ("trainer_state.json", '{"log_history": ' + DEEP + "}"),
        ("metrics.jsonl", '{"step": 0, "loss": 1.0}\n{"step": 1, "loss": ' + DEEP + '}\n{"step": 2, "loss": 0.5}\n'),
    ],
    ids=["trainer_state", "json-lines"],
)
def test_json_nested_too_deeply_is_damage_not_a_traceback(tmp_path: Path, name: str, text: str):
    run = tmp_path / "run"
    run.mkdir()
    (run / name).write_text(text)
    for command in (["check", "--json"], ["replay"], ["export", "-o", str(tmp_path / "out.csv")]):
        result = run_main(command[0], str(tmp_path), *command[1:])
        assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
        assert result.returncode in (0, 1, 2), result.stderr
    if name.endswith(".jsonl"):  # the lines around the deep one are read
        record = json.loads(run_main("check", "--json", str(tmp_path)).stdout)[0]
        assert record["step"] == 2


# ---- replay -------------------------------------------------------------------------------------------


def test_replay_is_in_step_order_or_by_run():
    merged = [json.loads(line) for line in run_main("replay", str(DATA / "torch"), "--json").stdout.splitlines()]
    steps = [line["step"] for line in merged]
    assert steps == sorted(steps)
    by_run = [
        json.loads(line) for line in run_main("replay", str(DATA / "torch"), "--json", "--by-run").stdout.splitlines()
    ]
    runs = [line["run"] for line in by_run]
    assert runs == sorted(runs)  # grouped
    assert sorted(map(json.dumps, merged)) == sorted(map(json.dumps, by_run))  # the same alerts


def test_plain_reason_does_not_repeat_the_tag():
    alert = Alert("r", 5, "dead-units", "activations/fc1", "activations/fc1: 90% of activations are zero", "")
    assert str(format_alert(alert)) == "r  step 5  dead-units  activations/fc1: 90% of activations are zero"
    other = Alert("r", 5, "overfitting", "val_loss", "val 0.5 → 0.7 (+40%)", "")
    assert str(format_alert(other)) == "r  step 5  overfitting  val_loss: val 0.5 → 0.7 (+40%)"


def test_nan_run_json_stays_valid(tmp_path: Path):
    path = scalar_run(tmp_path / "nan", {"loss": [1.0, 0.8, 0.6], "val_loss": [1.0, 0.9, 0.8]})
    with open(path, "ab") as handle:
        handle.write(frame(scalar_event("loss", 3, math.nan, 1003.0)))
    record = json.loads(run_main("check", str(tmp_path), "--json").stdout)[0]
    assert math.isnan(record["train"])


def test_export_names_an_unreadable_event_file_and_keeps_the_rest(tmp_path: Path):
    locked = scalar_run(tmp_path / "a", {"loss": [1.0, 0.9]})
    scalar_run(tmp_path / "b", {"loss": [1.0, 0.9]})
    out = tmp_path / "points.csv"
    with refused(locked):
        result = run_cli("export", str(tmp_path), "-o", str(out), refuse=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "losswatch: a: permission denied (not exported)" in result.stderr
    assert out.read_text().splitlines()[1:] == ["b,loss,0,1.0,1000.0", "b,loss,1,0.8999999761581421,1001.0"]


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")  # in a process: printed to stderr
def test_a_csv_row_with_bytes_that_are_not_utf8_is_read_without_noise(tmp_path: Path):
    """pyarrow decodes a row with a wrong number of cells as UTF-8 before handing it over, and printed
    "Exception ignored ... UnicodeDecodeError" where it could not."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.csv").write_bytes(b"epoch,step,loss\n0,1,1.0\n1,2,0.5,\xff\n2,3,0.25\n")
    result = run_main("check", "--json", str(tmp_path))
    assert "Exception ignored" not in result.stderr and "Traceback" not in result.stderr
    assert json.loads(result.stdout)[0]["step"] == 3


def test_a_csv_cell_longer_than_the_csv_modules_limit_is_not_a_traceback(tmp_path: Path):
    """The csv module refuses a field over 128 KiB ("field larger than field limit"): check died in its
    worker process with a traceback. The other rows are read; a header that long is no log's header."""
    huge = "9" * 200_000
    run = tmp_path / "logs" / "run"
    run.mkdir(parents=True)
    (run / "metrics.csv").write_text(f"epoch,step,loss\n0,1,1.0\n1,2,0.5,{huge}\n2,3,0.25\n")
    for command in (["check", "--json"], ["replay"], ["export", "-o", str(tmp_path / "out.csv")]):
        result = run_main(command[0], str(tmp_path / "logs"), *command[1:])
        assert "Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr
    assert json.loads(run_main("check", "--json", str(tmp_path / "logs")).stdout)[0]["step"] == 3
    other = tmp_path / "other" / "run"
    other.mkdir(parents=True)
    (other / "metrics.csv").write_text(f"epoch,step,loss,{huge}\n0,1,1.0\n")
    result = run_main("check", str(tmp_path / "other"))
    assert result.returncode == 2 and "no training logs found" in result.stderr


def test_export_of_a_run_named_with_bytes_that_are_not_utf8_writes_them_as_check_shows_them(tmp_path: Path):
    """pandas and pyarrow refused the name ('surrogates not allowed'): export died with a traceback."""
    scalar_run(tmp_path / os.fsdecode(b"\xff\xfebad"), {"loss": [1.0, 0.5], "val_loss": [1.0, 0.6]})
    for name in ("out.csv", "out.parquet"):
        result = run_main("export", str(tmp_path), "-o", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
    with open(tmp_path / "out.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][0] == "\\xff\\xfebad"
    assert "\\xff\\xfebad" in run_main("check", str(tmp_path)).stdout


@pytest.mark.parametrize(
    "toml, says",
    [
        (b"[verdicts]\nmin_points = inf\n", "setting 'min_points' needs a finite number, got inf"),
        (b"[verdicts]\nrise_z = nan\n", "setting 'rise_z' needs a finite number"),
        (b'[verdicts]\nrise_z = "\xff"\n', "cannot read"),
        # a misspelt table read as a setting named so: "unknown setting 'verdict'", its 60 names after it
        (b"[verdict]\nrise_z = 6\n", "unknown table [verdict]: settings go under [verdicts] (or at the top)"),
    ],
    ids=["inf", "nan", "not-utf8", "table"],
)
def test_a_config_file_with_a_value_that_cannot_be_used_is_one_line(tmp_path: Path, toml: bytes, says: str):
    scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    (tmp_path / "losswatch.toml").write_bytes(toml)
    result = run_main("check", str(tmp_path))
    assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr
    assert str(tmp_path / "losswatch.toml") in result.stderr  # which file to mend


@pytest.mark.parametrize(
    "setting, says",
    [
        ("trend_window=99999999999999999999", "setting 'trend_window' must be 3 to 60"),  # was an OverflowError
        ("noise_window=2.5", "setting 'noise_window' needs a whole number, got '2.5'"),
        ("noise_window=0", "setting 'noise_window' must be 5 to 1,000"),
        ("trend_window=0", "setting 'trend_window' must be 3 to 60"),  # was quietly 3
        ("confirm=0", "setting 'confirm' must be 1 to 1,000,000"),
        ("min_points=1e30", "setting 'min_points' must be 1 to 1,000,000"),
        # the README writes shares as percentages (flat_range = 1 %): 1 for 1 % was silently 100 %
        ("gap=15", "setting 'gap' is a share (1 % is 0.01, or write 15%), got '15'"),
        ("rise_range=150%", "setting 'rise_range' is a share, at most 100 %, got '150%'"),
        ("flat_range=1000000", "setting 'flat_range' is a share, at most 1 (100 %), got '1000000'"),  # was: write
        # 1e+06% (refused next)
        ("explode_ratio=0.5", "setting 'explode_ratio' is a multiple, at least 1"),  # made healthy runs diverge
    ],
)
@pytest.mark.parametrize("command", ["check", "replay"])
def test_a_setting_out_of_its_bounds_is_one_line_with_them(tmp_path: Path, setting: str, says: str, command: str):
    scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    result = run_main(command, str(tmp_path), "--set", setting)
    assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr


def test_a_share_may_be_written_as_a_percentage(tmp_path: Path):
    as_percent, _ = load_thresholds(None, ["flat_range=2%", "rise_range= 0.5 %", "acc_learned=200%"])
    assert (as_percent.flat_range, as_percent.rise_range, as_percent.acc_learned) == (0.02, 0.005, 2.0)
    above, _ = load_thresholds(None, ["acc_learned=200%", "noisy_ratio=150%"])  # shares of what may be passed
    assert (above.acc_learned, above.noisy_ratio) == (2.0, 1.5)
    for misread in ("regress=50", "acc_learned=2"):  # 50 for 50 %: 5,000 % made a diverging run learning
        with pytest.raises(ConfigError, match="above 100 % write it with %"):
            load_thresholds(None, [misread])
    (tmp_path / "losswatch.toml").write_text('[verdicts]\ngap = "20%"\nstuck_share = 0.5\n')
    from_file, path = load_thresholds(str(tmp_path))
    assert (from_file.gap, from_file.stuck_share, path) == (0.2, 0.5, str(tmp_path / "losswatch.toml"))


def test_a_whole_number_setting_may_be_written_as_one(tmp_path: Path):
    scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    assert run_main("check", str(tmp_path), "--set", "confirm=3.0", "--set", "trend_window=12").returncode == 0


def test_a_long_run_name_is_shortened_before_a_number_is_left_out(tmp_path: Path):
    scalar_run(tmp_path / ("L" * 250), {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    result = run_cli("check", str(tmp_path), columns=150)
    header, row = result.stdout.splitlines()[:2]
    assert header.split() == ["run", "step", "train", "val", "best", "val", "@", "step", "since", "verdict", "flags"]
    assert row.startswith("L" * 24) and "…" in row and "0.8" in row and len(row) <= 150


def test_an_alert_command_with_an_unclosed_quote_is_a_usage_error(tmp_path: Path):
    result = run_main("watch", str(tmp_path), "--plain", "--on-alert", "echo 'x")
    assert result.returncode == 2 and "--on-alert" in result.stderr and "No closing quotation" in result.stderr


@pytest.mark.parametrize("command", ["check", "replay"])
def test_output_to_a_full_disk_is_one_line(command: str):
    with open("/dev/full", "w") as full:
        done = run_cli(command, str(DATA / "torch"), stdout=full)
    assert done.returncode == 2 and "Traceback" not in done.stderr  # 1 is a run that needs attention
    assert "losswatch: cannot write the output: No space left on device" in done.stderr


@pytest.mark.parametrize("command", [["check"], ["check", "--json"], ["replay"], ["watch", "--plain"]])
def test_a_closed_standard_output_is_one_line_and_exit_2(command: list[str]):
    """A hostile tester's find: `losswatch check --json >&-` was a traceback (the interpreter starts with no
    sys.stdout), the table and `replay` threw their output away and exited 0 or 1."""
    done = subprocess.run(
        [sys.executable, "-m", "tui", command[0], str(DATA / "torch"), *command[1:]],
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(1),  # `>&-`
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == "losswatch: cannot write the output: standard output is closed"


def test_the_example_in_the_help_of_set_is_a_setting(tmp_path: Path):
    example = re.search(r"e\.g\.\s+--set\s+(\S+)", run_main("check", "--help").stdout)
    assert example is not None
    scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    result = run_main("check", str(tmp_path), "--set", example.group(1))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("command", ["check", "replay", "watch --plain"])
def test_output_to_a_closed_pipe_is_no_error(command: str):
    """`losswatch check | head -1`: the reader went away, which is fine: status 0 (rich's own handling of it
    exited with 1, a failure to a shell with pipefail) and nothing on stderr but notes."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = run_cli(*command.split(), str(DATA / "torch"), stdout=write_end)
    finally:
        os.close(write_end)
    assert done.returncode == 0 and "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr


# ---- a --train-tag / --val-tag that picks nothing is said, not silently ignored ------------------------------


def test_a_tag_pattern_that_matches_nothing_is_named_with_the_runs_it_missed_and_what_is_judged_instead():
    """A pattern that picks nothing leaves its slot to the loss the rules choose without it (it left the run
    without that curve: a tag slip turned an overfitting run's verdict into a plateau of its training alone)."""
    missed = run_main("check", str(DATA / "torch"), "--train-tag", "nomatch")
    assert (
        "--train-tag 'nomatch' matches no tag of 4 run(s) (diverge-7, frozen-7, noisy-7, overfit-7): "
        "judged instead: 'Loss/train', 'loss', 'train/loss', …" in missed.stderr
    )
    rows = json.loads(run_main("check", "--json", str(DATA / "torch"), "--train-tag", "nomatch").stdout)
    assert {row["run"]: row["verdict"] for row in rows}["overfit-7"] == "overfitting"
    replayed = run_main("replay", str(DATA / "torch"), "--val-tag", "^val_loss$")
    said = "--val-tag '^val_loss$' matches no tag of 2 run(s) (diverge-7, frozen-7): judged instead: 'Loss/val', "
    assert f"{said}'eval/loss'" in replayed.stderr
    matched = run_main("check", str(DATA / "torch"), "--train-tag", "(?i)train|^loss$")
    assert "matches no tag" not in matched.stderr


def test_two_tag_patterns_that_pick_one_curve_are_said():
    """``--train-tag val_loss --val-tag 'val_loss$'``: one curve judged as both, `learning` on an overfitting run,
    without a word (written alike, the two are refused; a hostile tester's find)."""
    both = run_cli("check", str(DATA / "torch" / "overfit-7"), "--train-tag", "val_loss", "--val-tag", "val_loss$")
    assert "pick the same curve in 1 run(s) (.): one curve is judged as both (no overfitting can show)" in both.stderr
    apart = run_cli("check", str(DATA / "torch" / "overfit-7"), "--train-tag", "train_loss", "--val-tag", "val_loss$")
    assert "pick the same curve" not in apart.stderr


def test_export_quotes_a_run_name_with_a_carriage_return_so_each_point_stays_one_row(tmp_path: Path):
    """Unquoted, ``a\\rb`` split every row of that run in two for any CSV reader (1,800 broken rows)."""
    scalar_run(tmp_path / "a\rb", {"loss": [1.0, 0.5], "val_loss": [1.0, 0.6]})
    assert run_main("export", str(tmp_path), "-o", str(tmp_path / "out.csv")).returncode == 0
    with open(tmp_path / "out.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["run", "tag", "step", "value", "wall_time"]
    assert [row[:3] for row in rows[1:]] == [["a\rb", tag, step] for tag in ("loss", "val_loss") for step in "01"]


def test_runs_named_alike_but_at_the_end_stay_told_apart_when_cut(tmp_path: Path):
    """A sweep's runs differ at the end of their names (``lr=0.001``, ``lr=0.0001``): cut at the end, both read
    ``2024-05-01_12-34-56_model=resnet50,…`` in the table, and the note under it named both."""
    stem = "2024-05-01_12-34-56_model=resnet50,optimizer=adamw,weight_decay=0.01,epochs=90,"
    train, val = [2.0 - 0.05 * i for i in range(40)], [2.0 - 0.04 * i + max(0.0, 0.06 * (i - 20)) for i in range(40)]
    scalar_run(tmp_path / f"{stem}lr=0.001", {"train_loss": train, "val_loss": val})
    scalar_run(tmp_path / f"{stem}lr=0.0001", {"train_loss": train, "val_loss": [2.0 - 0.04 * i for i in range(40)]})
    out = run_main("check", str(tmp_path), columns=100).stdout
    table = out.split("\n\n")[0].splitlines()[1:]
    assert len(table) == 2 and all("…" in row for row in table)
    assert [row.split()[0].endswith(("lr=0.001", "lr=0.0001")) for row in table] == [True, True]
    assert {row.split()[0][-9:] for row in table} == {",lr=0.001", "lr=0.0001"}
    (note,) = [line for line in out.splitlines() if ": overfitting:" in line]
    assert note.split(": overfitting:")[0].endswith("lr=0.001")


def test_runs_named_alike_at_both_ends_are_cut_where_they_differ(tmp_path: Path):
    """A sweep's runs in one folder differ in the middle of their names (the optimizer): cut in the middle, the
    table named each ``sweep-2024-05-01_12-34…s=90,lr=0.001,seed=42`` alike; now a window shows the optimizer."""
    stem, end = "sweep-2024-05-01_12-34-56_model=resnet50", ",weight_decay=0.01,epochs=90,lr=0.001,seed=42"
    train, val = [2.0 - 0.05 * i for i in range(40)], [2.0 - 0.04 * i + max(0.0, 0.06 * (i - 20)) for i in range(40)]
    names = [f"{stem},optimizer={optimizer}{end}" for optimizer in ("adamw", "sgd")]
    for name in names:
        scalar_run(tmp_path / name, {"train_loss": train, "val_loss": val})
    out = run_main("check", str(tmp_path), columns=100).stdout
    table = out.split("\n\n")[0].splitlines()[1:]
    shown = [row.split()[0] for row in table]
    assert len(shown) == 2 and all("…" in name for name in shown)
    assert sorted(name.split("…")[1].split(",")[0] for name in shown) == ["optimizer=adamw", "optimizer=sgd"]
    notes = [line.split(": overfitting:")[0] for line in out.splitlines() if ": overfitting:" in line]
    assert {("adamw" in note, "sgd" in note) for note in notes} == {(True, False), (False, True)}


def test_check_drops_its_columns_in_the_live_views_order_never_the_checkpoint_before_step():
    """At 50 columns check showed step and since but not best val @ step, the checkpoint to keep (the live view
    keeps it longest): a column left out takes the less important ones with it."""
    order = ["run", "verdict", "val", "best val @ step", "step", "since", "train"]  # and the flags, where they fit
    seen = set()
    for width in range(40, 161, 10):
        header = run_cli("check", str(DATA), columns=width).stdout.splitlines()[0]
        best = {"best val @ step"} if "best val @ step" in header else set()
        shown = set(header.replace("best val @ step", "").split()) - {"flags"} | best
        expected = order[: len(shown)]
        assert shown == set(expected), (width, header)
        seen.add(len(shown))
    assert len(seen) >= 4  # the widths went through several layouts


def test_the_live_view_writes_a_non_finite_number_as_check_and_the_reasons_do(tmp_path):
    """The table said NaN where check, the JSON and every reason say nan."""
    scalar_run(tmp_path / "blown", {"loss": [1.0, 0.5, math.nan], "val_loss": [1.0, 0.6, math.inf]})
    assert [table_number(math.nan), table_number(math.inf), table_number(-math.inf)] == ["nan", "inf", "-inf"]
    table = run_main("check", str(tmp_path)).stdout
    assert "nan" in table and "inf" in table and "NaN" not in table


def test_a_tag_option_that_takes_the_other_slots_curve_is_said_on_stderr():
    """A new user's find: ``--train-tag val_loss`` on a real overfitting run took its validation loss for training,
    judged it alone ("learning", exit 0) and said nothing; ``--val-tag loss`` judged a run's training loss as its
    validation. Taken as asked (the user may mean it), and said with the runs it left without the other curve."""
    taken = run_main("check", str(DATA / "torch" / "overfit-7"), "--train-tag", "val_loss")
    assert (
        "--train-tag 'val_loss' takes a curve named as validation for training in 1 run(s) (.): judged without a "
        "validation curve (no overfitting can show)" in taken.stderr
    )
    swapped = run_main("check", str(DATA / "torch"), "--val-tag", "^loss$")
    assert "--val-tag '^loss$' takes a curve named as training for validation in 1 run(s) (noisy-7)" in swapped.stderr
    both = run_main("check", str(DATA / "torch"), "--train-tag", "^loss$", "--val-tag", "^val_loss$")
    assert "takes a curve named as" not in both.stderr  # each slot its own curve
