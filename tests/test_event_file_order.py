"""A run's event files in the order their jobs wrote them, where the names alone say it only as numbers."""

from __future__ import annotations

from pathlib import Path

from test_purge_step import _attempt

from tui.live.monitor import Monitor
from tui.sources.tensorboard.discovery import file_order_key


def test_numbers_in_the_names_sort_as_numbers():
    names = [
        "events.out.tfevents.1700000000.host.100.0",
        "events.out.tfevents.1700000000.host.99.10",
        "events.out.tfevents.1700000000.host.99.9",
        "events.out.tfevents.1699999999.host.7.0",
    ]
    assert sorted(names, key=file_order_key) == [names[3], names[2], names[1], names[0]]


def test_a_job_restarted_within_the_second_keeps_its_first_attempts_older_steps(tmp_path: Path):
    """Attempt 1 wrote steps 0..99 (pid 99); attempt 2, resumed from step 50 in the same second (pid 100), wrote
    50..149. Read in text order ('100' before '99'), attempt 1's steps read as the restart: 50..149 only, silently."""
    run = tmp_path / "run"
    _attempt(run, "events.out.tfevents.1700000000.host.99.0", range(100), 0.0, 1.7e9)
    _attempt(run, "events.out.tfevents.1700000000.host.100.0", range(50, 150), 1000.0, 1.7e9 + 500)
    monitor = Monitor(str(tmp_path))
    monitor.refresh()
    loss = monitor.store.runs["run"].scalars["loss"]
    assert loss.steps.tolist() == list(range(150))
    assert loss.values[:50].tolist() == [float(step) for step in range(50)]  # the first attempt's
    assert loss.values[50:].tolist() == [1000.0 + step for step in range(50, 150)]  # the resumed job's


def test_digits_of_a_host_name_stay_text_so_hosts_keep_their_order():
    """Two hosts' ranks in one folder, ``host`` and ``host2``: read in TensorBoard's (text) order, rank 0 first."""
    names = ["events.out.tfevents.1000.host2.2.0", "events.out.tfevents.1000.host.1.0"]
    assert sorted(names, key=file_order_key) == sorted(names)
