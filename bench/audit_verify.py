"""``audit verify --all`` over 10,000 completed applications: applications checked per second.

    python -m bench.audit_verify [--applications 10000] [--originals 40]

A few dozen applications are first taken through the whole SOP by the engine
(the loop back to the applicant, late steps with breaches, the step 7 sign-off
two days late, the happy path); the time that took is the baseline: what
*doing* an application durably costs, measured in the same run. They are then
copied, with fresh task ids, registration numbers and recomputed hash chains,
up to the requested number (running 10,000 applications through every step
would take the benchmark a quarter of an hour and measure nothing new).
Then ``Engine.audit_verify()`` checks all of them: hash chain, re-execution on
the pinned diagram, state and projection comparison.

Set PTSP_BENCH_POSTGRES_URL to add PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import Connection, insert, select

from engine import Engine
from engine.audit.chain import GENESIS, event_hash
from engine.store.models import Event, Instance, TaskRow, TimerRow

from .common import WHO, form_data_for, fresh_engine, postgres_url, scratch_postgres

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
EVENTS, INSTANCES, TASKS, TIMERS = (m.__table__ for m in (Event, Instance, TaskRow, TimerRow))


def run_application(engine: Engine, clock: Any, shape: int, forms: dict) -> None:
    """One application through the SOP; ``shape`` picks loops and late steps."""
    instance = engine.start(as_user="warga").instance
    returned = shape % 3 == 1  # the file comes back incomplete once
    while True:
        ready = engine.tasks(instance=instance)
        if not ready:
            return
        task = ready[0]
        data = form_data_for(engine, task.element, task.id, forms)
        if task.element == "Langkah4_MemeriksaKelengkapanBerkas" and returned:
            data["berkas_lengkap"], returned = False, False
        if shape % 4 == 2 and task.sop_step == 6:
            clock.shift(timedelta(minutes=20))
            engine.tick()
        if shape % 5 == 3 and task.element == "Langkah7_ParafTandaTangan":
            clock.shift(timedelta(days=2))
            engine.tick()
        clock.shift(timedelta(minutes=3))
        engine.complete(task.id, as_user=WHO[task.lane], data=data)


def clone(connection: Connection, count: int) -> None:
    """Copy the stored applications until there are ``count``, as if each had been run."""
    originals = [r._asdict() for r in connection.execute(select(INSTANCES))]
    events = {r.id: [] for r in connection.execute(select(INSTANCES.c.id))}
    for row in connection.execute(select(EVENTS).order_by(EVENTS.c.instance_id, EVENTS.c.seq)):
        events[row.instance_id].append(row._asdict())
    tasks = {i: [] for i in events}
    for row in connection.execute(select(TASKS)):
        tasks[row.instance_id].append(row._asdict())
    timers = {i: [] for i in events}
    for row in connection.execute(select(TIMERS)):
        timers[row.instance_id].append(row._asdict())
    next_id = max(events) + 1
    for n in range(count - len(originals)):
        original = originals[n % len(originals)]
        fresh: dict[str, str] = {}

        def swap(text: str, fresh: dict[str, str] = fresh) -> str:
            return _UUID.sub(lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), text)

        new_id = next_id + n
        instance = dict(original, id=new_id, registration=f"PTSP/2026/{new_id:06d}", state=swap(original["state"]))
        new_events, prev = [], GENESIS
        for e in events[original["id"]]:
            e = dict(e, instance_id=new_id, task_id=swap(e["task_id"]) if e["task_id"] else None)
            e.pop("id")
            if e["type"] == "instance_started":
                e["data"] = dict(e["data"], registration=instance["registration"])
            e["prev_hash"], e["hash"] = prev, event_hash(e, prev)
            prev = e["hash"]
            new_events.append(e)
        instance["last_hash"] = prev
        connection.execute(insert(INSTANCES), [instance])
        connection.execute(insert(EVENTS), new_events)
        connection.execute(
            insert(TASKS), [dict(t, id=swap(t["id"]), instance_id=new_id) for t in tasks[original["id"]]]
        )
        if timers[original["id"]]:
            connection.execute(
                insert(TIMERS),
                [
                    dict(t, id=swap(t["id"]), task_id=swap(t["task_id"]), instance_id=new_id)
                    for t in timers[original["id"]]
                ],
            )


def measure(url: str | None, count: int, originals: int) -> dict[str, Any]:
    engine, url = fresh_engine(url)
    forms: dict = {}
    with time_machine.travel(T0, tick=False) as clock:
        started = time.perf_counter()
        for shape in range(originals):
            run_application(engine, clock, shape, forms)
        doing = (time.perf_counter() - started) / originals
    with engine.db.engine.begin() as connection:
        clone(connection, count)
    timings = {}
    for jobs in sorted({1, os.cpu_count() or 1}):
        started = time.perf_counter()
        report = engine.audit_verify(jobs=jobs)
        timings[jobs] = time.perf_counter() - started
        assert report.ok, json.dumps(report.as_dict()["failures"][:3], indent=1)
        assert report.checked == count, (report.checked, count)
    dialect = engine.db.dialect
    engine.close()
    return {"dialect": dialect, "timings": timings, "checked": count, "doing": doing}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--originals", type=int, default=40)
    args = parser.parse_args()
    runs = [measure(None, args.applications, args.originals)]
    if postgres_url():
        with scratch_postgres(postgres_url()) as url:
            runs.append(measure(url, args.applications, args.originals))
    print(f"audit verify --all over {args.applications} completed applications ({args.originals} run, rest copied)")
    for r in runs:
        for jobs, elapsed in r["timings"].items():
            per = elapsed / r["checked"]
            print(
                f"  {r['dialect']:<11} jobs={jobs}  {r['checked'] / elapsed:7.1f} applications/s  ({elapsed:6.1f} s)  "
                f"{per * 1000:6.1f} ms each = {per / r['doing']:4.2f}x the {r['doing'] * 1000:.0f} ms "
                "it took to run one through the engine"
            )


if __name__ == "__main__":
    main()
