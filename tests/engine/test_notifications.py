"""Notifications: who is told of what, exactly once, whatever the order commits arrive in."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from engine import Engine, InvalidInput, NotFound
from engine.notifications import (
    FILE_RETURNED,
    PRODUCT_READY,
    SLA_BREACHED,
    TASK_ARRIVED,
    ApplicationFacts,
    EventFacts,
    TaskFacts,
    drafts_for,
    wib_text,
)
from engine.services import instances
from engine.store.models import Counter, Event, Notification, TaskRow, User
from engine.worker import TimerWorker, Wake

from ..conftest import make_engine, minutes
from ..helpers import Application, fingerprint, valid_data

STAFF_LOGINS = ["ptsp", "kepala", "kasubag", "kasi", "warga", "warga2"]


def kinds(engine: Engine, login: str) -> list[str]:
    return [n.kind for n in reversed(engine.notifications(as_user=login, limit=500))]


def told(engine: Engine, *logins: str) -> dict[str, list[str]]:
    return {login: kinds(engine, login) for login in logins}


def set_seksi(engine: Engine, task_id: str, seksi: str | None) -> None:
    """What the Seksi routing does (or, with None, what it has not done yet)."""
    with engine.db.engine.begin() as conn:
        conn.execute(update(TaskRow).where(TaskRow.id == task_id).values(seksi=seksi))


def all_rows(engine: Engine) -> list[Notification]:
    with engine.db.reader() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


# ------------------------------------------------------------ task arrival
def test_a_task_arriving_in_a_lane_tells_that_lane_staff_only(engine: Engine) -> None:
    engine.add_user("ptsp2", ["PTSP"], name="Petugas Dua")
    app = Application(engine)
    app.do(1)
    result = engine.notify_pending()
    assert result.notifications == 2
    assert told(engine, *STAFF_LOGINS, "ptsp2") == {
        "ptsp": [TASK_ARRIVED],
        "ptsp2": [TASK_ARRIVED],
        "kepala": [],
        "kasubag": [],
        "kasi": [],
        "warga": [],  # the applicant's own steps are not announced to them
        "warga2": [],
    }
    [note] = engine.notifications(as_user="ptsp")
    task = app.current()
    assert app.registration in note.title
    assert note.link == f"/tugas/{task.id}"
    assert note.registration == app.registration and note.instance_id == app.id
    assert "langkah 2" in note.body and task.name in note.body
    assert f"Batas waktu: {wib_text(task.due_at)}." in note.body
    assert wib_text(task.due_at) == "Senin, 23 November 2026 pukul 09.15 WIB"
    assert note.email_status == "none" and note.unread


def test_a_task_done_before_the_notifier_ran_is_not_announced(engine: Engine) -> None:
    app = Application(engine)
    app.walk([1, 2])  # step 2 (PTSP) arrived and was done at once
    engine.notify_pending()
    assert kinds(engine, "ptsp") == []


def kasi_users(engine: Engine) -> None:
    engine.add_user("kasi.madrasah", ["Kasi"], seksi="Pendidikan Madrasah")
    engine.add_user("kasi.madrasah2", ["Kasi"], seksi="Pendidikan Madrasah")
    engine.add_user("kasi.bimas", ["Kasi"], seksi="Bimas Islam")


def at_step_7(engine: Engine) -> Application:
    app = Application(engine)
    app.walk([1, 2, 3, 4, 5, 6])
    return app


def test_a_kasi_task_tells_only_the_staff_of_its_seksi(engine: Engine) -> None:
    kasi_users(engine)
    app = at_step_7(engine)
    set_seksi(engine, app.current().id, "Pendidikan Madrasah")
    engine.notify_pending()
    got = told(engine, "kasi", "kasi.madrasah", "kasi.madrasah2", "kasi.bimas", "kasubag", "kepala")
    assert got == {
        "kasi": [TASK_ARRIVED],  # the tests' kasi works for Pendidikan Madrasah too (tests/conftest.py)
        "kasi.madrasah": [TASK_ARRIVED],
        "kasi.madrasah2": [TASK_ARRIVED],
        "kasi.bimas": [],
        "kasubag": [],
        "kepala": [],
    }
    [note] = engine.notifications(as_user="kasi.madrasah")
    assert "Seksi Pendidikan Madrasah" in note.body


def test_a_kasi_task_without_a_seksi_tells_every_kasi_user(engine: Engine) -> None:
    kasi_users(engine)
    app = at_step_7(engine)
    set_seksi(engine, app.current().id, None)
    engine.notify_pending()
    for login in ("kasi", "kasi.madrasah", "kasi.madrasah2", "kasi.bimas"):
        assert kinds(engine, login) == [TASK_ARRIVED], login


def test_inactive_users_are_not_told(engine: Engine) -> None:
    engine.add_user("ptsp.lama", ["PTSP"])
    with engine.db.engine.begin() as conn:
        conn.execute(update(User).where(User.login == "ptsp.lama").values(active=False))
    Application(engine).do(1)
    engine.notify_pending()
    assert [r.user_id for r in all_rows(engine)] == [engine.user("ptsp").id]


# ----------------------------------------------------------------- breach
def test_a_breach_tells_the_kasubag_and_the_kepala_kantor(engine: Engine, clock) -> None:
    engine.add_user("kepala.kasubag", ["Kepala Kantor", "Kasubag"])  # told once, not once per lane
    app = Application(engine)
    engine.notify_pending()
    clock.shift(minutes(16))
    assert engine.tick().fired == 1
    engine.notify_pending()
    assert told(engine, *STAFF_LOGINS, "kepala.kasubag") == {
        "ptsp": [],
        "kepala": [SLA_BREACHED],
        "kasubag": [SLA_BREACHED],
        "kepala.kasubag": [SLA_BREACHED],
        "kasi": [],
        "warga": [],
        "warga2": [],
    }
    [note] = engine.notifications(as_user="kasubag")
    assert app.registration in note.title
    assert "langkah 1" in note.body and "15 menit" in note.body
    assert "Batas waktu: Senin, 23 November 2026 pukul 09.15 WIB." in note.body
    assert note.link == f"/permohonan/{app.id}"


# ------------------------------------------------------------- applicant
def test_a_returned_file_tells_the_applicant_what_is_missing(engine: Engine) -> None:
    app = Application(engine)
    Application(engine, "warga2").do(1)
    app.walk([1, 2, 3])
    app.do(
        4,
        berkas_lengkap=False,
        catatan_kekurangan="Mohon bawa kartu keluarga asli",
        catatan_pemeriksaan="Catatan internal petugas",
    )
    engine.notify_pending()
    assert kinds(engine, "warga") == [FILE_RETURNED]
    assert kinds(engine, "warga2") == []
    [note] = engine.notifications(as_user="warga")
    assert note.title == f"Berkas dikembalikan untuk dilengkapi: {app.registration}"
    assert "Catatan petugas: Mohon bawa kartu keluarga asli" in note.body
    assert "internal" not in note.body  # the examiner's own note stays in the office
    assert "langkah 3" in note.body and "Batas waktu:" in note.body
    assert note.link == f"/permohonan/{app.id}"


def test_the_missing_items_are_named_as_the_catalogue_names_them(engine: Engine) -> None:
    engine.ensure_catalogue()
    app = Application(engine)
    app.walk([1, 2, 3])
    app.do(4, berkas_lengkap=False, kekurangan=["rapor"])
    engine.notify_pending()
    [note] = engine.notifications(as_user="warga")
    wanted = engine.service("rekomendasi_mutasi_siswa").requirement("rapor").text  # the demo data's service
    assert f"Kekurangan berkas:\n- {wanted}\n" in note.body


def test_an_accepted_file_and_the_first_submission_tell_the_applicant_nothing(engine: Engine) -> None:
    app = Application(engine)
    app.walk([1, 2, 3, 4, 5])
    engine.notify_pending()
    assert kinds(engine, "warga") == []


def seksi_staff(engine: Engine, app: Application) -> str:
    """A Kasi-lane user of the Seksi the application's Kasi task is routed to (whoever may do it)."""
    with engine.db.reader() as session:
        seksi = session.scalar(select(TaskRow.seksi).where(TaskRow.id == app.current().id))
    if seksi is None:
        return "kasi"
    login = "kasi-" + re.sub(r"[^a-z0-9]+", "-", seksi.lower()).strip("-")[:50]
    with engine.db.reader() as session:
        known = session.scalar(select(User.id).where(User.login == login)) is not None
    if not known:
        engine.add_user(login, ["Kasi"], seksi=seksi)
    return login


