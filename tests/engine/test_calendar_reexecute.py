"""Audit re-execution counts every deadline with the calendar as known when it was computed.

An administrator may close a day, a holiday sync may add a cuti bersama, the
regular hours may change: deadlines already computed stay, and ``audit
verify`` re-executes each history to exactly the deadlines it recorded.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete, update

from engine import Engine
from engine.calendar import WIB
from engine.services import office_calendar
from engine.store.models import NonWorkingDay, SpecialHours

from ..helpers import Application

SETTLED = office_calendar.SETTLE + timedelta(seconds=1)


def wib(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=WIB)


def breaches(engine: Engine, app: Application) -> list:
    return [e for e in engine.history(app.id) if e.type == "sla_breached"]


def test_a_closure_added_later_does_not_change_a_computed_deadline(engine: Engine, clock) -> None:
    clock.move_to(wib(2026, 11, 30, 15, 50))
    first = Application(engine)
    assert first.current().due_at == wib(2026, 12, 1, 7, 35)

    clock.move_to(wib(2026, 11, 30, 15, 52))
    closure = engine.close_day("2026-12-01", note="Banjir: kantor tutup", by="kasubag")
    clock.move_to(wib(2026, 11, 30, 16, 30))
    second = Application(engine)
    assert second.current().due_at == wib(2026, 12, 2, 7, 45), "work arriving after the closure skips the day"
    assert first.current().due_at == wib(2026, 12, 1, 7, 35), "the deadline already computed stays"

    clock.move_to(wib(2026, 12, 2, 8, 0))
    assert engine.tick().fired == 2
    first.do(1)
    second.do(1)
    assert engine.audit_verify([first.id, second.id]).ok

    # had re-execution used today's calendar, the first application's deadline would move to 2 December
    with engine.db.engine.begin() as conn:
        conn.execute(
            update(NonWorkingDay.__table__)
            .where(NonWorkingDay.__table__.c.id == closure.id)
            .values(created_at=wib(2026, 11, 1))
        )
    engine.calendar_store.invalidate()
    report = engine.audit_verify([first.id, second.id])
    assert [f.instance for f in report.failures] == [first.id]
    assert "2026-12-01T00:35:00+00:00" in report.failures[0].reason  # the recorded deadline, 07.35 WIB
    assert "2026-12-02T00:35:00+00:00" in report.failures[0].reason  # what the back-dated closure would give


def test_audit_verify_passes_for_an_application_across_cuti_bersama_and_natal(engine: Engine, clock) -> None:
    clock.move_to(wib(2026, 12, 23, 14, 0))
    app = Application(engine)
    app.walk([1, 2, 3, 4, 5, 6])
    assert app.current().due_at == wib(2026, 12, 28, 14, 0)  # one working day after Wednesday
    clock.move_to(wib(2026, 12, 24, 9, 0))
    assert engine.tick().fired == 0
    clock.move_to(wib(2026, 12, 24, 10, 0))
    app.do("7a")  # someone works on a cuti bersama day: the step's deadline stays
    assert app.current().due_at == wib(2026, 12, 28, 14, 0)
    for moment in (wib(2026, 12, 25, 9, 0), wib(2026, 12, 27, 9, 0)):
        clock.move_to(moment)
        assert engine.tick().fired == 0
    clock.move_to(wib(2026, 12, 28, 14, 0))
    assert engine.tick().fired == 1
    clock.move_to(wib(2026, 12, 28, 15, 58))
    app.do("7b")
    app.do("7c")
    assert app.current().due_at == wib(2026, 12, 29, 7, 43)  # 2 minutes on Monday, 13 on Tuesday
    clock.move_to(wib(2026, 12, 31, 10, 0))
    assert engine.tick().fired == 1  # step 8 (7c arrived breached: the step's day had passed)
    app.walk([8, 9])
    assert engine.show(app.id).status == "completed"
    assert [b.task_name for b in breaches(engine, app)] == [
        "Memberi Paraf dan Tanda Tangan",
        "Mendokumentasikan Hasil Produk",
        "Menerima Produk Layanan untuk Diserahkan kepada Pemohon",
    ]
    report = engine.audit_verify([app.id])
    assert report.ok, report.failures


def test_a_holiday_synchronised_later_does_not_change_earlier_deadlines(engine: Engine, clock) -> None:
    # an older holidays package that did not know the cuti bersama of 24 December yet
    with engine.db.engine.begin() as conn:
        conn.execute(delete(NonWorkingDay.__table__).where(NonWorkingDay.__table__.c.day == date(2026, 12, 24)))
    office_calendar.announce(engine.db)
    clock.move_to(wib(2026, 12, 23, 15, 50))
    before = Application(engine)
    assert before.current().due_at == wib(2026, 12, 24, 7, 35)

    clock.move_to(wib(2026, 12, 23, 15, 51))
    added = engine.sync_holidays([2026])
    assert [(r.day, r.kind) for r in added.added] == [(date(2026, 12, 24), "cuti_bersama")]
    clock.move_to(wib(2026, 12, 23, 15, 53))
    after = Application(engine)
    assert after.current().due_at == wib(2026, 12, 28, 7, 38)
    clock.move_to(wib(2026, 12, 28, 9, 0))
    assert engine.tick().fired == 2
    assert engine.audit_verify([before.id, after.id]).ok


def test_special_hours_added_later_keep_earlier_deadlines(engine: Engine, clock) -> None:
    clock.move_to(wib(2027, 2, 5, 15, 0))  # cuti bersama Imlek: counted from Monday 8 February, regular hours
    app = Application(engine)
    app.walk([1, 2, 3, 4, 5, 6])
    assert app.current().due_at == wib(2027, 2, 9, 7, 30)  # one working day from Monday's opening
    clock.move_to(wib(2027, 2, 5, 15, 5))
    engine.add_special_hours("2027-02-08", "2027-03-09", name="Ramadan", hours="mon-thu 08.00-15.00; fri 08.00-15.30")
    clock.shift(SETTLED)
    later = Application(engine)
    later.walk([1, 2, 3, 4, 5, 6])
    assert later.current().due_at == wib(2027, 2, 9, 8, 0)
    clock.move_to(wib(2027, 2, 9, 9, 0))
    assert engine.tick().fired == 2
    assert engine.audit_verify([app.id, later.id]).ok
    with engine.db.engine.begin() as conn:  # back-dated, the period would change the first deadline
        conn.execute(
            update(SpecialHours.__table__)
            .where(SpecialHours.__table__.c.name == "Ramadan")
            .values(created_at=wib(2027, 1, 1))
        )
    engine.calendar_store.invalidate()
    assert [f.instance for f in engine.audit_verify([app.id, later.id]).failures] == [app.id]


def test_histories_from_before_the_calendar_was_set_up(engine: Engine, clock) -> None:
    """An upgraded database: applications ran on wall-clock deadlines before ``ptsp db upgrade`` set up the calendar."""
    with engine.db.engine.begin() as conn:
        conn.execute(delete(NonWorkingDay.__table__))
        conn.execute(delete(SpecialHours.__table__))
    office_calendar.announce(engine.db)
    clock.move_to(wib(2026, 11, 27, 16, 25))  # Friday
    app = Application(engine)
    assert app.current().due_at == wib(2026, 11, 27, 16, 40)  # wall clock: no office hours known yet
    clock.move_to(wib(2026, 11, 27, 16, 30))
    engine.init_db()  # the upgrade: the calendar is set up, at once
    app.do(1)
    assert app.current().due_at == wib(2026, 11, 30, 7, 45)  # office time from now on
    clock.move_to(wib(2026, 11, 30, 8, 0))
    assert engine.tick().fired == 1  # step 2 (step 1 was done before its wall-clock deadline)
    assert engine.audit_verify([app.id]).ok


def test_verify_in_worker_processes_uses_the_same_calendar(engine: Engine, clock) -> None:
    clock.move_to(wib(2026, 12, 23, 15, 50))
    app = Application(engine)
    clock.move_to(wib(2026, 12, 23, 15, 52))
    engine.close_day("2026-12-28", note="Penutupan", by="kasubag")
    clock.move_to(wib(2026, 12, 29, 9, 0))
    assert engine.tick().fired == 1
    assert [e.data["due_at"] for e in breaches(engine, app)] == ["2026-12-28T00:35:00+00:00"]
    report = engine.audit_verify([app.id], jobs=2)
    assert report.ok and report.checked == 1
