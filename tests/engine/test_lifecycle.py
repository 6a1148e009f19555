"""An application's life: the happy path, the incomplete-file loop, SLA timers, durability."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

from engine import Engine

from ..conftest import T0, minutes
from ..helpers import HAPPY_PATH, STEP_ELEMENTS, Application


def test_happy_path_through_all_nine_steps_and_five_lanes(engine: Engine) -> None:
    app = Application(engine)
    assert app.registration == "PTSP/2026/000001"
    lanes_seen = []
    for step in HAPPY_PATH:
        lanes_seen.append(app.current().lane)
        app.do(step)
    assert app.ready() == []
    info = engine.show(app.id)
    assert info.status == "completed"
    assert info.ended_at is not None
    assert set(lanes_seen) == {"Pemohon", "PTSP", "Kepala Kantor", "Kasubag", "Kasi"}
    # the head signs in the Kepala Kantor lane, inside step 7
    assert lanes_seen[HAPPY_PATH.index("7b")] == "Kepala Kantor"

    events = engine.history(app.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].type == "instance_started" and events[0].actor == "warga"
    assert events[-1].type == "instance_completed"
    completed = [e for e in events if e.type == "task_completed"]
    assert [e.data["sop_step"] for e in completed] == [1, 2, 3, 4, 5, 6, 7, 7, 7, 8, 9]
    assert [e.actor for e in completed] == [
        "warga",
        "ptsp",
        "warga",
        "ptsp",
        "kepala",
        "kasubag",
        "kasi",
        "kepala",
        "kasi",
        "ptsp",
        "warga",
    ]
    assert completed[0].data["form"]["jenis_layanan"] == "rekomendasi_mutasi_siswa"
    decisions = [e for e in events if e.type == "gateway_decided"]
    assert len(decisions) == 1
    assert decisions[0].data["taken"][0]["flow_name"] == "Lengkap"
    assert decisions[0].data["inputs"] == {"berkas_lengkap": True}
    assert not any(e.type == "sla_breached" for e in events)
    assert all(e.at.tzinfo is not None for e in events)


def test_incomplete_file_loop_runs_twice(engine: Engine) -> None:
    app = Application(engine)
    app.walk([1, 2, 3])
    for note in ("Rapor belum ada", "Kartu keluarga belum ada"):
        result = app.do(4, berkas_lengkap=False, catatan_pemeriksaan=note)
        assert [t.element for t in result.next_tasks] == [STEP_ELEMENTS["3b"]]
        assert result.next_tasks[0].lane == "Pemohon"
        app.do("3b")
    app.do(4, berkas_lengkap=True)
    app.walk([5, 6, "7a", "7b", "7c", 8, 9])
    assert engine.show(app.id).status == "completed"

    events = engine.history(app.id)
    taken = [e.data["taken"][0]["flow_name"] for e in events if e.type == "gateway_decided"]
    assert taken == ["Belum lengkap", "Belum lengkap", "Lengkap"]
    step4 = [e for e in events if e.type == "task_completed" and e.data["element"] == STEP_ELEMENTS[4]]
    assert len(step4) == 3
    assert len({e.task for e in step4}) == 3, "each pass through step 4 is its own task"
    assert [e.data["form"]["catatan_pemeriksaan"] for e in step4][:2] == ["Rapor belum ada", "Kartu keluarga belum ada"]
    assert engine.show(app.id).data["berkas_lengkap"] is True


def test_sla_breach_at_fifteen_minutes_and_none_at_fourteen(engine: Engine, clock) -> None:
    app = Application(engine)
    task = app.current()
    assert task.due_at == T0 + minutes(15)
    clock.shift(minutes(14))
    assert engine.tick().fired == 0
    assert "sla_breached" not in app.events()
    clock.shift(timedelta(seconds=59))
    assert engine.tick().fired == 0
    clock.shift(timedelta(seconds=1))
    result = engine.tick()
    assert (result.fired, result.instances) == (1, 1)
    breach = [e for e in engine.history(app.id) if e.type == "sla_breached"]
    assert len(breach) == 1
    b = breach[0]
    assert (b.task, b.task_name, b.lane) == (task.id, "Menanyakan Pelayanan", "Pemohon")
    assert b.data["due_at"] == (T0 + minutes(15)).isoformat()
    assert b.at == T0 + minutes(15)
    assert b.data["standard"] == "PT15M" and b.data["sop_step"] == 1
    # the work stays open and a second tick fires nothing more
    assert app.current().id == task.id
    assert engine.tick().fired == 0
    [row] = engine.tasks(instance=app.id)
    assert row.breached_at == T0 + minutes(15)


def test_task_completed_before_deadline_never_reports_a_breach(engine: Engine, clock) -> None:
    app = Application(engine)
    clock.shift(minutes(14))
    app.do(1)
    clock.shift(minutes(14))  # 28 minutes after start; step 1's timer is long gone
    assert engine.tick().fired == 0
    assert "sla_breached" not in app.events()


def test_task_completed_after_its_breach(engine: Engine, clock) -> None:
    app = Application(engine)
    clock.shift(minutes(20))
    assert engine.tick().fired == 1
    result = app.do(1)
    assert result.next_tasks[0].element == STEP_ELEMENTS[2]
    types = app.events()
    assert types.count("sla_breached") == 1
    assert types.index("sla_breached") < types.index("task_completed")


def test_breach_not_yet_ticked_is_recorded_when_the_late_task_is_completed(engine: Engine, clock) -> None:
    app = Application(engine)
    clock.shift(minutes(16))  # nobody ran tick in between
    app.do(1)
    events = engine.history(app.id)
    breach = [e for e in events if e.type == "sla_breached"]
    assert len(breach) == 1 and breach[0].task_name == "Menanyakan Pelayanan"
    assert [e.type for e in events].index("sla_breached") < [e.type for e in events].index("task_completed")


def test_step_seven_activities_share_one_day(engine: Engine, clock) -> None:
    app = Application(engine)
    app.walk([1, 2, 3, 4, 5, 6])
    start7 = T0
    assert app.current().due_at == start7 + timedelta(days=1)
    clock.shift(timedelta(hours=20))
    app.do("7a")
    paraf = app.current()
    assert paraf.element == STEP_ELEMENTS["7b"] and paraf.lane == "Kepala Kantor"
    assert paraf.due_at == start7 + timedelta(days=1), "the head's signature counts from the start of step 7"
    clock.shift(timedelta(hours=5))
    assert engine.tick().fired == 1
    app.do("7b")
    docs = app.current()
    # the step is already late: the documentation task arrives breached
    assert docs.due_at == start7 + timedelta(days=1)
    breaches = [e for e in engine.history(app.id) if e.type == "sla_breached"]
    assert [b.task_name for b in breaches] == ["Memberi Paraf dan Tanda Tangan", "Mendokumentasikan Hasil Produk"]
    app.do("7c")
    assert app.current().due_at == T0 + timedelta(hours=25) + minutes(15), "step 8 counts from its own start"


def test_breach_paths_leave_no_token_behind(engine: Engine, clock) -> None:
    app = Application(engine)
    for step in HAPPY_PATH:
        # a week late every time: office-time deadlines (P1D from a Friday ends on Monday) fall inside it
        clock.shift(timedelta(days=7))
        engine.tick()
        app.do(step)
    info = engine.show(app.id)
    assert info.status == "completed" and info.open_tasks == ()
    assert app.events().count("sla_breached") == len(HAPPY_PATH)
    with engine.db.reader() as session:
        from sqlalchemy import func, select

        from engine.store.models import TimerRow

        assert session.execute(select(func.count()).select_from(TimerRow)).scalar_one() == 0


def test_durable_across_a_fresh_engine_object(engine: Engine, db_url: str) -> None:
    app = Application(engine)
    app.walk([1, 2, 3])
    engine.close()
    fresh = Engine(db_url)
    task = fresh.tasks(instance=app.registration)[0]
    assert task.element == STEP_ELEMENTS[4]
    assert fresh.ctx.workflows.hits == 0
    again = Application.__new__(Application)
    again.engine, again.applicant, again.id, again.registration = fresh, "warga", app.id, app.registration
    again.walk([4, 5, 6, "7a", "7b", "7c", 8, 9])
    assert fresh.show(app.id).status == "completed"
    assert fresh.ctx.workflows.misses >= 1
    fresh.close()


def test_durable_across_a_fresh_process(sqlite_url: str, ptsp_xml: bytes, tmp_path) -> None:
    env = {**os.environ, "PTSP_DATABASE_URL": sqlite_url}

    def ptsp(*args: str, stdin: str | None = None) -> dict | list:
        done = subprocess.run(
            [sys.executable, "-m", "engine.cli", *args, "--json"],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout)

    bpmn = tmp_path / "ptsp.bpmn"
    bpmn.write_bytes(ptsp_xml)
    assert ptsp("deploy", str(bpmn))["version"] == 1
    ptsp("user", "add", "warga", "--lane", "Pemohon")
    ptsp("user", "add", "ptsp", "--lane", "PTSP")
    started = ptsp("start", "--as", "warga")
    [task] = ptsp("tasks", "--instance", started["registration"])
    data = {"jenis_layanan": "legalisir_dokumen", "nama_pemohon": "Budi Santoso", "nomor_hp": "0812345678"}
    ptsp("complete", task["id"], "--as", "warga", "--data", json.dumps(data))
    # a third process sees the state the second one left
    [next_task] = ptsp("tasks", "--instance", str(started["instance"]))
    assert next_task["lane"] == "PTSP" and next_task["sop_step"] == 2
    shown = ptsp("show", started["registration"])
    assert shown["data"]["nama_pemohon"] == "Budi Santoso"
    assert [e["type"] for e in ptsp("history", started["registration"])] == [
        "instance_started",
        "task_ready",
        "task_completed",
        "task_ready",
    ]


def test_cancel_by_the_applicant_closes_tasks_and_timers(engine: Engine, clock) -> None:
    app = Application(engine)
    app.walk([1, 2])
    engine.cancel(app.id, as_user="warga", reason="Tidak jadi")
    info = engine.show(app.id)
    assert info.status == "cancelled" and info.open_tasks == ()
    assert app.events()[-1] == "instance_cancelled"
    clock.shift(timedelta(days=3))
    assert engine.tick().fired == 0
    assert engine.tasks(instance=app.id, status="cancelled")[0].element == STEP_ELEMENTS[3]


def test_registration_numbers_are_unique_and_sequential(engine: Engine) -> None:
    numbers = [Application(engine, applicant).registration for applicant in ("warga", "warga2", "warga")]
    assert numbers == ["PTSP/2026/000001", "PTSP/2026/000002", "PTSP/2026/000003"]


def test_registration_year_follows_wib(engine: Engine, clock) -> None:
    # 31 Dec 2026 17:30 UTC is already 1 Jan 2027 in Jakarta
    clock.move_to(T0.replace(month=12, day=31, hour=17, minute=30))
    assert Application(engine).registration == "PTSP/2027/000001"
