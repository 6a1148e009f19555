"""Time standards: ISO 8601 durations and the one function that adds them.

Every deadline in the engine is ``calendar.add(start, duration)``. Two
calendars exist: ``engine.working_time.OfficeCalendar`` (the default: office
hours, weekends, national holidays, cuti bersama and closures, as known at the
moment the deadline is computed) and ``WallClockCalendar`` (24-hour days),
which a deployment chooses with ``PTSP_CALENDAR=wall-clock`` or
``Engine(calendar="wall-clock")``.
"""

from __future__ import annotations

import calendar as _cal
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

from .errors import ExpressionError

_DURATION = re.compile(
    r"^P(?!$)"
    r"(?:(?P<years>\d+)Y)?"
    r"(?:(?P<months>\d+)M)?"
    r"(?:(?P<weeks>\d+)W)?"
    r"(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)"
    r"(?:(?P<hours>\d+)H)?"
    r"(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?"
    r")?$"
)

WIB = timezone(timedelta(hours=7), "WIB")
CALENDAR_ENV = "PTSP_CALENDAR"
OFFICE = "office"
WALL_CLOCK = "wall-clock"
CALENDAR_MODES = (OFFICE, WALL_CLOCK)


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration such as ``PT15M`` or ``P1D`` (no negative or mixed forms)."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: float = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        if not isinstance(text, str):
            raise ExpressionError(f"a duration must be text, not {type(text).__name__}")
        m = _DURATION.match(text.strip().upper())
        if m is None:
            raise ExpressionError(f"{text.strip()!r} is not an ISO 8601 duration (examples: PT15M, PT1H, P1D)")
        parts = {k: v for k, v in m.groupdict().items() if v is not None}
        if not parts:
            raise ExpressionError(f"{text.strip()!r} is not an ISO 8601 duration")
        values = {k: (float(v.replace(",", ".")) if k == "seconds" else int(v)) for k, v in parts.items()}
        if "weeks" in values and len(values) > 1:
            raise ExpressionError(f"{text.strip()!r}: weeks cannot be combined with other units")
        return cls(**values)

    @property
    def fixed(self) -> timedelta:
        """The part of the duration with a fixed length (everything but years and months)."""
        return timedelta(weeks=self.weeks, days=self.days, hours=self.hours, minutes=self.minutes, seconds=self.seconds)

    def __str__(self) -> str:
        date = "".join(
            f"{v}{u}" for v, u in ((self.years, "Y"), (self.months, "M"), (self.weeks, "W"), (self.days, "D")) if v
        )
        secs = int(self.seconds) if float(self.seconds).is_integer() else self.seconds
        time = "".join(f"{v}{u}" for v, u in ((self.hours, "H"), (self.minutes, "M"), (secs, "S")) if v)
        return "P" + date + ("T" + time if time else "") if (date or time) else "PT0S"

    def describe(self) -> str:
        """Indonesian wording for people: ``15 menit``, ``1 hari``."""
        units = (
            (self.years, "tahun"),
            (self.months, "bulan"),
            (self.weeks, "minggu"),
            (self.days, "hari"),
            (self.hours, "jam"),
            (self.minutes, "menit"),
            (self.seconds, "detik"),
        )
        words = [f"{int(v) if float(v).is_integer() else v} {u}" for v, u in units if v]
        return " ".join(words) or "0 detik"


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, _cal.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


class Calendar(Protocol):
    """Adds a time standard to a moment; the only place deadlines are computed."""

    name: str

    def add(self, start: datetime, duration: Duration) -> datetime: ...


class WallClockCalendar:
    """Wall-clock time: ``P1D`` is 24 hours later, ``P1M`` the same day next month."""

    name = WALL_CLOCK

    def add(self, start: datetime, duration: Duration) -> datetime:
        if start.tzinfo is None:
            raise ValueError("deadlines are computed from timezone-aware moments only")
        moment = start
        if duration.years or duration.months:
            moment = add_months(moment, duration.years * 12 + duration.months)
        return (moment + duration.fixed).astimezone(UTC)


def deadline(calendar: Calendar, start: datetime, standard: str) -> datetime:
    """The moment a time standard written as ISO 8601 text runs out."""
    return calendar.add(start, Duration.parse(standard))
