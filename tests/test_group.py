"""Several roots in one store: runs named after their root, each root marks only its own runs gone."""

from __future__ import annotations

import re
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


async def test_the_status_line_says_of_each_root_whether_it_is_there_yet(tmp_path: Path) -> None:
    """A new user's find: the first root missing, the second empty, the status line said "no runs yet in" one
    label cut across both roots ("/runs/n…/runs/empty": a path that is neither), of a folder not there yet."""
    from conftest import until
    from test_app import status_text

    from tui.app.app import LossWatchApp

    missing, empty = tmp_path / "nothere", tmp_path / "empty"
    empty.mkdir()
    group = build_monitor([parse_root(str(missing)), parse_root(str(empty))])
    app = LossWatchApp(group, watch=False, bell=False)
    async with app.run_test(size=(240, 30)) as pilot:
        said = re.compile(r"waiting for \S*nothere to appear; no runs yet in \S*empty\b")
        await until(pilot, lambda: said.search(status_text(app)) is not None, "each root's word")
