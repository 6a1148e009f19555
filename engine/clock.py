"""The engine's one source of the current time.

Everything that needs "now" (timers, event timestamps, registration years)
asks a ``Clock``. Production uses ``SystemClock``; tests move time with
time-machine, and audit re-execution will pass a clock that replays recorded
moments.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stays where it is put (used by tools that replay history)."""

    def __init__(self, moment: datetime) -> None:
        self.set(moment)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("clock moments must be timezone-aware")
        self.moment = moment.astimezone(UTC)

    def now(self) -> datetime:
        return self.moment
