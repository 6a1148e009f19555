"""The office calendar in the database: holidays, closures, special hours, and their in-process cache.

Rows of ``non_working_days`` and ``special_hours`` are never deleted or
edited, only revoked, and each carries the moment it became known
(``created_at``) and stopped being so (``revoked_at``). A change is recorded
as known from ``SETTLE`` after it is saved, not from the moment its command
began: a command that computes a deadline while the change is being committed
(on another worker, which sees it up to ``REFRESH`` later) then counts without
it, exactly as audit re-execution at that command's moment will. The very
first set-up (no regular office hours yet) takes effect at once.

``CalendarStore`` keeps every row in memory (a few hundred at most) and is
read on every deadline computation. It is refreshed when this process
announces a change (``announce``) and otherwise checks a cheap summary of both
tables (counts, newest id, revocations) at most every ``REFRESH`` seconds.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from ..calendar import CALENDAR_ENV, CALENDAR_MODES, OFFICE, WALL_CLOCK, WIB, Calendar, WallClockCalendar
from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..inputs import text_ok
from ..model import ADMINISTRATOR
from ..store.db import Database
from ..store.models import NonWorkingDay, SpecialHours
from ..store.uow import UnitOfWork
from ..working_time import (
    DEFAULT_HOURS,
    KIND_CLOSURE,
    KIND_CUTI_BERSAMA,
    KIND_HOLIDAY,
    REGULAR_ENDS,
    REGULAR_STARTS,
    CalendarHistory,
    DayRow,
    OfficeCalendar,
    PeriodRow,
    WeekHours,
    WorkingTime,
    hours_from_json,
    hours_to_json,
    parse_week_hours,
)
from .context import Actor, actor

SETTLE = timedelta(seconds=10)
REFRESH = 1.0  # seconds between two looks at the tables from another process's point of view
ADMIN_SOURCE = "admin"
HOLIDAYS_ENV = "PTSP_HOLIDAY_CATEGORIES"
# the holidays package's categories for Indonesia, and the kind each becomes
CATEGORY_KINDS = {"public": KIND_HOLIDAY, "government": KIND_CUTI_BERSAMA}
DEFAULT_CATEGORIES = ("public", "government")
REGULAR_NAME = "Jam kerja reguler"
MAX_RANGE_DAYS = 400
MAX_AHEAD_DAYS = 3660
MAX_PERIOD_DAYS = 366
MAX_TEXT = 200
_LOCK_KEY = 0x6B616C65  # "kale": calendar changes, one at a time (PostgreSQL)

_DAYS, _HOURS = NonWorkingDay.__table__, SpecialHours.__table__


# ------------------------------------------------------------------ views
@dataclass(frozen=True)
class CalendarDay:
    """One day of the calendar as known now: its office hours, or why it is closed."""

    day: date
    opens: datetime | None  # WIB
    closes: datetime | None
    closed_by: tuple[DayRow, ...]  # holidays, cuti bersama, closures (empty on a weekend)
    period: PeriodRow | None  # the special hours that apply, if any

    @property
    def working(self) -> bool:
        return self.opens is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "weekday": self.day.isoweekday(),
            "working": self.working,
            "opens": self.opens.strftime("%H:%M") if self.opens else None,
            "closes": self.closes.strftime("%H:%M") if self.closes else None,
            "closed_by": [row_dict(r) for r in self.closed_by],
            "special_hours": self.period.name if self.period else None,
        }


@dataclass(frozen=True)
class CalendarOverview:
    """What the calendar page and ``ptsp calendar show`` list."""

    mode: str  # "office" or "wall-clock"
    since: date
    until: date
    regular: PeriodRow | None
    days: tuple[CalendarDay, ...]
    non_working: tuple[DayRow, ...]  # in [since, until], not revoked
    periods: tuple[PeriodRow, ...]  # special hours overlapping [since, until], not revoked
    revoked: tuple[DayRow | PeriodRow, ...]  # revoked rows about [since, until], newest first

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "from": self.since.isoformat(),
            "to": self.until.isoformat(),
            "regular_hours": period_dict(self.regular) if self.regular else None,
            "days": [d.as_dict() for d in self.days],
            "non_working_days": [row_dict(r) for r in self.non_working],
            "special_hours": [period_dict(p) for p in self.periods],
        }


@dataclass(frozen=True)
class SyncResult:
    years: tuple[int, ...]
    categories: tuple[str, ...]
    added: tuple[DayRow, ...]
    regular_created: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "years": list(self.years),
            "categories": list(self.categories),
            "source": holidays_source(),
            "added": [row_dict(r) for r in self.added],
            "regular_hours_created": self.regular_created,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def row_dict(row: DayRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "day": row.day.isoformat(),
        "name": row.name,
        "kind": row.kind,
        "source": row.source,
        "created_at": _iso(row.created_at),
        "created_by": row.created_by,
        "revoked_at": _iso(row.revoked_at),
        "revoked_by": row.revoked_by,
    }


def period_dict(period: PeriodRow) -> dict[str, Any]:
    return {
        "id": period.id,
        "name": period.name,
        "from": period.starts.isoformat(),
        "to": period.ends.isoformat(),
        "regular": period.regular,
        "hours": hours_to_json(period.hours),
        "created_at": _iso(period.created_at),
        "created_by": period.created_by,
        "revoked_at": _iso(period.revoked_at),
        "revoked_by": period.revoked_by,
    }


# ------------------------------------------------------------------ settings
def calendar_setting(value: Any = None) -> Any:
    """The calendar an Engine counts with: a ``Calendar``, or "office" / "wall-clock" ($PTSP_CALENDAR; office)."""
    if value is None:
        value = os.environ.get(CALENDAR_ENV) or OFFICE
    if isinstance(value, str):
        mode = value.strip().lower().replace("_", "-")
        if mode == "wallclock":
            mode = WALL_CLOCK
        if mode not in CALENDAR_MODES:
            raise InvalidInput(f"unknown calendar {value!r}: use {' or '.join(CALENDAR_MODES)} ({CALENDAR_ENV})")
        return mode
    return value


def make_calendar(setting: Any, store: CalendarStore) -> Calendar:
    if setting == OFFICE:
        return OfficeCalendar(store.history)
    if setting == WALL_CLOCK:
        return WallClockCalendar()
    return setting


def holiday_categories(value: Iterable[str] | str | None = None) -> tuple[str, ...]:
    """Which of the holidays package's categories become non-working days ($PTSP_HOLIDAY_CATEGORIES; both)."""
    if value is None:
        value = os.environ.get(HOLIDAYS_ENV)
        if value is None:
            return DEFAULT_CATEGORIES
    if isinstance(value, str):
        value = [v for v in (p.strip().lower() for p in value.split(",")) if v]
    found = tuple(dict.fromkeys(value))
    unknown = [c for c in found if c not in CATEGORY_KINDS]
    if unknown:
        raise InvalidInput(
            f"unknown holiday category {unknown[0]!r}: use public (national holidays), government (cuti bersama) "
            "or both, separated by a comma"
        )
    return found


