"""Counts for supervisors and lists of applications, read from the projections."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from ..calendar import WIB
from ..model import APPLICANT_LANE, KNOWN_LANES, SEKSI, SEKSI_LANE
from ..store.models import Instance, TaskRow, TimerRow
from ..views import ApplicationSummary, LaneCount, SeksiCount
from .context import Actor
from .queries import summary

# ``lane_counts(..., user=EVERYONE)``: counted for no one in particular (supervisors, the CLI)
EVERYONE: Any = object()

_TASKS, _INSTANCES, _TIMERS = TaskRow.__table__, Instance.__table__, TimerRow.__table__


def start_of_day(now: datetime) -> datetime:
    """Midnight WIB of the office day ``now`` falls in, as an aware moment."""
    local = now.astimezone(WIB)
    return datetime.combine(local.date(), time(0, 0), WIB)


def lane_counts(
    connection: Connection, now: datetime, lanes: list[str] | None = None, *, user: Any = EVERYONE
) -> list[LaneCount]:
    """Open and overdue tasks per lane, and tasks completed since midnight WIB.

    Counted for ``user``, the Kasi lane holds only their Seksi's tasks and those routed to no Seksi.
    """
    lanes = lanes if lanes is not None else list(KNOWN_LANES)
    scope = [_TASKS.c.lane.in_(lanes)]
    if user is not EVERYONE and SEKSI_LANE in lanes:
        seksi = getattr(user, "seksi", None)
        others = _TASKS.c.lane != SEKSI_LANE
        unrouted = _TASKS.c.seksi.is_(None)  # routed to no Seksi (filed before routing): every Kasi's
        scope.append(or_(others, _TASKS.c.seksi == seksi, unrouted) if seksi is not None else or_(others, unrouted))
    open_query = (
        select(
            _TASKS.c.lane,
            func.count().label("open"),
            func.sum(case((and_(_TASKS.c.due_at.is_not(None), _TASKS.c.due_at <= now), 1), else_=0)).label("late"),
        )
        .where(_TASKS.c.status == "ready", *scope)
        .group_by(_TASKS.c.lane)
    )
    done_query = (
        select(_TASKS.c.lane, func.count().label("done"))
        .where(_TASKS.c.status == "completed", _TASKS.c.completed_at >= start_of_day(now), *scope)
        .group_by(_TASKS.c.lane)
    )
    open_by = {row.lane: (row.open, int(row.late or 0)) for row in connection.execute(open_query)}
    done_by = {row.lane: row.done for row in connection.execute(done_query)}
    return [LaneCount(lane, *open_by.get(lane, (0, 0)), done_by.get(lane, 0)) for lane in lanes]


def seksi_counts(connection: Connection, now: datetime) -> list[SeksiCount]:
    """The Kasi lane per Seksi (every Seksi listed), for supervisors' dashboards."""
    late = func.sum(case((and_(_TASKS.c.due_at.is_not(None), _TASKS.c.due_at <= now), 1), else_=0))
    open_by = {
        row.seksi: (row.open, int(row.late or 0))
        for row in connection.execute(
            select(_TASKS.c.seksi, func.count().label("open"), late.label("late"))
            .where(_TASKS.c.status == "ready", _TASKS.c.lane == SEKSI_LANE)
            .group_by(_TASKS.c.seksi)
        )
    }
    done_by = {
        row.seksi: row.done
        for row in connection.execute(
            select(_TASKS.c.seksi, func.count().label("done"))
            .where(
                _TASKS.c.status == "completed",
                _TASKS.c.lane == SEKSI_LANE,
                _TASKS.c.completed_at >= start_of_day(now),
            )
            .group_by(_TASKS.c.seksi)
        )
    }
    return [SeksiCount(seksi, *open_by.get(seksi, (0, 0)), done_by.get(seksi, 0)) for seksi in SEKSI]


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
