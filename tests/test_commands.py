"""`losswatch check`, `replay` and `export` as a user runs them: output, JSON, exit codes."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA, FIXTURE_RUNS, REAL_BYTES, REAL_FILE, SPANS, run_cli, run_main, scalar_run

from tui.cli.main import main


def test_check_lists_every_fixture_run_with_tags_and_verdicts():
    result = run_cli("check", str(DATA), "--json")
    assert result.returncode == 1, result.stderr  # the overfitting and diverging runs need attention
    records = {r["run"]: r for r in json.loads(result.stdout)}
    assert sorted(records) == FIXTURE_RUNS
    expected_tags = {
        "keras/k-healthy": ("train/epoch_loss", "validation/epoch_loss"),
        "keras/k-overfit": ("train/epoch_loss", "validation/epoch_loss"),
        "torch/diverge-7": ("train/loss", "eval/loss"),
        "torch/frozen-7": ("Loss/train", "Loss/val"),
        "torch/noisy-7": ("loss", "val_loss"),
        "torch/overfit-7": ("train_loss", "val_loss"),
    }
    for name, (train, val) in expected_tags.items():
        assert (records[name]["train_tag"], records[name]["val_tag"]) == (train, val), name
    assert records["keras/k-overfit"]["verdict"] == "overfitting"
    assert records["torch/overfit-7"]["verdict"] == "overfitting"
    assert records["torch/diverge-7"]["verdict"] == "diverging"
    assert records["keras/k-healthy"]["verdict"] == "learning"
    assert records["torch/frozen-7"]["verdict"] == "learning"
    assert records["torch/overfit-7"]["best_step"] == 150
    assert records["keras/k-overfit"]["best_step"] == 10
    assert records["keras/k-overfit"]["step"] == 79
    for record in records.values():
        assert set(record) >= {
            "run",
            "step",
            "train_tag",
            "val_tag",
            "train",
            "val",
            "best_val",
            "best_step",
            "verdict",
            "advice",
            "flags",
        }
        assert isinstance(record["flags"], list)
    flags = {flag["name"]: flag["reason"] for flag in records["torch/frozen-7"]["flags"]}
    assert "weights-static:weights/layer0" in flags
    assert "weights/layer0 moved" in flags["weights-static:weights/layer0"]


def test_check_table_on_healthy_run_exits_zero():
    result = run_cli("check", str(DATA / "keras" / "k-healthy"))
    assert result.returncode == 0, result.stderr
    assert "learning" in result.stdout and "keep training" in result.stdout
    assert "settings" not in result.stderr  # the defaults go unsaid
    changed = run_cli("check", str(DATA / "keras" / "k-healthy"), "--set", "rise_z=6")
    assert "losswatch: settings from the defaults with --set rise_z=6" in changed.stderr


def test_check_table_says_why_each_run_needing_attention_got_its_verdict():
    result = run_cli("check", str(DATA / "torch"), columns=300)
    assert result.returncode == 1
    why = {line.split(":", 1)[0]: line for line in result.stdout.splitlines() if ": " in line}
    assert why["overfit-7"].startswith("overfit-7: overfitting: val_loss ")
    assert "since its best level at step" in why["overfit-7"]
    assert why["diverge-7"].startswith("diverge-7: diverging: ")
    assert "noisy-7" not in why  # learning: nothing to explain


def test_missing_folder_is_one_sentence_exit_2(tmp_path: Path):
    result = run_main("check", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stderr.strip().endswith("no such folder")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["check", "replay", "export"])
def test_a_missing_folder_with_a_newline_in_its_name_is_said_on_one_line(tmp_path: Path, command: str):
    """'losswatch: no' then 'such: no such folder': the name was printed as it is (two roots escaped it)."""
    output = ["-o", str(tmp_path / "out.csv")] if command == "export" else []
    result = run_main(command, str(tmp_path / "no\nsuch"), *output)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"losswatch: {tmp_path}/no\\nsuch: no such folder"]


@pytest.mark.parametrize("root", ["ftp://a\nb/x", "ssh://:99\n/x", "s3:///\nx"])
def test_a_root_that_cannot_be_parsed_is_said_on_one_line(root: str):
    result = run_main("check", root)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_missing_folder_beside_others_is_named_and_the_others_are_read(tmp_path: Path):
    """One missing root of several made check, replay and export read nothing (exit 2), against the README's exit 1."""
    result = run_main("check", str(DATA / "keras"), str(tmp_path / "nope"))
    assert result.returncode == 1 and "keras:k-overfit" in result.stdout
    assert f"{tmp_path / 'nope'}: no such folder" in result.stderr
    replayed = run_main("replay", str(tmp_path / "nope"), str(DATA / "keras"))
    assert "k-overfit" in replayed.stdout and "no such folder" in replayed.stderr
    assert replayed.returncode == 1  # what was asked for was not all read: no 'all fine' for a script
    exported = run_main("export", str(DATA / "keras"), str(tmp_path / "nope"), "-o", str(tmp_path / "out.csv"))
    assert exported.returncode == 1 and "no such folder" in exported.stderr
    assert "keras:k-overfit" in (tmp_path / "out.csv").read_text()
    for command in (["replay"], ["export", "-o", str(tmp_path / "all.csv")]):
        assert run_main(command[0], str(DATA / "keras"), *command[1:]).returncode == 0
    assert run_main("check", str(tmp_path / "nope"), str(tmp_path / "nope2")).returncode == 2


