"""The poll schedule of remote roots: base interval while anything changes, slower after a long silence."""

from __future__ import annotations

from tui.live.polling import PollSchedule


def test_keeps_the_base_interval_while_changes_come_within_the_idle_time() -> None:
    schedule = PollSchedule(base=5, idle_seconds=300, max_seconds=60)
    now = 0.0
    for poll in range(200):  # a job writing every 2 minutes: 23 quiet polls, then a change
        now += schedule.after_poll(changed=poll % 24 == 0, now=now)
        assert schedule.interval == 5


def test_slows_down_after_the_idle_time_up_to_the_cap_and_snaps_back() -> None:
    schedule = PollSchedule(base=5, idle_seconds=300, max_seconds=60)
    now = 0.0
    schedule.after_poll(changed=True, now=now)
    intervals = []
    while now < 900:
        now += schedule.interval
        intervals.append(schedule.after_poll(changed=False, now=now))
    assert intervals[:59] == [5] * 59  # 300 s of silence at the base interval
    assert intervals[59:64] == [10, 20, 40, 60, 60]
    assert schedule.after_poll(changed=True, now=now) == 5


def test_a_base_above_the_cap_is_kept() -> None:
    schedule = PollSchedule(base=120, idle_seconds=0, max_seconds=60)
    schedule.after_poll(changed=True, now=0)
    assert schedule.after_poll(changed=False, now=500) == 120
