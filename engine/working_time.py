"""Working time: office hours, non-working days, and deadlines counted in office time.

The SOP's time standards are office time: ``PT15M`` is fifteen minutes of
opening hours, ``P1D`` one hari kerja. This module is the arithmetic and the
"as known at a moment" rule; it reads no database (``services.office_calendar``
loads the rows and caches them).

Counting (``WorkingTime.add``), in this order:

* years and months are calendar months (``P1M`` from 10 March 10.00 is
  10 April 10.00, WIB), then the moment rolls forward to the next working
  moment if the office is closed then. Counting a month as some number of
  working days would be a guess the SOP does not make;
* weeks and days are working days: ``P1D`` is the same office-time position
  (the time elapsed since opening) on the next working day, or that day's
  closing time when it is shorter; ``P1W`` is five working days. A start
  outside office hours first moves to the next opening;
* hours, minutes and seconds are office time: ``PT15M`` from 15.55 on a
  Monday ends 07.40 on Tuesday.

Every result lies inside office hours (its day's opening to closing time, the
closing moment included), so no deadline falls while the office is closed.

The calendar as known at moment T (``CalendarHistory.as_of``) is made of the
rows created at or before T and not revoked at or before T. The regular
office hours are a row too (a period covering every day); before the first
such row existed there was no office calendar, and deadlines were counted on
the wall clock, as the engine did then, so histories recorded before the
calendar was set up re-execute as they ran.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from .calendar import WIB, Duration, WallClockCalendar, add_months
from .clock import Clock, SystemClock
from .errors import InvalidInput

# An ISO weekday (1 Monday ... 7 Sunday) -> (opening, closing) or None (closed).
WeekHours = Mapping[int, "tuple[time, time] | None"]

DEFAULT_HOURS: dict[int, tuple[time, time] | None] = {
    1: (time(7, 30), time(16, 0)),
    2: (time(7, 30), time(16, 0)),
    3: (time(7, 30), time(16, 0)),
    4: (time(7, 30), time(16, 0)),
    5: (time(7, 30), time(16, 30)),
    6: None,
    7: None,
}
RAMADAN_HOURS: dict[int, tuple[time, time] | None] = {
    1: (time(8, 0), time(15, 0)),
    2: (time(8, 0), time(15, 0)),
    3: (time(8, 0), time(15, 0)),
    4: (time(8, 0), time(15, 0)),
    5: (time(8, 0), time(15, 30)),
    6: None,
    7: None,
}
# The regular office hours are stored as a period that covers every day.
REGULAR_STARTS = date(1, 1, 1)
REGULAR_ENDS = date(9999, 12, 31)
WORKING_DAYS_PER_WEEK = 5
# how far a search for the next working day goes before the calendar is called broken
MAX_SCAN_DAYS = 3660

KIND_HOLIDAY = "holiday"
KIND_CUTI_BERSAMA = "cuti_bersama"
KIND_CLOSURE = "closure"
KINDS = (KIND_HOLIDAY, KIND_CUTI_BERSAMA, KIND_CLOSURE)

# ------------------------------------------------------------------ week hours text
_DAY_NAMES = {
    1: ("mon", "monday", "sen", "senin"),
    2: ("tue", "tuesday", "sel", "selasa"),
    3: ("wed", "wednesday", "rab", "rabu"),
    4: ("thu", "thursday", "kam", "kamis"),
    5: ("fri", "friday", "jum", "jumat", "jum'at"),
    6: ("sat", "saturday", "sab", "sabtu"),
    7: ("sun", "sunday", "min", "minggu", "ahad"),
}
_DAY = {name: number for number, names in _DAY_NAMES.items() for name in names}
SHORT_DAY = {n: names[0].title() for n, names in _DAY_NAMES.items()}
_CLOSED_WORDS = {"closed", "tutup", "libur", "-"}
_CLOCK = re.compile(r"^(\d{1,2})[.:](\d{2})$")
_ENTRY = re.compile(r"^(?P<days>[^\s]+)\s+(?P<hours>.+)$")
WEEK_HOURS_EXAMPLE = "mon-thu 08.00-15.00; fri 08.00-15.30"


def _clock(text: str, part: str) -> time:
    m = _CLOCK.match(text.strip())
    if m is None or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise InvalidInput(f"{part!r}: {text.strip()!r} is not a time of day; write it as 07.30 or 07:30")
    return time(int(m.group(1)), int(m.group(2)))


def _days(text: str, part: str) -> list[int]:
    names = text.lower().split("-")
    if len(names) > 2 or not all(names):
        raise InvalidInput(f"{part!r}: {text!r} is not a day or a range of days such as mon-thu")
    unknown = [n for n in names if n not in _DAY]
    if unknown:
        raise InvalidInput(
            f"{part!r}: {unknown[0]!r} is not a day; use mon, tue, wed, thu, fri, sat, sun (or sen...min)"
        )
    first, last = _DAY[names[0]], _DAY[names[-1]]
    if last < first:
        raise InvalidInput(f"{part!r}: the range {text!r} runs backwards; write the days from Monday on")
    return list(range(first, last + 1))


def parse_week_hours(text: str) -> dict[int, tuple[time, time] | None]:
    """``"mon-thu 08.00-15.00; fri 08.00-15.30"`` -> hours per ISO weekday; days not named are closed.

    Entries are separated by ``;`` or ``,``; a day is an English or Indonesian
    name or its first three letters (``mon``/``sen``), a range is ``mon-thu``;
    hours are ``HH.MM-HH.MM`` (or with ``:``), or ``closed``/``tutup``.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"the office hours are empty; write them like {WEEK_HOURS_EXAMPLE!r}")
    hours: dict[int, tuple[time, time] | None] = dict.fromkeys(range(1, 8))
    named: set[int] = set()
    for part in (p.strip() for p in re.split(r"[;,\n]", text)):
        if not part:
            continue
        m = _ENTRY.match(part)
        if m is None:
            raise InvalidInput(f"{part!r} needs days and hours, like {WEEK_HOURS_EXAMPLE!r}")
        days = _days(m.group("days"), part)
        twice = named.intersection(days)
        if twice:
            raise InvalidInput(f"{part!r}: {SHORT_DAY[min(twice)]} is given hours twice")
        named.update(days)
        value = m.group("hours").strip().lower()
        if value in _CLOSED_WORDS:
            continue
        ends = [v for v in re.split(r"\s*[-\u2013]\s*", value) if v]
        if len(ends) != 2:
            raise InvalidInput(f"{part!r}: write the hours as opening-closing, like 08.00-15.00")
        opens, closes = _clock(ends[0], part), _clock(ends[1], part)
        if closes <= opens:
            raise InvalidInput(f"{part!r}: the office closes before it opens")
        for day in days:
            hours[day] = (opens, closes)
    if not any(hours.values()):
        raise InvalidInput("the office would never be open: give at least one day hours")
    return hours