def walk_to_product(engine: Engine, app: Application) -> None:
    app.walk([1, 2, 3, 4, 5, 6])
    app.do("7a", as_user=seksi_staff(engine, app))
    app.do("7b")
    app.do("7c", as_user=seksi_staff(engine, app))
    app.do(8)


def test_the_product_ready_tells_the_applicant(engine: Engine) -> None:
    app = Application(engine)
    walk_to_product(engine, app)
    engine.notify_pending()
    assert kinds(engine, "warga") == [PRODUCT_READY]
    [note] = engine.notifications(as_user="warga")
    assert note.title == f"Produk layanan siap diambil: {app.registration}"
    assert "siap diambil" in note.body and app.registration in note.body
    assert "langkah 9" in note.body and "Batas waktu:" in note.body


# ------------------------------------------------------- the rules alone
class FakeFacts:
    def __init__(self, check_form: dict) -> None:
        self.check_form = check_form

    def application(self, instance_id):
        return ApplicationFacts(instance_id, "PTSP/2026/000042", "Legalisir dokumen", 7, "legalisir")

    def task(self, task_id):
        return TaskFacts("ready", None)

    def completion_before(self, instance_id, seq):
        return event("task_completed", seq - 2, sop_step=4, form=self.check_form)

    def ready_after(self, instance_id, seq):
        return None

    def requirement_label(self, application, code):
        return {"ktp": "Fotokopi KTP", "kk": "Fotokopi Kartu Keluarga"}.get(code, code)


