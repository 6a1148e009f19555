"""Firing due timers: find due instances from the projection, fire each on its own.

Only instances with a timer already due are loaded. Each instance is handled in
its own transaction; on PostgreSQL its row is locked with SKIP LOCKED so that
concurrent sweeps (several workers) pass each other by, and the instance's
version check makes sure a timer is never fired twice. A failure in one
instance is reported without stopping the sweep.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from ..store.uow import UnitOfWork
from .context import Context
from .instances import load_workflow
from .recording import INSTANCES, TIMERS, Recorder, load_instance

log = logging.getLogger("ptsp.timers")
_LOCK = select(INSTANCES.c.id).where(INSTANCES.c.id == bindparam("id"))
_STILL_DUE = select(TIMERS.c.id).where(TIMERS.c.instance_id == bindparam("id"), TIMERS.c.due_at <= bindparam("now"))


def due_instances(session: Session, now: datetime, limit: int, exclude: set[int]) -> list[int]:
    first_due = func.min(TIMERS.c.due_at).label("first_due")
    query = (
        select(TIMERS.c.instance_id, first_due)
        .where(TIMERS.c.due_at <= now)
        .group_by(TIMERS.c.instance_id)
        .order_by(first_due, TIMERS.c.instance_id)
        .limit(limit + len(exclude))
    )
    return [row.instance_id for row in session.execute(query) if row.instance_id not in exclude][:limit]


def fire_instance(uow: UnitOfWork, ctx: Context, instance_id: int) -> int:
    """Fire the due timers of one instance; return the number of breaches recorded."""
    connection = uow.connection
    now = ctx.clock.now()
    if connection.dialect.name == "postgresql":
        locked = connection.execute(_LOCK.with_for_update(skip_locked=True), {"id": instance_id}).first()
        if locked is None:  # another worker holds it right now
            return 0
    due_rows = connection.execute(_STILL_DUE, {"id": instance_id, "now": now}).scalars().all()
    if not due_rows:
        return 0  # fired meanwhile by another worker, or completed by a user
    instance = load_instance(connection, instance_id)
    if instance.status != "running":
        return 0
    compiled = ctx.compiled(connection, instance.definition_id)
    wf = load_workflow(ctx, instance, compiled)
    changes = ctx.runtime.fire_due_timers(wf, compiled.model)
    recorder = Recorder(connection, instance, compiled, now)
    recorder.apply(changes)
    version = recorder.save(ctx.runtime.dump(wf))
    # A due projection row the workflow does not wait on (any more) would be
    # picked up by every sweep; drop it so that one inconsistent row cannot
    # stall the worker.
    stale = set(due_rows) - set(recorder.cleared) - set(ctx.runtime.pending_timer_ids(wf))
    if stale:
        log.warning("instance %s: dropping timer rows the workflow does not wait on: %s", instance_id, sorted(stale))
        connection.execute(delete(TIMERS).where(TIMERS.c.id.in_(sorted(stale))))
    uow.on_commit(lambda: ctx.workflows.put(instance_id, version, wf))
    return sum(1 for c in changes if c.type == "sla_breached")
