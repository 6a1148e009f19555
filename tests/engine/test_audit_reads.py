"""What auditors read: the application list, replay frames, the diagram at a point, the SLA report."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine import Engine
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.services.audit_reads import AuditFilter

from ..conftest import T0, minutes
from ..helpers import HAPPY_PATH, STEP_ELEMENTS, Application, fingerprint
from .test_audit_verify import busy_office


@pytest.fixture
def auditor(engine: Engine) -> str:
    engine.add_user("inspektorat", [], roles=["auditor"], name="Inspektorat Jenderal")
    return "inspektorat"


def registrations(engine: Engine, auditor: str, **filters) -> list[str]:
    rows, total = engine.audit_applications(AuditFilter(**filters), as_user=auditor)
    assert total == len(rows)
    return [r.registration for r in rows]


def test_the_list_filters_by_status_breach_lane_period_service_and_number(engine: Engine, clock, auditor) -> None:
    looped, on_time, cancelled, open_ = (a.registration for a in busy_office(engine, clock))
    everything = registrations(engine, auditor)
    assert everything == [open_, cancelled, on_time, looped]  # newest first
    assert registrations(engine, auditor, status="completed") == [on_time, looped]
    assert registrations(engine, auditor, status="cancelled") == [cancelled]
    assert registrations(engine, auditor, breached=True) == [open_, looped]
    assert registrations(engine, auditor, breached=False) == [cancelled, on_time]
    assert registrations(engine, auditor, breached=True, lane="Kepala Kantor") == [looped]  # signed late
    assert registrations(engine, auditor, breached=True, lane="Kasubag") == [open_]
    assert registrations(engine, auditor, lane="Kasi") == [open_]  # waits there now
    assert registrations(engine, auditor, search=looped[-3:]) == [looped]
    assert registrations(engine, auditor, search="%") == []  # a wildcard is a character like any other
    started = {r.registration: r.started_at for r in engine.audit_applications(as_user=auditor)[0]}
    assert registrations(engine, auditor, since=started[open_]) == [open_]
    assert registrations(engine, auditor, until=started[open_]) == [cancelled, on_time, looped]
    assert registrations(engine, auditor, since=started[on_time], until=started[open_]) == [cancelled, on_time]
    service = engine.show(looped).service
    assert service in engine.audit_services(as_user=auditor)
    assert looped in registrations(engine, auditor, service=service)

    rows, total = engine.audit_applications(as_user=auditor, limit=3, offset=3)
    assert ([r.registration for r in rows], total) == ([looped], 4)
    first = engine.audit_applications(AuditFilter(status="completed"), as_user=auditor)[0][-1]
    # late completing the file (3b), the head signing late (7b), and 7c arriving past the shared deadline
    assert (first.breaches, first.process, first.version, first.owner) == (3, "ptsp", 1, "warga")


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"status": "lost"}, "unknown status 'lost'"),
        ({"lane": "Satpam"}, "unknown lane 'Satpam'"),
        ({"since": T0, "until": T0}, "the period ends before it begins"),
        ({"search": "x" * 41}, "at most 40 characters"),
    ],
)
def test_bad_filters_are_named(engine: Engine, clock, auditor, filters, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        engine.audit_applications(AuditFilter(**filters), as_user=auditor)


def test_only_auditors_read_the_audit_side(engine: Engine, clock, auditor) -> None:
    app = Application(engine)
    for login in ("warga", "ptsp", "kepala", "kasi"):
        with pytest.raises(PermissionDenied, match="not an auditor"):
            engine.audit_applications(as_user=login)
        with pytest.raises(PermissionDenied, match="not an auditor"):
            engine.audit_replay(app.id, as_user=login)
        with pytest.raises(PermissionDenied, match="not an auditor"):
            engine.audit_diagram_svg(app.id, as_user=login)


def test_an_auditor_sees_everything_and_can_do_nothing(engine: Engine, clock, auditor) -> None:
    app = Application(engine)
    app.walk([1, 2])
    assert engine.show(app.id, as_user=auditor).data["nama_pemohon"]  # staff's and applicant's entries alike
    assert any(e.data.get("form") for e in engine.history(app.id, as_user=auditor) if e.lane == "PTSP")
    assert engine.tasks(as_user=auditor) == []
    before = fingerprint(engine)
    task = app.current()
    with pytest.raises(PermissionDenied):
        engine.complete(task.id, as_user=auditor, data={})
    with pytest.raises(PermissionDenied):
        engine.cancel(app.id, as_user=auditor)
    with pytest.raises(PermissionDenied):
        engine.start(as_user=auditor)
    with pytest.raises(NotFound):
        engine.task(task.id, as_user=auditor)
    assert fingerprint(engine) == before


def test_a_frame_shows_the_diagram_entries_changes_and_time_against_the_standard(
    engine: Engine, clock, auditor
) -> None:
    app = Application(engine)
    app.walk([1, 2])
    clock.shift(minutes(20))  # the applicant hands in the file five minutes late
    app.walk([3])
    events = engine.history(app.id)
    handed_in = next(i for i, e in enumerate(events, 1) if e.type == "task_completed" and e.data["sop_step"] == 3)

    view = engine.audit_replay(app.registration, handed_in, as_user=auditor)
    assert view.failure is None and view.info.registration == app.registration
    frame = view.frame
    assert (frame.position, frame.count, frame.event.type) == (handed_in, len(events), "task_completed")
    assert frame.timing.standard == "PT15M" and frame.timing.elapsed == minutes(20)
    assert frame.timing.within is False and frame.timing.overrun == minutes(5)
    assert [e.label for e in frame.entries][:1] == ["Berkas yang diserahkan"]
    assert {c.field for c in frame.changes} == {k for k, v in frame.event.data["form"].items() if v is not None}
    assert STEP_ELEMENTS[3] in frame.marks.completed and STEP_ELEMENTS[4] not in frame.marks.active

    first = engine.audit_replay(app.id, 1, as_user=auditor).frame
    assert first.first and not first.last and first.marks.active == frozenset()
    ready = engine.audit_replay(app.id, 2, as_user=auditor).frame
    assert ready.marks.active == {STEP_ELEMENTS[1]} and ready.timing is None
    assert engine.audit_replay(app.id, 999, as_user=auditor).frame.last  # clamped to the newest
    assert engine.audit_replay(app.id, as_user=auditor).frame.position == len(events)

    step1 = next(i for i, e in enumerate(events, 1) if e.type == "task_completed")
    on_time = engine.audit_replay(app.id, step1, as_user=auditor).frame
    assert on_time.timing.within is True and on_time.timing.overrun is None
    choice = next(e for e in on_time.entries if e.field == "jenis_layanan")
    assert choice.shown != choice.value  # an enum is shown by its name


def test_the_diagram_at_a_point_marks_what_was_active_then(engine: Engine, clock, auditor) -> None:
    app = Application(engine)
    app.walk([1, 2, 3])

    def status(svg: str, element: str) -> str | None:
        found = re.search(rf'<g class="el [a-zA-Z]+(?: is-(\w+))?" data-element="{element}"', svg)
        return found.group(1)

    early = engine.audit_diagram_svg(app.id, 2, as_user=auditor)
    late = engine.audit_diagram_svg(app.id, as_user=auditor)
    assert status(early, STEP_ELEMENTS[1]) == "active" and status(early, STEP_ELEMENTS[4]) is None
    assert status(late, STEP_ELEMENTS[1]) == "completed" and status(late, STEP_ELEMENTS[4]) == "active"
    clock.shift(minutes(30))
    assert status(engine.audit_diagram_svg(app.id, as_user=auditor), STEP_ELEMENTS[4]) == "active"  # late now,
    # but as of its last event it was not yet: the replay shows the moment of the event


def test_the_sla_report_reads_the_office_history(engine: Engine, clock, auditor) -> None:
    busy_office(engine, clock)
    since, until = T0 - timedelta(days=1), T0 + timedelta(days=30)
    report = engine.sla_report(since, until, as_user=auditor)
    assert engine.sla_report(since, until, as_user="kepala") == report
    by_step = {row.step: row for row in report.by_step}
    assert by_step[7].standard == "P1D" and by_step[7].breaches == 1
    assert by_step[3].breaches == 1 and by_step[6].breaches == 1
    assert {b.registration for b in report.breaches} == {
        r.registration for r in engine.audit_applications(AuditFilter(breached=True), as_user=auditor)[0]
    }
    empty = engine.sla_report(T0 + timedelta(days=60), T0 + timedelta(days=61), as_user=auditor)
    assert empty.is_empty
    for login in ("kasi", "ptsp", "warga"):
        with pytest.raises(PermissionDenied, match="auditors and the Kepala Kantor"):
            engine.sla_report(since, until, as_user=login)


def test_a_happy_path_is_all_on_time(engine: Engine, clock, auditor) -> None:
    Application(engine).walk(HAPPY_PATH)
    report = engine.sla_report(T0, T0 + timedelta(days=1), as_user=auditor)
    assert all(row.on_time_share == 1.0 for row in report.by_step) and report.breaches == ()
