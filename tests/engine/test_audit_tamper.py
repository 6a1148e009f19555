"""Tampering with a real database file, as someone with write access to it would, is found and named.

The attacker works on the SQLite file with the sqlite3 module, drops the
append-only triggers first, and in the harder cases recomputes the whole hash
chain after the change, so that only re-execution can tell.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from engine import Engine
from engine.audit.chain import GENESIS, event_hash
from engine.store.types import UTCDateTime

from ..conftest import make_engine
from .test_audit_verify import busy_office


@pytest.fixture
def office(sqlite_url: str, ptsp_xml: bytes, clock) -> Iterator[tuple[Engine, list, str]]:
    engine = make_engine(sqlite_url, ptsp_xml)
    apps = busy_office(engine, clock)
    assert engine.audit_verify().ok
    yield engine, apps, sqlite_url.removeprefix("sqlite:///")
    engine.close()


class Attacker:
    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.execute("DROP TRIGGER events_no_update")
        self.db.execute("DROP TRIGGER events_no_delete")

    def __enter__(self) -> Attacker:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.db.commit()
        self.db.close()

    def event(self, instance: int, seq: int) -> sqlite3.Row:
        return self.db.execute("SELECT * FROM events WHERE instance_id = ? AND seq = ?", (instance, seq)).fetchone()

    def seq_of(self, instance: int, type_: str, nth: int = 0) -> int:
        rows = self.db.execute(
            "SELECT seq FROM events WHERE instance_id = ? AND type = ? ORDER BY seq", (instance, type_)
        ).fetchall()
        return rows[nth]["seq"]

    def set_data(self, instance: int, seq: int, data: dict) -> None:
        self.db.execute(
            "UPDATE events SET data = ? WHERE instance_id = ? AND seq = ?", (json.dumps(data), instance, seq)
        )

    def rechain(self, instance: int) -> None:
        """Recompute every hash of the instance and its head, as a careful forger would."""
        at = UTCDateTime()
        prev = GENESIS
        rows = self.db.execute("SELECT * FROM events WHERE instance_id = ? ORDER BY seq", (instance,)).fetchall()
        for row in rows:
            event = dict(row)
            event["data"] = json.loads(event["data"])
            event["at"] = at.process_result_value(datetime.fromisoformat(event["at"]), None)
            digest = event_hash(event, prev)
            self.db.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", (prev, digest, row["id"]))
            prev = digest
        self.db.execute("UPDATE instances SET last_hash = ?, last_seq = ? WHERE id = ?", (prev, len(rows), instance))


def only_failure(engine: Engine) -> dict:
    report = engine.audit_verify().as_dict()
    assert report["ok"] is False and report["checked"] == 4
    assert len(report["failures"]) == 1, report
    return report["failures"][0]


def test_changing_one_events_data_is_found(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        seq = attacker.seq_of(apps[0].id, "task_completed", 3)
        data = json.loads(attacker.event(apps[0].id, seq)["data"])
        data["form"]["berkas_lengkap"] = True  # the file "was complete" the first time
        attacker.set_data(apps[0].id, seq, data)
    failure = only_failure(engine)
    assert failure == {
        "instance": apps[0].id,
        "registration": apps[0].registration,
        "check": "chain",
        "reason": f"event {seq} (task_completed) was changed: its content does not match its hash",
        "seq": seq,
    }


def test_deleting_one_event_is_found(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        seq = attacker.seq_of(apps[1].id, "task_completed", 4)
        attacker.db.execute("DELETE FROM events WHERE instance_id = ? AND seq = ?", (apps[1].id, seq))
    failure = only_failure(engine)
    assert (failure["instance"], failure["check"], failure["seq"]) == (apps[1].id, "chain", seq)
    assert f"event {seq} is missing" in failure["reason"]


def test_deleting_the_newest_events_is_found(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        attacker.db.execute("DELETE FROM events WHERE instance_id = ? AND type = 'instance_cancelled'", (apps[2].id,))
    failure = only_failure(engine)
    assert (failure["instance"], failure["check"]) == (apps[2].id, "chain")
    assert "missing" in failure["reason"]


def test_swapping_two_events_is_found(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        first = attacker.seq_of(apps[0].id, "task_completed", 5)
        instance = apps[0].id
        attacker.db.execute("UPDATE events SET seq = -1 WHERE instance_id = ? AND seq = ?", (instance, first))
        attacker.db.execute("UPDATE events SET seq = ? WHERE instance_id = ? AND seq = ?", (first, instance, first + 1))
        attacker.db.execute("UPDATE events SET seq = ? WHERE instance_id = ? AND seq = -1", (first + 1, instance))
    failure = only_failure(engine)
    assert (failure["instance"], failure["check"], failure["seq"]) == (apps[0].id, "chain", first)
    assert f"event {first}" in failure["reason"]


def test_editing_the_stored_workflow_state_is_found(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        (state,) = attacker.db.execute("SELECT state FROM instances WHERE id = ?", (apps[1].id,)).fetchone()
        forged = json.loads(state)
        forged["data"]["nomor_produk"] = "B-0000/PALSU"
        attacker.db.execute("UPDATE instances SET state = ? WHERE id = ?", (json.dumps(forged), apps[1].id))
    failure = only_failure(engine)
    assert (failure["instance"], failure["check"], failure["seq"]) == (apps[1].id, "reexecution", None)
    assert "nomor_produk" in failure["reason"] and "B-0000/PALSU" in failure["reason"]


def test_a_rewritten_and_rechained_decision_is_found_by_reexecution(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        seq = attacker.seq_of(apps[0].id, "gateway_decided")
        data = json.loads(attacker.event(apps[0].id, seq)["data"])
        data["inputs"]["berkas_lengkap"] = True
        attacker.set_data(apps[0].id, seq, data)
        attacker.rechain(apps[0].id)
    failure = only_failure(engine)
    assert (failure["instance"], failure["check"], failure["seq"]) == (apps[0].id, "reexecution", seq)
    assert (
        f"event {seq} (gateway_decided" in failure["reason"]
        and "differs from re-execution in data" in (failure["reason"])
    )


def test_a_rewritten_and_rechained_form_entry_is_found_by_reexecution(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        seq = attacker.seq_of(apps[1].id, "task_completed", 7)  # the head's sign-off
        data = json.loads(attacker.event(apps[1].id, seq)["data"])
        field = next(iter(data["form"]))
        data["form"][field] = "diubah"
        attacker.set_data(apps[1].id, seq, data)
        attacker.rechain(apps[1].id)
    failure = only_failure(engine)
    assert (failure["instance"], failure["check"]) == (apps[1].id, "reexecution")
    assert field in failure["reason"]


def test_a_forged_completion_appended_with_a_valid_chain_is_found(office) -> None:
    engine, apps, path = office
    instance = apps[3].id
    with Attacker(path) as attacker:
        last = dict(
            attacker.db.execute("SELECT * FROM events WHERE instance_id = ? ORDER BY seq DESC", (instance,)).fetchone()
        )
        forged = {**last, "seq": last["seq"] + 1, "type": "task_completed", "actor": "kepala"}
        del forged["id"]
        columns = ", ".join(forged)
        attacker.db.execute(
            f"INSERT INTO events ({columns}) VALUES ({', '.join('?' * len(forged))})", list(forged.values())
        )
        attacker.rechain(instance)
    failure = only_failure(engine)
    assert (failure["instance"], failure["check"], failure["seq"]) == (instance, "reexecution", last["seq"] + 1)


def test_editing_the_task_list_is_found(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        attacker.db.execute(
            "UPDATE tasks SET completed_by = 'kasi' WHERE instance_id = ? AND completed_by = 'kepala'", (apps[1].id,)
        )
    failure = only_failure(engine)
    assert (failure["instance"], failure["check"]) == (apps[1].id, "reexecution")
    assert 'completed_by is "kasi", re-execution gives "kepala"' in failure["reason"]


def test_hiding_a_breach_from_the_task_list_is_found(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        attacker.db.execute("UPDATE tasks SET breached_at = NULL WHERE instance_id = ?", (apps[0].id,))
    failure = only_failure(engine)
    assert (failure["instance"], failure["check"]) == (apps[0].id, "reexecution")
    assert "breached_at is null" in failure["reason"]


def test_worker_processes_find_the_same(office) -> None:
    engine, apps, path = office
    with Attacker(path) as attacker:
        attacker.db.execute("DELETE FROM events WHERE instance_id = ? AND seq = 5", (apps[1].id,))
        (state,) = attacker.db.execute("SELECT state FROM instances WHERE id = ?", (apps[3].id,)).fetchone()
        attacker.db.execute(
            "UPDATE instances SET state = ? WHERE id = ?", (state.replace("kasubag", "kasi"), apps[3].id)
        )
    alone, spread = engine.audit_verify(), engine.audit_verify(jobs=2)
    assert spread == alone and [f.instance for f in spread.failures] == [apps[1].id, apps[3].id]
