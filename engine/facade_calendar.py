"""``Engine`` methods for the office calendar (working time).

A mixin: ``self.db``, ``self.ctx`` and ``self._write()`` come from ``Engine``;
``self.calendar_store``, ``self.calendar_mode`` and ``self.holiday_categories``
are set by ``Engine.__init__``.

Changes come from an administrator (``as_user``, role ``administrator``) or
from the trusted command line (``by``, recorded as given). Rows are never
deleted: a closure or a period of special hours is revoked, and every
deadline already computed keeps the calendar it was computed with.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .calendar import OFFICE, WALL_CLOCK, Duration
from .errors import InvalidInput
from .services import office_calendar
from .services.context import actor
from .services.office_calendar import CalendarDay, CalendarOverview, CalendarStore, SyncResult
from .working_time import DayRow, PeriodRow, WorkingTime

if TYPE_CHECKING:
    from .services.context import Context
    from .store.db import Database


class CalendarApi:
    db: Database
    ctx: Context
    calendar_store: CalendarStore
    calendar_mode: str
    holiday_categories: tuple[str, ...]

    # -- reading ------------------------------------------------------------------------
    def _calendar_reader(self, as_user: str | None) -> None:
        if as_user is not None:  # everyone logged in may read the calendar
            with self.db.reader() as session:
                actor(session.connection(), as_user)

    def working_time(self, at: datetime | None = None) -> WorkingTime:
        """The office calendar as known at ``at`` (default: now), the one deadlines computed then used."""
        history = self.calendar_store.history()
        return history.as_of(at) if at is not None else history.latest()

    def calendar_days(self, since: date | str, until: date | str, *, as_user: str | None = None) -> list[CalendarDay]:
        """Each day from ``since`` to ``until`` (inclusive): office hours, or what closes it."""
        self._calendar_reader(as_user)
        first, last = office_calendar.check_range(since, until, self.ctx.clock.now(), 0)
        return office_calendar.days_between(self.working_time(), first, last)

    def calendar_overview(
        self, since: date | str | None = None, until: date | str | None = None, *, as_user: str | None = None
    ) -> CalendarOverview:
        """Working days, non-working days (named) and special hours in a period (default: the next 6 months)."""
        self._calendar_reader(as_user)
        first, last = office_calendar.check_range(since, until, self.ctx.clock.now(), 183)
        mode = self.calendar_mode if self.calendar_mode in (OFFICE, WALL_CLOCK) else "custom"
        return office_calendar.overview(self.calendar_store.history(), mode, first, last)

    def deadline(self, start: datetime, standard: str) -> datetime:
        """When a time standard (``PT15M``, ``P1D``) starting at ``start`` runs out, counted as the engine would now."""
        return self.ctx.runtime.script_engine.calendar.add(start, Duration.parse(standard))

    # -- changing -------------------------------------------------------------------------
    def _change_moment(self) -> datetime:
        # the latest reading: a change is known from SETTLE after it is saved (see services.office_calendar)
        return max(self.ctx.clock.now(), self.ctx.clock.base.now())

    def _calendar_command(self, run: Any) -> Any:
        with self._write() as uow:
            result = run(uow, self._change_moment())
            uow.on_commit(lambda: office_calendar.announce(self.db))
            uow.commit()
            return result

    def close_day(self, day: date | str, *, note: str, as_user: str | None = None, by: str | None = None) -> DayRow:
        """An extra closure (Penutupan kantor) on ``day``; refused for a day that is closed already or has passed."""
        return self._calendar_command(lambda uow, now: office_calendar.close_day(uow, now, day, note, as_user, by))

    def revoke_closure(
        self,
        closure: int | str | None = None,
        *,
        day: date | str | None = None,
        as_user: str | None = None,
        by: str | None = None,
    ) -> list[DayRow]:
        """Open the office again on a closed day: revoke one row (by id) or every one on ``day``.

        Holidays and cuti bersama can be revoked too (a decree moved them, or
        the office serves that day). The rows stay, marked revoked.
        """
        if (closure is None) == (day is None):
            raise InvalidInput("name either the non-working day's id or its date")
        return self._calendar_command(
            lambda uow, now: office_calendar.revoke_day(uow, now, row_id=closure, day=day, as_user=as_user, by=by)
        )

    def add_special_hours(
        self,
        starts: date | str,
        ends: date | str,
        *,
        name: str,
        hours: str | dict,
        as_user: str | None = None,
        by: str | None = None,
    ) -> PeriodRow:
        """Office hours for a period, e.g. Ramadan: ``hours="mon-thu 08.00-15.00; fri 08.00-15.30"``."""
        return self._calendar_command(
            lambda uow, now: office_calendar.add_period(
                uow, now, starts=starts, ends=ends, name=name, hours=hours, as_user=as_user, by=by
            )
        )

    def revoke_special_hours(
        self, period: int | str, *, as_user: str | None = None, by: str | None = None
    ) -> PeriodRow:
        return self._calendar_command(lambda uow, now: office_calendar.revoke_period(uow, now, period, as_user, by))

    def set_regular_hours(self, hours: str | dict, *, as_user: str | None = None, by: str | None = None) -> PeriodRow:
        """Replace the office's regular hours (default Mon-Thu 07.30-16.00, Fri 07.30-16.30)."""
        return self._calendar_command(lambda uow, now: office_calendar.set_regular_hours(uow, now, hours, as_user, by))

    def sync_holidays(
        self,
        years: Iterable[int] | None = None,
        *,
        categories: Iterable[str] | str | None = None,
        by: str | None = None,
    ) -> SyncResult:
        """Store the holidays package's national holidays and cuti bersama not stored yet.

        Default: last year to two years ahead, and the engine's categories
        (public and government unless configured otherwise). Also stores the
        regular office hours when there are none (the first set-up).
        """
        chosen = office_calendar.holiday_categories(categories) if categories is not None else self.holiday_categories
        return self._calendar_command(
            lambda uow, now: office_calendar.sync(uow, now, years, chosen, office_calendar._by(by))
        )
