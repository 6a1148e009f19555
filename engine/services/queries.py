"""Read side: task lists, one task, one application, its history.

These read the projections and the event log only; no workflow is ever
deserialized to answer them. When a user is given, results are limited to what
that user may see: tasks of their lanes, and in the applicant lane only their
own applications.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..errors import InvalidInput, NotFound, PermissionDenied
from ..model import APPLICANT_LANE, KNOWN_LANES
from ..store.models import Definition, Event, Instance, TaskRow, User
from ..views import EventInfo, InstanceInfo, TaskDetail, TaskSummary
from .context import Actor, Context

STATUSES = ("ready", "completed", "cancelled")


def summary(row: TaskRow, registration: str) -> TaskSummary:
    return TaskSummary(
        id=row.id,
        instance=row.instance_id,
        registration=registration,
        name=row.name,
        element=row.element_id,
        lane=row.lane,
        sop_step=row.sop_step,
        status=row.status,
        ready_at=row.ready_at,
        due_at=row.due_at,
        breached_at=row.breached_at,
        completed_at=row.completed_at,
        completed_by=row.completed_by,
    )


def list_tasks(
    session: Session,
    *,
    lane: str | None = None,
    instance: int | None = None,
    user: Actor | None = None,
    status: str = "ready",
    limit: int | None = None,
    offset: int = 0,
) -> list[TaskSummary]:
    if lane is not None and lane not in KNOWN_LANES:
        raise InvalidInput(f"unknown lane {lane!r}; lanes are: {', '.join(KNOWN_LANES)}")
    if status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    if limit is not None and not 0 < limit <= 10_000:
        raise InvalidInput("limit must be between 1 and 10000")
    if offset < 0:
        raise InvalidInput("offset must not be negative")
    query = (
        select(TaskRow, Instance.registration)
        .join(Instance, Instance.id == TaskRow.instance_id)
        .where(TaskRow.status == status)
    )
    if lane is not None:
        query = query.where(TaskRow.lane == lane)
    if instance is not None:
        query = query.where(TaskRow.instance_id == instance)
    if user is not None:
        staff_lanes = sorted(user.lanes - {APPLICANT_LANE})
        visible = [TaskRow.lane.in_(staff_lanes)] if staff_lanes else []
        if user.is_applicant:
            visible.append((TaskRow.lane == APPLICANT_LANE) & (Instance.owner_id == user.id))
        if not visible:
            return []
        query = query.where(or_(*visible))
    if status == "ready":
        query = query.order_by(TaskRow.due_at.asc().nulls_last(), TaskRow.ready_at, TaskRow.id)
    else:
        query = query.order_by(TaskRow.ready_at, TaskRow.id)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return [summary(row, reg) for row, reg in session.execute(query)]


def can_see_instance(user: Actor | None, instance: Instance) -> bool:
    if user is None or instance.owner_id == user.id:
        return True
    return bool(user.lanes - {APPLICANT_LANE})


def task_detail(session: Session, ctx: Context, task_id: str, user: Actor | None = None) -> TaskDetail:
    row = session.get(TaskRow, task_id) if isinstance(task_id, str) else None
    if row is None:
        raise NotFound(f"task {task_id} not found")
    instance = session.get(Instance, row.instance_id)
    if user is not None and not (row.lane in user.lanes and can_see_instance(user, instance)):
        raise NotFound(f"task {task_id} not found")
    compiled = ctx.compiled(session.connection(), instance.definition_id)
    task_def = compiled.model.tasks[row.element_id]
    timer = compiled.model.timer_for(row.element_id)
    return TaskDetail(
        summary(row, instance.registration),
        task_def.form,
        task_def.documentation,
        task_def.mutu_baku,
        timer.expression if timer is not None else None,
    )


def instance_info(session: Session, instance: Instance, user: Actor | None = None) -> InstanceInfo:
    if user is not None and not can_see_instance(user, instance):
        raise NotFound(f"application {instance.id} not found")
    definition = session.get(Definition, instance.definition_id)
    owner = session.get(User, instance.owner_id)
    open_rows = session.execute(
        select(TaskRow)
        .where(TaskRow.instance_id == instance.id, TaskRow.status == "ready")
        .order_by(TaskRow.ready_at, TaskRow.id)
    ).scalars()
    return InstanceInfo(
        id=instance.id,
        registration=instance.registration,
        status=instance.status,
        process=definition.process_id,
        version=definition.version,
        owner=owner.login,
        started_at=instance.started_at,
        ended_at=instance.ended_at,
        data=dict(instance.data or {}),
        open_tasks=tuple(summary(r, instance.registration) for r in open_rows),
    )


def history(session: Session, instance: Instance, user: Actor | None = None) -> list[EventInfo]:
    if user is not None and not can_see_instance(user, instance):
        raise NotFound(f"application {instance.id} not found")
    rows = session.execute(select(Event).where(Event.instance_id == instance.id).order_by(Event.seq)).scalars()
    return [EventInfo(e.seq, e.type, e.at, e.actor, e.task_id, e.task_name, e.lane, dict(e.data or {})) for e in rows]


def require_visible(user: Actor | None, lane: str | None) -> None:
    if user is not None and lane is not None and lane not in user.lanes:
        raise PermissionDenied(f"{user.login} is not a member of lane '{lane}'")