# ------------------------------------------------------------------ the cache
_GENERATIONS: dict[str, int] = {}


def _key(db: Database) -> str:
    return db.url.render_as_string(hide_password=True)


def announce(db: Database) -> None:
    """Tell every calendar store of this database in this process that the tables changed."""
    key = _key(db)
    _GENERATIONS[key] = _GENERATIONS.get(key, 0) + 1


def _summary(table: Any) -> list[Any]:
    return [
        select(func.count()).select_from(table).scalar_subquery(),
        select(func.max(table.c.id)).scalar_subquery(),
        select(func.count(table.c.revoked_at)).scalar_subquery(),
        select(func.max(table.c.revoked_at)).scalar_subquery(),
    ]


_STAMP = select(*_summary(_DAYS), *_summary(_HOURS))


def _day_row(r: Any) -> DayRow:
    return DayRow(r.id, r.day, r.name, r.kind, r.source, r.created_at, r.created_by, r.revoked_at, r.revoked_by)


def _period_row(r: Any) -> PeriodRow:
    return PeriodRow(
        r.id,
        r.name,
        r.starts,
        r.ends,
        hours_from_json(r.hours or {}),
        r.created_at,
        r.created_by,
        r.revoked_at,
        r.revoked_by,
    )


def load_history(connection: Connection) -> CalendarHistory:
    days = [_day_row(r) for r in connection.execute(select(_DAYS).order_by(_DAYS.c.id))]
    periods = [_period_row(r) for r in connection.execute(select(_HOURS).order_by(_HOURS.c.id))]
    return CalendarHistory(days, periods)


