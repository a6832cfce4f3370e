"""Several roots in one store: runs named after their root, each root marks only its own runs gone."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import scalar_run

from tui.live.group import MonitorGroup, build_monitor
from tui.live.monitor import Monitor
from tui.sources.roots.parse import parse_root


def two_roots(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "box1" / "runs", tmp_path / "box2" / "exp"
    for folder in (first, second):
        scalar_run(folder / "a", {"loss": [2.0, 1.5, 1.2, 1.0, 0.9, 0.8], "val_loss": [2.1, 1.6, 1.3, 1.1, 1.0, 0.9]})
    scalar_run(second, {"loss": [1.0, 0.9], "val_loss": [1.1, 1.0]})  # the root itself is a run
    return first, second


def test_one_root_keeps_its_names_several_are_named_after_their_root(tmp_path: Path) -> None:
    first, second = two_roots(tmp_path)
    alone = build_monitor([parse_root(str(first))])
    assert isinstance(alone, Monitor)
    alone.refresh()
    assert set(alone.store.runs) == {"a"}
    group = build_monitor([parse_root(str(first)), parse_root(str(second))])
    assert isinstance(group, MonitorGroup)
    new_runs, _, _ = group.refresh()
    assert {new.run for new in new_runs} == {"runs:a", "exp:a", "exp"}
    assert set(group.store.runs) == {"runs:a", "exp:a", "exp"}
    assert group.verdict("exp:a") == group.monitors[1].verdict("exp:a")
    assert group.verdict("runs:a") is not None and group.owner("runs:a") is group.monitors[0]


def test_a_root_marks_only_its_own_runs_gone(tmp_path: Path) -> None:
    first, second = two_roots(tmp_path)
    group = build_monitor([parse_root(str(first)), parse_root(str(second))])
    group.refresh()
    shutil.rmtree(first / "a")
    group.refresh()
    gone = {name for name, run in group.store.runs.items() if run.gone}
    assert gone == {"runs:a"}
    shutil.rmtree(first)
    group.refresh()
    assert {name for name, run in group.store.runs.items() if run.gone} == {"runs:a"}
    assert not group.logdir_missing  # one root of two is missing