def event(type_: str, seq: int, **data) -> EventFacts:
    return EventFacts(
        id=seq,
        instance_id=1,
        seq=seq,
        type=type_,
        at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
        task_id="t",
        task_name="Melengkapi Berkas Permohonan",
        lane="Pemohon",
        data={"due_at": "2026-11-23T02:15:00+00:00"} | data,
    )


def test_the_missing_items_and_their_note_are_listed() -> None:
    form = {"berkas_lengkap": False, "kekurangan": ["ktp", "kk", "surat_x"], "catatan_kekurangan": "Legalisir ulang"}
    [draft] = drafts_for(event("task_ready", 10, sop_step=3), FakeFacts(form))
    assert draft.kind == FILE_RETURNED and draft.audience.owner
    assert "Kekurangan berkas:\n- Fotokopi KTP\n- Fotokopi Kartu Keluarga\n- surat_x" in draft.body
    assert "Catatan petugas: Legalisir ulang" in draft.body
    assert "PTSP/2026/000042 (Legalisir dokumen)" in draft.body
    assert "Batas waktu: Senin, 23 November 2026 pukul 09.15 WIB." in draft.body


@pytest.mark.parametrize(
    "form", [{}, {"kekurangan": None}, {"kekurangan": "ktp, kk"}, {"kekurangan": {"x": 1}}, {"kekurangan": [None, 3]}]
)
def test_missing_items_of_any_shape_never_break_the_rule(form: dict) -> None:
    [draft] = drafts_for(event("task_ready", 10, sop_step=3), FakeFacts(form))
    assert draft.kind == FILE_RETURNED
    if form.get("kekurangan") == "ktp, kk":
        assert "- Fotokopi KTP\n- Fotokopi Kartu Keluarga" in draft.body
    if not form:
        assert "Kekurangan" not in draft.body and "Catatan" not in draft.body


def test_events_nobody_needs_to_hear_of_make_no_drafts() -> None:
    facts = FakeFacts({})
    assert drafts_for(event("task_completed", 5, sop_step=4), facts) == []
    assert drafts_for(event("gateway_decided", 5), facts) == []
    assert drafts_for(event("instance_started", 1), facts) == []


# ------------------------------------------------------- exactly once
def test_a_second_run_tells_nothing_new(engine: Engine) -> None:
    Application(engine).do(1)
    first = engine.notify_pending()
    assert first.notifications == 1
    assert engine.notify_pending().notifications == 0
    assert len(all_rows(engine)) == 1
    with engine.db.reader() as session:
        cursor = session.scalar(select(Counter.value).where(Counter.name == "notifications_cursor"))
        newest = session.scalar(select(func.max(Event.id)))
    assert cursor == first.cursor == newest