class CalendarStore:
    """Every calendar row of one database, cached in this process (see the module's docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.key = _key(db)
        self._lock = threading.Lock()
        self._history: CalendarHistory | None = None
        self._stamp: tuple[Any, ...] | None = None
        self._generation = -1
        self._fresh_until = 0.0

    def _fresh(self) -> bool:
        return (
            self._history is not None
            and self._generation == _GENERATIONS.get(self.key, 0)
            and time.monotonic() < self._fresh_until
        )

    def history(self) -> CalendarHistory:
        if self._fresh():
            return self._history  # type: ignore[return-value]
        with self._lock:
            if not self._fresh():
                generation = _GENERATIONS.get(self.key, 0)
                with self.db.engine.connect() as connection:
                    stamp = tuple(connection.execute(_STAMP).one())
                    if self._history is None or stamp != self._stamp:
                        self._history, self._stamp = load_history(connection), stamp
                self._generation = generation
                self._fresh_until = time.monotonic() + REFRESH
            return self._history  # type: ignore[return-value]

    def invalidate(self) -> None:
        """Read every row again at the next use (rows are never edited, so the summary check cannot
        see a row changed behind the engine's back, as a test tampering with the table does)."""
        with self._lock:
            self._fresh_until, self._stamp = 0.0, None


# ------------------------------------------------------------------ reading input
def parse_day(value: Any, what: str = "date") -> date:
    """A date as ``YYYY-MM-DD`` (or ``DD-MM-YYYY``, as the pages and tables show it)."""
    if isinstance(value, datetime):
        return value.astimezone(WIB).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text_value = value.strip()
        for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
            try:
                return datetime.strptime(text_value, fmt).date()
            except ValueError:
                continue
    shown = value if isinstance(value, str) and len(value) <= 40 else type(value).__name__
    raise InvalidInput(f"the {what} {shown!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-24")


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"a {what} is required")
    value = " ".join(value.split())
    if len(value) > MAX_TEXT or not text_ok(value):
        raise InvalidInput(f"the {what} must be text of at most {MAX_TEXT} characters")
    return value


