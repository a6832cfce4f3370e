"""Bad options and arguments: one line on stderr and exit 2, before anything is read, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from children import spawn
from conftest import DATA, run_cli, run_main


@pytest.mark.parametrize("command", [["check"], ["replay"], ["watch", "--plain"]])
def test_the_same_pattern_for_train_and_val_is_one_line_and_exit_2(command: list[str]):
    """It paired one curve with itself and judged it as both, without a word."""
    result = run_main(command[0], str(DATA / "torch"), *command[1:], "--train-tag", "loss", "--val-tag", "loss")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "losswatch: --train-tag and --val-tag are both 'loss': one curve would be judged as both" in result.stderr


@pytest.mark.parametrize("command", [["check"], ["replay"], ["watch", "--plain"], ["watch"]])
def test_a_bad_tag_regex_is_one_line_and_exit_2(command: list[str]):
    result = run_cli(command[0], str(DATA / "torch"), *command[1:], "--train-tag", "(unclosed")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line]
    assert line.startswith("losswatch: --train-tag '(unclosed' is not a valid regular expression")


@pytest.mark.parametrize(
    ("pattern", "why"),
    [("a{99999999999}", "the repetition number is too large"), ("(" * 1000 + ")" * 1000, "nested too deeply")],
    ids=["repeat-count", "nesting"],
)
@pytest.mark.parametrize("option", ["--train-tag", "--val-tag", "--sweep"])
def test_a_pattern_re_refuses_otherwise_than_with_re_error_is_one_line_too(option: str, pattern: str, why: str):
    """``re.compile`` raises OverflowError and RecursionError for these, not re.error: they were tracebacks."""
    result = run_cli("check", str(DATA / "torch"), option, pattern)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line]
    assert line.startswith(f"losswatch: {option} ") and line.endswith(f"is not a valid regular expression: {why}")
    assert len(line) < 200  # a pattern of 2,000 characters is shown cut, not whole


@pytest.mark.parametrize("option", ["--train-tag", "--sweep"])
def test_a_bad_pattern_is_quoted_as_typed_its_backslashes_single_and_a_newline_visible(option: str):
    """``repr`` quoted patterns: the ``\\d`` typed showed as ``\\\\d``, which reads as another regex."""
    result = run_cli("check", str(DATA / "torch"), option, "lr=(\\d+\n")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line]
    assert line.startswith(f"losswatch: {option} 'lr=(\\d+\\n' is not a valid regular expression")


@pytest.mark.parametrize("command", [["check"], ["replay"], ["watch", "--plain"], ["watch"]])
def test_an_empty_sweep_pattern_is_one_line_and_exit_2(command: list[str]):
    """``--sweep ''`` fell back to finding the sweeps by name, as if it had not been given."""
    result = run_cli(command[0], str(DATA / "torch"), *command[1:], "--sweep", "")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line]
    assert line.startswith("losswatch: --sweep '' is empty: give a REGEX"), line


@pytest.mark.parametrize("option", ["--train-tag", "--val-tag"])
@pytest.mark.parametrize("command", [["check"], ["watch", "--plain"]])
def test_an_empty_tag_pattern_is_one_line_and_exit_2(command: list[str], option: str):
    """``--val-tag ''`` was dropped without a word: the curves chosen as if it had not been given."""
    result = run_cli(command[0], str(DATA / "torch"), *command[1:], option, "")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line]
    assert line.startswith(f"losswatch: {option} '' is empty: give a REGEX"), line


def test_export_of_an_empty_folder_is_exit_2(tmp_path: Path):
    result = run_main("export", str(tmp_path), "-o", str(tmp_path / "out.csv"))
    assert result.returncode == 2 and "no runs" in result.stderr
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("speed", ["0", "-2", "nan"])
def test_demo_speed_must_be_positive(speed: str):
    result = run_cli("demo", "--plain", "--speed", speed)
    assert (result.returncode == 2 and "positive number" in result.stderr) or "not a number" in result.stderr


def _refused_at_once(*args: str) -> subprocess.CompletedProcess:
    """``losswatch ARGS`` in a child given 30 s (``children.spawn``, in a process group of its own): a watch these
    options do not refuse would run on, so it is ended with its workers and fails the test instead."""
    with spawn(*args, preexec=os.setpgrp) as child:
        try:
            child.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(child.proc.pid, signal.SIGKILL)  # the first read's workers too
            pytest.fail(f"not refused: losswatch {' '.join(args)} ran on")
    return subprocess.CompletedProcess(args, child.proc.returncode, child.text(), child.errors())


@pytest.mark.parametrize("grace", ["-1", "nan", "inf", "soon", "1e300", "601"])
def test_on_alert_grace_must_be_seconds_up_to_ten_minutes(tmp_path: Path, grace: str):
    """1e300 was taken: a stop then waited on a hook's command for ever (the process needed SIGKILL)."""
    result = _refused_at_once("watch", str(tmp_path), "--plain", "--on-alert", "true", "--on-alert-grace", grace)
    assert result.returncode == 2 and "--on-alert-grace" in result.stderr
    said = "is not a number" if grace == "soon" else "is not a number of seconds from 0 to 600 (ten minutes)"
    assert said in result.stderr