def test_two_engines_notifying_at_once_tell_each_event_once(db_url: str, ptsp_xml: bytes, clock) -> None:
    commands = make_engine(db_url, ptsp_xml)
    notifiers = [Engine(db_url), Engine(db_url)]
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep_notifying(engine: Engine) -> None:
        try:
            while not stop.is_set():
                engine.notify_pending(batch=3)  # small batches: many passes meet each other
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=keep_notifying, args=(e,)) for e in notifiers]
    for t in threads:
        t.start()
    try:
        apps = [Application(commands) for _ in range(12)]
        for app in apps:
            app.do(1)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    for e in notifiers:
        e.notify_pending()
    assert not errors
    links = sorted(n.link for n in commands.notifications(as_user="ptsp", limit=500))
    assert links == sorted(f"/tugas/{app.current().id}" for app in apps)
    assert len(all_rows(commands)) == 12
    for e in [*notifiers, commands]:
        e.close()


@pytest.mark.postgres
def test_an_event_committed_late_is_still_told(postgres_url: str, ptsp_xml: bytes, clock) -> None:
    """Event ids are handed out in one order and committed in another: nothing is skipped."""
    from ..conftest import _truncate_postgres

    _truncate_postgres(postgres_url)
    engine = make_engine(postgres_url, ptsp_xml)
    other = Engine(postgres_url)
    slow, fast = Application(engine), Application(engine)
    engine.notify_pending()
    slow_task = slow.current().id
    with engine._write() as uow:  # a command that has written its events but not committed yet
        instances.complete(uow, engine.ctx, slow_task, "warga", valid_data(engine, slow_task))
        fast.do(1)  # later ids, committed first
        early = other.notify_pending()
        assert [n.link for n in engine.notifications(as_user="ptsp")] == []
        assert early.notifications == 0
        uow.commit()
    other.notify_pending()
    links = sorted(n.link for n in engine.notifications(as_user="ptsp"))
    assert links == sorted(f"/tugas/{a.current().id}" for a in (slow, fast))
    other.close()
    engine.close()


@pytest.mark.postgres
def test_an_id_rolled_back_does_not_stop_the_notifier(postgres_url: str, ptsp_xml: bytes, clock) -> None:
    from ..conftest import _truncate_postgres

    _truncate_postgres(postgres_url)
    engine = make_engine(postgres_url, ptsp_xml)
    slow, fast = Application(engine), Application(engine)
    engine.notify_pending()
    slow_task = slow.current().id
    with engine._write() as uow:
        instances.complete(uow, engine.ctx, slow_task, "warga", valid_data(engine, slow_task))
        fast.do(1)
        engine.notify_pending()
        # leaving without commit: the ids it took are gone for good
    engine.notify_pending()
    assert [n.link for n in engine.notifications(as_user="ptsp")] == [f"/tugas/{fast.current().id}"]
    engine.close()


def test_the_first_run_on_an_old_database_skips_old_history(engine: Engine, clock) -> None:
    Application(engine).do(1)  # a day and more before notifications were switched on
    clock.shift(minutes(60 * 25))
    Application(engine).do(1)
    engine.notify_pending()
    assert len(engine.notifications(as_user="ptsp")) == 1


