"""Read side: task lists, one task, one application, its history.

These read the projections and the event log only; no workflow is ever
deserialized to answer them. When a user is given, results are limited to what
that user may see: tasks of their lanes, and in the applicant lane only their
own applications.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, or_, select, union_all
from sqlalchemy.orm import Session

from ..errors import InvalidInput, NotFound
from ..inputs import task_id_ok
from ..model import APPLICANT_LANE, CATALOGUE_PERSYARATAN, KNOWN_LANES, MISSING_NOTE_FIELD, SEKSI_LANE, ProcessModel
from ..store.models import Definition, Event, Instance, TaskRow, User
from ..views import Disposition, EventInfo, InstanceInfo, MissingItem, TaskDetail, TaskSummary
from . import catalogue
from .context import Actor, Context

STATUSES = ("ready", "completed", "cancelled")


def summary(row: Any, registration: str, service: str | None = None) -> TaskSummary:
    """A task row (ORM object or Core row with the task columns) as a view."""
    return TaskSummary(
        service=service,
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
        seksi=row.seksi,
    )


_TASKS, _INSTANCES = TaskRow.__table__, Instance.__table__
_SUMMARY_COLUMNS = (
    _TASKS.c.id,
    _TASKS.c.instance_id,
    _INSTANCES.c.registration,
    _INSTANCES.c.service,
    _TASKS.c.name,
    _TASKS.c.element_id,
    _TASKS.c.lane,
    _TASKS.c.sop_step,
    _TASKS.c.status,
    _TASKS.c.ready_at,
    _TASKS.c.due_at,
    _TASKS.c.breached_at,
    _TASKS.c.completed_at,
    _TASKS.c.completed_by,
    _TASKS.c.seksi,
)


def _ordered(query: Select, status: str, *, few: bool = False) -> Select:
    """Deadline order (tasks without one last), or readiness order for finished tasks.

    ``few`` marks a branch known to be small (one applicant's tasks): it is
    ordered by an expression no index serves, so that planners find its rows
    through the application index and sort the handful, instead of walking
    the whole lane in deadline order.
    """
    if status != "ready":
        return query.order_by(_TASKS.c.ready_at, _TASKS.c.id)
    if few:
        return query.order_by(_TASKS.c.due_at.is_(None), _TASKS.c.due_at, _TASKS.c.ready_at, _TASKS.c.id)
    return query.order_by(_TASKS.c.due_at.asc().nulls_last(), _TASKS.c.ready_at, _TASKS.c.id)


def _own_instances(connection: Connection, user: Actor, status: str) -> Any:
    """The applicant's applications as a filter that planners read by instance, not by lane.

    Asked as a join, SQLite walks the whole applicant lane in deadline order
    looking for this owner's rows (linear in open applications); a literal id
    list sends it to the instance index. Prolific applicants get the join.
    """
    query = select(_INSTANCES.c.id).where(_INSTANCES.c.owner_id == user.id)
    if status == "ready":
        query = query.where(_INSTANCES.c.status == "running")
    ids = connection.execute(query.limit(_OWN_IDS_LIMIT + 1)).scalars().all()
    if len(ids) <= _OWN_IDS_LIMIT:
        return _TASKS.c.instance_id.in_(ids)
    return _INSTANCES.c.owner_id == user.id


_OWN_IDS_LIMIT = 500


def list_tasks(
    connection: Connection,
    *,
    lane: str | None = None,
    instance: int | None = None,
    user: Actor | None = None,
    status: str = "ready",
    limit: int | None = None,
    offset: int = 0,
) -> list[TaskSummary]:
    """Tasks in deadline order.

    A user sees the tasks of their staff lanes and, in the applicant lane, only
    those of their own applications. Each of those sets is read on its own
    index (one branch per lane, one for the applicant's applications) and the
    branches are merged, so that the first page costs the same at 1,000 or
    100,000 open applications.
    """
    if lane is not None and lane not in KNOWN_LANES:
        raise InvalidInput(f"unknown lane {lane!r}; lanes are: {', '.join(KNOWN_LANES)}")
    if status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    if limit is not None and not 0 < limit <= 10_000:
        raise InvalidInput("limit must be between 1 and 10000")
    if offset < 0:
        raise InvalidInput("offset must not be negative")
    base = (
        select(*_SUMMARY_COLUMNS)
        .select_from(_TASKS.join(_INSTANCES, _INSTANCES.c.id == _TASKS.c.instance_id))
        .where(_TASKS.c.status == status)
    )
    if instance is not None:
        base = base.where(_TASKS.c.instance_id == instance)
    branches: list[tuple[Select, bool]] = []
    if user is None:
        branches.append((base.where(_TASKS.c.lane == lane) if lane is not None else base, instance is not None))
    else:
        staff_lanes = sorted(user.lanes - {APPLICANT_LANE})
        for staff_lane in staff_lanes:
            if lane is not None and lane != staff_lane:
                continue
            if staff_lane == SEKSI_LANE:
                # the Kasi lane is split by Seksi: a Kasi sees their own Seksi's tasks; a task routed to no
                # Seksi (filed before routing existed) is every Kasi's, so that an upgrade strands nothing
                unrouted = _TASKS.c.seksi.is_(None)
                mine = or_(_TASKS.c.seksi == user.seksi, unrouted) if user.seksi is not None else unrouted
                branches.append((base.where(_TASKS.c.lane == staff_lane, mine), instance is not None))
                continue
            branches.append((base.where(_TASKS.c.lane == staff_lane), instance is not None))
        if user.is_applicant and lane in (None, APPLICANT_LANE):
            own = _own_instances(connection, user, status)
            branches.append((base.where(_TASKS.c.lane == APPLICANT_LANE, own), True))
    if not branches:
        return []
    window = None if limit is None else limit + offset
    if len(branches) == 1:
        query = _ordered(branches[0][0], status, few=branches[0][1])
    else:
        parts = [
            _ordered(b, status, few=few).limit(window).subquery() if window else b.subquery() for b, few in branches
        ]
        merged = union_all(*(select(p) for p in parts)).subquery()
        query = select(merged)
        if status == "ready":
            query = query.order_by(merged.c.due_at.asc().nulls_last(), merged.c.ready_at, merged.c.id)
        else:
            query = query.order_by(merged.c.ready_at, merged.c.id)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return [summary(row, row.registration, row.service) for row in connection.execute(query)]


def can_see_instance(user: Actor | None, instance: Instance) -> bool:
    if user is None or instance.owner_id == user.id:
        return True
    return user.sees_all_applications


def can_see_task(user: Actor, lane: str | None, seksi: str | None, instance: Instance) -> bool:
    visible = lane in user.lanes and can_see_instance(user, instance)
    if lane == APPLICANT_LANE and instance.owner_id != user.id:
        visible = False  # an applicant's task is theirs alone, whatever other lanes a user has
    if lane == SEKSI_LANE and seksi is not None and seksi != user.seksi:
        visible = False  # another Seksi's work (a task routed to no Seksi is every Kasi's)
    return visible


def task_detail(session: Session, ctx: Context, task_id: str, user: Actor | None = None) -> TaskDetail:
    row = session.get(TaskRow, task_id) if task_id_ok(task_id) else None
    if row is None:
        raise NotFound(f"task {task_id} not found")
    instance = session.get(Instance, row.instance_id)
    if user is not None and not can_see_task(user, row.lane, row.seksi, instance):
        raise NotFound(f"task {task_id} not found")
    connection = session.connection()
    compiled = ctx.compiled(connection, instance.definition_id)
    task_def = compiled.model.tasks[row.element_id]
    timer = compiled.model.timer_for(row.element_id)
    form = task_def.form
    if row.status == "ready":  # the form as it must be filled in now; a finished task shows the diagram's
        form = catalogue.bind(connection, form, data=instance.data, seksi=instance.seksi).form
    return TaskDetail(
        summary(row, instance.registration, instance.service),
        form,
        task_def.documentation,
        task_def.mutu_baku,
        timer.expression if timer is not None else None,
        catalogue.application_service(connection, instance.data),
    )


def instance_info(
    session: Session, instance: Instance, user: Actor | None = None, model: ProcessModel | None = None
) -> InstanceInfo:
    if user is not None and not can_see_instance(user, instance):
        raise NotFound(f"application {instance.id} not found")
    definition = session.get(Definition, instance.definition_id)
    owner = session.get(User, instance.owner_id)
    open_rows = session.execute(
        select(TaskRow)
        .where(TaskRow.instance_id == instance.id, TaskRow.status == "ready")
        .order_by(TaskRow.ready_at, TaskRow.id)
    ).scalars()
    data = instance.data or {}
    connection = session.connection()
    missing, note = _missing(connection, model, data)
    return InstanceInfo(
        id=instance.id,
        registration=instance.registration,
        status=instance.status,
        process=definition.process_id,
        version=definition.version,
        owner=owner.login,
        started_at=instance.started_at,
        ended_at=instance.ended_at,
        data=_visible_data(data, model, user),
        open_tasks=tuple(summary(r, instance.registration, instance.service) for r in open_rows),
        service=instance.service,
        owner_name=owner.name,
        described=_described(connection, model, data, user),
        service_code=instance.service_code,
        seksi=instance.seksi,
        missing=missing,
        missing_note=note,
        dispositions=dispositions(session, instance, model) if _lanes_shown(user) is None else (),
    )


def _checklists(model: ProcessModel | None) -> list[Any]:
    if model is None:
        return []
    return [f for t in model.tasks.values() for f in t.form.fields if f.catalogue == CATALOGUE_PERSYARATAN]


def _missing(connection: Any, model: ProcessModel | None, data: dict) -> tuple[tuple[MissingItem, ...], str | None]:
    """While the file is returned (the checklist's condition holds): the items ticked and the note."""
    for f in _checklists(model):
        condition = f.required_when
        if condition is not None and data.get(condition[0]) is not condition[1]:
            continue
        codes = data.get(f.id)
        if not isinstance(codes, list) or not codes:
            continue
        service = catalogue.application_service(connection, data)
        texts = {r.code: r.text for r in service.persyaratan} if service is not None else {}
        items = tuple(MissingItem(str(c), texts.get(str(c), str(c))) for c in codes)
        note = data.get(MISSING_NOTE_FIELD)
        return items, note if isinstance(note, str) else None
    return (), None


def _described(connection: Any, model: ProcessModel | None, data: dict, user: Actor | None) -> tuple:
    if model is None:
        return ()
    rows = model.describe(data, _lanes_shown(user))
    checklist_ids = {f.id for f in _checklists(model)}
    if not checklist_ids or not any(field_id in checklist_ids for field_id, _label, _value in rows):
        return tuple(rows)
    service = catalogue.application_service(connection, data)
    texts = {r.code: r.text for r in service.persyaratan} if service is not None else {}
    return tuple(
        (field_id, label, "; ".join(texts.get(c, c) for c in data[field_id]))
        if field_id in checklist_ids and isinstance(data.get(field_id), list)
        else (field_id, label, value)
        for field_id, label, value in rows
    )


def dispositions(session: Session, instance: Instance, model: ProcessModel | None) -> tuple[Disposition, ...]:
    """The completions of steps whose form carries a disposition note (``disposition`` property), oldest first."""
    if model is None:
        return ()
    noted = {
        task.id: next(f.id for f in task.form.fields if f.is_disposition)
        for task in model.tasks.values()
        if any(f.is_disposition for f in task.form.fields)
    }
    if not noted:
        return ()
    events = session.execute(
        select(Event.actor, Event.at, Event.task_name, Event.data)
        .where(Event.instance_id == instance.id, Event.type == "task_completed")
        .order_by(Event.seq)
    ).all()
    found = [e for e in events if (e.data or {}).get("element") in noted]
    if not found:
        return ()
    logins = {e.actor for e in found if e.actor}
    names = dict(session.execute(select(User.login, User.name).where(User.login.in_(logins))).all()) if logins else {}
    out = []
    for e in found:
        element = e.data["element"]
        form = e.data.get("form") or {}
        note = form.get(noted[element])
        out.append(
            Disposition(
                e.data.get("sop_step"),
                e.task_name,
                e.actor,
                names.get(e.actor),
                e.at,
                note if isinstance(note, str) else None,
                catalogue.routed_seksi(model.tasks[element].form, form),
            )
        )
    return tuple(out)


def _visible_data(data: dict, model: ProcessModel | None, user: Actor | None) -> dict:
    lanes = _lanes_shown(user)
    if lanes is None:
        return dict(data)
    allowed = model.field_ids(lanes) if model is not None else set()
    return {k: v for k, v in data.items() if k in allowed}


def _visible_event(event: Event, user: Actor | None) -> dict:
    """An applicant sees that staff did their steps and what was decided, not staff's entries."""
    data = dict(event.data or {})
    if _lanes_shown(user) is not None and event.lane != APPLICANT_LANE:
        data.pop("form", None)
        data.pop("inputs", None)
    return data


def _lanes_shown(user: Actor | None) -> set[str] | None:
    """Staff see every value entered; an applicant sees what the applicant lane entered."""
    if user is None or user.sees_all_applications:
        return None
    return {APPLICANT_LANE}


def history(session: Session, instance: Instance, user: Actor | None = None) -> list[EventInfo]:
    if user is not None and not can_see_instance(user, instance):
        raise NotFound(f"application {instance.id} not found")
    rows = session.execute(select(Event).where(Event.instance_id == instance.id).order_by(Event.seq)).scalars()
    return [
        EventInfo(e.seq, e.type, e.at, e.actor, e.task_id, e.task_name, e.lane, _visible_event(e, user)) for e in rows
    ]