@pytest.mark.parametrize("where", [(), ("--plain",)], ids=["tui", "plain"])
def test_on_alert_grace_without_on_alert_is_refused(tmp_path: Path, where: tuple[str, ...]):
    """Given to the live view, or to --plain without --on-alert, it was taken and did nothing."""
    result = _refused_at_once("watch", str(tmp_path), *where, "--on-alert-grace", "3")
    assert result.returncode == 2
    assert "--on-alert-grace: with --on-alert only" in result.stderr


@pytest.mark.parametrize("poll", ["0", "1e-9", "0.05", "nan", "inf", "often", "86401", "1e10"])
def test_poll_must_be_seconds_from_a_tenth_to_a_day(tmp_path: Path, poll: str):
    """--poll 1e-9 kept a core 80 % busy reading nothing new; --poll 1e10 overflowed the watcher thread's timer and
    left a process that looked alive and never read again."""
    result = run_main("watch", str(tmp_path), "--plain", "--poll", poll)
    assert result.returncode == 2 and "--poll" in result.stderr and "Traceback" not in result.stderr
    assert "not a number" in result.stderr


@pytest.mark.parametrize("option", ["--sweep", "--val-tag"])
def test_a_value_starting_with_a_dash_is_said_how_to_write(option: str):
    """argparse took ``-(7)$`` for an option and said only "expected one argument"."""
    result = run_cli("check", str(DATA / "torch"), option, "-(7)$")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].endswith(
        f"argument {option}: expected one argument (a value that starts with '-' is written {option}=VALUE)"
    )
    assert run_cli("check", str(DATA / "torch"), f"{option}=-(7)$").returncode in (0, 1)


def test_a_mistyped_command_is_named():
    result = run_cli("chek", str(DATA))
    assert result.returncode == 2
    assert "unknown command 'chek' (did you mean check?)" in result.stderr
    assert "unrecognized arguments" not in result.stderr


def test_help_lists_exit_codes_and_hook_variables():
    check = run_main("check", "--help").stdout
    assert "exit codes" in check and "130" in check
    assert "needs attention" in check
    watch = run_main("watch", "--help").stdout
    assert "LOSSWATCH_TAG" in " ".join(watch.split())


@pytest.mark.parametrize("command", ["check", "replay", "watch", "export", "demo"])
def test_help_fits_80_columns_and_names_every_format(command: str):
    """The exit codes were printed as written, 104 columns wide; MMEngine and JSON lines were left out."""
    result = run_cli(command, "--help", columns=80)
    assert result.returncode == 0 and max(len(line) for line in result.stdout.splitlines()) <= 80
    if command in ("check", "replay", "watch"):  # export's says "as for check"
        assert "MMEngine, JSON lines)" in " ".join(result.stdout.split())


def _huge_values_run(root: Path) -> Path:
    """Losses near float32's largest value, with noise: every product of a threshold and a noise is near overflow."""
    import numpy as np
    from conftest import scalar_run

    rng = np.random.default_rng(0)
    values = (3e38 * (0.5 + 0.1 * rng.random(60))).tolist()
    scalar_run(root / "r", {"loss": values, "val_loss": values[::-1]})
    return root


def _float_settings() -> list[str]:
    from dataclasses import fields

    from tui.judging.thresholds import PERCENTS, SCALES, Thresholds

    bounded = PERCENTS | SCALES  # refused above their bounds (1e300 among them)
    return [f.name for f in fields(Thresholds) if f.type in (float, "float") and f.name not in bounded]