# ------------------------------------------------------- reading, marking
def test_marking_read_own_notifications_only(engine: Engine) -> None:
    for _ in range(3):
        Application(engine).do(1)
    Application(engine, "warga2")
    app = Application(engine)
    app.walk([1, 2, 3])
    app.do(4, berkas_lengkap=False)
    engine.notify_pending()
    mine = engine.notifications(as_user="ptsp")
    theirs = engine.notifications(as_user="warga")
    assert len(mine) == 3 and len(theirs) == 1
    assert [n.id for n in mine] == sorted((n.id for n in mine), reverse=True)  # newest first
    assert engine.unread_count(as_user="ptsp") == 3
    before = fingerprint(engine)
    with pytest.raises(NotFound):
        engine.mark_read([mine[0].id, theirs[0].id], as_user="ptsp")
    with pytest.raises(NotFound):
        engine.mark_read([10**9], as_user="ptsp")
    for bad in (["1"], [True], [0], "1", [-3], list(range(1, 600))):
        with pytest.raises(InvalidInput):
            engine.mark_read(bad, as_user="ptsp")
    assert fingerprint(engine) == before
    assert engine.mark_read([mine[0].id], as_user="ptsp") == 1
    assert engine.mark_read([mine[0].id], as_user="ptsp") == 0  # already read
    assert engine.unread_count(as_user="ptsp") == 2
    assert [n.id for n in engine.notifications(as_user="ptsp", unread_only=True)] == [n.id for n in mine[1:]]
    assert engine.mark_read(None, as_user="ptsp") == 2
    assert engine.unread_count(as_user="ptsp") == 0
    assert engine.unread_count(as_user="warga") == 1  # untouched
    assert engine.mark_read([], as_user="ptsp") == 0


def test_reading_checks_its_arguments(engine: Engine) -> None:
    with pytest.raises(NotFound):
        engine.notifications(as_user="nobody")
    for limit in (0, 501, True, "5"):
        with pytest.raises(InvalidInput):
            engine.notifications(as_user="ptsp", limit=limit)
    with pytest.raises(InvalidInput):
        engine.notifications(as_user="ptsp", offset=-1)
    with pytest.raises(InvalidInput):
        engine.notify_pending(batch=0)


# ------------------------------------------------------------ the worker
def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


def test_the_worker_loop_runs_the_notifier(engine: Engine) -> None:
    worker = TimerWorker(engine, max_sleep=3600, same_process=True).start()
    try:
        Application(engine).do(1)  # the commit wakes the worker
        assert wait_for(lambda: engine.notifications(as_user="ptsp"), timeout=10), "the worker told nobody"
    finally:
        worker.stop()
    assert not worker.thread.is_alive()
    assert worker.notified == 1
    assert kinds(engine, "ptsp") == [TASK_ARRIVED]


def test_the_worker_tells_of_the_breaches_it_fires(engine: Engine, clock) -> None:
    worker = TimerWorker(engine, max_sleep=3600)
    Application(engine)
    assert worker.notify_once() == 0
    clock.shift(minutes(16))
    assert worker.run_once() == 0.0 and worker.fired == 1
    assert worker.notify_once() == 2
    assert told(engine, "kepala", "kasubag", "ptsp") == {
        "kepala": [SLA_BREACHED],
        "kasubag": [SLA_BREACHED],
        "ptsp": [],
    }


def test_a_failing_notifier_does_not_stop_the_worker(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_):
        raise RuntimeError("database went away")

    monkeypatch.setattr(engine, "notify_pending", broken)
    worker = TimerWorker(engine, max_sleep=3600)
    assert worker.notify_once() == 0  # logged, retried later, never raised
    Application(engine)
    assert worker.run_once() > 0  # the timers go on


class Activity:
    """A waker that reports commits (never an earlier timer) and stops the worker after a few."""

    def __init__(self, worker_ref: list, times: int) -> None:
        self.worker_ref, self.left = worker_ref, times

    def wait(self, timeout: float, timers_in: float | None = None) -> Wake:
        self.left -= 1
        if self.left <= 0:
            self.worker_ref[0].stopped.set()
        return Wake.ACTIVITY

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_waking_for_commits_runs_the_notifier_without_reading_the_timers_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    Application(engine)  # a timer due in 15 minutes: the worker plans to read the table then
    calls = {"timers": 0, "notify": 0}
    real_due, real_notify = engine.next_timer_due, engine.notify_pending

    def due():
        calls["timers"] += 1
        return real_due()

    def notify(**kwargs):
        calls["notify"] += 1
        return real_notify(**kwargs)

    monkeypatch.setattr(engine, "next_timer_due", due)
    monkeypatch.setattr(engine, "notify_pending", notify)
    ref: list = []
    worker = TimerWorker(engine, max_sleep=3600, notify_gap=0.0, waker=Activity(ref, 5))
    ref.append(worker)
    worker.run()
    assert calls["timers"] == 1
    assert calls["notify"] == 5