def _by(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 100 or not text_ok(value):
        raise InvalidInput("--by must name who made the change (at most 100 characters)")
    return value.strip()


def today(now: datetime) -> date:
    return now.astimezone(WIB).date()


def _not_past(day: date, now: datetime, what: str) -> None:
    if day < today(now):
        raise InvalidInput(f"the {what} {day.isoformat()} has passed; the calendar of past days stays as it was")
    if day > today(now) + timedelta(days=MAX_AHEAD_DAYS):
        raise InvalidInput(f"the {what} {day.isoformat()} is more than ten years ahead")


def week_hours(value: Any) -> dict[int, Any]:
    """Office hours per weekday from text (``mon-thu 08.00-15.00; fri 08.00-15.30``) or a mapping."""
    if isinstance(value, str):
        return parse_week_hours(value)
    if isinstance(value, Mapping):
        out: dict[int, Any] = {}
        for day in range(1, 8):
            hours = value.get(day, value.get(str(day)))
            if hours is not None and (
                not isinstance(hours, tuple | list) or len(hours) != 2 or not hours[0] < hours[1]
            ):
                raise InvalidInput(f"weekday {day}: office hours are (opening, closing), opening first")
            out[day] = tuple(hours) if hours is not None else None
        if not any(out.values()):
            raise InvalidInput("the office would never be open: give at least one day hours")
        return out
    raise InvalidInput("office hours are text such as 'mon-thu 08.00-15.00; fri 08.00-15.30'")


# ------------------------------------------------------------------ commands
def require_administrator(user: Actor) -> None:
    if ADMINISTRATOR not in user.roles:
        raise PermissionDenied(f"{user.login} is not an administrator: only administrators change the office calendar")


def who(connection: Connection, as_user: str | None, by: str | None) -> str | None:
    """The person recorded with a change: an administrator (``as_user``), or the operator's ``--by``."""
    if as_user is not None:
        user = actor(connection, as_user)
        require_administrator(user)
        return user.login
    return _by(by)


def lock(connection: Connection) -> None:
    """Calendar changes one at a time (SQLite's BEGIN IMMEDIATE already serialises writers)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def _has_regular(connection: Connection) -> bool:
    query = select(_HOURS.c.id).where(_HOURS.c.starts <= REGULAR_STARTS, _HOURS.c.ends >= REGULAR_ENDS).limit(1)
    return connection.execute(query).first() is not None


def effective(connection: Connection, now: datetime) -> datetime:
    """When a change saved now becomes known: ``SETTLE`` later, or at once while the calendar is set up."""
    return now if not _has_regular(connection) else now + SETTLE


def _current(connection: Connection) -> WorkingTime:
    """The calendar with every row not revoked (changes settling included), read in this transaction."""
    return load_history(connection).latest()


def close_day(uow: UnitOfWork, now: datetime, day: Any, note: Any, as_user: str | None, by: str | None) -> DayRow:
    connection = uow.connection
    lock(connection)
    recorded_by = who(connection, as_user, by)
    day = parse_day(day)
    note = _text(note, "note (why the office is closed)")
    _not_past(day, now, "day to close")
    known = _current(connection)
    if day in known.closed:
        names = "; ".join(f"{r.name} ({r.kind})" for r in known.closed[day])
        raise Conflict(f"{day.isoformat()} is already a non-working day: {names}")
    if known.hours_on(day) is None:
        raise Conflict(f"{day.isoformat()} has no office hours already ({day.strftime('%A')})")
    at = effective(connection, now)
    row_id = connection.execute(
        insert(_DAYS)
        .values(day=day, name=note, kind=KIND_CLOSURE, source=ADMIN_SOURCE, created_at=at, created_by=recorded_by)
        .returning(_DAYS.c.id)
    ).scalar_one()
    return DayRow(row_id, day, note, KIND_CLOSURE, ADMIN_SOURCE, at, recorded_by)


def _revoke_days(connection: Connection, rows: Sequence[DayRow], at: datetime, by: str | None) -> list[DayRow]:
    done = []
    for row in rows:
        changed = connection.execute(
            update(_DAYS).where(_DAYS.c.id == row.id, _DAYS.c.revoked_at.is_(None)).values(revoked_at=at, revoked_by=by)
        ).rowcount
        if changed != 1:
            raise Conflict(f"non-working day {row.id} was revoked meanwhile")
        done.append(replace(row, revoked_at=at, revoked_by=by))
    return done


def revoke_day(
    uow: UnitOfWork,
    now: datetime,
    *,
    row_id: Any = None,
    day: Any = None,
    as_user: str | None,
    by: str | None,
) -> list[DayRow]:
    """Revoke one non-working day (``row_id``) or every one on ``day``: the office opens as usual then."""
    connection = uow.connection
    lock(connection)
    recorded_by = who(connection, as_user, by)
    history = load_history(connection)
    if row_id is not None:
        if isinstance(row_id, bool) or not isinstance(row_id, int | str) or not str(row_id).isdigit():
            raise NotFound(f"non-working day {row_id!r} not found")
        found = [r for r in history.days if r.id == int(row_id)]
        if not found:
            raise NotFound(f"non-working day {row_id} not found")
        if found[0].revoked_at is not None:
            raise Conflict(f"non-working day {row_id} ({found[0].day.isoformat()}) was already revoked")
        rows = found
    else:
        when = parse_day(day)
        rows = [r for r in history.days if r.day == when and r.revoked_at is None]
        if not rows:
            raise Conflict(f"{when.isoformat()} is not closed by a holiday or closure; there is nothing to open")
    _not_past(rows[0].day, now, "day to open")
    return _revoke_days(connection, rows, effective(connection, now), recorded_by)


def add_period(
    uow: UnitOfWork,
    now: datetime,
    *,
    starts: Any,
    ends: Any,
    name: Any,
    hours: Any,
    as_user: str | None,
    by: str | None,
) -> PeriodRow:
    """Office hours for the days ``starts`` to ``ends`` (inclusive), e.g. Ramadan hours."""
    connection = uow.connection
    lock(connection)
    recorded_by = who(connection, as_user, by)
    first, last = parse_day(starts, "first day"), parse_day(ends, "last day")
    name = _text(name, "name for the period (e.g. Jam kerja Ramadan)")
    parsed = week_hours(hours)
    if last < first:
        raise InvalidInput(f"the period ends ({last.isoformat()}) before it begins ({first.isoformat()})")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise InvalidInput(f"a period of special hours lasts at most {MAX_PERIOD_DAYS} days; change the regular hours")
    _not_past(first, now, "first day")
    _not_past(last, now, "last day")
    same = [
        p
        for p in load_history(connection).periods
        if p.revoked_at is None and (p.starts, p.ends) == (first, last) and p.hours == parsed
    ]
    if same:
        raise Conflict(f"these hours are already set for {first.isoformat()} to {last.isoformat()} ({same[0].name})")
    return _insert_period(connection, effective(connection, now), name, first, last, parsed, recorded_by)


def _insert_period(
    connection: Connection, at: datetime, name: str, first: date, last: date, hours: WeekHours, by: str | None
) -> PeriodRow:
    row_id = connection.execute(
        insert(_HOURS)
        .values(name=name, starts=first, ends=last, hours=hours_to_json(hours), created_at=at, created_by=by)
        .returning(_HOURS.c.id)
    ).scalar_one()
    return PeriodRow(row_id, name, first, last, dict(hours), at, by)


def revoke_period(uow: UnitOfWork, now: datetime, period_id: Any, as_user: str | None, by: str | None) -> PeriodRow:
    connection = uow.connection
    lock(connection)
    recorded_by = who(connection, as_user, by)
    if isinstance(period_id, bool) or not isinstance(period_id, int | str) or not str(period_id).isdigit():
        raise NotFound(f"special hours {period_id!r} not found")
    found = [p for p in load_history(connection).periods if p.id == int(period_id)]
    if not found:
        raise NotFound(f"special hours {period_id} not found")
    period = found[0]
    if period.regular:
        raise InvalidInput("the regular office hours cannot be revoked, only replaced (ptsp calendar hours --regular)")
    if period.revoked_at is not None:
        raise Conflict(f"special hours {period_id} ({period.name}) were already revoked")
    if period.ends < today(now):
        raise InvalidInput(f"special hours {period_id} ({period.name}) ended on {period.ends.isoformat()}")
    at = effective(connection, now)
    connection.execute(update(_HOURS).where(_HOURS.c.id == period.id).values(revoked_at=at, revoked_by=recorded_by))
    return replace(period, revoked_at=at, revoked_by=recorded_by)


def set_regular_hours(uow: UnitOfWork, now: datetime, hours: Any, as_user: str | None, by: str | None) -> PeriodRow:
    """New regular office hours (the previous ones are revoked as these become known)."""
    connection = uow.connection
    lock(connection)
    recorded_by = who(connection, as_user, by)
    parsed = week_hours(hours)
    history = load_history(connection)
    current = history.latest().regular
    if current is not None and dict(current.hours) == parsed:
        raise Conflict("these are the regular office hours already")
    at = effective(connection, now)
    for old in (p for p in history.periods if p.regular and p.revoked_at is None):
        connection.execute(update(_HOURS).where(_HOURS.c.id == old.id).values(revoked_at=at, revoked_by=recorded_by))
    return _insert_period(connection, at, REGULAR_NAME, REGULAR_STARTS, REGULAR_ENDS, parsed, recorded_by)


@functools.cache
def holidays_source() -> str:
    """``holidays 0.109``: the package version the synchronised days came from (the rows' ``source``)."""
    import holidays  # imported when needed: it takes a tenth of a second, and most commands never sync

    return f"holidays {holidays.__version__}"


@functools.lru_cache(maxsize=32)
def holiday_days(years: tuple[int, ...], categories: tuple[str, ...]) -> tuple[tuple[date, str, str], ...]:
    """``(day, name, kind)`` from the holidays package for Indonesia, names in Indonesian."""
    import holidays

    out = []
    for category in categories:
        found = holidays.country_holidays("ID", years=list(years), categories=(category,), language="id")
        out += [(day, name, CATEGORY_KINDS[category]) for day, name in found.items()]
    return tuple(sorted(out))


def default_years(now: datetime) -> tuple[int, ...]:
    year = today(now).year
    return tuple(range(year - 1, year + 3))


def sync(
    uow: UnitOfWork,
    now: datetime,
    years: Iterable[int] | None,
    categories: Iterable[str],
    by: str | None = None,
) -> SyncResult:
    """Store the package's holidays not stored yet, and the regular office hours if there are none.

    A day already stored with the same kind (from any source, revoked or not)
    is left as it is: a package update adds what is new and never changes
    what earlier deadlines were counted with, nor brings back a day an
    administrator reopened.
    """
    connection = uow.connection
    lock(connection)
    chosen = tuple(sorted(set(years))) if years is not None else default_years(now)
    if not chosen or any(isinstance(y, bool) or not isinstance(y, int) or not 1900 <= y <= 2200 for y in chosen):
        raise InvalidInput("holidays are synchronised for years from 1900 to 2200")
    if len(chosen) > 20:
        raise InvalidInput("synchronise at most 20 years at once")
    categories = holiday_categories(tuple(categories))
    at = effective(connection, now)
    known = {(r.day, r.kind) for r in load_history(connection).days}
    source = holidays_source()
    new = [(d, n, k) for d, n, k in holiday_days(chosen, categories) if (d, k) not in known]
    added = []
    for day, name, kind in new:
        row_id = connection.execute(
            insert(_DAYS)
            .values(day=day, name=name[:MAX_TEXT], kind=kind, source=source, created_at=at, created_by=by)
            .returning(_DAYS.c.id)
        ).scalar_one()
        added.append(DayRow(row_id, day, name[:MAX_TEXT], kind, source, at, by))
    regular_created = False
    if not _has_regular(connection):
        _insert_period(connection, at, REGULAR_NAME, REGULAR_STARTS, REGULAR_ENDS, DEFAULT_HOURS, by)
        regular_created = True
    return SyncResult(chosen, categories, tuple(added), regular_created)


# ------------------------------------------------------------------ queries
def days_between(known: WorkingTime, since: date, until: date) -> list[CalendarDay]:
    out = []
    day = since
    while day <= until:
        hours = known.hours_on(day)
        out.append(
            CalendarDay(
                day,
                hours[0] if hours else None,
                hours[1] if hours else None,
                tuple(known.closed.get(day, ())),
                known.period_on(day),
            )
        )
        day += timedelta(days=1)
    return out


def check_range(since: Any, until: Any, now: datetime, default_days: int) -> tuple[date, date]:
    first = parse_day(since, "first day") if since is not None else today(now)
    last = parse_day(until, "last day") if until is not None else first + timedelta(days=default_days)
    if last < first:
        raise InvalidInput(f"the period ends ({last.isoformat()}) before it begins ({first.isoformat()})")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput(f"show at most {MAX_RANGE_DAYS} days at once")
    return first, last


def overview(history: CalendarHistory, mode: str, since: date, until: date) -> CalendarOverview:
    known = history.latest()
    non_working = tuple(
        sorted((r for r in history.days if r.revoked_at is None and since <= r.day <= until), key=lambda r: r.day)
    )
    periods = tuple(
        sorted(
            (
                p
                for p in history.periods
                if not p.regular and p.revoked_at is None and p.ends >= since and p.starts <= until
            ),
            key=lambda p: (p.starts, p.id),
        )
    )
    revoked: list[DayRow | PeriodRow] = [
        r for r in history.days if r.revoked_at is not None and since <= r.day <= until
    ]
    revoked += [p for p in history.periods if p.revoked_at is not None and p.ends >= since and p.starts <= until]
    revoked.sort(key=lambda r: r.revoked_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return CalendarOverview(
        mode,
        since,
        until,
        known.regular,
        tuple(days_between(known, since, until)),
        non_working,
        periods,
        tuple(revoked),
    )
