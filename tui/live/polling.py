"""When to poll a root that cannot wake us (object storage, another machine).

Every poll of a remote root is at least one request (S3 bills each LIST), so a root where
nothing has changed for a while is polled less often: after ``IDLE_SECONDS`` of silence the
interval doubles at each quiet poll, up to ``MAX_SECONDS``; the first change brings it back
to the base interval. A job that writes at least every few minutes (TensorFlow and PyTorch
flush every 2 minutes at the latest) therefore keeps the base interval, and its new points
are seen within one interval; a finished or crashed job costs a request a minute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REMOTE_POLL_SECONDS = 5.0
"""The default interval for remote roots (TensorBoard reloads every 5 s too)."""
IDLE_SECONDS = 300.0
"""Silence after which polls slow down."""
MAX_SECONDS = 60.0


@dataclass
class PollSchedule:
    """The interval before the next poll, given whether the last poll found anything new."""

    base: float = REMOTE_POLL_SECONDS
    idle_seconds: float = IDLE_SECONDS
    max_seconds: float = MAX_SECONDS
    interval: float = field(init=False)
    _last_change: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.interval = self.base

    def after_poll(self, changed: bool, now: float) -> float:
        """Note a poll's outcome at ``now`` (monotonic seconds); the seconds to wait before the next one."""
        if changed or self._last_change is None:
            self._last_change = now
            self.interval = self.base
        elif now - self._last_change >= self.idle_seconds:
            self.interval = min(max(self.interval * 2, self.base), max(self.max_seconds, self.base))
        return self.interval
