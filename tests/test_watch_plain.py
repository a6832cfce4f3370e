"""`losswatch watch --plain`: new runs and alerts as lines, live; --on-alert; Ctrl-C exits 0."""

from __future__ import annotations

import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from children import Child, spawn
from conftest import frame, run_main, scalar_event, scalar_run
from judging_helpers import write_epoch_numbered


def start(*args: str):
    """`losswatch watch ARGS` as a background job (SIGINT ignored at start), killed when the test ends."""
    return spawn("watch", *args)


def read_json_line(child: Child, timeout: float = 20.0) -> dict:
    """The next JSON line the child printed (lines are taken in order)."""
    seen = getattr(child, "lines_read", 0)

    def more(c: Child) -> bool:
        return len([line for line in c.text().splitlines() if line.strip()]) > seen

    child.wait_for(more, timeout, "a JSON line")
    child.lines_read = seen + 1  # type: ignore[attr-defined]
    return json.loads([line for line in child.text().splitlines() if line.strip()][seen])


def test_plain_json_lines_for_new_runs_and_alerts_and_ctrl_c(tmp_path: Path):
    scalar_run(tmp_path / "first", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
    marker = tmp_path / "hook.txt"
    fields = "+'|'+".join(f"os.environ['LOSSWATCH_{name}']" for name in ("RUN", "KIND", "STEP", "REASON"))
    hook = f"{sys.executable} -c \"import os,sys; open(sys.argv[1],'a').write({fields}+chr(10))\" {marker}"
    with start(str(tmp_path), "--plain", "--json", "--bell", "--on-alert", hook) as proc:
        line = read_json_line(proc)
        assert line == {
            "run": "first",
            "step": None,
            "kind": "new-run",
            "tag": "",
            "reason": f"found at {tmp_path / 'first'}",
        }
        # A run whose name would be dangerous in a shell string arrives, then diverges.
        name = "evil; touch pwned $(id)"
        path = scalar_run(tmp_path / name, {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
        line = read_json_line(proc)
        assert line["kind"] == "new-run" and line["run"] == name
        with open(path, "ab") as handle:
            handle.write(frame(scalar_event("loss", 2, math.nan, 1002.0)))
        line = read_json_line(proc)
        assert set(line) == {"run", "step", "kind", "tag", "reason", "history"}
        assert (line["run"], line["kind"], line["step"], line["tag"], line["history"]) == (
            name,
            "diverging",
            2,
            "loss",
            False,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not marker.exists():
            time.sleep(0.05)
        time.sleep(0.3)
        assert marker.read_text().splitlines()[0].startswith(f"{name}|diverging|2|")
        assert not (Path.cwd() / "pwned").exists() and not (tmp_path / "pwned").exists()
        returncode = proc.stop(signal.SIGINT)  # Ctrl-C, though it started with SIGINT ignored
        err = proc.errors()
    assert returncode == 0, err
    assert "Traceback" not in err
    assert "losswatch: settings" not in err  # the defaults go unsaid


def test_plain_text_rings_bell_on_divergence(tmp_path: Path):
    scalar_run(tmp_path / "r", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})
    with start(str(tmp_path), "--plain", "--bell") as proc:
        proc.wait_for_text("\a", 20)
        seen = proc.text()
        returncode = proc.stop(signal.SIGINT)
    assert "diverging" in seen and "\a" in seen
    assert returncode == 0


def test_an_alert_command_that_cannot_start_is_named_and_watching_goes_on(tmp_path: Path):
    """There at the start (a missing one is a usage error, below), deleted before the alert."""
    hook = tmp_path / "hooks" / "on-alert"
    hook.parent.mkdir()
    hook.write_text("#!/bin/sh\nexit 0\n")
    hook.chmod(0o755)
    logdir = tmp_path / "runs"
    logdir.mkdir()
    with start(str(logdir), "--plain", "--poll", "0.2", "--on-alert", f"{hook} --now") as proc:
        proc.wait_for(lambda c: "no runs yet" in c.errors(), 20, "the no-runs line")
        hook.unlink()
        scalar_run(logdir / "r", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})
        proc.wait_for_text("diverging", 20)
        proc.wait_for(lambda c: "--on-alert" in c.errors(), 10, "the message")
        returncode = proc.stop(signal.SIGINT)
        err = proc.errors()
    assert f"losswatch: --on-alert {hook} failed: No such file or directory" in err
    assert returncode == 0 and "Traceback" not in err


def test_an_alert_command_not_there_at_the_start_is_a_usage_error(tmp_path: Path):
    """It was accepted, then said failed once per alert (eight lines on the fixtures)."""
    for command, says in (
        (f"{tmp_path / 'no-such-hook'} --now", f"'{tmp_path / 'no-such-hook'}': no such file, or not one"),
        ("no-such-program-anywhere x", "'no-such-program-anywhere': not found on PATH"),
    ):
        result = run_main("watch", str(tmp_path), "--plain", "--on-alert", command)
        assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr


def test_an_alert_on_a_tag_holding_a_nul_byte_runs_the_command_with_the_name_as_shown(tmp_path: Path):
    """An environment value cannot hold a NUL byte: the tag reaches the command escaped, as the alert line shows it,
    instead of the watcher dying with a traceback."""
    scalar_run(tmp_path / "r", {"loss\0": [1.0, math.nan], "val_loss": [1.0, 1.0]})
    marker = tmp_path / "hook.txt"
    hook = f"{sys.executable} -c \"import os,sys; open(sys.argv[1],'a').write(os.environ['LOSSWATCH_TAG'])\" {marker}"
    with start(str(tmp_path), "--plain", "--on-alert", hook) as proc:
        proc.wait_for_text("diverging", 20)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (marker.exists() and marker.read_text()):
            time.sleep(0.05)
        returncode = proc.stop(signal.SIGINT)
        err = proc.errors()
    assert marker.read_text() == "loss\\x00"
    assert returncode == 0 and "Traceback" not in err


def test_alert_command_values_are_passed_as_they_are_unless_no_environment_can_hold_them():
    """Only what cannot be passed is escaped: an emoji joined by a zero-width joiner and an undecodable byte of a
    folder name (a surrogate escape) reach the command as they are, a NUL byte as the alert line shows it."""
    from tui.cli.hooks import _passable

    assert _passable("run-👩\u200d🔬") == "run-👩\u200d🔬"
    assert _passable("caf\udce9") == "caf\udce9" and os.fsencode("caf\udce9") == b"caf\xe9"
    assert _passable("loss\0") == "loss\\x00"
    assert _passable("lone \ud800") == "lone \\ud800"


def test_watch_a_file_instead_of_a_folder_is_a_clear_error(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "tui", "watch", str(tmp_path / "notes.txt"), "--plain"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "not a folder" in result.stderr and "Traceback" not in result.stderr


def test_watch_waits_for_a_logdir_not_made_yet_then_for_runs(tmp_path: Path):
    """Started before the job: it says it waits, then that there are no runs yet, then shows the run."""
    logdir = tmp_path / "runs"
    with start(str(logdir), "--plain", "--json", "--poll", "0.2") as proc:
        proc.wait_for(lambda c: f"waiting for {logdir} to appear" in c.errors(), 20, "the waiting line")
        logdir.mkdir()
        scalar_run(logdir / "late", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
        line = read_json_line(proc)
        assert (line["run"], line["kind"]) == ("late", "new-run")
        assert proc.stop(signal.SIGTERM) == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    with start(str(empty), "--plain") as proc:
        proc.wait_for(lambda c: f"no runs yet in {empty}" in c.errors(), 20, "the no-runs line")
        assert proc.stop(signal.SIGHUP) == 0


def test_a_run_with_nothing_readable_is_said_unreadable_once(tmp_path: Path):
    """An event file of random bytes (check: 'no data could be read ... damaged throughout') and a whole
    trainer_state.json that is no trainer state were only 'new run' lines: each is an unreadable line too, in
    check's words, once, though more junk arrives."""
    junk = tmp_path / "junk" / "events.out.tfevents.1.host"
    junk.parent.mkdir()
    junk.write_bytes(random.Random(0).randbytes(100_000))
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "trainer_state.json").write_text('{"log_history": {"a": 1}}')
    with start(str(tmp_path), "--plain", "--json") as proc:
        lines = [read_json_line(proc) for _ in range(4)]
        unreadable = {line["run"]: line for line in lines if line["kind"] == "unreadable"}
        assert set(unreadable) == {"junk", "hf"}
        assert unreadable["junk"]["step"] is None and unreadable["junk"]["reason"].startswith("skipped 99,9")
        assert unreadable["junk"]["reason"].endswith(
            "no data could be read: not a TensorBoard event file, or damaged throughout"
        )
        assert "damaged trainer_state.json (whole, but not a trainer state)" in unreadable["hf"]["reason"]
        with open(junk, "ab") as handle:
            handle.write(random.Random(1).randbytes(50_000))
        scalar_run(tmp_path / "later", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
        assert read_json_line(proc)["run"] == "later"
        time.sleep(1.0)
        assert proc.stop(signal.SIGTERM) == 0
        lines = [json.loads(line) for line in proc.text().splitlines() if line.strip()]
        kinds = [(line["run"], line["kind"]) for line in lines]
    assert kinds.count(("junk", "unreadable")) == 1 and kinds.count(("hf", "unreadable")) == 1
    with start(str(tmp_path), "--plain") as proc:
        proc.wait_for_text("junk  unreadable: skipped", 20)
        assert proc.stop(signal.SIGTERM) == 0


def test_a_deleted_logdir_is_said_and_its_runs_are_gone_not_unreadable(tmp_path: Path):
    """``rm -rf LOGDIR`` under a watch said nothing; made again, every old run was 'unreadable: file vanished'. A
    run back says so (``gone`` read as the last word of it, a QA pass)."""
    import shutil

    logdir = tmp_path / "runs"
    scalar_run(logdir / "a", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})
    with start(str(logdir), "--plain", "--json", "--poll", "0.2") as proc:
        assert read_json_line(proc)["kind"] == "new-run"
        shutil.rmtree(logdir)
        proc.wait_for(lambda c: f"{logdir} is gone: waiting for it to come back" in c.errors(), 20, "the gone line")
        assert read_json_line(proc) | {"reason": ""} == {
            "run": "a",
            "step": None,
            "kind": "gone",
            "tag": "",
            "reason": "",
        }
        logdir.mkdir()
        proc.wait_for(lambda c: f"{logdir} is back: watching it" in c.errors(), 20, "the back line")
        scalar_run(logdir / "a", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.9]})  # the run back, then gone again
        time.sleep(1.5)
        shutil.rmtree(logdir / "a")
        proc.wait_for(lambda c: c.text().count('"gone"') == 2, 20, "the second gone line")
        time.sleep(1.0)
        assert proc.stop(signal.SIGTERM) == 0
        kinds = [json.loads(line)["kind"] for line in proc.text().splitlines() if line.strip()]
    assert kinds == ["new-run", "gone", "back", "gone"]


def test_a_tag_pattern_that_matches_nothing_yet_is_said_as_check_says_it(tmp_path: Path):
    """check and replay said a --train-tag matching no tag; watch --plain judged the runs without it silently."""
    scalar_run(tmp_path / "job", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
    with start(str(tmp_path), "--plain", "--train-tag", "nomatch") as proc:
        proc.wait_for(lambda c: "--train-tag 'nomatch' matches no tag of 1 run(s) yet (job)" in c.errors(), 20)
        assert "judged instead: 'loss'" in proc.errors()  # the loss the rules choose without the option
        assert proc.stop(signal.SIGTERM) == 0


def test_what_an_on_alert_command_prints_goes_to_stderr_not_into_the_json_lines(tmp_path: Path):
    """The command inherited stdout: 'HOOK-OUTPUT' between the JSON lines of ``--plain --json`` (and 160 MB of
    random bytes from a command that printed them), where every line is to be JSON."""
    scalar_run(tmp_path / "r", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})
    hook = f"{sys.executable} -c \"print('HOOK-OUTPUT', flush=True)\""
    with start(str(tmp_path), "--plain", "--json", "--on-alert", hook) as proc:
        proc.wait_for(lambda c: "HOOK-OUTPUT" in c.errors(), 20, "the command's output on stderr")
        out = proc.text()
        returncode = proc.stop(signal.SIGINT)
    assert returncode == 0
    lines = [line for line in out.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON
    assert any(record["kind"] == "diverging" for record in records)
    assert "HOOK-OUTPUT" not in out


def test_on_alert_runs_at_most_four_commands_at_once_and_every_one_in_turn(tmp_path: Path):
    """A first read of 540 runs started 700 commands at once (one per alert of their history)."""
    for k in range(10):
        scalar_run(tmp_path / f"r{k}", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})
    log = tmp_path / "hook.log"
    script = (
        "import os,sys,time; f=open(sys.argv[1],'a'); f.write(f'start {time.monotonic()}\\n'); f.flush(); "
        "time.sleep(0.4); f.write(f'end {time.monotonic()}\\n')"
    )
    with start(str(tmp_path), "--plain", "--on-alert", f'{sys.executable} -c "{script}" {log}') as proc:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not log.exists() or log.read_text().count("end") < 10):
            time.sleep(0.1)
        returncode = proc.stop(signal.SIGINT)
    assert returncode == 0
    events = sorted((float(t), kind) for kind, t in (line.split() for line in log.read_text().splitlines()))
    assert sum(kind == "end" for _, kind in events) == 10  # every alert's command ran
    running = most = 0
    for _, kind in events:
        running += 1 if kind == "start" else -1
        most = max(most, running)
    assert most <= 4


