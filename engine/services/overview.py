"""Counts for supervisors and lists of applications, read from the projections."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Connection, and_, case, func, select

from ..calendar import WIB
from ..model import APPLICANT_LANE, KNOWN_LANES
from ..store.models import Instance, TaskRow, TimerRow
from ..views import ApplicationSummary, LaneCount
from .context import Actor
from .queries import summary

_TASKS, _INSTANCES, _TIMERS = TaskRow.__table__, Instance.__table__, TimerRow.__table__


def start_of_day(now: datetime) -> datetime:
    """Midnight WIB of the office day ``now`` falls in, as an aware moment."""
    local = now.astimezone(WIB)
    return datetime.combine(local.date(), time(0, 0), WIB)


def lane_counts(connection: Connection, now: datetime, lanes: list[str] | None = None) -> list[LaneCount]:
    """Open and overdue tasks per lane, and tasks completed since midnight WIB."""
    lanes = lanes if lanes is not None else list(KNOWN_LANES)
    open_query = (
        select(
            _TASKS.c.lane,
            func.count().label("open"),
            func.sum(case((and_(_TASKS.c.due_at.is_not(None), _TASKS.c.due_at <= now), 1), else_=0)).label("late"),
        )
        .where(_TASKS.c.status == "ready", _TASKS.c.lane.in_(lanes))
        .group_by(_TASKS.c.lane)
    )
    done_query = (
        select(_TASKS.c.lane, func.count().label("done"))
        .where(_TASKS.c.status == "completed", _TASKS.c.completed_at >= start_of_day(now), _TASKS.c.lane.in_(lanes))
        .group_by(_TASKS.c.lane)
    )
    open_by = {row.lane: (row.open, int(row.late or 0)) for row in connection.execute(open_query)}
    done_by = {row.lane: row.done for row in connection.execute(done_query)}
    return [LaneCount(lane, *open_by.get(lane, (0, 0)), done_by.get(lane, 0)) for lane in lanes]


def applications(connection: Connection, user: Actor, *, limit: int = 50, offset: int = 0) -> list[ApplicationSummary]:
    """An applicant's own applications, newest first, with what each waits for."""
    rows = connection.execute(
        select(
            _INSTANCES.c.id,
            _INSTANCES.c.registration,
            _INSTANCES.c.service,
            _INSTANCES.c.status,
            _INSTANCES.c.started_at,
            _INSTANCES.c.ended_at,
        )
        .where(_INSTANCES.c.owner_id == user.id)
        .order_by(_INSTANCES.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    waiting: dict[int, list] = {}
    if rows:
        ready = connection.execute(
            select(_TASKS)
            .where(_TASKS.c.instance_id.in_([r.id for r in rows]), _TASKS.c.status == "ready")
            .order_by(_TASKS.c.ready_at)
        )
        for task in ready:
            waiting.setdefault(task.instance_id, []).append(task)
    return [
        ApplicationSummary(
            r.id,
            r.registration,
            r.service,
            r.status,
            r.started_at,
            r.ended_at,
            tuple(summary(t, r.registration, r.service) for t in waiting.get(r.id, [])),
        )
        for r in rows
    ]


def next_timer_due(connection: Connection) -> datetime | None:
    return connection.execute(select(_TIMERS.c.due_at).order_by(_TIMERS.c.due_at).limit(1)).scalar_one_or_none()


def is_applicant_only(user: Actor) -> bool:
    return user.lanes == frozenset({APPLICANT_LANE})
