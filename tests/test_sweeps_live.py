"""Sweeps through the live layer and the commands: replay equals live, check --json, watch --plain, savings."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sweep_fixtures import EPOCHS, lr_sweep, write_run, write_sweep

from tui.cli import commands
from tui.judging.thresholds import Thresholds
from tui.live.monitor import Monitor
from tui.sources.roots.parse import parse_root
from tui.sources.tensorboard.writer import EventWriter


def behind_alerts(alerts) -> set[tuple[str, int, str]]:
    return {(a.run, a.step, a.reason) for a in alerts if a.kind == "behind-peers"}


def test_replay_equals_live_lockstep(tmp_path: Path, capsys):
    """Jobs write a sweep epoch by epoch while the Monitor watches; replay of the finished files says the same."""
    curves = lr_sweep(3)
    root = tmp_path / "sweep"
    writers = {}
    for name in curves:
        (root / name).mkdir(parents=True)
        writers[name] = EventWriter(str(root / name))
    monitor = Monitor(str(tmp_path))
    live = []
    for epoch in range(EPOCHS + 1):
        for name, values in curves.items():
            writers[name].add_scalar("train_loss", float(values[epoch]) * 0.9, epoch, 1000.0 + 60 * epoch)
            writers[name].add_scalar("val_loss", float(values[epoch]), epoch, 1000.0 + 60 * epoch)
            writers[name].flush()
        _, _, alerts = monitor.refresh()
        live += alerts
        for alert in alerts:
            if alert.kind == "behind-peers":
                assert alert.step == epoch  # raised as soon as the point that decides it was written
    for writer in writers.values():
        writer.close()
    assert len(behind_alerts(live)) >= 4

    assert commands.replay(str(tmp_path), Thresholds(), None, None, as_json=True) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    replayed = {(line["run"], line["step"], line["reason"]) for line in lines if line["kind"] == "behind-peers"}
    assert replayed == behind_alerts(live)
    steps = [line["step"] for line in lines if line["run"] == "sweep/lr=0.001"]
    assert steps == sorted(steps)  # each run's alerts in step order, the sweep's among them


def test_runs_counting_batches_and_epochs_are_compared_by_validation_round(tmp_path: Path):
    curves = lr_sweep(0)
    for i, (name, values) in enumerate(curves.items()):
        write_run(tmp_path / "a" / name, values)
        write_run(tmp_path / "b" / name, values, steps_per_epoch=390 if i % 3 == 0 else 1)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert monitor.sweeps.axes == {"a": "step", "b": "round"}
    rounds = {run: int(flag.advice.progress) for run, flag in monitor.sweeps.flags.items()}
    same_units = {run[2:]: epoch for run, epoch in rounds.items() if run.startswith("a/")}
    mixed = {run[2:]: epoch for run, epoch in rounds.items() if run.startswith("b/")}
    assert same_units and same_units == mixed


def _sweep_logdir(tmp_path: Path) -> Path:
    curves = lr_sweep(1)
    write_sweep(tmp_path / "runs" / "lr-sweep", curves)
    write_run(tmp_path / "runs" / "baseline", curves["lr=0.03"])  # not in a sweep
    return tmp_path / "runs"


def test_check_json_has_sweep_hparams_and_behind_peers_in_workers_as_in_one_process(tmp_path, capsys, monkeypatch):
    root = _sweep_logdir(tmp_path)
    outputs = []
    for workers in (2, 1):
        monkeypatch.setattr(commands, "cores", lambda workers=workers: workers)
        commands.check(str(root), Thresholds(), None, None, as_json=True)
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    records = {r["run"]: r for r in outputs[0]}
    assert records["baseline"]["sweep"] is None and records["baseline"]["hparams"] == {}
    crawler = records["lr-sweep/lr=0.001"]
    assert crawler["sweep"] == "lr-sweep" and crawler["hparams"] == {"lr": 0.001}
    flags = {flag["name"]: flag["reason"] for flag in crawler["flags"]}
    assert "peers' median" in flags["behind-peers"]
    best = records["lr-sweep/lr=0.03"]
    assert "behind-peers" not in {flag["name"] for flag in best["flags"]}


def test_sweep_option_groups_runs_the_names_do_not(tmp_path: Path):
    curves = lr_sweep(1)
    for i, values in enumerate(curves.values()):
        write_run(tmp_path / f"trial-{i}", values)  # numbered: no sweep by name
    plain = Monitor(str(tmp_path))
    plain.refresh()
    assert plain.sweeps.sweeps == []
    grouped = Monitor(str(tmp_path), sweep_pattern=r"^trial-")
    grouped.refresh()
    assert [len(s.runs) for s in grouped.sweeps.sweeps] == [len(curves)] and grouped.sweeps.flags


def test_saving_counts_epochs_and_hours_to_the_planned_end(tmp_path: Path):
    curves = lr_sweep(1)
    for name, values in curves.items():
        write_run(tmp_path / "s" / name, values[:30], hparams={"lr": float(name[3:]), "epochs": EPOCHS})
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    saving = monitor.sweeps.saving("s/lr=0.001", monitor.store, monitor.verdicts)
    # 30 validation points written of the 60 planned: 30 to come (one more here, as these runs also validated
    # before training, but never more than there are: a finished run said it saved an epoch)
    assert saving.epochs == EPOCHS - 30
    assert np.isclose(saving.hours, saving.epochs * 60.0 / 3600.0)  # an epoch a minute, at its own pace
    assert "planned epochs = 60" in saving.until
    for name, values in curves.items():  # finished: 60 epochs as Keras logs them (steps 0..59), and with a 61st
        write_run(tmp_path / "done" / name, values[: 61 if name == "lr=0.03" else 60], hparams={"epochs": EPOCHS})
    done = Monitor(str(tmp_path / "done"))
    done.refresh()
    for name in curves:
        finished = done.sweeps.saving(name, done.store, done.verdicts)
        assert (finished.epochs, finished.hours) == (0.0, 0.0), name
    # Without a plan, the furthest run of the sweep is the horizon; with none further, unknown.
    for name, values in curves.items():
        write_run(tmp_path / "t" / name, values[: 40 if name == "lr=0.03" else 30])
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    assert monitor.sweeps.saving("t/lr=0.001", monitor.store, monitor.verdicts).epochs == 10
    assert monitor.sweeps.saving("t/lr=0.03", monitor.store, monitor.verdicts).epochs is None


def test_watch_plain_prints_behind_peers_and_on_alert_gets_it(tmp_path: Path):
    root = _sweep_logdir(tmp_path)
    marker = tmp_path / "hook.txt"
    write_kind = "import os,sys; open(sys.argv[1],'a').write(os.environ['LOSSWATCH_KIND']+chr(10))"
    hook = f'{sys.executable} -c "{write_kind}" {marker}'
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "tui", "watch", str(root), "--plain", "--json", "--on-alert", hook],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline and not any(line.get("kind") == "behind-peers" for line in lines):
            line = proc.stdout.readline()
            if line.strip():
                lines.append(json.loads(line))
        behind = [line for line in lines if line["kind"] == "behind-peers"]
        assert behind and {line["tag"] for line in behind} == {"val_loss"}
        assert all("peers' median" in line["reason"] or "is nan" in line["reason"] for line in behind)
        while time.monotonic() < deadline and (not marker.exists() or "behind-peers" not in marker.read_text()):
            time.sleep(0.05)
        assert "behind-peers" in marker.read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "Traceback" not in err


def test_several_roots_each_keep_their_sweeps(tmp_path: Path, capsys):
    from tui.cli.main import main

    curves = lr_sweep(1)
    for box in ("box1", "box2"):
        write_sweep(tmp_path / box / "lr-sweep", curves)
    assert main(["check", "--json", str(tmp_path / "box1"), str(tmp_path / "box2")]) in (0, 1)
    records = {r["run"]: r for r in json.loads(capsys.readouterr().out)}
    sweeps = {r["sweep"] for r in records.values()}
    assert len(sweeps) == 2 and all(s and s.endswith("lr-sweep") for s in sweeps)
    behind = {name for name, r in records.items() if any(f["name"] == "behind-peers" for f in r["flags"])}
    assert behind and {name.split(":", 1)[1] for name in behind if name.startswith("box1")} == {
        name.split(":", 1)[1] for name in behind if name.startswith("box2")
    }


def test_an_anchored_sweep_pattern_matches_with_one_root_or_several(tmp_path: Path, capsys):
    """Among several roots a run's name carries its root's label (``second:trial-0``): '^trial-' matched nothing
    then, the sweeps found by name were off, and no behind-peers was told, without a word."""
    curves = lr_sweep(1)
    for root in ("first", "second"):
        for i, values in enumerate(curves.values()):
            write_run(tmp_path / root / f"trial-{i}", values)

    def behind(logdirs) -> set[str]:
        commands.check(logdirs, Thresholds(), None, None, True, r"^(trial)-")
        records = json.loads(capsys.readouterr().out)
        return {r["run"] for r in records if "behind-peers" in {flag["name"] for flag in r["flags"]}}

    alone = behind(str(tmp_path / "first"))
    both = behind([parse_root(str(tmp_path / "first")), parse_root(str(tmp_path / "second"))])
    assert alone and both == {f"{root}:{name}" for root in ("first", "second") for name in alone}


def test_a_sweep_pattern_that_groups_no_runs_says_so(tmp_path: Path, capsys):
    write_sweep(tmp_path / "lr-sweep", lr_sweep(1))
    commands.check(str(tmp_path), Thresholds(), None, None, False, r"^nomatch(x)")
    assert "--sweep '^nomatch(x)' groups no runs into a sweep" in capsys.readouterr().err


def test_two_roots_sweeps_of_one_name_are_named_apart(tmp_path: Path, capsys):
    """``--sweep '(sub)/trial-'`` named both roots' sweeps 'sub' (as each root's sweep of the runs at its top was
    '.'): check --json could not tell them apart, though they were judged apart."""
    curves = list(lr_sweep(1).values())
    for root in ("first", "second"):
        for i, values in enumerate(curves):
            write_run(tmp_path / root / "sub" / f"trial-{i}", values)
    roots = [parse_root(str(tmp_path / r)) for r in ("first", "second")]
    commands.check(roots, Thresholds(), None, None, True, r"(sub)/trial-")
    records = json.loads(capsys.readouterr().out)
    assert {(r["run"].split(":")[0], r["sweep"]) for r in records} == {("first", "first:sub"), ("second", "second:sub")}


def test_two_roots_of_one_folder_name_name_their_sweeps_after_the_roots(tmp_path: Path, capsys):
    """Roots labelled 'x/runs' and 'y/runs' (the same folder name): grouping read the label's '/' as a folder of
    the runs, and their top-level sweeps came out 'x/runs:x' and 'y/runs:y' (found by the diff's review)."""
    for root in ("x", "y"):
        write_sweep(tmp_path / root / "runs", lr_sweep(1))
    roots = [parse_root(str(tmp_path / r / "runs")) for r in ("x", "y")]
    commands.check(roots, Thresholds(), None, None, True)
    records = json.loads(capsys.readouterr().out)
    assert all(r["sweep"] == r["run"].rsplit(":", 1)[0] + ":lr=*" for r in records)  # its root's, then its template
    assert len({r["sweep"] for r in records}) == 2
