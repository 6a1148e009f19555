"""Audit: verify applications' histories (hash chain, then re-execution).

Verification only reads. Each application is checked on its own: first its
event chain (a broken chain means the log itself cannot be trusted, so it is
not re-executed), then re-execution against the stored state and projections.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select

from ..audit.chain import verify_chain
from ..audit.reexecute import StoredInstance, reexecute
from ..errors import PtspError
from ..store.models import Definition, Event, Instance, TaskRow, TimerRow
from .context import Context
from .migrating import version_loader

_EVENTS, _INSTANCES, _TASKS, _TIMERS, _DEFINITIONS = (
    m.__table__ for m in (Event, Instance, TaskRow, TimerRow, Definition)
)
_EVENT_COLUMNS = (
    _EVENTS.c.instance_id,
    _EVENTS.c.seq,
    _EVENTS.c.type,
    _EVENTS.c.at,
    _EVENTS.c.actor,
    _EVENTS.c.task_id,
    _EVENTS.c.task_name,
    _EVENTS.c.lane,
    _EVENTS.c.data,
    _EVENTS.c.prev_hash,
    _EVENTS.c.hash,
)
_INSTANCE_BATCH = (
    select(
        _INSTANCES.c.id,
        _INSTANCES.c.registration,
        _INSTANCES.c.definition_id,
        _INSTANCES.c.status,
        _INSTANCES.c.data,
        _INSTANCES.c.service,
        _INSTANCES.c.state,
        _INSTANCES.c.last_seq,
        _INSTANCES.c.last_hash,
        _DEFINITIONS.c.process_id,
        _DEFINITIONS.c.version,
    )
    .join(_DEFINITIONS, _DEFINITIONS.c.id == _INSTANCES.c.definition_id)
    .where(_INSTANCES.c.id.in_(bindparam("ids", expanding=True)))
)
_EVENTS_OF = (
    select(*_EVENT_COLUMNS)
    .where(_EVENTS.c.instance_id.in_(bindparam("ids", expanding=True)))
    .order_by(_EVENTS.c.instance_id, _EVENTS.c.seq, _EVENTS.c.id)
)
_TASKS_OF = select(_TASKS).where(_TASKS.c.instance_id.in_(bindparam("ids", expanding=True)))
_TIMERS_OF = select(_TIMERS).where(_TIMERS.c.instance_id.in_(bindparam("ids", expanding=True)))
BATCH = 100


@dataclass(frozen=True)
class Failure:
    instance: int
    registration: str
    check: str  # "chain" or "reexecution"
    reason: str
    seq: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "registration": self.registration,
            "check": self.check,
            "reason": self.reason,
            "seq": self.seq,
        }


@dataclass(frozen=True)
class VerifyReport:
    checked: int
    failures: tuple[Failure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "failures": [f.as_dict() for f in self.failures]}


def all_instance_ids(connection: Connection) -> Iterator[int]:
    """Every application id, in order, read in pages (the table may be large)."""
    last = 0
    while True:
        query = select(_INSTANCES.c.id).where(_INSTANCES.c.id > last).order_by(_INSTANCES.c.id).limit(1000)
        ids = connection.execute(query).scalars().all()
        if not ids:
            return
        yield from ids
        last = ids[-1]


def _grouped(rows: Iterable[Any]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["instance_id"], []).append(dict(row))
    return out


def verify_batch(connection: Connection, ctx: Context, ids: list[int]) -> list[Failure]:
    """Check a batch of applications (read in a few queries); return what failed."""
    instances = connection.execute(_INSTANCE_BATCH, {"ids": ids}).mappings().all()
    events = _grouped(connection.execute(_EVENTS_OF, {"ids": ids}).mappings())
    tasks = _grouped(connection.execute(_TASKS_OF, {"ids": ids}).mappings())
    timers = _grouped(connection.execute(_TIMERS_OF, {"ids": ids}).mappings())
    failures = []
    for row in instances:
        failure = verify_one(
            connection, ctx, row, events.get(row["id"], []), tasks.get(row["id"], []), timers.get(row["id"], [])
        )
        if failure is not None:
            failures.append(failure)
    return failures


def verify_one(
    connection: Connection,
    ctx: Context,
    row: Any,
    events: list[dict[str, Any]],
    tasks: list[dict[str, Any]],
    timers: list[dict[str, Any]],
) -> Failure | None:
    broken = verify_chain(events, row["last_seq"], row["last_hash"])
    if broken is not None:
        return Failure(row["id"], row["registration"], "chain", broken.reason, broken.seq)
    try:
        ctx.compiled(connection, row["definition_id"])
    except PtspError as exc:
        return Failure(row["id"], row["registration"], "reexecution", f"its diagram cannot be loaded: {exc}", None)
    stored = StoredInstance(
        id=row["id"],
        registration=row["registration"],
        process_id=row["process_id"],
        version=row["version"],
        status=row["status"],
        data=row["data"] or {},
        service=row["service"],
        state=row["state"],
        tasks=tasks,
        timers=timers,
    )
    # the engine's calendar, re-bound by re-execution to its own clock: each recorded event's
    # moment, so every deadline is counted with the calendar as known when it was first computed
    diverged = reexecute(version_loader(connection, ctx), stored, events, ctx.runtime.script_engine.calendar)
    if diverged is not None:
        return Failure(row["id"], row["registration"], "reexecution", diverged.reason, diverged.seq)
    return None


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A transaction whose reads all see one moment, for checking a batch of a live system.

    At PostgreSQL's default READ COMMITTED each statement sees the latest
    commits, so a command (or a timer worker) committing between the read of
    the events and the read of the task list would look like tampering. A
    REPEATABLE READ transaction reads one snapshot; SQLite's read transaction
    is one already.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


def verify(engine: Engine, ctx: Context, ids: Iterable[int]) -> VerifyReport:
    checked, failures, batch = 0, [], []
    for instance_id in ids:
        batch.append(instance_id)
        if len(batch) == BATCH:
            with snapshot(engine) as connection:
                failures += verify_batch(connection, ctx, batch)
            checked, batch = checked + len(batch), []
    if batch:
        with snapshot(engine) as connection:
            failures += verify_batch(connection, ctx, batch)
        checked += len(batch)
    return VerifyReport(checked, tuple(failures))


# ---------------------------------------------------------------- in processes
_WORKER: dict[str, Any] = {}


def _start_worker(url: str, calendar: str | None = None) -> None:
    from ..facade import Engine  # a worker process builds its own engine (and connections)

    # the same calendar as the engine that asked ("office" or "wall-clock"; None: $PTSP_CALENDAR)
    _WORKER["engine"] = Engine(url, calendar=calendar)


def _verify_in_worker(ids: list[int]) -> list[Failure]:
    engine = _WORKER["engine"]
    with snapshot(engine.db.engine) as connection:
        return verify_batch(connection, engine.ctx, ids)


def verify_in_processes(url: str, ids: list[int], jobs: int, calendar: str | None = None) -> VerifyReport:
    """``verify`` spread over ``jobs`` processes, batch by batch; failures in id order.

    ``calendar`` is the asking engine's calendar mode, so that the workers count
    deadlines the same way (each re-executes with the calendar as known at every
    recorded event's moment, read from the same tables).
    """
    batches = [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]
    failures: list[Failure] = []
    context = multiprocessing.get_context("spawn")  # no fork of a process holding connections
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=(url, calendar)) as pool:
        for found in pool.map(_verify_in_worker, batches):
            failures += found
    return VerifyReport(len(ids), tuple(failures))
