"""The auditor's read side: the list of applications, a history to replay, exports, SLA facts.

Everything here reads the projections and the event log; exports stream the
log page by page so that memory stays flat whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, func, select

from ..audit.sla import TaskFact
from ..errors import InvalidInput
from ..inputs import text_ok
from ..model import KNOWN_LANES
from ..store.models import Definition, Event, Instance, TaskRow, User
from .context import Context

_EVENTS, _INSTANCES, _TASKS, _DEFINITIONS, _USERS = (m.__table__ for m in (Event, Instance, TaskRow, Definition, User))
STATUSES = ("running", "completed", "cancelled")


@dataclass(frozen=True)
class AuditFilter:
    """Which applications an auditor lists. Empty fields do not filter.

    ``since``/``until`` bound the moment the application was filed
    (``since <= started_at < until``). ``lane`` names where the application
    waits now, or, with ``breached=True``, where a deadline was missed.
    ``search`` matches part of the registration number.
    """

    service: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None
    breached: bool | None = None
    lane: str | None = None
    search: str | None = None

    def check(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise InvalidInput(f"unknown status {self.status!r}; use one of {', '.join(STATUSES)}")
        if self.lane is not None and self.lane not in KNOWN_LANES:
            raise InvalidInput(f"unknown lane {self.lane!r}; lanes are: {', '.join(KNOWN_LANES)}")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise InvalidInput(f"{name} must be a moment with a time zone")
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise InvalidInput("the period ends before it begins")
        if self.search is not None and not text_ok(self.search, 40):
            raise InvalidInput("search for at most 40 characters of a registration number")
        if self.service is not None and not text_ok(self.service, 200):
            raise InvalidInput("a service is at most 200 characters")


@dataclass(frozen=True)
class AuditRow:
    id: int
    registration: str
    service: str | None
    owner: str
    owner_name: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    process: str
    version: int
    breaches: int
    waiting_in: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        from ..views import iso

        return {
            "id": self.id,
            "registration": self.registration,
            "service": self.service,
            "owner": self.owner,
            "status": self.status,
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
            "process": self.process,
            "version": self.version,
            "breaches": self.breaches,
            "waiting_in": list(self.waiting_in),
        }


def _conditions(f: AuditFilter) -> list[Any]:
    where: list[Any] = []
    if f.service is not None:
        where.append(_INSTANCES.c.service == f.service)
    if f.since is not None:
        where.append(_INSTANCES.c.started_at >= f.since)
    if f.until is not None:
        where.append(_INSTANCES.c.started_at < f.until)
    if f.status is not None:
        where.append(_INSTANCES.c.status == f.status)
    if f.search:
        escaped = f.search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(_INSTANCES.c.registration.like(f"%{escaped}%", escape="\\"))
    task = _TASKS.c.instance_id == _INSTANCES.c.id
    if f.breached is True:
        lane = [_TASKS.c.lane == f.lane] if f.lane else []
        where.append(exists().where(task, _TASKS.c.breached_at.is_not(None), *lane))
    elif f.breached is False:
        where.append(~exists().where(task, _TASKS.c.breached_at.is_not(None)))
    if f.lane and f.breached is not True:
        where.append(exists().where(task, _TASKS.c.status == "ready", _TASKS.c.lane == f.lane))
    return where


def list_applications(
    connection: Connection, f: AuditFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[AuditRow], int]:
    """A page of applications, newest first, and how many match in all."""
    f.check()
    if not 0 < limit <= 1000 or offset < 0:
        raise InvalidInput("limit must be 1 to 1000 and offset not negative")
    where = _conditions(f)
    total = connection.execute(select(func.count()).select_from(_INSTANCES).where(*where)).scalar_one()
    breaches = (
        select(func.count())
        .where(_TASKS.c.instance_id == _INSTANCES.c.id, _TASKS.c.breached_at.is_not(None))
        .scalar_subquery()
    )
    query = (
        select(
            _INSTANCES.c.id,
            _INSTANCES.c.registration,
            _INSTANCES.c.service,
            _USERS.c.login,
            _USERS.c.name,
            _INSTANCES.c.status,
            _INSTANCES.c.started_at,
            _INSTANCES.c.ended_at,
            _DEFINITIONS.c.process_id,
            _DEFINITIONS.c.version,
            breaches.label("breaches"),
        )
        .join(_USERS, _USERS.c.id == _INSTANCES.c.owner_id)
        .join(_DEFINITIONS, _DEFINITIONS.c.id == _INSTANCES.c.definition_id)
        .where(*where)
        .order_by(_INSTANCES.c.started_at.desc(), _INSTANCES.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = connection.execute(query).all()
    waiting: dict[int, list[str]] = {}
    if rows:
        open_lanes = select(_TASKS.c.instance_id, _TASKS.c.lane).where(
            _TASKS.c.instance_id.in_([r.id for r in rows]), _TASKS.c.status == "ready"
        )
        for instance_id, lane in connection.execute(open_lanes):
            waiting.setdefault(instance_id, []).append(lane)
    return [
        AuditRow(*row, waiting_in=tuple(sorted(set(waiting.get(row.id, ())), key=_lane_rank))) for row in rows
    ], total


def _lane_rank(lane: str | None) -> int:
    return KNOWN_LANES.index(lane) if lane in KNOWN_LANES else len(KNOWN_LANES)


def services(connection: Connection) -> list[str]:
    """The services applied for so far (for the filter's choices)."""
    query = select(_INSTANCES.c.service).where(_INSTANCES.c.service.is_not(None)).distinct()
    return sorted(connection.execute(query).scalars())


# ------------------------------------------------------------------ export rows
_EXPORT_EVENTS = (
    select(
        _EVENTS.c.instance_id,
        _EVENTS.c.seq,
        _EVENTS.c.type,
        _EVENTS.c.at,
        _EVENTS.c.actor,
        _EVENTS.c.task_id,
        _EVENTS.c.task_name,
        _EVENTS.c.lane,
        _EVENTS.c.data,
        _EVENTS.c.hash,
    )
    .where(_EVENTS.c.instance_id.in_(bindparam("ids", expanding=True)))
    .order_by(_EVENTS.c.instance_id, _EVENTS.c.seq)
)
_EXPORT_KEYS = tuple(c.name for c in _EXPORT_EVENTS.selected_columns)
EXPORT_PAGE = 200  # applications per query: a few thousand events in flight at most


def export_rows(
    connection: Connection,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    instance: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Every event of the chosen applications, by application then ``seq``, one dict at a time.

    Applications are chosen by when they were filed (whole histories, as
    process mining expects), or one by id.
    """
    where: list[Any] = []
    if since is not None:
        where.append(_INSTANCES.c.started_at >= since)
    if until is not None:
        where.append(_INSTANCES.c.started_at < until)
    if instance is not None:
        where.append(_INSTANCES.c.id == instance)
    heads = select(
        _INSTANCES.c.id,
        _INSTANCES.c.registration,
        _INSTANCES.c.service,
        _DEFINITIONS.c.process_id,
        _DEFINITIONS.c.version,
    ).join(_DEFINITIONS, _DEFINITIONS.c.id == _INSTANCES.c.definition_id)
    last = 0
    while True:
        page = connection.execute(
            heads.where(*where, _INSTANCES.c.id > last).order_by(_INSTANCES.c.id).limit(EXPORT_PAGE)
        ).all()
        if not page:
            return
        heads_of = {
            row.id: {
                "registration": row.registration,
                "service": row.service,
                "process": row.process_id,
                "version": row.version,
            }
            for row in page
        }
        streamed = connection.execution_options(stream_results=True, yield_per=2000)
        for event in streamed.execute(_EXPORT_EVENTS, {"ids": list(heads_of)}):
            record = dict(zip(_EXPORT_KEYS, event, strict=True))  # plain tuples: the hot loop of an export
            record.update(heads_of[event[0]])
            yield record
        last = page[-1].id


# -------------------------------------------------------------------- SLA facts
def sla_facts(ctx: Context, connection: Connection, since: datetime, until: datetime) -> Iterator[TaskFact]:
    """Every task of the applications that had a task become ready in the period.

    Whole applications are passed on, so that the report can measure a step
    that began in the period and ended after it.
    """
    concerned = (
        select(_TASKS.c.instance_id)
        .where(and_(_TASKS.c.ready_at >= since, _TASKS.c.ready_at < until))
        .distinct()
        .scalar_subquery()
    )
    query = (
        select(_TASKS, _INSTANCES.c.registration, _INSTANCES.c.service, _INSTANCES.c.definition_id)
        .join(_INSTANCES, _INSTANCES.c.id == _TASKS.c.instance_id)
        .where(_TASKS.c.instance_id.in_(concerned))
        .order_by(_TASKS.c.instance_id, _TASKS.c.ready_at, _TASKS.c.id)
    )
    # the time standard of each task, per diagram version (read before the rows stream)
    versions = select(_INSTANCES.c.definition_id).where(_INSTANCES.c.id.in_(concerned)).distinct()
    standards = {
        definition: _standards(ctx.compiled(connection, definition).model)
        for definition in connection.execute(versions).scalars()
    }
    for row in connection.execution_options(stream_results=True, yield_per=5000).execute(query).mappings():
        definition = row["definition_id"]
        yield TaskFact(
            instance_id=row["instance_id"],
            registration=row["registration"],
            service=row["service"],
            element_id=row["element_id"],
            name=row["name"],
            lane=row["lane"],
            sop_step=row["sop_step"],
            status=row["status"],
            ready_at=row["ready_at"],
            completed_at=row["completed_at"],
            due_at=row["due_at"],
            breached_at=row["breached_at"],
            standard=standards[definition].get(row["element_id"]),
            completed_by=row["completed_by"],
        )


def _standards(model: Any) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for element in model.tasks:
        timer = model.timer_for(element)
        out[element] = timer.expression if timer is not None and timer.kind == "duration" else None
    return out