def test_validation_at_epoch_numbers_beside_training_steps_is_said_before_the_bell_it_explains(tmp_path: Path):
    """A stuck net logged by a loop with a writer for each curve, validation at the epoch's number: paired by step it
    rings overfitting; the watch says why first (``epoch-steps``, a flag the table of ``check`` shows too)."""
    write_epoch_numbered(tmp_path / "dead", val_at_epoch=True, two_files=True)
    with start(str(tmp_path), "--plain", "--json") as proc:
        assert read_json_line(proc)["kind"] == "new-run"
        said = read_json_line(proc)
        assert (said["run"], said["kind"]) == ("dead", "epoch-steps")
        assert said["reason"].startswith("val/loss is logged at steps 1–20, and train/loss had reached step 820")
        assert read_json_line(proc)["kind"] == "val-rising"


def test_stopping_the_watch_stops_what_an_alert_command_started(tmp_path: Path):
    """A hook that is a shell script running ``sleep``: the ``sh`` got SIGTERM after the grace, its ``sleep`` lived
    on, holding the watch's stderr (a ``2>&1 | tee log`` ended 27 s after the stop)."""
    scalar_run(tmp_path / "r", {"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})
    pids = tmp_path / "pids"
    hook = tmp_path / "hook.sh"
    hook.write_text(f'#!/bin/sh\nsleep 60 &\necho $! >> "{pids}"\nwait\n')
    hook.chmod(0o755)
    with start(str(tmp_path), "--plain", "--on-alert", str(hook), "--on-alert-grace", "0.5") as proc:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (pids.exists() and pids.read_text().strip()):
            time.sleep(0.1)
        assert proc.stop(signal.SIGTERM) == 0
    sleeper = int(pids.read_text().split()[0])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(sleeper):
        time.sleep(0.1)
    survived = _alive(sleeper)
    if survived:  # the test leaves no process behind, failing or not
        os.kill(sleeper, signal.SIGKILL)
    assert not survived


def _alive(pid: int) -> bool:
    """Running (not a zombie waiting for its parent, init, to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_tag_option_is_said_of_a_run_found_after_the_first_round(tmp_path: Path):
    """``--train-tag``/``--val-tag`` notes were said of the runs of the first round only: a job started later under
    ``--train-tag val_loss`` was judged as training alone without a word (the TUI's status line said it)."""
    scalar_run(tmp_path / "early", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
    with start(str(tmp_path), "--plain", "--poll", "0.2", "--train-tag", "val_loss") as proc:
        proc.wait_for(lambda c: "takes a curve named as validation for training in 1 run(s) (early)" in c.errors(), 20)
        scalar_run(tmp_path / "late", {"loss": [1.0, 0.9], "val_loss": [1.0, 0.95]})
        said = "late: --train-tag 'val_loss' takes 'val_loss', named as validation, for training: judged without a "
        proc.wait_for(lambda c: said + "validation curve" in c.errors(), 20, "the late run's note")
        time.sleep(1.0)  # rounds after it: said once, and not again of the first run
        assert proc.stop(signal.SIGTERM) == 0
        errors = proc.errors()
    assert errors.count("takes 'val_loss'") == 1 and "early: --train-tag" not in errors


def test_a_tag_pattern_is_said_of_a_late_run_once_a_curve_stands_in_not_while_it_may_come(tmp_path: Path):
    """A job started later whose validation is not written yet is not told "--val-tag matches no tag": its curve
    comes at the epoch's end; once it is there under another name, what is judged in its place is said."""
    scalar_run(tmp_path / "early", {"loss": [1.0, 0.9], "valid/loss": [1.0, 0.95]})
    with start(str(tmp_path), "--plain", "--poll", "0.2", "--val-tag", "^valid/") as proc:
        proc.wait_for_text("early  new run", 20)
        scalar_run(tmp_path / "late" / "a", {"loss": [1.0, 0.9, 0.8, 0.7]})
        proc.wait_for_text("late/a  new run", 20)
        time.sleep(1.5)
        assert "late/a: --val-tag" not in proc.errors()  # training alone: its validation may yet come
        scalar_run(tmp_path / "late" / "b", {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
        said = "late/b: --val-tag '^valid/' matches no tag of this run: judged instead: 'val_loss'"
        proc.wait_for(lambda c: said in c.errors(), 20, "the note of the run judged on another curve")
        assert proc.stop(signal.SIGTERM) == 0
