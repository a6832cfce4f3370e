"""``watch --plain``'s notes of ``--train-tag``/``--val-tag`` for runs read after its first round: said once each, as
the status line says them, followed by what the option picks when the curve it asked for comes, and never said
again of a run the first round's summary named (a reviewer's finds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import scalar_run

from tui.cli.plain_watch import PlainWatch
from tui.live.group import build_monitor
from tui.live.monitor import Monitor
from tui.sources.roots.parse import parse_root


def _round(watch: PlainWatch, monitor) -> None:
    """One round of the watcher and of the follow loop: new runs read and told, then the tag notes."""
    new_runs, _changes, alerts = monitor.refresh()
    watch.say(new_runs, alerts)  # takes the lock
    with watch.lock:
        watch._say_tag_options()


def test_a_note_that_no_longer_holds_is_followed_by_what_the_option_picks(
    tmp_path: Path, capsys: pytest.CaptureFixture
):
    """Lightning logs ``train_loss_step`` from the first batch and ``train_loss_epoch`` at the epoch's end: a run
    found between the two was told "judged instead: 'train_loss_step'" for good, which ``check`` no longer said."""
    scalar_run(tmp_path / "early", {"train_loss_epoch": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    monitor = Monitor(str(tmp_path), train_pattern="^train_loss_epoch$")
    watch = PlainWatch(
        monitor, as_json=True, bell=False, notify=None, hook=None, patterns=("^train_loss_epoch$", None, None)
    )
    watch.first_round(monitor)
    scalar_run(tmp_path / "late", {"train_loss_step": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    _round(watch, monitor)
    said = "late: --train-tag '^train_loss_epoch$' matches no tag of this run: judged instead: 'train_loss_step'"
    assert said in capsys.readouterr().err
    _round(watch, monitor)
    assert "late:" not in capsys.readouterr().err  # said once
    scalar_run(tmp_path / "late", {"train_loss_epoch": [0.7, 0.6]}, start_step=3, wall0=2000.0)  # a second file
    _round(watch, monitor)
    assert "late: --train-tag '^train_loss_epoch$' picks 'train_loss_epoch' now" in capsys.readouterr().err
    assert "early" not in capsys.readouterr().err


def test_a_run_the_first_summary_named_is_not_named_again(tmp_path: Path, capsys: pytest.CaptureFixture):
    """Among several roots the summary waits for the last root's first round and reads every run stored by then;
    one stored but not yet told as new was named by it, then again on a line of its own."""
    for root, run in (("A", "early"), ("B", "other")):
        scalar_run(tmp_path / root / run, {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    group = build_monitor([parse_root(str(tmp_path / "A")), parse_root(str(tmp_path / "B"))], train_pattern="val_loss")
    first, second = group.monitors
    watch = PlainWatch(group, as_json=True, bell=False, notify=None, hook=None, patterns=("val_loss", None, None))
    watch.first_round(first)
    scalar_run(tmp_path / "A" / "late", {"loss": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    new_runs, _changes, alerts = first.refresh()  # stored by A's watcher, not told as new yet
    watch.first_round(second)  # the summary, naming every run stored
    summary = capsys.readouterr().err
    assert "in 3 run(s) (A:early, A:late, B:other)" in summary
    watch.say(new_runs, alerts)
    with watch.lock:
        watch._say_tag_options()
    assert "A:late:" not in capsys.readouterr().err


def test_an_other_slot_note_that_ends_says_no_new_pick(tmp_path: Path, capsys: pytest.CaptureFixture):
    """``--val-tag '^loss$'`` takes a run's ``loss`` for validation, its training slot empty; once ``train_loss``
    comes the note no longer holds, but the option picked ``loss`` all along: "picks 'loss' now" was untrue."""
    scalar_run(tmp_path / "early", {"train_loss": [1.0, 0.9, 0.8], "loss": [1.0, 0.95, 0.9]})
    monitor = Monitor(str(tmp_path), val_pattern="^loss$")
    watch = PlainWatch(monitor, as_json=True, bell=False, notify=None, hook=None, patterns=(None, "^loss$", None))
    watch.first_round(monitor)
    scalar_run(tmp_path / "late", {"loss": [1.0, 0.9, 0.8]})
    _round(watch, monitor)
    assert "late: --val-tag '^loss$' takes 'loss', named as training, for validation" in capsys.readouterr().err
    scalar_run(tmp_path / "late", {"train_loss": [0.9, 0.8, 0.7]}, wall0=2000.0)
    _round(watch, monitor)
    assert "picks" not in capsys.readouterr().err


def test_the_new_pick_is_said_when_the_round_falls_between_a_read_and_its_judgement(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    """The watcher stores a read, then judges it, the store's lock let go between: a round in that gap saw the note
    end with the pick not moved yet, and the next saw the pick moved but no note end: "picks" was never said."""
    scalar_run(tmp_path / "early", {"train_loss_epoch": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    monitor = Monitor(str(tmp_path), train_pattern="^train_loss_epoch$")
    patterns = ("^train_loss_epoch$", None, None)
    watch = PlainWatch(monitor, as_json=True, bell=False, notify=None, hook=None, patterns=patterns)
    watch.first_round(monitor)
    scalar_run(tmp_path / "late", {"train_loss_step": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    _round(watch, monitor)
    assert "judged instead: 'train_loss_step'" in capsys.readouterr().err
    scalar_run(tmp_path / "late", {"train_loss_epoch": [0.7, 0.6]}, start_step=3, wall0=2000.0)
    judge = monitor._judge
    with monkeypatch.context() as held:
        held.setattr(monitor, "_judge", lambda names: [])  # read and stored, not judged yet
        _round(watch, monitor)
    assert "picks" not in capsys.readouterr().err
    judge(["late"])
    with watch.lock:
        watch._say_tag_options()
    assert "late: --train-tag '^train_loss_epoch$' picks 'train_loss_epoch' now" in capsys.readouterr().err


def test_no_new_pick_is_said_of_an_option_that_had_no_note(tmp_path: Path, capsys: pytest.CaptureFixture):
    """With both options, a note of ``--train-tag`` took the tags of both slots as said: ``--val-tag`` then "picked
    'val_loss' now", the curve it had picked all along."""
    scalar_run(tmp_path / "early", {"train_loss_epoch": [1.0, 0.9, 0.8], "val_loss": [1.0, 0.95, 0.9]})
    patterns = ("^train_loss_epoch$", "^val_loss$", None)
    monitor = Monitor(str(tmp_path), train_pattern=patterns[0], val_pattern=patterns[1])
    watch = PlainWatch(monitor, as_json=True, bell=False, notify=None, hook=None, patterns=patterns)
    watch.first_round(monitor)
    scalar_run(tmp_path / "late", {"train_loss_step": [1.0, 0.9, 0.8]})
    _round(watch, monitor)
    assert "judged instead: 'train_loss_step'" in capsys.readouterr().err
    scalar_run(tmp_path / "late", {"train_loss_epoch": [0.7, 0.6], "val_loss": [0.8, 0.7]}, start_step=3, wall0=2000.0)
    _round(watch, monitor)
    said = capsys.readouterr().err
    assert "--train-tag '^train_loss_epoch$' picks 'train_loss_epoch' now" in said
    assert "--val-tag" not in said
