"""A regex that backtracks without end (``(a|aa)+$`` on forty ``a`` and a ``b``: minutes in ``re``, which cannot be
stopped) gives up on that name after a time limit, takes it as not matching, and says so where the pattern was given:
``--sweep`` and ``--train-tag`` on stderr, the live filter on the status line. Names it can match are matched."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli, run_main, scalar_run

from tui.app.app import LossWatchApp
from tui.live.monitor import Monitor
from tui.patterns import compile_pattern, user_pattern

ENDLESS = "(a|aa)+$"
SLOW_NAME = "a" * 40 + "b"


@pytest.fixture(autouse=True)
def _patterns_given_afresh():
    """Tag patterns are compiled once per process (``user_pattern``), and each tag's offers remembered (``_offers``):
    what one test's searches gave up on must not be what the next one says, nor a search it made be skipped."""
    from tui.judging.pairing import _offers

    for cache in (user_pattern, _offers):
        cache.cache_clear()
    yield
    for cache in (user_pattern, _offers):
        cache.cache_clear()


def test_a_search_that_backtracks_without_end_gives_up_and_says_on_what():
    pattern = compile_pattern(ENDLESS)
    assert pattern.search("aaaa") is not None and pattern.gave_up_on is None and pattern.too_slow() is None
    assert pattern.search(SLOW_NAME) is None
    assert pattern.gave_up_on == SLOW_NAME
    assert pattern.search("xyz-b") is None and pattern.gave_up_on == SLOW_NAME  # the first it gave up on is told
    assert f"regex {ENDLESS!r} gave up on {SLOW_NAME!r}" in (pattern.too_slow() or "")
    assert pattern.fullmatch("aaa") is not None


def test_a_name_given_up_on_is_not_searched_again():
    """A hostile tester's find: the live filter searches every name at each refresh, and paid the time limit again
    for each name it had given up on: with a run writing, the view stopped answering its keys for minutes."""
    pattern = compile_pattern(ENDLESS)
    searched: list[str] = []
    compiled = pattern._compiled

    class Counting:
        def search(self, text, timeout):
            searched.append(text)
            return compiled.search(text, timeout=timeout)

        def fullmatch(self, text, timeout):
            searched.append(text)
            return compiled.fullmatch(text, timeout=timeout)

    pattern._compiled = Counting()
    for _ in range(3):
        assert pattern.search(SLOW_NAME) is None and pattern.search("aa") is not None
    assert searched.count(SLOW_NAME) == 1 and searched.count("aa") == 3
    assert pattern.fullmatch(SLOW_NAME) is None and searched.count(SLOW_NAME) == 2  # a whole match is its own search


@pytest.mark.parametrize("text", ["(", "a{99999999999}", "[z-a]"])
def test_patterns_are_refused_as_re_refuses_them(text: str):
    """Refused with ``re``'s reasons (``regex`` words some otherwise, and accepts what ``re`` does not)."""
    import re

    from tui.patterns import PatternError

    with pytest.raises(PatternError):
        compile_pattern(text)
    with pytest.raises((re.error, OverflowError)):
        re.compile(text)
    assert compile_pattern(r"(?P<lr>lr=[\d.]+)").groups == 1


def _runs(root: Path) -> Path:
    for name in ("lr=0.1", "lr=0.01", "aa", SLOW_NAME):
        scalar_run(root / name, {"train/loss": [1.0, 0.8, 0.6], "val/loss": [1.1, 0.9, 0.7]})
    return root


def test_a_sweep_pattern_that_gives_up_says_so_before_what_it_grouped(tmp_path: Path):
    result = run_main("check", str(_runs(tmp_path)), "--sweep", ENDLESS)
    assert f"losswatch: --sweep: regex {ENDLESS!r} gave up on {SLOW_NAME!r}" in result.stderr
    assert "taken as not matching" in result.stderr and "Traceback" not in result.stderr
    assert "groups no runs into a sweep" in result.stderr.split("gave up on", 1)[1]  # "aa" alone is no sweep
    assert result.returncode == 0 and "lr=0.01" in result.stdout  # every run judged


def test_a_tag_pattern_that_gives_up_says_so(tmp_path: Path):
    scalar_run(tmp_path / "run", {SLOW_NAME: [1.0, 0.8, 0.6], "val/loss": [1.1, 0.9, 0.7]})
    result = run_main("check", str(tmp_path), "--train-tag", ENDLESS)
    assert f"losswatch: --train-tag: regex {ENDLESS!r} gave up on {SLOW_NAME!r}" in result.stderr
    assert "matches no tag of 1 run(s)" in result.stderr  # taken as not matching: the run is judged without it


