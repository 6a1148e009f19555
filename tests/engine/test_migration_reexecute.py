"""Audit re-execution of applications that were migrated to another version of the diagram.

The run starts on the version the application was filed on, migrates at the
``instance_migrated`` event exactly as the live command did, and must end on
the version the application is pinned to. A forged migration event is found
(the chain without, re-execution with a recomputed chain).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from engine import Engine

from ..conftest import make_engine, minutes
from ..helpers import STEP_ELEMENTS, Application
from .test_audit_tamper import Attacker
from .test_migration import S1, S2, S4, Diagram, deploy, migrate, with_owner


def migrated_office(engine: Engine, ptsp_xml: bytes, clock) -> list[Application]:
    """Applications migrated in every shape: at step 1, into a new timer, twice, inside the loop, then breached."""
    v2 = deploy(engine, Diagram(ptsp_xml).set_timer(S1, "PT30M").set_timer(S2, "PT20M").rename(S2, "Menjelaskan"))
    v3 = deploy(engine, Diagram(ptsp_xml).remove_timer(S2).set_timer(S4, "PT1H"))

    early = Application(engine)  # migrated at step 1, then the whole way, late at step 2
    clock.shift(minutes(5))
    assert migrate(engine, early.id, v2).ok

    into_timer = Application(engine, "warga2")  # step 2 has no standard on v3, gets one back on v2
    assert migrate(engine, into_timer.id, v3).ok
    into_timer.do(1)
    clock.shift(minutes(3))
    report = migrate(engine, into_timer.id, v2)
    assert report.ok and report.timers[0].attached

    looped = Application(engine)  # migrated while the file goes round the loop
    looped.walk([1, 2, 3])
    looped.do(4, berkas_lengkap=False)
    assert migrate(engine, looped.id, v2).ok

    early.do(1)
    clock.shift(minutes(21))
    assert engine.tick().fired >= 1
    early.walk([2, 3, 4, 5, 6, "7a", "7b", "7c", 8, 9])
    into_timer.do(2)
    looped.walk(["3b", 4, 5])
    assert migrate(engine, looped.id, 1).ok  # and back, half-way
    looped.do(6)
    clock.shift(timedelta(days=2))
    engine.tick()
    return [early, into_timer, looped]


@pytest.fixture
def office(sqlite_url: str, ptsp_xml: bytes, clock) -> Iterator[tuple[Engine, list[Application], str]]:
    engine = with_owner(make_engine(sqlite_url, ptsp_xml))
    apps = migrated_office(engine, ptsp_xml, clock)
    assert engine.audit_verify().ok
    yield engine, apps, sqlite_url.removeprefix("sqlite:///")
    engine.close()


def test_migrated_applications_verify(engine: Engine, ptsp_xml: bytes, clock) -> None:
    apps = migrated_office(with_owner(engine), ptsp_xml, clock)
    report = engine.audit_verify()
    assert report.ok, report.failures
    assert report.checked == len(apps)
    assert engine.show(apps[0].id).status == "completed"
    assert [engine.show(a.id).version for a in apps] == [2, 2, 1]


def test_worker_processes_verify_migrated_applications(office) -> None:
    engine = office[0]
    assert engine.audit_verify(jobs=2).ok


def only_failure(engine: Engine, instance: int) -> dict:
    report = engine.audit_verify().as_dict()
    assert report["ok"] is False
    assert [f["instance"] for f in report["failures"]] == [instance], report
    return report["failures"][0]


def migration_seq(attacker: Attacker, instance: int, nth: int = 0) -> int:
    return attacker.seq_of(instance, "instance_migrated", nth)


def test_a_changed_migration_event_breaks_the_chain(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        seq = migration_seq(attacker, apps[0].id)
        data = json.loads(attacker.event(apps[0].id, seq)["data"])
        data["timers"][0]["due_at"] = data["timers"][0]["previous_due_at"]
        attacker.set_data(apps[0].id, seq, data)
    failure = only_failure(engine, apps[0].id)
    assert (failure["check"], failure["seq"]) == ("chain", seq)


def test_a_forged_deadline_in_a_rechained_migration_event_is_found_by_reexecution(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        seq = migration_seq(attacker, apps[0].id)
        data = json.loads(attacker.event(apps[0].id, seq)["data"])
        data["timers"][0]["due_at"] = data["timers"][0]["previous_due_at"]  # "the deadline did not move"
        attacker.set_data(apps[0].id, seq, data)
        attacker.rechain(apps[0].id)
    failure = only_failure(engine, apps[0].id)
    assert (failure["check"], failure["seq"]) == ("reexecution", seq)
    assert f"event {seq} (instance_migrated) differs from re-execution in data" in failure["reason"]


def test_a_rechained_migration_to_another_version_is_found(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        seq = migration_seq(attacker, apps[0].id)
        data = json.loads(attacker.event(apps[0].id, seq)["data"])
        data["to"]["version"] = 3
        attacker.set_data(apps[0].id, seq, data)
        attacker.rechain(apps[0].id)
    failure = only_failure(engine, apps[0].id)
    assert (failure["check"], failure["seq"]) == ("reexecution", seq)
    assert "last migrated to ptsp version 3" in failure["reason"] and "pinned to ptsp version 2" in failure["reason"]


def test_a_rechained_migration_whose_version_and_pin_were_both_changed_is_found(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        seq = migration_seq(attacker, apps[0].id)
        data = json.loads(attacker.event(apps[0].id, seq)["data"])
        data["to"]["version"] = 3
        attacker.set_data(apps[0].id, seq, data)
        attacker.rechain(apps[0].id)
        (v3,) = attacker.db.execute("SELECT id FROM definitions WHERE version = 3").fetchone()
        attacker.db.execute("UPDATE instances SET definition_id = ? WHERE id = ?", (v3, apps[0].id))
    failure = only_failure(engine, apps[0].id)
    # re-executed on version 3, the migration names another file and other deadlines
    assert (failure["check"], failure["seq"]) == ("reexecution", seq)
    assert "differs from re-execution in data" in failure["reason"]


def test_a_forged_file_hash_in_a_rechained_migration_event_is_found(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        seq = migration_seq(attacker, apps[1].id, 1)
        data = json.loads(attacker.event(apps[1].id, seq)["data"])
        data["from"]["sha256"] = "0" * 64
        attacker.set_data(apps[1].id, seq, data)
        attacker.rechain(apps[1].id)
    failure = only_failure(engine, apps[1].id)
    assert (failure["check"], failure["seq"]) == ("reexecution", seq)
    assert "sha256" in failure["reason"]


def test_a_migration_removed_from_the_log_is_found(office) -> None:
    engine, apps, path = office
    instance = apps[0].id
    with Attacker(path) as attacker:
        seq = migration_seq(attacker, instance)
        attacker.db.execute("DELETE FROM events WHERE instance_id = ? AND seq = ?", (instance, seq))
        attacker.db.execute("UPDATE events SET seq = seq - 1 WHERE instance_id = ? AND seq > ?", (instance, seq))
        attacker.rechain(instance)
    failure = only_failure(engine, instance)
    assert (failure["check"], failure["seq"]) == ("reexecution", 1)
    assert "filed on ptsp version 1, but it is pinned to ptsp version 2" in failure["reason"]


def test_a_migration_undone_in_the_instance_row_only_is_found(office) -> None:
    engine, apps, path = office
    instance = apps[1].id
    with Attacker(path) as attacker:
        (v1,) = attacker.db.execute("SELECT id FROM definitions WHERE version = 1").fetchone()
        attacker.db.execute("UPDATE instances SET definition_id = ? WHERE id = ?", (v1, instance))
    failure = only_failure(engine, instance)
    assert failure["check"] == "reexecution"
    assert "last migrated to ptsp version 2" in failure["reason"] and "pinned to ptsp version 1" in failure["reason"]


def test_a_forged_migration_of_a_finished_application_is_found(office) -> None:
    engine, apps, path = office
    instance = apps[0].id  # completed
    with Attacker(path) as attacker:
        seq = migration_seq(attacker, instance)
        migration = dict(attacker.event(instance, seq))
        (last,) = attacker.db.execute("SELECT MAX(seq) FROM events WHERE instance_id = ?", (instance,)).fetchone()
        forged = {**migration, "seq": last + 1}
        data = json.loads(forged["data"])
        data["from"], data["to"] = data["to"], data["from"]
        forged["data"] = json.dumps(data)
        del forged["id"]
        columns = ", ".join(forged)
        attacker.db.execute(
            f"INSERT INTO events ({columns}) VALUES ({', '.join('?' * len(forged))})", list(forged.values())
        )
        (v1,) = attacker.db.execute("SELECT id FROM definitions WHERE version = 1").fetchone()
        attacker.db.execute("UPDATE instances SET definition_id = ? WHERE id = ?", (v1, instance))
        attacker.rechain(instance)
    failure = only_failure(engine, instance)
    assert (failure["check"], failure["seq"]) == ("reexecution", last + 1)
    assert "after it was completed" in failure["reason"]


def test_the_task_list_after_a_migration_is_checked(office) -> None:
    engine, apps, path = office
    instance = apps[1].id  # waits at step 3; step 2 was renamed by the migration
    with Attacker(path) as attacker:
        attacker.db.execute(
            "UPDATE tasks SET name = 'Menjelaskan Jenis dan Standar Layanan' WHERE instance_id = ? AND element_id = ?",
            (instance, STEP_ELEMENTS[2]),
        )
    failure = only_failure(engine, instance)
    assert failure["check"] == "reexecution" and "name is" in failure["reason"]


def test_a_pending_deadline_moved_back_after_a_migration_is_found(office, ptsp_xml: bytes) -> None:
    engine, _, path = office
    fresh = Application(engine)
    v = deploy(engine, Diagram(ptsp_xml).set_timer(S1, "PT45M"))
    assert migrate(engine, fresh.id, v).ok
    with Attacker(path) as attacker:
        attacker.db.execute(
            "UPDATE timers SET due_at = ? WHERE instance_id = ?", ("2026-01-01 00:00:00.000000", fresh.id)
        )
    failure = only_failure(engine, fresh.id)
    assert failure["check"] == "reexecution" and "pending deadlines differ" in failure["reason"]
