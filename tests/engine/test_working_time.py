"""Office-time deadlines: office hours, weekends, national holidays, cuti bersama, closures, special hours.

The test database's calendar (tests/conftest.py) is the production default:
Monday-Thursday 07.30-16.00, Friday 07.30-16.30 WIB, and the holidays
package's national holidays and cuti bersama of 2024-2028, known since 2025.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Conflict, Engine, InvalidInput, NotFound, PermissionDenied
from engine.calendar import WIB, Duration
from engine.services import office_calendar
from engine.working_time import (
    DEFAULT_HOURS,
    REGULAR_ENDS,
    REGULAR_STARTS,
    CalendarHistory,
    DayRow,
    OfficeCalendar,
    PeriodRow,
    WorkingTime,
    format_week_hours,
    parse_week_hours,
)

from ..conftest import CALENDAR_KNOWN_SINCE, T0, make_engine
from ..helpers import Application, fingerprint

ADMIN = "tu-admin"
SETTLED = office_calendar.SETTLE + timedelta(seconds=1)


def wib(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=WIB)


def due(engine: Engine, start: datetime, standard: str) -> datetime:
    return engine.deadline(start, standard).astimezone(WIB)


@pytest.fixture
def admin(engine: Engine) -> str:
    engine.add_user(ADMIN, [], name="Admin TU", roles=["administrator"], password="kata-sandi-admin")
    return ADMIN


# ------------------------------------------------------------------------------ counting
@pytest.mark.parametrize(
    ("start", "standard", "expected"),
    [
        # inside one day
        (wib(2026, 11, 23, 9, 0), "PT15M", wib(2026, 11, 23, 9, 15)),
        (wib(2026, 11, 23, 15, 45), "PT15M", wib(2026, 11, 23, 16, 0)),  # due at closing time, not the next day
        # across closing time: the rest counts from the next opening
        (wib(2026, 11, 23, 15, 55), "PT15M", wib(2026, 11, 24, 7, 40)),
        (wib(2026, 11, 23, 20, 0), "PT2H", wib(2026, 11, 24, 9, 30)),  # arriving after hours
        (wib(2026, 11, 24, 6, 0), "PT15M", wib(2026, 11, 24, 7, 45)),  # arriving before opening
        (wib(2026, 11, 27, 16, 25), "PT5M", wib(2026, 11, 27, 16, 30)),  # Friday closes at 16.30
        # across a weekend
        (wib(2026, 11, 27, 16, 25), "PT15M", wib(2026, 11, 30, 7, 40)),
        (wib(2026, 11, 28, 10, 0), "PT15M", wib(2026, 11, 30, 7, 45)),  # Saturday
        (wib(2026, 11, 23, 10, 0), "P1D", wib(2026, 11, 24, 10, 0)),
        (wib(2026, 11, 27, 10, 0), "P1D", wib(2026, 11, 30, 10, 0)),  # Friday -> Monday
        (wib(2026, 11, 27, 16, 15), "P1D", wib(2026, 11, 30, 16, 0)),  # Monday closes earlier than Friday
        (wib(2026, 11, 28, 11, 0), "P1D", wib(2026, 12, 1, 7, 30)),  # Saturday: from Monday's opening
        (wib(2026, 11, 23, 9, 0), "P1W", wib(2026, 11, 30, 9, 0)),  # a week is five working days
        (wib(2026, 11, 27, 16, 15), "P1DT1H", wib(2026, 12, 1, 8, 30)),
        # across a national holiday (17 August, Monday)
        (wib(2026, 8, 14, 16, 20), "PT15M", wib(2026, 8, 18, 7, 35)),
        (wib(2026, 8, 14, 10, 0), "P1D", wib(2026, 8, 18, 10, 0)),
        # across cuti bersama (24 December) and Natal (25 December), then the weekend
        (wib(2026, 12, 23, 10, 0), "P1D", wib(2026, 12, 28, 10, 0)),
        (wib(2026, 12, 23, 15, 50), "PT15M", wib(2026, 12, 28, 7, 35)),
        (wib(2026, 12, 23, 9, 0), "P2D", wib(2026, 12, 29, 9, 0)),
        (wib(2026, 12, 24, 9, 0), "PT15M", wib(2026, 12, 28, 7, 45)),  # work arriving on the day itself
        # 2027: Isra Mikraj on Tuesday 5 January, cuti bersama Idul Fitri
        (wib(2027, 1, 4, 10, 0), "P1D", wib(2027, 1, 6, 10, 0)),
        (wib(2027, 3, 5, 10, 0), "P1D", wib(2027, 3, 16, 10, 0)),  # Nyepi, cuti bersama and Idul Fitri
        # months are calendar months, then the next working moment
        (wib(2026, 11, 23, 9, 0), "P1M", wib(2026, 12, 23, 9, 0)),
        (wib(2026, 11, 24, 9, 0), "P1M", wib(2026, 12, 28, 7, 30)),  # 24 December is cuti bersama
    ],
)
def test_office_time_deadlines(engine: Engine, start: datetime, standard: str, expected: datetime) -> None:
    assert due(engine, start, standard) == expected


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 20)),
    standard=st.sampled_from(["PT0S", "PT10M", "PT15M", "PT1H", "PT2H30M", "PT20H", "P1D", "P3D", "P1W", "P1M"]),
)
def test_every_deadline_falls_inside_office_hours(start: datetime, standard: str) -> None:
    known = _seeded().as_of(T0)
    moment = known.add(start.replace(tzinfo=WIB), Duration.parse(standard))
    assert known.is_open(moment), f"{standard} from {start} ends at {moment.astimezone(WIB)}, office closed"
    assert moment >= start.replace(tzinfo=WIB)


def _seeded() -> CalendarHistory:
    rows = [
        DayRow(i, day, name, kind, "holidays", CALENDAR_KNOWN_SINCE)
        for i, (day, name, kind) in enumerate(
            office_calendar.holiday_days(tuple(range(2025, 2029)), office_calendar.DEFAULT_CATEGORIES)
        )
    ]
    regular = PeriodRow(1, "reguler", REGULAR_STARTS, REGULAR_ENDS, DEFAULT_HOURS, CALENDAR_KNOWN_SINCE)
    return CalendarHistory(rows, [regular])


def test_the_calendar_as_known_at_a_moment() -> None:
    t = datetime(2026, 6, 1, tzinfo=UTC)
    regular = PeriodRow(1, "reguler", REGULAR_STARTS, REGULAR_ENDS, DEFAULT_HOURS, t)
    closure = DayRow(
        7, date(2026, 6, 3), "Banjir", "closure", "admin", t + timedelta(hours=1), None, t + timedelta(hours=2)
    )
    history = CalendarHistory([closure], [regular])
    assert not history.as_of(t - timedelta(seconds=1)).office_time  # before the calendar existed: wall clock
    assert history.as_of(t).office_time  # created at T: known at T
    assert date(2026, 6, 3) not in history.as_of(t + timedelta(minutes=59)).closed
    assert date(2026, 6, 3) in history.as_of(t + timedelta(hours=1)).closed
    assert date(2026, 6, 3) not in history.as_of(t + timedelta(hours=2)).closed  # revoked at T: not known at T
    assert history.as_of(t + timedelta(hours=1)) is history.as_of(t + timedelta(hours=1, minutes=30))  # cached

    office = OfficeCalendar(lambda: history)
    start = datetime(2026, 5, 31, 20, 0, tzinfo=UTC)  # Monday 1 June, 03.00 WIB
    office_at = office.bind(_At(t - timedelta(seconds=1)))
    assert office_at.add(start, Duration.parse("PT15M")) == start + timedelta(minutes=15)  # wall clock then
    assert office.bind(_At(t)).add(start, Duration.parse("PT15M")) == wib(2026, 6, 1, 7, 45)


class _At:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


# ------------------------------------------------------------------------------ special hours
def test_special_hours_for_ramadan(engine: Engine, admin: str, clock) -> None:
    period = engine.add_special_hours(
        "2027-02-08",
        "2027-03-09",
        name="Jam kerja Ramadan",
        hours="sen-kam 08.00-15.00; jum 08.00-15.30",
        as_user=admin,
    )
    assert period.created_by == admin and not period.regular
    assert dict(period.hours) == {
        1: (time(8), time(15)),
        2: (time(8), time(15)),
        3: (time(8), time(15)),
        4: (time(8), time(15)),
        5: (time(8), time(15, 30)),
        6: None,
        7: None,
    }
    clock.shift(SETTLED)
    assert due(engine, wib(2027, 2, 15, 14, 50), "PT15M") == wib(2027, 2, 16, 8, 5)
    assert due(engine, wib(2027, 2, 19, 15, 20), "PT15M") == wib(2027, 2, 22, 8, 5)  # Friday closes 15.30
    assert due(engine, wib(2027, 2, 15, 7, 45), "PT15M") == wib(2027, 2, 15, 8, 15)  # opens at 08.00
    assert due(engine, wib(2027, 2, 15, 10, 0), "P1D") == wib(2027, 2, 16, 10, 0)
    # from regular into Ramadan hours (over cuti bersama Imlek and a weekend): 8 hours after
    # opening is past Ramadan's closing time
    assert due(engine, wib(2027, 2, 4, 15, 30), "P1D") == wib(2027, 2, 8, 15, 0)
    # the day after the period counts regular hours again
    assert due(engine, wib(2027, 3, 16, 15, 55), "PT15M") == wib(2027, 3, 17, 7, 40)
    days = {d.day: d for d in engine.calendar_days("2027-02-12", "2027-02-15")}
    assert (days[date(2027, 2, 12)].opens.time(), days[date(2027, 2, 12)].closes.time()) == (time(8), time(15, 30))
    assert days[date(2027, 2, 15)].period.name == "Jam kerja Ramadan"
    assert not days[date(2027, 2, 13)].working

    engine.revoke_special_hours(period.id, as_user=admin)
    clock.shift(SETTLED)
    assert due(engine, wib(2027, 2, 15, 14, 50), "PT15M") == wib(2027, 2, 15, 15, 5)


def test_a_one_day_exception_inside_a_period_wins(engine: Engine, clock) -> None:
    engine.add_special_hours("2027-02-08", "2027-03-09", name="Ramadan", hours="mon-thu 08.00-15.00; fri 08.00-15.30")
    engine.add_special_hours("2027-02-17", "2027-02-17", name="Setengah hari", hours="wed 08.00-12.00", by="kasubag")
    clock.shift(SETTLED)
    assert due(engine, wib(2027, 2, 17, 11, 50), "PT15M") == wib(2027, 2, 18, 8, 5)
    assert due(engine, wib(2027, 2, 18, 14, 50), "PT15M") == wib(2027, 2, 19, 8, 5)


def test_regular_hours_can_be_replaced(engine: Engine, clock) -> None:
    engine.set_regular_hours("mon-fri 08.00-16.00", by="kepala-tu")
    assert due(engine, wib(2026, 11, 27, 16, 20), "PT15M") == wib(2026, 11, 30, 7, 35)  # not yet: settling
    clock.shift(SETTLED)
    assert due(engine, wib(2026, 11, 27, 16, 20), "PT15M") == wib(2026, 11, 30, 8, 15)
    assert format_week_hours(engine.calendar_overview().regular.hours) == "Mon-Fri 08.00-16.00; Sat-Sun closed"


# ------------------------------------------------------------------------------ closures
def test_a_closure_counts_for_deadlines_computed_after_it(engine: Engine, admin: str, clock) -> None:
    before = due(engine, wib(2026, 12, 1, 15, 55), "PT15M")
    row = engine.close_day("2026-12-02", note="Rapat kerja seluruh pegawai", as_user=admin)
    assert (row.kind, row.source, row.created_by, row.name) == (
        "closure",
        "admin",
        admin,
        "Rapat kerja seluruh pegawai",
    )
    assert row.created_at == T0 + office_calendar.SETTLE  # known from a few seconds after it was saved
    assert due(engine, wib(2026, 12, 1, 15, 55), "PT15M") == before == wib(2026, 12, 2, 7, 40)
    clock.shift(SETTLED)
    assert due(engine, wib(2026, 12, 1, 15, 55), "PT15M") == wib(2026, 12, 3, 7, 40)
    [day] = engine.calendar_days("2026-12-02", "2026-12-02")
    assert not day.working and [r.name for r in day.closed_by] == ["Rapat kerja seluruh pegawai"]

    [opened] = engine.revoke_closure(day="2026-12-02", by="operator")
    assert opened.revoked_by == "operator" and opened.id == row.id
    clock.shift(SETTLED)
    assert due(engine, wib(2026, 12, 1, 15, 55), "PT15M") == wib(2026, 12, 2, 7, 40)
    rows = [r for r in engine.calendar_store.history().days if r.id == row.id]
    assert rows and rows[0].revoked_at is not None  # revoked, not deleted


def test_a_cuti_bersama_day_can_be_opened(engine: Engine, admin: str, clock) -> None:
    cuti = [r for r in engine.calendar_overview("2026-12-24", "2026-12-24").non_working]
    assert [(r.name, r.kind) for r in cuti] == [("Cuti Bersama Hari Raya Natal", "cuti_bersama")]
    engine.revoke_closure(cuti[0].id, as_user=admin)  # the PTSP desk serves on that day
    clock.shift(SETTLED)
    assert due(engine, wib(2026, 12, 23, 15, 55), "PT15M") == wib(2026, 12, 24, 7, 40)
    engine.sync_holidays([2026])  # a later sync does not bring it back
    clock.shift(SETTLED)
    assert due(engine, wib(2026, 12, 23, 15, 55), "PT15M") == wib(2026, 12, 24, 7, 40)


# ------------------------------------------------------------------------------ refusals
def _refused(engine: Engine, error: type, call, *args, **kwargs) -> str:
    before = fingerprint(engine)
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    assert fingerprint(engine) == before
    return caught.value.message


def test_refusals_change_nothing(engine: Engine, admin: str) -> None:
    engine.close_day("2026-12-02", note="Rapat kerja", as_user=admin)
    for login in ("ptsp", "kepala", "warga", "pemilik"):
        assert "not an administrator" in _refused(
            engine, PermissionDenied, engine.close_day, "2026-12-03", note="x", as_user=login
        )
    assert "not an administrator" in _refused(engine, PermissionDenied, engine.revoke_closure, 1, as_user="kasubag")
    assert "not an administrator" in _refused(
        engine,
        PermissionDenied,
        engine.add_special_hours,
        "2027-02-08",
        "2027-03-09",
        name="R",
        hours="mon 8.00-9.00",
        as_user="kasi",
    )
    _refused(engine, NotFound, engine.close_day, "2026-12-03", note="x", as_user="tidak-ada")
    assert "already a non-working day" in _refused(
        engine, Conflict, engine.close_day, "2026-12-02", note="lagi", as_user=admin
    )
    assert "Cuti Bersama Hari Raya Natal" in _refused(engine, Conflict, engine.close_day, "2026-12-24", note="x")
    assert "no office hours" in _refused(engine, Conflict, engine.close_day, "2026-11-28", note="Sabtu")
    for bad in ("2026-13-01", "besok", "", "31/12/2026"):
        assert "not a date" in _refused(engine, InvalidInput, engine.close_day, bad, note="x", as_user=admin)
    assert "has passed" in _refused(engine, InvalidInput, engine.close_day, "2026-11-20", note="x", as_user=admin)
    assert "ten years" in _refused(engine, InvalidInput, engine.close_day, "2040-01-02", note="x")
    assert "note" in _refused(engine, InvalidInput, engine.close_day, "2026-12-03", note="  ")
    assert "nothing to open" in _refused(engine, Conflict, engine.revoke_closure, day="2026-12-03")
    _refused(engine, NotFound, engine.revoke_closure, 99999)
    _refused(engine, InvalidInput, engine.revoke_closure, 1, day="2026-12-03")
    assert "before it begins" in _refused(
        engine, InvalidInput, engine.add_special_hours, "2027-03-09", "2027-02-08", name="R", hours="mon 08.00-15.00"
    )
    for hours in ("mon 15.00-08.00", "senin pagi", "mon-thu 25.00-26.00", "sat closed", "fri-mon 08.00-15.00"):
        _refused(engine, InvalidInput, engine.add_special_hours, "2027-02-08", "2027-03-09", name="R", hours=hours)
    regular = engine.calendar_overview().regular
    assert "cannot be revoked" in _refused(engine, InvalidInput, engine.revoke_special_hours, regular.id)
    assert "already" in _refused(engine, Conflict, engine.set_regular_hours, "mon-thu 07.30-16.00; fri 07.30-16.30")
    _refused(engine, InvalidInput, engine.sync_holidays, [2026], categories="semua")


def test_a_revocation_twice_is_refused(engine: Engine, admin: str) -> None:
    row = engine.close_day("2026-12-02", note="Rapat kerja", as_user=admin)
    engine.revoke_closure(row.id, as_user=admin)
    assert "already revoked" in _refused(engine, Conflict, engine.revoke_closure, row.id, as_user=admin)
    period = engine.add_special_hours("2027-02-08", "2027-03-09", name="R", hours="mon-fri 08.00-15.00")
    engine.revoke_special_hours(period.id)
    assert "already revoked" in _refused(engine, Conflict, engine.revoke_special_hours, period.id)


def test_week_hours_syntax() -> None:
    hours = parse_week_hours("Mon-Thu 07.30-16.00; fri 07:30 - 16:30, sat closed")
    assert hours == DEFAULT_HOURS
    assert format_week_hours(hours) == "Mon-Thu 07.30-16.00; Fri 07.30-16.30; Sat-Sun closed"
    assert parse_week_hours(format_week_hours(hours)) == hours
    assert parse_week_hours("senin-kamis 08.00-15.00; jumat 08.00-15.30")[5] == (time(8), time(15, 30))
    with pytest.raises(InvalidInput, match="twice"):
        parse_week_hours("mon-fri 08.00-15.00; fri 08.00-11.00")
    with pytest.raises(InvalidInput, match="never be open"):
        parse_week_hours("mon-sun closed")


# ------------------------------------------------------------------------------ holidays
def test_setup_stores_holidays_once_and_sync_only_adds_what_is_new(engine: Engine, clock) -> None:
    stored = engine.calendar_store.history().days
    assert {(r.day, r.kind) for r in stored} >= {
        (date(2026, 8, 17), "holiday"),
        (date(2026, 12, 24), "cuti_bersama"),
        (date(2026, 12, 25), "holiday"),
        (date(2027, 3, 9), "cuti_bersama"),
    }
    assert {r.source for r in stored} == {office_calendar.holidays_source()} == {"holidays 0.109"}
    before = fingerprint(engine)
    engine.init_db()  # ptsp setup / db upgrade again: nothing new for 2025-2028
    assert fingerprint(engine) == before
    added = engine.sync_holidays([2023], categories="public")
    assert added.added and {r.kind for r in added.added} == {"holiday"} and not added.regular_created
    assert all(r.created_at == T0 + office_calendar.SETTLE for r in added.added)
    assert engine.sync_holidays([2023], categories="public").added == ()
    assert {r.kind for r in engine.sync_holidays([2023]).added} == {"cuti_bersama"}


def test_holiday_categories_are_configurable(sqlite_url: str, ptsp_xml: bytes, clock, monkeypatch) -> None:
    monkeypatch.setenv("PTSP_HOLIDAY_CATEGORIES", "public")
    engine = make_engine(sqlite_url, ptsp_xml)
    assert engine.holiday_categories == ("public",)
    assert {r.kind for r in engine.sync_holidays([2023]).added} == {"holiday"}
    assert Engine(sqlite_url, holiday_categories=["government"]).holiday_categories == ("government",)
    with pytest.raises(InvalidInput, match="unknown holiday category"):
        Engine(sqlite_url, holiday_categories="libur")
    engine.close()


# ------------------------------------------------------------------------------ through the workflow
def test_no_breach_while_the_office_is_closed(engine: Engine, clock) -> None:
    clock.move_to(wib(2026, 11, 23, 15, 55))
    app = Application(engine)
    assert app.current().due_at == wib(2026, 11, 24, 7, 40)
    for moment in (wib(2026, 11, 23, 16, 30), wib(2026, 11, 23, 20, 0), wib(2026, 11, 24, 7, 39)):
        clock.move_to(moment)
        assert engine.tick().fired == 0
    clock.move_to(wib(2026, 11, 24, 7, 40))
    assert engine.tick().fired == 1
    [breach] = [e for e in engine.history(app.id) if e.type == "sla_breached"]
    assert breach.at == wib(2026, 11, 24, 7, 40)
    assert engine.audit_verify([app.id]).ok


def test_no_breach_over_the_weekend_and_the_holidays(engine: Engine, clock) -> None:
    clock.move_to(wib(2026, 12, 23, 15, 50))  # Wednesday before cuti bersama and Natal
    app = Application(engine)
    assert app.current().due_at == wib(2026, 12, 28, 7, 35)
    for moment in (
        wib(2026, 12, 23, 20, 0),
        wib(2026, 12, 24, 10, 0),
        wib(2026, 12, 25, 10, 0),
        wib(2026, 12, 27, 10, 0),
    ):
        clock.move_to(moment)  # cuti bersama, Natal, Sunday
        assert engine.tick().fired == 0
    clock.move_to(wib(2026, 12, 28, 7, 35))
    assert engine.tick().fired == 1
    assert engine.audit_verify([app.id]).ok


def test_step_seven_over_a_weekend_counts_one_working_day(engine: Engine, clock) -> None:
    clock.move_to(wib(2026, 11, 27, 10, 0))  # Friday
    app = Application(engine)
    app.walk([1, 2, 3, 4, 5, 6])
    assert app.current().due_at == wib(2026, 11, 30, 10, 0)  # Monday, not Saturday
    clock.move_to(wib(2026, 11, 28, 10, 0))
    app.do("7a")
    assert app.current().due_at == wib(2026, 11, 30, 10, 0), "the step's day counts from its start"
    clock.move_to(wib(2026, 11, 29, 12, 0))
    assert engine.tick().fired == 0


def test_the_wall_clock_option(sqlite_url: str, ptsp_xml: bytes, clock, monkeypatch) -> None:
    clock.move_to(wib(2026, 11, 23, 15, 55))
    engine = make_engine(sqlite_url, ptsp_xml, calendar="wall-clock")
    assert engine.calendar_mode == "wall-clock"
    app = Application(engine)
    assert app.current().due_at == wib(2026, 11, 23, 16, 10)
    assert engine.deadline(wib(2026, 11, 27, 10, 0), "P1D") == wib(2026, 11, 28, 10, 0)
    clock.move_to(wib(2026, 11, 23, 20, 0))
    assert engine.tick().fired == 1  # wall-clock deadlines fall at any hour
    assert engine.audit_verify([app.id]).ok
    assert engine.calendar_overview().mode == "wall-clock"
    engine.close()

    monkeypatch.setenv("PTSP_CALENDAR", "wall-clock")
    assert Engine(sqlite_url).calendar_mode == "wall-clock"
    monkeypatch.setenv("PTSP_CALENDAR", "office")
    assert Engine(sqlite_url).deadline(wib(2026, 11, 27, 10, 0), "P1D") == wib(2026, 11, 30, 10, 0)
    monkeypatch.setenv("PTSP_CALENDAR", "jam-dinding")
    with pytest.raises(InvalidInput, match="unknown calendar"):
        Engine(sqlite_url)


def test_another_process_changes_are_seen(engine: Engine, clock, monkeypatch) -> None:
    """A change made elsewhere (another worker) is found by the cheap summary check, without an announcement."""
    from sqlalchemy import insert

    from engine.store.models import NonWorkingDay

    monkeypatch.setattr(office_calendar, "REFRESH", 0.0)
    assert date(2026, 12, 2) not in engine.working_time().closed
    with engine.db.engine.begin() as conn:
        conn.execute(
            insert(NonWorkingDay.__table__).values(
                day=date(2026, 12, 2), name="Banjir", kind="closure", source="admin", created_at=T0
            )
        )
    assert date(2026, 12, 2) in engine.working_time().closed
    assert due(engine, wib(2026, 12, 1, 15, 55), "PT15M") == wib(2026, 12, 3, 7, 40)


def test_working_time_is_a_plain_snapshot() -> None:
    known = WorkingTime.of([], [PeriodRow(1, "r", REGULAR_STARTS, REGULAR_ENDS, DEFAULT_HOURS, CALENDAR_KNOWN_SINCE)])
    assert known.office_time and known.hours_on(date(2026, 11, 28)) is None
    assert known.next_opening(wib(2026, 11, 23, 16, 0)) == wib(2026, 11, 24, 7, 30)  # closing time is closed