def hours_to_json(hours: WeekHours) -> dict[str, list[str] | None]:
    """The stored form: ``{"1": ["07:30", "16:00"], ..., "7": null}``."""
    out: dict[str, list[str] | None] = {}
    for day in range(1, 8):
        value = hours.get(day)
        out[str(day)] = [value[0].strftime("%H:%M"), value[1].strftime("%H:%M")] if value else None
    return out


def hours_from_json(data: Mapping[str, Any]) -> dict[int, tuple[time, time] | None]:
    out: dict[int, tuple[time, time] | None] = {}
    for day in range(1, 8):
        value = data.get(str(day))
        out[day] = (time.fromisoformat(value[0]), time.fromisoformat(value[1])) if value else None
    return out


def group_week_hours(hours: WeekHours) -> list[tuple[int, int, tuple[time, time] | None]]:
    """Runs of consecutive days with the same hours: ``[(1, 4, (07:30, 16:00)), (5, 5, ...), (6, 7, None)]``."""
    runs: list[tuple[int, int, tuple[time, time] | None]] = []
    for day in range(1, 8):
        value = hours.get(day)
        if runs and runs[-1][2] == value and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day, value)
        else:
            runs.append((day, day, value))
    return runs


def format_week_hours(hours: WeekHours) -> str:
    """``Mon-Thu 07.30-16.00; Fri 07.30-16.30; Sat-Sun closed`` (the syntax ``parse_week_hours`` reads)."""
    parts = []
    for first, last, value in group_week_hours(hours):
        days = SHORT_DAY[first] if first == last else f"{SHORT_DAY[first]}-{SHORT_DAY[last]}"
        text = f"{value[0].strftime('%H.%M')}-{value[1].strftime('%H.%M')}" if value else "closed"
        parts.append(f"{days} {text}")
    return "; ".join(parts)


