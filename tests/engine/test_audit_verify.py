"""The audit trail: chained events, an append-only table, and re-execution of histories."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from engine import Engine
from engine.audit.chain import GENESIS, event_hash, verify_chain
from engine.store.models import Event, Instance
from engine.store.schema import upgrade

from ..conftest import T0, make_engine, minutes
from ..helpers import HAPPY_PATH, Application


def stored_events(engine: Engine, instance: int) -> list[dict]:
    with engine.db.reader() as session:
        rows = session.execute(
            select(Event.__table__).where(Event.instance_id == instance).order_by(Event.seq)
        ).mappings()
        return [dict(r) for r in rows]


def busy_office(engine: Engine, clock) -> list[Application]:
    """Applications in every shape: loops, breaches, late step 7, cancelled, still open."""
    looped = Application(engine)
    looped.walk([1, 2, 3])
    looped.do(4, berkas_lengkap=False)
    clock.shift(minutes(20))
    engine.tick()  # the applicant is late completing the file
    looped.do("3b")
    looped.do(4, berkas_lengkap=False)
    looped.walk(["3b", 4, 5, 6, "7a"])
    clock.shift(timedelta(days=2))
    engine.tick()  # the head signs two days late
    looped.walk(["7b", "7c", 8, 9])

    on_time = Application(engine, "warga2")
    on_time.walk(HAPPY_PATH)

    cancelled = Application(engine)
    cancelled.walk([1, 2])
    clock.shift(minutes(30))
    engine.cancel(cancelled.id, as_user="ptsp", reason="Pemohon membatalkan")

    open_ = Application(engine)
    open_.walk([1, 2, 3, 4, 5])
    clock.shift(minutes(16))  # step 6 is overdue and nobody swept yet: the completion records the breach first
    open_.do(6)
    return [looped, on_time, cancelled, open_]


# --------------------------------------------------------------------- the chain
def test_every_event_is_chained_to_the_one_before(engine: Engine, clock) -> None:
    app = Application(engine)
    app.walk([1, 2, 3, 4])
    events = stored_events(engine, app.id)
    assert events[0]["prev_hash"] == GENESIS
    for before, after in itertools.pairwise(events):
        assert after["prev_hash"] == before["hash"]
    for event in events:
        assert event["hash"] == event_hash(event, event["prev_hash"])
    with engine.db.reader() as session:
        head = session.get(Instance, app.id)
        assert (head.last_seq, head.last_hash) == (len(events), events[-1]["hash"])
    assert verify_chain(events, head.last_seq, head.last_hash) is None


def test_the_chain_names_a_changed_a_missing_and_a_swapped_event(engine: Engine, clock) -> None:
    app = Application(engine)
    app.walk([1, 2, 3])
    events = stored_events(engine, app.id)
    last_seq, last_hash = len(events), events[-1]["hash"]

    changed = [dict(e) for e in events]
    changed[2]["data"] = {**changed[2]["data"], "form": {"jenis_layanan": "lain"}}
    assert verify_chain(changed, last_seq, last_hash).seq == 3
    assert "event 3 (task_completed) was changed" in verify_chain(changed, last_seq, last_hash).reason

    missing = events[:3] + events[4:]
    problem = verify_chain(missing, last_seq, last_hash)
    assert (problem.seq, "event 4 is missing" in problem.reason) == (4, True)

    swapped = [dict(e) for e in events]
    swapped[3], swapped[4] = swapped[4], swapped[3]
    swapped[3]["seq"], swapped[4]["seq"] = 4, 5  # renumbered by the forger, to look in order
    assert verify_chain(swapped, last_seq, last_hash).seq == 4

    assert "missing" in verify_chain(events[:-1], last_seq, last_hash).reason  # the newest event cut off
    assert verify_chain(events, last_seq, last_hash) is None


def test_the_database_refuses_to_change_or_delete_events(engine: Engine, clock) -> None:
    app = Application(engine)
    app.walk([1])
    for statement in ("UPDATE events SET actor = 'kasi' WHERE seq = 1", "DELETE FROM events WHERE seq = 1"):
        with pytest.raises(DBAPIError, match="append-only"), engine.db.engine.begin() as connection:
            connection.execute(text(statement))
    assert len(stored_events(engine, app.id)) == len(app.events())


def test_migrating_computes_the_same_chain_for_events_stored_before_it(engine: Engine, clock) -> None:
    app = Application(engine)
    app.walk([1, 2, 3])
    before = [e["hash"] for e in stored_events(engine, app.id)]
    from alembic import command

    from engine.store.schema import alembic_config

    config = alembic_config(engine.db)
    with engine.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    upgrade(engine.db)
    assert [e["hash"] for e in stored_events(engine, app.id)] == before
    assert engine.audit_verify().ok


# --------------------------------------------------------------------- re-execution
def test_reexecution_reproduces_loops_breaches_cancellations_and_open_work(engine: Engine, clock) -> None:
    apps = busy_office(engine, clock)
    kinds = {e.type for app in apps for e in engine.history(app.id)}
    assert {"sla_breached", "gateway_decided", "instance_cancelled", "instance_completed"} <= kinds
    report = engine.audit_verify()
    assert report.as_dict() == {"ok": True, "checked": 4, "failures": []}
    assert engine.audit_verify([apps[0].registration, apps[3].id]).checked == 2


def test_reexecution_holds_while_the_real_clock_moves_during_commands(sqlite_url: str, ptsp_xml: bytes) -> None:
    # Each command pins one moment: a deadline is exactly ready + standard, as re-execution computes it.
    with time_machine.travel(T0, tick=True):
        engine = make_engine(sqlite_url, ptsp_xml)
        app = Application(engine)
        app.walk([1, 2, 3, 4, 5])
        assert engine.audit_verify().ok, engine.audit_verify().as_dict()
        engine.close()


def test_a_verify_of_an_unknown_application_is_refused(engine: Engine, clock) -> None:
    from engine.errors import NotFound

    with pytest.raises(NotFound, match="PTSP/2026/999999"):
        engine.audit_verify(["PTSP/2026/999999"])


def test_verify_reads_one_snapshot_while_timers_fire(
    engine: Engine, db_url: str, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A breach committed by a timer worker between two of verify's reads is not tampering."""
    from engine.services import auditing

    app = Application(engine)
    clock.shift(timedelta(minutes=16))  # step 1's timer is due; nobody has fired it yet
    worker = Engine(db_url)
    real = auditing._grouped
    fired = []

    def grouped_then_fire(rows):
        out = real(rows)
        if not fired:  # the events have been read: now the worker commits the breach
            fired.append(worker.tick().fired)
        return out

    monkeypatch.setattr(auditing, "_grouped", grouped_then_fire)
    report = engine.audit_verify([app.id])
    worker.close()
    assert fired == [1]
    assert report.ok, report.as_dict()
    assert engine.audit_verify([app.id]).ok  # and afterwards, with the breach
