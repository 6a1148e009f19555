"""The engine's one source of the current time.

Everything that needs "now" (timers, event timestamps, registration years)
asks a ``Clock``. Production uses ``SystemClock``; tests move time with
time-machine, and audit re-execution will pass a clock that replays recorded
moments.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


class CommandClock:
    """The engine's clock: one moment for the whole of a command.

    A command reads the time several times (its events' timestamp, each timer
    it arms, the registration year). Were each read to see a later moment, a
    deadline would lie a few milliseconds after "ready + standard", and
    re-executing the recorded history at the event's time would compute a
    different one. ``pinned()`` fixes "now" for the current thread until the
    command ends; outside a command the underlying clock is read.
    """

    def __init__(self, base: Clock | None = None) -> None:
        self.base = base or SystemClock()
        self._local = threading.local()

    def now(self) -> datetime:
        moment = getattr(self._local, "moment", None)
        return moment if moment is not None else self.base.now()

    @contextmanager
    def pinned(self) -> Iterator[datetime]:
        outer = getattr(self._local, "moment", None)
        moment = outer if outer is not None else self.base.now()  # nested commands keep the outer moment
        self._local.moment = moment
        try:
            yield moment
        finally:
            self._local.moment = outer
