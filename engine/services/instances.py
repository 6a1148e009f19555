"""Commands on applications: start, complete a task, cancel.

Each command checks everything it can (user, lane, ownership, task status,
form data) before it touches the workflow, runs the workflow once, and records
state, projections and events in the caller's single transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from .. import forms, registration
from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..model import APPLICANT_LANE
from ..runtime import STATE_FORMAT, CompiledProcess
from ..store.models import Definition, Instance, TaskRow
from ..store.uow import UnitOfWork
from ..views import CompleteResult, StartResult
from .context import Actor, Context, actor
from .queries import summary
from .recording import apply_changes, log_event

# Lanes whose members may cancel any application (the front office and the head).
CANCELLING_LANES = frozenset({"PTSP", "Kepala Kantor"})


def _definition_for_start(session: Session, process_id: str | None) -> Definition:
    query = select(Definition)
    if process_id is not None:
        query = query.where(Definition.process_id == process_id).order_by(Definition.version.desc())
    else:
        query = query.order_by(Definition.id.desc())
    row = session.execute(query.limit(1)).scalar_one_or_none()
    if row is None:
        what = f"process '{process_id}'" if process_id else "process"
        raise NotFound(f"no {what} is deployed; deploy one first (ptsp deploy processes/ptsp.bpmn)")
    return row


def start(
    uow: UnitOfWork, ctx: Context, login: str, data: dict[str, Any] | None, process_id: str | None = None
) -> StartResult:
    session = uow.session
    user = actor(session, login)
    definition = _definition_for_start(session, process_id)
    compiled = ctx.compiled(session, definition.id)
    lane = compiled.model.start_lane
    if lane is not None and lane not in user.lanes:
        raise PermissionDenied(f"{login} may not start an application: only members of lane '{lane}' may")
    cleaned = forms.validate(compiled.model.start_form, data)
    now = ctx.clock.now()
    number = registration.allocate(session, now)
    wf, changes = ctx.runtime.new_workflow(compiled, cleaned)
    instance = Instance(
        registration=number,
        definition_id=definition.id,
        owner_id=user.id,
        status="running",
        started_at=now,
        data=cleaned,
        state_format=STATE_FORMAT,
        state=ctx.runtime.dump(wf),
        last_seq=0,
    )
    session.add(instance)
    uow.flush()
    log_event(
        session,
        instance,
        "instance_started",
        now,
        actor=login,
        lane=lane,
        data={"registration": number, "process": definition.process_id, "version": definition.version, "form": cleaned},
    )
    apply_changes(session, instance, compiled, changes, now=now, actor=login)
    uow.flush()
    uow.on_commit(lambda: ctx.workflows.put(instance.id, instance.version, wf))
    return StartResult(instance.id, number)


def authorize_task(user: Actor, lane: str | None, instance: Instance) -> None:
    if lane is not None and lane not in user.lanes:
        raise PermissionDenied(f"{user.login} is not a member of lane '{lane}', which does this task")
    if lane == APPLICANT_LANE and instance.owner_id != user.id:
        raise PermissionDenied(f"only the applicant who filed {instance.registration} may do this task")


def _load(session: Session, ctx: Context, instance: Instance, compiled: CompiledProcess) -> Any:
    wf = ctx.workflows.take(instance.id, instance.version)
    return wf if wf is not None else ctx.runtime.load(compiled, instance.state)


def complete(uow: UnitOfWork, ctx: Context, task_id: str, login: str, data: dict[str, Any] | None) -> CompleteResult:
    session = uow.session
    user = actor(session, login)
    row = session.get(TaskRow, task_id) if isinstance(task_id, str) else None
    if row is None:
        raise NotFound(f"task {task_id} not found")
    instance = session.get(Instance, row.instance_id, options=[undefer(Instance.state)])
    authorize_task(user, row.lane, instance)
    if row.status != "ready":
        raise Conflict(f"task {task_id} ({row.name}) is already {row.status}")
    compiled = ctx.compiled(session, instance.definition_id)
    task_def = compiled.model.tasks[row.element_id]
    cleaned = forms.validate(task_def.form, data)
    now = ctx.clock.now()
    documents = {
        obj: {
            "document": compiled.model.data_objects.get(obj, obj),
            "task": task_id,
            "task_name": row.name,
            "sop_step": row.sop_step,
            "by": login,
            "at": now.isoformat(),
        }
        for obj in task_def.outputs
    }
    wf = _load(session, ctx, instance, compiled)
    changes = ctx.runtime.complete(wf, compiled.model, task_id, cleaned, documents)
    instance.state = ctx.runtime.dump(wf)
    instance.data = {**(instance.data or {}), **cleaned}
    ready = apply_changes(session, instance, compiled, changes, now=now, actor=login, form_data={task_id: cleaned})
    uow.flush()
    uow.on_commit(lambda: ctx.workflows.put(instance.id, instance.version, wf))
    return CompleteResult(
        task_id,
        instance.id,
        instance.registration,
        instance.status,
        tuple(summary(r, instance.registration) for r in ready),
    )


def cancel(uow: UnitOfWork, ctx: Context, instance_ref: str | int, login: str, reason: str | None) -> str:
    session = uow.session
    user = actor(session, login)
    instance = find_instance(session, instance_ref, load_state=True)
    if instance.owner_id != user.id and not (user.lanes & CANCELLING_LANES):
        raise PermissionDenied(
            f"{login} may not cancel {instance.registration}: only its applicant or staff of "
            + " or ".join(sorted(CANCELLING_LANES))
        )
    if instance.status != "running":
        raise Conflict(f"{instance.registration} is already {instance.status}")
    if reason is not None and len(reason) > 1000:
        raise InvalidInput("reason too long (at most 1000 characters)")
    compiled = ctx.compiled(session, instance.definition_id)
    now = ctx.clock.now()
    wf = _load(session, ctx, instance, compiled)
    changes = ctx.runtime.cancel(wf, compiled.model)
    instance.state = ctx.runtime.dump(wf)
    apply_changes(session, instance, compiled, changes, now=now, actor=login)
    instance.status, instance.ended_at = "cancelled", now
    log_event(session, instance, "instance_cancelled", now, actor=login, data={"reason": reason})
    uow.flush()
    uow.on_commit(lambda: ctx.workflows.put(instance.id, instance.version, wf))
    return instance.registration


def find_instance(session: Session, ref: str | int, *, load_state: bool = False) -> Instance:
    options = [undefer(Instance.state)] if load_state else []
    instance = None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        instance = session.get(Instance, int(ref), options=options)
    elif isinstance(ref, str):
        instance = session.execute(
            select(Instance).where(Instance.registration == ref.strip()).options(*options)
        ).scalar_one_or_none()
    if instance is None:
        raise NotFound(f"application {ref} not found")
    return instance