async def test_a_filter_that_gives_up_says_so_on_the_status_line_and_shows_what_it_matched(tmp_path: Path):
    app = LossWatchApp(Monitor(str(_runs(tmp_path))), watch=False)
    async with app.run_test(size=(160, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *ENDLESS, "enter")
        await pilot.pause()
        assert app.table.order == ("aa",)
        status = str(app.query_one("#status").render())
        assert f"filter: regex {ENDLESS!r} gave up on {SLOW_NAME!r}" in status


def test_a_tag_pattern_that_gives_up_in_the_first_reads_workers_is_said_too(tmp_path: Path, forking_allowed):
    """A hostile tester's find: with 8 runs `check` reads them in worker processes, where the searches gave up;
    the parent never heard, and said only that the pattern matched no tag."""
    for number in range(12):
        scalar_run(tmp_path / f"run{number}", {SLOW_NAME: [1.0, 0.8, 0.6], "val/loss": [1.1, 0.9, 0.7]})
    result = run_main("check", str(tmp_path), "--train-tag", ENDLESS)
    assert f"losswatch: --train-tag: regex {ENDLESS!r} gave up on {SLOW_NAME!r}" in result.stderr
    assert "matches no tag of 12 run(s)" in result.stderr


def test_watch_plain_says_a_give_up_on_a_run_that_came_after_its_first_round(tmp_path: Path):
    """A hostile tester's find: said after the first round only, a give-up on a run made later was never told."""
    import signal

    from children import spawn

    scalar_run(tmp_path / "lr=0.1", {"train/loss": [1.0, 0.8], "val/loss": [1.1, 0.9]})
    with spawn("watch", str(tmp_path), "--plain", "--sweep", ENDLESS, "--poll", "0.2") as child:
        child.wait_for(lambda c: "groups no runs" in c.errors(), 30, "the first round's notes")
        assert "gave up" not in child.errors()
        scalar_run(tmp_path / SLOW_NAME, {"train/loss": [1.0, 0.8], "val/loss": [1.1, 0.9]})
        child.wait_for(lambda c: "gave up on" in c.errors(), 30, "the give-up")
        child.stop(signal.SIGINT)
    said = [line for line in child.errors().splitlines() if "gave up" in line]
    assert said == [
        f"losswatch: --sweep: regex {ENDLESS!r} gave up on {SLOW_NAME!r} after 0.05 s (endless "
        "backtracking: a nested repeat like (a+)+); taken as not matching"
    ]


async def test_the_live_view_says_a_tag_pattern_that_gave_up_on_its_status_line(tmp_path: Path):
    """The review: the full-screen watch said a give-up of the filter only; one of --train-tag was never told."""
    scalar_run(tmp_path / "run", {SLOW_NAME: [1.0, 0.8, 0.6], "val/loss": [1.1, 0.9, 0.7]})
    app = LossWatchApp(Monitor(str(tmp_path), train_pattern=ENDLESS), watch=False)
    async with app.run_test(size=(200, 24)) as pilot:
        await pilot.pause()
        status = str(app.query_one("#status").render())
        assert f"--train-tag: regex {ENDLESS!r} gave up on {SLOW_NAME!r}" in status


@pytest.mark.parametrize("option", ["--sweep", "--val-tag"])
def test_a_posix_class_the_readme_offers_prints_no_python_warning(tmp_path: Path, option: str):
    """``[[:digit:]]`` (the ``regex`` module reads it as a class) printed re's FutureWarning and its source line on
    stderr, into a ``2>&1`` pipe of ``--json``."""
    scalar_run(tmp_path / "lr-1", {"train_loss": [1.0, 0.5, 0.4], "val_loss9": [1.0, 0.6, 0.5]})
    scalar_run(tmp_path / "lr-2", {"train_loss": [1.0, 0.5, 0.4], "val_loss9": [1.0, 0.6, 0.5]})
    pattern = "lr-([[:digit:]])" if option == "--sweep" else "val_loss[[:digit:]]"
    result = run_cli("check", str(tmp_path), option, pattern)  # its own process: warnings reach its stderr
    assert result.returncode in (0, 1), result.stderr
    assert "Warning" not in result.stderr and "patterns.py" not in result.stderr
