"""Firing due timers: find due instances from the projection, fire each on its own.

Only instances with a timer already due are loaded. Each instance is handled in
its own transaction, locked so that concurrent sweeps (several workers on one
PostgreSQL) never fire the same timer twice, and a failure in one instance is
reported without stopping the sweep.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, undefer

from ..store.models import Instance, TimerRow
from ..store.uow import UnitOfWork
from .context import Context
from .recording import apply_changes


def due_instances(session: Session, now: datetime, limit: int, exclude: set[int]) -> list[int]:
    query = (
        select(TimerRow.instance_id, func.min(TimerRow.due_at).label("first_due"))
        .where(TimerRow.due_at <= now)
        .group_by(TimerRow.instance_id)
        .order_by("first_due", TimerRow.instance_id)
        .limit(limit + len(exclude))
    )
    return [row.instance_id for row in session.execute(query) if row.instance_id not in exclude][:limit]


def fire_instance(uow: UnitOfWork, ctx: Context, instance_id: int) -> int:
    """Fire the due timers of one instance; return the number of breaches recorded."""
    session = uow.session
    now = ctx.clock.now()
    query = select(Instance).where(Instance.id == instance_id).options(undefer(Instance.state))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    instance = session.execute(query).scalar_one_or_none()
    if instance is None or instance.status != "running":
        return 0
    still_due = session.execute(
        select(TimerRow.id).where(TimerRow.instance_id == instance_id, TimerRow.due_at <= now).limit(1)
    ).first()
    if still_due is None:  # another worker fired it meanwhile
        return 0
    compiled = ctx.compiled(session, instance.definition_id)
    wf = ctx.workflows.take(instance.id, instance.version)
    if wf is None:
        wf = ctx.runtime.load(compiled, instance.state)
    changes = ctx.runtime.fire_due_timers(wf, compiled.model)
    instance.state = ctx.runtime.dump(wf)
    apply_changes(session, instance, compiled, changes, now=now)
    # A projection row the workflow no longer waits on would be picked up by
    # every sweep; drop it so one inconsistent row cannot stall the worker.
    pending = ctx.runtime.pending_timer_ids(wf)
    session.execute(delete(TimerRow).where(TimerRow.instance_id == instance.id, TimerRow.id.not_in(pending or [""])))
    uow.flush()
    uow.on_commit(lambda: ctx.workflows.put(instance.id, instance.version, wf))
    return sum(1 for c in changes if c.type == "sla_breached")