@pytest.mark.parametrize("setting", _float_settings())
def test_a_huge_accepted_setting_on_huge_losses_prints_no_numpy_warning(tmp_path: Path, setting: str):
    """A hostile tester's find: `--set shift_clip=1e300` on losses near 3e38 printed NumPy's overflow warning and
    the source line behind it, not one line."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:  # as the interpreter shows them to a user, every time
        warnings.simplefilter("always")
        result = run_main("check", str(_huge_values_run(tmp_path)), "--set", f"{setting}=1e300")
    numeric = [f"{w.filename}:{w.lineno}: {w.message}" for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not numeric, numeric
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == f"losswatch: settings from the defaults with --set {setting}=1e300"


def test_a_settings_file_in_a_root_that_is_not_the_first_is_said_not_used(tmp_path: Path):
    """A hostile tester's find: with several roots, the first one's losswatch.toml (or the current folder's) judges
    them all, and one in another root was ignored without a word."""
    from conftest import scalar_run

    for root in ("first", "second"):
        scalar_run(tmp_path / root / "r", {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.9, 0.85]})
    (tmp_path / "second" / "losswatch.toml").write_text("[verdicts]\nrise_z = 7\n")
    result = run_main("check", str(tmp_path / "first"), str(tmp_path / "second"))
    unused = tmp_path / "second" / "losswatch.toml"
    assert f"losswatch: {unused} is not used: every root is judged with the defaults" in result.stderr
    result = run_main("check", str(tmp_path / "second"), str(tmp_path / "first"))
    assert f"losswatch: settings from {unused}" in result.stderr and "is not used" not in result.stderr


def test_a_negative_whole_setting_is_told_its_bounds():
    """``noise_window=-5`` said 'must not be negative', where 0 said its bounds, 5 to 1,000."""
    result = run_main("check", str(DATA / "torch"), "--set", "noise_window=-5")
    assert result.returncode == 2
    assert "setting 'noise_window' must be 5 to 1,000" in result.stderr


def test_a_setting_given_a_boolean_in_the_file_is_told_it_in_toml_spelling(tmp_path: Path):
    (tmp_path / "losswatch.toml").write_text("min_points = true\n")
    result = run_main("check", str(tmp_path))
    assert result.returncode == 2
    assert "setting 'min_points' needs a number, got true" in result.stderr


def test_an_export_named_only_by_its_extension_is_told_to_name_it(tmp_path: Path):
    """``-o .csv`` said 'the file name must end in .csv or .parquet': it does."""
    result = run_main("export", str(DATA / "torch"), "-o", str(tmp_path / ".csv"))
    assert result.returncode == 2
    assert "give the file a name before its extension (runs.csv)" in result.stderr


@pytest.mark.parametrize("name", ["-x", "--json", "check"])
def test_after_a_double_dash_every_word_is_a_folder(tmp_path: Path, name: str):
    """``check -- -x`` said 'the following arguments are required: logdir' (argparse's subcommands lose ``--``),
    and ``--plain -- check`` took the folder for the command."""
    import shutil

    shutil.copytree(DATA / "torch" / "overfit-7", tmp_path / name)
    result = run_cli("check", "--json", "--", name, cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # the overfitting run read
    assert '"verdict": "overfitting"' in result.stdout


@pytest.mark.parametrize("option", ["--versoin", "-V"])
def test_a_mistyped_option_alone_is_named(option: str):
    """It read 'losswatch watch: error: the following arguments are required: logdir'."""
    result = run_main(option)
    assert result.returncode == 2
    assert f"unrecognized arguments: {option}" in result.stderr


@pytest.mark.parametrize("value", ["0", "1.5"])
def test_a_bar_scaled_to_nothing_or_above_itself_is_refused_not_a_traceback(tmp_path: Path, value: str):
    """``memorising_bar=0`` was taken, then divided by: a ZeroDivisionError's traceback and exit 1, which reads as
    'a run needs attention'."""
    result = run_main("check", str(DATA / "torch"), "--set", f"memorising_bar={value}")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "setting 'memorising_bar' scales the bars: more than 0 and at most 1" in result.stderr
    (tmp_path / "losswatch.toml").write_text(f"[verdicts]\nmemorising_bar = {value}\n")
    assert run_main("check", str(tmp_path)).returncode == 2