def test_an_empty_folder_or_a_file_beside_other_roots_is_named_and_the_others_are_read(tmp_path: Path):
    """An empty root beside others said nothing and exit 0; a file beside them stopped everything with exit 2."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "a-file").write_text("not a log\n")
    healthy = str(DATA / "keras" / "k-healthy")
    for command in ("check", "replay"):
        empty = run_main(command, healthy, str(tmp_path / "empty"))
        assert empty.returncode == 1
        assert f"{tmp_path / 'empty'}: no runs: no training logs found" in empty.stderr
        a_file = run_main(command, healthy, str(tmp_path / "a-file"))
        assert a_file.returncode == 1 and f"{tmp_path / 'a-file'}: not a folder" in a_file.stderr
    assert "k-healthy" in run_main("check", healthy, str(tmp_path / "a-file")).stdout


def test_an_escape_sequence_in_a_folder_named_on_the_command_line_is_shown_not_sent(tmp_path: Path):
    hostile = str(tmp_path / "x\x1b]0;pwn\x07")
    result = run_main("check", hostile)
    assert result.returncode == 2 and "\x1b" not in result.stderr and "\\x1b]0;pwn\\x07" in result.stderr


def test_empty_folder_exit_2(tmp_path: Path):
    result = run_main("check", str(tmp_path))
    assert result.returncode == 2
    assert "no runs" in result.stderr and "Traceback" not in result.stderr


def test_nan_values_give_valid_json_and_diverging(tmp_path: Path):
    scalar_run(tmp_path / "nan", {"loss": [1.0, 0.8, 0.6, float("nan")], "val_loss": [1.0, 0.9, 0.8, float("inf")]})
    result = run_main("check", str(tmp_path), "--json")
    assert result.returncode == 1
    record = json.loads(result.stdout)[0]
    assert record["verdict"] == "diverging"
    assert math.isnan(record["train"]) or math.isinf(record["val"])


def test_config_file_is_used_and_named(tmp_path: Path):
    scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    (tmp_path / "losswatch.toml").write_text("[verdicts]\nmin_points = 2\n")
    result = run_main("check", str(tmp_path))
    assert "losswatch.toml" in result.stderr
    (tmp_path / "losswatch.toml").write_text("[verdicts]\nno_such_knob = 2\n")
    result = run_main("check", str(tmp_path))
    assert result.returncode == 2 and "unknown setting" in result.stderr and "Traceback" not in result.stderr


def test_replay_json_lines(tmp_path: Path):
    result = run_main("replay", str(DATA / "torch"), "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(set(line) == {"run", "step", "kind", "tag", "reason"} for line in lines)
    kinds = {(line["run"], line["kind"]) for line in lines}
    assert ("overfit-7", "overfitting") in kinds
    assert ("diverge-7", "diverging") in kinds
    assert ("frozen-7", "weights-static") in kinds


def test_replay_prints_one_line_per_alert_when_piped():
    result = run_cli("replay", str(DATA / "torch"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    onset = [line for line in lines if "  overfitting  " in line]
    assert len(onset) == 1 and onset[0].startswith("overfit-7  step 310")
    assert onset[0].endswith("train still falling (0.5666 → 0.1908), the bars at 0.8 of themselves while it does")
    assert all("  step " in line for line in lines)  # no line is the wrapped tail of another


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_long_format(tmp_path: Path, suffix: str):
    out = tmp_path / f"points{suffix}"
    assert main(["export", str(DATA), "-o", str(out)]) == 0
    frame = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(frame.columns) == ["run", "tag", "step", "value", "wall_time"]
    keras = frame[(frame.run == "keras/k-overfit") & (frame.tag == "validation/epoch_loss")]
    assert len(keras) == 80  # TF2 tensor scalars included
    torch = frame[(frame.run == "torch/overfit-7") & (frame.tag == "train_batch_loss")]
    assert len(torch) == 1200


def test_export_rejects_unknown_extension(tmp_path: Path, capsys):
    assert main(["export", str(DATA), "-o", str(tmp_path / "x.txt")]) == 2
    assert "must end in .csv or .parquet" in capsys.readouterr().err


def test_bare_logdir_means_watch():
    from tui.cli.main import _normalize

    assert _normalize(["runs/"]) == ["watch", "runs/"]
    assert _normalize(["check", "runs/"]) == ["check", "runs/"]


def test_a_missing_path_before_other_folders_is_watched_not_an_unknown_command():
    """`losswatch /runs/new other/` was 'unknown command'; a word without a slash still gets the hint."""
    from tui.cli.main import _mistyped_command

    assert _mistyped_command(["/no/such/runs", str(DATA)]) is None
    assert _mistyped_command(["chek", str(DATA)]) is not None


def test_options_may_stand_between_the_folders(tmp_path: Path, capsys):
    """`check a --json b` as users type it: both folders read, the option taken (argparse refused `b`)."""
    torch, keras = DATA / "torch", DATA / "keras"
    main(["check", str(torch), "--json", str(keras)])
    roots = {row["run"].split(":")[0] for row in json.loads(capsys.readouterr().out)}
    assert roots == {"torch", "keras"}
    main(["export", str(torch), "-o", str(tmp_path / "points.csv"), str(keras)])
    assert {run.split(":")[0] for run in pd.read_csv(tmp_path / "points.csv")["run"]} == {"torch", "keras"}


def test_damage_is_reported_by_check_table_and_json(tmp_path: Path):
    run = tmp_path / "hurt"
    run.mkdir()
    blob = bytearray(REAL_BYTES)
    blob[SPANS[10][0] + 20] ^= 0xFF
    (run / REAL_FILE.name).write_bytes(bytes(blob))
    result = run_main("check", str(tmp_path), "--json")
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
    record = json.loads(result.stdout)[0]
    assert record["damaged"] is True and record["skipped_records"] == 1
    assert {"name": "damaged", "reason": "skipped 1 damaged record(s); everything else was read"} in record["flags"]
    table = run_main("check", str(tmp_path))
    assert "skipped 1 damaged record" in table.stdout


def test_check_says_when_a_file_ends_in_part_of_a_record(tmp_path: Path):
    run = tmp_path / "cut"
    run.mkdir()
    cut = SPANS[-1][0] + 5  # five bytes into the last record
    (run / REAL_FILE.name).write_bytes(REAL_BYTES[:cut])
    table = run_main("check", str(tmp_path))
    assert "Traceback" not in table.stderr
    assert "cut: 5 byte(s) at the end of its event files are not a whole record" in table.stdout
    assert "damaged" not in table.stdout  # a record still being written is not damage
    result = run_main("check", str(tmp_path), "--json")
    assert json.loads(result.stdout)[0]["incomplete_bytes"] == 5


def test_a_run_with_nothing_whole_yet_beside_a_healthy_one_is_flagged_unreadable_as_its_exit_status_says(
    tmp_path: Path,
):
    """Its table row read 'waiting' with no flag while check exited 1 for it (an event file holding 20 bytes of
    its first record: a job cut short writing it, or still writing it)."""
    (tmp_path / "started").mkdir()
    (tmp_path / "started" / REAL_FILE.name).write_bytes(REAL_BYTES[:20])
    scalar_run(tmp_path / "healthy", {"loss": [1.0, 0.8, 0.6, 0.5, 0.4], "val_loss": [1.1, 0.9, 0.7, 0.6, 0.5]})
    table = run_main("check", str(tmp_path))
    assert table.returncode == 1
    row = next(line for line in table.stdout.splitlines() if line.startswith("started"))
    assert row.split()[-2:] == ["waiting", "unreadable"]
    records = {r["run"]: r for r in json.loads(run_main("check", str(tmp_path), "--json").stdout)}
    assert [flag["name"] for flag in records["started"]["flags"]] == ["unreadable"]
    assert "20 byte(s)" in records["started"]["flags"][0]["reason"]
    assert records["healthy"]["flags"] == []


def test_the_note_on_an_unfinished_end_speaks_of_lines_for_a_log_that_is_not_an_event_file(tmp_path: Path):
    """It called every format's unfinished end 'its event files ... not a whole record' (a JSON-lines log too)."""
    run = tmp_path / "job"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 0, "loss": 1.0}\n{"step": 1, "loss": 0.9}\n{"step": 2, "lo')
    table = run_main("check", str(tmp_path))
    assert "job: 15 byte(s) at the end of its log files are not a whole line or document" in table.stdout
    assert "event files" not in table.stdout


@pytest.mark.parametrize("name", ["metrics.ndjson", "LOG.NDJSON", "train.jsonl"])
def test_a_json_lines_log_is_found_by_either_name_its_curves_read(tmp_path: Path, name: str):
    """``*.jsonl`` and ``*.ndjson`` (any case) are JSON-lines logs; a config line may come before the first step."""
    run = tmp_path / "job"
    run.mkdir()
    lines = [{"lr": 0.1, "model": "mlp"}] + [
        {"step": s, "loss": 1.0 / (s + 1), "val_loss": 1.2 / (s + 1)} for s in range(8)
    ]
    (run / name).write_text("".join(json.dumps(line) + "\n" for line in lines))
    record = json.loads(run_main("check", str(tmp_path), "--json").stdout)[0]
    assert (record["train_tag"], record["val_tag"], record["step"]) == ("loss", "val_loss", 7)
    assert record["val"] == 1.2 / 8


def test_check_says_when_a_file_named_like_an_event_file_holds_nothing_readable(tmp_path: Path):
    run = tmp_path / "junk"
    run.mkdir()
    (run / "events.out.tfevents.1.junk").write_bytes(random.Random(0).randbytes(5000))
    table = run_main("check", str(tmp_path))
    assert "Traceback" not in table.stderr
    assert "no data could be read: not a TensorBoard event file" in table.stdout
    assert "0 damaged" not in table.stdout and "everything else was read" not in table.stdout


def test_nan_and_inf_everywhere_never_crash(tmp_path: Path):
    scalar_run(tmp_path / "r", {"loss": [math.nan, math.inf, -math.inf, 1.0], "val_loss": [math.inf] * 4})
    for args in (
        ["check", str(tmp_path), "--json"],
        ["check", str(tmp_path)],
        ["replay", str(tmp_path), "--json"],
        ["export", str(tmp_path), "-o", str(tmp_path / "x.csv")],
    ):
        result = run_main(*args)
        assert result.returncode in (0, 1), (args, result.stderr)
        assert "Traceback" not in result.stderr
    record = json.loads(run_main("check", str(tmp_path), "--json").stdout)[0]
    assert record["verdict"] == "diverging"


HOSTILE = ["\x1b[31mred\x1b[0m", "[bold]x[/]", "[@click=app.quit]q", "new\nline", "x" * 250]


def test_hostile_names_are_inert_in_check_output(tmp_path: Path):
    for i, name in enumerate(HOSTILE):
        scalar_run(tmp_path / name, {"loss": [1.0, 0.5], f"[red]tag{i}\x1b[2J": [1.0, 0.5]})
    raw = os.fsencode(tmp_path) + b"/bad\xff\xfename"
    os.makedirs(raw)
    scalar_run(Path(os.fsdecode(raw)), {"loss": [1.0]})
    for extra in ([], ["--json"]):
        result = subprocess.run(
            [sys.executable, "-m", "tui", "check", str(tmp_path), *extra], capture_output=True, timeout=120
        )
        out = result.stdout.decode("utf-8")
        assert result.returncode in (0, 1) and b"Traceback" not in result.stderr
        assert "\x1b" not in out  # no escape sequence reaches the terminal
    table = run_main("check", str(tmp_path)).stdout
    assert "\\x1b[31m" in table and "bad\\xff\\xfename" in table  # the screen shows them literally
    # JSON, read by programs, carries the real names (JSON quotes them: \u001b), as export does; only bytes
    # that are not UTF-8 are escaped, as on screen.
    records = json.loads(out)  # the --json output, the loop's last
    assert {r["run"] for r in records} == {*HOSTILE, "bad\\xff\\xfename"}


def test_names_that_differ_never_show_alike(tmp_path: Path):
    """A folder with an escape character and one named with the four characters ``\\x1b``, or one name with a
    space at its end, showed as the same row: the table's backslashes were shown as they are, spaces unseen."""
    names = ["a\x1b", "a\\x1b", "trail", "trail ", " trail", "no\u00a0break", os.fsdecode(b"no\xa0byte"), "no break"]
    for name in names:
        scalar_run(tmp_path / name, {"loss": [1.0, 0.5]})
    table = run_main("check", str(tmp_path)).stdout.splitlines()
    shown = [line.split()[0] for line in table[1 : len(names) + 1]]
    assert sorted(shown) == sorted(
        ["a\\x1b", "a\\\\x1b", "trail", "trail\\x20", "\\x20trail", "no\\u00a0break", "no\\xa0byte", "no"]
    )
    assert "no break " in "\n".join(table)  # a space between words is a space


def test_json_carries_the_real_run_and_tag_names_and_the_text_lines_show_them_inert(tmp_path: Path):
    """The JSON lines escaped names as the screen does and JSON escaped that again (``\\\\x1b``): a program
    reading them got a name no folder has."""
    name, tag = "\x1b[31mred\nrun", "val_loss\x1b[2J"
    scalar_run(tmp_path / name, {"loss": [1.0, 2.0, 40.0, math.nan], tag: [1.0, 3.0, 90.0, math.inf]})
    lines = run_main("replay", str(tmp_path), "--json").stdout
    assert "\x1b" not in lines
    alerts = [json.loads(line) for line in lines.splitlines()]
    assert alerts and {(a["run"], a["kind"]) for a in alerts} >= {(name, "diverging")}
    text = run_main("replay", str(tmp_path)).stdout
    assert "\x1b" not in text and "\\x1b[31mred\\nrun" in text
    record = json.loads(run_main("check", str(tmp_path), "--json").stdout)[0]
    assert (record["run"], record["val_tag"]) == (name, tag) and record["reason"].startswith(f"{tag} is inf")


def test_a_noise_window_too_wide_to_finish_is_refused_with_its_bound(tmp_path: Path):
    """--set noise_window=3000000 kept check busy for minutes (a row that wide for each judged point)."""
    scalar_run(tmp_path / "r", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    result = run_main("check", str(tmp_path), "--set", "noise_window=3000000")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "setting 'noise_window' must be 5 to 1,000" in result.stderr
    (tmp_path / "losswatch.toml").write_text("[verdicts]\nnoise_window = 5000\n")
    result = run_main("check", str(tmp_path))
    assert result.returncode == 2 and "must be 5 to 1,000" in result.stderr
    (tmp_path / "losswatch.toml").write_text("[verdicts]\nnoise_window = 1000\n")
    assert run_main("check", str(tmp_path)).returncode == 0


@pytest.mark.parametrize("by_run", [True, False])
def test_replay_by_run_prints_each_runs_alerts_as_soon_as_it_is_replayed(monkeypatch, by_run: bool):
    """replay printed nothing until every run was replayed: 540 runs were three minutes of silence."""
    import tui.cli.replays as replays

    replay_run = replays.replay_run
    lines_before: list[int] = []

    def counting(*args, **kwargs):
        lines_before.append(sys.stdout.buffer.getvalue().count(b"\n"))  # run_main's stdout: what was printed
        return replay_run(*args, **kwargs)

    monkeypatch.setattr(replays, "replay_run", counting)  # four runs: replayed in this process
    result = run_main("replay", str(DATA / "torch"), "--json", *(["--by-run"] if by_run else []))
    assert result.returncode == 0 and len(lines_before) == 4 and result.stdout.count("\n") > lines_before[-1]
    assert (lines_before[-1] > 0) == by_run  # merged in step order: nothing before the last run is replayed


def test_replay_of_many_runs_says_its_alerts_come_once_all_are_replayed(tmp_path: Path):
    for k in range(21):
        scalar_run(tmp_path / f"r{k:02}", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    assert "replaying 21 runs a step at a time" in run_main("replay", str(tmp_path)).stderr
    assert "replaying" not in run_main("replay", str(tmp_path), "--by-run").stderr


def test_plain_only_options_without_plain_are_refused_not_ignored(tmp_path: Path):
    """``watch --json`` opened the live view and dropped the option without a word."""
    for option in (["--json"], ["--bell"], ["--on-alert", "true"]):
        result = run_main("watch", str(DATA), *option)
        assert result.returncode == 2 and f"{option[0]}: with --plain only" in result.stderr


def test_a_symbolic_link_to_nothing_is_said_so(tmp_path: Path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    for name in ("loop", "dangling"):
        result = run_main("check", str(tmp_path / name))
        assert result.returncode == 2 and "a symbolic link to nothing" in result.stderr


def test_export_writes_a_nan_loss_as_nan_not_as_an_empty_cell(tmp_path: Path):
    """A NaN loss is the point a run blew up at: an empty cell read as a point never logged."""
    scalar_run(tmp_path / "run", {"loss": [1.0, math.nan, math.inf]})
    assert run_main("export", str(tmp_path / "run"), "-o", str(tmp_path / "out.csv")).returncode == 0
    rows = (tmp_path / "out.csv").read_text().splitlines()
    assert rows[0] == "run,tag,step,value,wall_time"
    assert [row.split(",")[3] for row in rows[1:]] == ["1.0", "NaN", "inf"]
    values = pd.read_csv(tmp_path / "out.csv")["value"].tolist()
    assert values[0] == 1.0 and math.isnan(values[1]) and values[2] == math.inf


def test_watch_refuses_a_file_among_its_roots(tmp_path: Path):
    """A missing folder among watch's roots is waited for; a file never becomes one: refused, as alone."""
    (tmp_path / "a-file").write_text("x\n")
    result = run_main("watch", str(DATA / "keras"), str(tmp_path / "a-file"), "--plain")
    assert result.returncode == 2 and "not a folder" in result.stderr


def test_options_before_the_logdir_mean_watch_too():
    """``losswatch --json runs/`` was argparse's 'invalid choice' for the folder: options may come first."""
    result = run_main("--json", str(DATA))
    assert result.returncode == 2 and "--json: with --plain only" in result.stderr
    assert run_main("--version").returncode == 0
    # A folder named like a command is still a LOGDIR after the options (`losswatch --plain runs demo`):
    named_demo = run_main("--json", str(DATA), "demo")
    assert named_demo.returncode == 2 and "--json: with --plain only" in named_demo.stderr


@pytest.mark.parametrize("command", [["replay"], ["export", "-o", "OUT.csv"]])
def test_replay_and_export_name_a_run_only_cut_bytes_could_not_be_read(tmp_path: Path, command: list[str]):
    """A hostile tester's find: a Trainer run whose every trainer_state.json is cut short (a job killed while
    saving) is named by `check`, but `replay` and `export` exited 1 without a word of it (the README: "the others
    named on stderr")."""
    import shutil

    from logger_runs import FIXTURES

    out = tmp_path / "logs" / "hf"
    shutil.copytree(FIXTURES / "runs" / "hf-out", out, ignore=shutil.ignore_patterns("*.jsonl"))
    for checkpoint in out.glob("checkpoint-*"):
        state = checkpoint / "trainer_state.json"
        state.write_bytes(state.read_bytes()[:200])
    scalar_run(tmp_path / "logs" / "fine", {"loss": [1.0, 0.8, 0.6], "val_loss": [1.1, 0.9, 0.7]})
    args = [arg.replace("OUT", str(tmp_path / "out")) for arg in command]
    result = run_main(args[0], str(tmp_path / "logs"), *args[1:])
    assert result.returncode == 1, result.stderr
    assert "losswatch: hf: no trainer_state.json of it is a whole document" in result.stderr