# ---------------------------------------------------------------------- the rows
@dataclass(frozen=True)
class DayRow:
    """A non-working day as stored (``non_working_days``)."""

    id: int
    day: date
    name: str
    kind: str
    source: str
    created_at: datetime
    created_by: str | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def known_at(self, moment: datetime) -> bool:
        return self.created_at <= moment and (self.revoked_at is None or self.revoked_at > moment)


@dataclass(frozen=True)
class PeriodRow:
    """Office hours for a period (``special_hours``); the regular hours cover every day."""

    id: int
    name: str
    starts: date
    ends: date
    hours: Mapping[int, tuple[time, time] | None]
    created_at: datetime
    created_by: str | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @property
    def regular(self) -> bool:
        return self.starts <= REGULAR_STARTS and self.ends >= REGULAR_ENDS

    @property
    def span(self) -> int:
        return (self.ends - self.starts).days

    def known_at(self, moment: datetime) -> bool:
        return self.created_at <= moment and (self.revoked_at is None or self.revoked_at > moment)


# ------------------------------------------------------------------ the calendar
@dataclass
class WorkingTime:
    """The office calendar as known at one moment: which days are open, and when."""

    regular: PeriodRow | None
    periods: Sequence[PeriodRow] = ()  # special hours, most specific first
    closed: Mapping[date, Sequence[DayRow]] = field(default_factory=dict)
    _hours: dict[date, tuple[datetime, datetime] | None] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, days: Iterable[DayRow], periods: Iterable[PeriodRow]) -> WorkingTime:
        regulars = [p for p in periods if p.regular]
        special = [p for p in periods if not p.regular]
        # the narrowest period wins (a one-day exception inside Ramadan), then the newest
        special.sort(key=lambda p: (p.span, -p.created_at.timestamp(), -p.id))
        closed: dict[date, list[DayRow]] = {}
        for row in days:
            closed.setdefault(row.day, []).append(row)
        regular = max(regulars, key=lambda p: (p.created_at, p.id)) if regulars else None
        return cls(regular, tuple(special), closed)

    @property
    def office_time(self) -> bool:
        """False before the office calendar was set up: then deadlines were wall-clock time."""
        return self.regular is not None

    def period_on(self, day: date) -> PeriodRow | None:
        """The special-hours period that sets the day's hours (None: the regular hours)."""
        for period in self.periods:
            if period.starts <= day <= period.ends:
                return period
        return None

    def week_hours_on(self, day: date) -> tuple[time, time] | None:
        period = self.period_on(day) or self.regular
        return period.hours.get(day.isoweekday()) if period is not None else None

    def hours_on(self, day: date) -> tuple[datetime, datetime] | None:
        """Opening and closing moments (WIB) of the day, or None when the office is closed all day."""
        try:
            return self._hours[day]
        except KeyError:
            pass
        value = None if day in self.closed else self.week_hours_on(day)
        found = (
            (datetime.combine(day, value[0], WIB), datetime.combine(day, value[1], WIB)) if value is not None else None
        )
        if len(self._hours) < 20_000:  # a bounded memo: a snapshot sees a few years at most
            self._hours[day] = found
        return found

    def is_open(self, moment: datetime) -> bool:
        hours = self.hours_on(moment.astimezone(WIB).date())
        return hours is not None and hours[0] <= moment <= hours[1]

    def next_working_day(self, day: date) -> tuple[date, tuple[datetime, datetime]]:
        """The first day after ``day`` with office hours, and those hours."""
        for _ in range(MAX_SCAN_DAYS):
            day += timedelta(days=1)
            hours = self.hours_on(day)
            if hours is not None:
                return day, hours
        raise ValueError(f"the office calendar has no working day within {MAX_SCAN_DAYS} days after {day}")

    def next_opening(self, moment: datetime) -> datetime:
        """``moment`` itself while the office is open (its closing moment excluded), else the next opening."""
        local = moment.astimezone(WIB)
        hours = self.hours_on(local.date())
        if hours is not None and local < hours[1]:
            return max(local, hours[0])
        return self.next_working_day(local.date())[1][0]

    # -- arithmetic ----------------------------------------------------------------
    def add_office_time(self, start: datetime, amount: timedelta) -> datetime:
        """``amount`` of opening hours after ``start`` (from the next opening when closed)."""
        current = self.next_opening(start)
        remaining = amount
        while True:
            closes = self.hours_on(current.date())[1]  # type: ignore[index]
            if remaining <= closes - current:
                return current + remaining
            remaining -= closes - current
            current = self.next_working_day(current.date())[1][0]

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same office-time position ``days`` working days later (capped at that day's closing)."""
        current = self.next_opening(start)
        opens, _ = self.hours_on(current.date())  # type: ignore[misc]
        position = current - opens
        day = current.date()
        if days == 0:
            return current
        for _ in range(days):
            day, (opens, closes) = self.next_working_day(day)
        return min(opens + position, closes)

    def add(self, start: datetime, duration: Duration) -> datetime:
        """When a time standard that starts at ``start`` runs out, counted in office time (UTC)."""
        if start.tzinfo is None:
            raise ValueError("deadlines are computed from timezone-aware moments only")
        moment = start.astimezone(WIB)
        if duration.years or duration.months:
            moment = add_months(moment, duration.years * 12 + duration.months)
        moment = self.add_working_days(moment, duration.weeks * WORKING_DAYS_PER_WEEK + duration.days)
        office = timedelta(hours=duration.hours, minutes=duration.minutes, seconds=duration.seconds)
        if office:
            moment = self.add_office_time(moment, office)
        return moment.astimezone(UTC)


class CalendarHistory:
    """Every calendar row ever stored, revoked ones included: the calendar as known at any moment."""

    def __init__(self, days: Sequence[DayRow], periods: Sequence[PeriodRow]) -> None:
        self.days = tuple(days)
        self.periods = tuple(periods)
        moments = {r.created_at for r in (*self.days, *self.periods)}
        moments |= {r.revoked_at for r in (*self.days, *self.periods) if r.revoked_at is not None}
        self._changes = sorted(moments)
        self._snapshots: dict[int, WorkingTime] = {}
        self._latest: WorkingTime | None = None
        self._lock = threading.Lock()

    def as_of(self, moment: datetime) -> WorkingTime:
        """The rows created at or before ``moment`` and not revoked at or before it."""
        segment = bisect_right(self._changes, moment)  # the set of rows only changes at these moments
        found = self._snapshots.get(segment)
        if found is None:
            found = WorkingTime.of(
                [r for r in self.days if r.known_at(moment)], [p for p in self.periods if p.known_at(moment)]
            )
            with self._lock:
                found = self._snapshots.setdefault(segment, found)
        return found

    def latest(self) -> WorkingTime:
        """Every row not revoked, including changes saved a moment ago that take effect in a few seconds."""
        if self._latest is None:
            self._latest = WorkingTime.of(
                [r for r in self.days if r.revoked_at is None], [p for p in self.periods if p.revoked_at is None]
            )
        return self._latest


EMPTY_HISTORY = CalendarHistory((), ())


class OfficeCalendar:
    """The ``Calendar`` of office time, as known at the moment its clock reads.

    The script engine binds it to its clock (``bind``): the live engine's
    clock is the command's pinned moment, audit re-execution's clock is each
    recorded event's moment, so both count with the calendar as it was known
    when the deadline was first computed.
    """

    name = "office"

    def __init__(self, history: Callable[[], CalendarHistory], clock: Clock | None = None) -> None:
        self.history = history
        self.clock = clock or SystemClock()

    def bind(self, clock: Clock) -> OfficeCalendar:
        return OfficeCalendar(self.history, clock)

    def known(self, moment: datetime | None = None) -> WorkingTime:
        return self.history().as_of(moment if moment is not None else self.clock.now())

    def add(self, start: datetime, duration: Duration) -> datetime:
        known = self.known()
        if not known.office_time:
            return WallClockCalendar().add(start, duration)
        return known.add(start, duration)
