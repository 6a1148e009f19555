"""Commands on applications: start, complete a task, cancel.

Each command checks everything it can (user, lane, ownership, task status,
form data) before it touches the workflow, runs the workflow once, and records
state, projections and events in the caller's single transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.orm import Session

from .. import forms, registration
from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..inputs import task_id_ok, text_ok
from ..model import APPLICANT_LANE, SEKSI_LANE, SERVICE_FIELD, SERVICE_RECORD, Form, ProcessModel, TaskDef
from ..runtime import STATE_FORMAT, CompiledProcess
from ..store.models import Definition, Instance, TaskRow
from ..store.uow import UnitOfWork
from ..views import CompleteResult, StartResult, TaskSummary
from . import catalogue, versioning
from .context import Actor, Context, actor
from .recording import INSTANCE_COLUMNS, INSTANCES, InstanceRecord, Recorder, load_instance

# Lanes whose members may cancel any application (the front office and the head).
CANCELLING_LANES = frozenset({"PTSP", "Kepala Kantor"})

_TASKS, _DEFINITIONS = TaskRow.__table__, Definition.__table__
# the task and its instance in one round trip: the start of every completion
_TASK_AND_INSTANCE = (
    select(
        _TASKS.c.element_id.label("task_element"),
        _TASKS.c.name.label("task_name"),
        _TASKS.c.lane.label("task_lane"),
        _TASKS.c.status.label("task_status"),
        _TASKS.c.seksi.label("task_seksi"),
        *INSTANCE_COLUMNS,
        INSTANCES.c.state,
    )
    .join(INSTANCES, INSTANCES.c.id == _TASKS.c.instance_id)
    .where(_TASKS.c.id == bindparam("id"))
)


def definition_for_start(connection: Connection, process_id: str | None) -> Any:
    """The active version of the process: where a new application starts."""
    row = versioning.active_definition(connection, process_id)
    if row is None:
        what = f"process '{process_id}'" if process_id else "process"
        raise NotFound(f"no {what} is deployed; deploy one first (ptsp deploy processes/ptsp.bpmn)")
    return row


def _ready_summaries(recorder: Recorder) -> tuple[TaskSummary, ...]:
    return tuple(
        TaskSummary(
            id=r["id"],
            instance=recorder.instance.id,
            registration=recorder.instance.registration,
            name=r["name"],
            element=r["element_id"],
            lane=r["lane"],
            sop_step=r["sop_step"],
            status=r["status"],
            ready_at=r["ready_at"],
            due_at=r["due_at"],
            breached_at=r["breached_at"],
            service=recorder.instance.service,
            seksi=r["seksi"],
        )
        for r in recorder.ready_rows
    )


def start(
    uow: UnitOfWork, ctx: Context, login: str, data: dict[str, Any] | None, process_id: str | None = None
) -> StartResult:
    connection = uow.connection
    user = actor(connection, login)
    definition = definition_for_start(connection, process_id)
    compiled = ctx.compiled(connection, definition.id)
    lane = compiled.model.start_lane
    if lane is not None and lane not in user.lanes:
        raise PermissionDenied(f"{login} may not start an application: only members of lane '{lane}' may")
    binding = catalogue.bind(connection, compiled.model.start_form, data=None, seksi=None)
    cleaned = validate_bound(binding, data)
    now = ctx.clock.now()
    number = registration.allocate(connection, now)
    wf, changes = ctx.runtime.new_workflow(compiled, cleaned)
    state = ctx.runtime.dump(wf)
    record = InstanceRecord(0, number, definition.id, user.id, "running", 1, 0, {})
    absorb_form(record, compiled.model.start_form, cleaned)
    service = record.service
    instance_id = connection.execute(
        insert(INSTANCES)
        .values(
            registration=number,
            definition_id=definition.id,
            owner_id=user.id,
            status="running",
            started_at=now,
            data=cleaned,
            service=service,
            service_code=record.service_code,
            seksi=record.seksi,
            state_format=STATE_FORMAT,
            state=state,
            last_seq=0,
            version=1,
        )
        .returning(INSTANCES.c.id)
    ).scalar_one()
    record.id = instance_id
    recorder = Recorder(connection, record, compiled, now, login)
    recorder.event(
        "instance_started",
        actor=login,
        lane=lane,
        data={"registration": number, "process": definition.process_id, "version": definition.version, "form": cleaned},
    )
    recorder.apply(changes)
    recorder.save(state, new=True)
    uow.on_commit(lambda: ctx.workflows.put(instance_id, record.version, wf))
    return StartResult(instance_id, number)


def produced_documents(model: ProcessModel, task_def: TaskDef, task_id: str, login: str, now: datetime) -> dict:
    """What the data objects a task outputs record: which document, from which task, by whom, when."""
    return {
        obj: {
            "document": model.data_objects.get(obj, obj),
            "task": task_id,
            "task_name": task_def.name,
            "sop_step": task_def.sop_step,
            "by": login,
            "at": now.isoformat(),
        }
        for obj in task_def.outputs
    }


def absorb_form(instance: InstanceRecord, form: Form, cleaned: dict[str, Any]) -> None:
    """The instance row keeps the data entered so far, the service asked for and the Seksi routed to.

    Everything here is read from the completion's own values (the catalogue
    entry it chose is among them, see ``model.SERVICE_RECORD``), so that
    re-execution, which calls this with the recorded values, ends on the same row.
    """
    instance.data = {**(instance.data or {}), **cleaned}
    chosen = cleaned.get(SERVICE_RECORD)
    if isinstance(chosen, Mapping) and isinstance(chosen.get("code"), str):
        instance.service = chosen.get("name") or instance.service
        instance.service_code = chosen["code"]
        instance.seksi = chosen.get("seksi") or instance.seksi
    else:
        instance.service = form.service_label(cleaned) or instance.service
        if form.field(SERVICE_FIELD) is not None and isinstance(cleaned.get(SERVICE_FIELD), str):
            instance.service_code = cleaned[SERVICE_FIELD]
    instance.seksi = catalogue.routed_seksi(form, cleaned) or instance.seksi


def validate_bound(binding: catalogue.Binding, data: dict[str, Any] | None) -> dict[str, Any]:
    """The form's values, with the catalogue entry chosen recorded beside them."""
    cleaned = forms.validate(binding.form, data)
    chosen = binding.record(cleaned)
    if chosen is not None:
        cleaned[SERVICE_RECORD] = chosen
    return cleaned


def authorize_task(user: Actor, lane: str | None, instance: InstanceRecord, seksi: str | None = None) -> None:
    if lane is not None and lane not in user.lanes:
        raise PermissionDenied(f"{user.login} is not a member of lane '{lane}', which does this task")
    if lane == APPLICANT_LANE and instance.owner_id != user.id:
        raise PermissionDenied(f"only the applicant who filed {instance.registration} may do this task")
    if lane == SEKSI_LANE and seksi is not None and user.seksi != seksi:  # unrouted: every Kasi's
        raise PermissionDenied(
            f"{user.login} may not do this task: it is routed to "
            + f"Seksi {seksi}"
            + (f", and {user.login} works for Seksi {user.seksi}" if user.seksi else f", and {user.login} has no Seksi")
        )


def load_workflow(ctx: Context, instance: InstanceRecord, compiled: CompiledProcess) -> Any:
    wf = ctx.workflows.take(instance.id, instance.version)
    return wf if wf is not None else ctx.runtime.load(compiled, instance.state)


def complete(uow: UnitOfWork, ctx: Context, task_id: str, login: str, data: dict[str, Any] | None) -> CompleteResult:
    connection = uow.connection
    user = actor(connection, login)
    found = None
    if task_id_ok(task_id):
        found = connection.execute(_TASK_AND_INSTANCE, {"id": task_id}).one_or_none()
    if found is None:
        raise NotFound(f"task {task_id} not found")
    row = found._asdict()
    task_element, task_name, task_lane, task_status, task_seksi = (
        row.pop("task_element"),
        row.pop("task_name"),
        row.pop("task_lane"),
        row.pop("task_status"),
        row.pop("task_seksi"),
    )
    instance = InstanceRecord(**row)
    authorize_task(user, task_lane, instance, task_seksi)
    if task_status != "ready":
        raise Conflict(f"task {task_id} ({task_name}) is already {task_status}")
    compiled = ctx.compiled(connection, instance.definition_id)
    task_def = compiled.model.tasks[task_element]
    binding = catalogue.bind(connection, task_def.form, data=instance.data, seksi=instance.seksi)
    cleaned = validate_bound(binding, data)
    now = ctx.clock.now()
    wf = load_workflow(ctx, instance, compiled)
    documents = produced_documents(compiled.model, task_def, task_id, login, now)
    changes = ctx.runtime.complete(wf, compiled.model, task_id, cleaned, documents)
    absorb_form(instance, task_def.form, cleaned)
    recorder = Recorder(connection, instance, compiled, now, login)
    recorder.apply(changes, {task_id: cleaned})
    version = recorder.save(ctx.runtime.dump(wf))
    uow.on_commit(lambda: ctx.workflows.put(instance.id, version, wf))
    return CompleteResult(task_id, instance.id, instance.registration, instance.status, _ready_summaries(recorder))


def cancel(uow: UnitOfWork, ctx: Context, instance_ref: str | int, login: str, reason: str | None) -> str:
    connection = uow.connection
    user = actor(connection, login)
    instance = load_instance(connection, find_instance(uow.session, instance_ref).id)
    if instance.owner_id != user.id and not (user.lanes & CANCELLING_LANES):
        raise PermissionDenied(
            f"{login} may not cancel {instance.registration}: only its applicant or staff of "
            + " or ".join(sorted(CANCELLING_LANES))
        )
    if instance.status != "running":
        raise Conflict(f"{instance.registration} is already {instance.status}")
    if reason is not None and not text_ok(reason, 1000):
        raise InvalidInput("the reason must be text of at most 1000 characters, without control characters")
    compiled = ctx.compiled(connection, instance.definition_id)
    now = ctx.clock.now()
    wf = load_workflow(ctx, instance, compiled)
    changes = ctx.runtime.cancel(wf, compiled.model)
    recorder = Recorder(connection, instance, compiled, now, login)
    recorder.apply(changes)
    instance.status, instance.ended_at = "cancelled", now
    recorder.event("instance_cancelled", actor=login, data={"reason": reason})
    version = recorder.save(ctx.runtime.dump(wf))
    uow.on_commit(lambda: ctx.workflows.put(instance.id, version, wf))
    return instance.registration


def find_instance(session: Session, ref: str | int) -> Instance:
    """An application by numeric id or registration number; NotFound for anything else."""
    instance = None
    number = ref if isinstance(ref, int) and not isinstance(ref, bool) else None
    if isinstance(ref, str) and re.fullmatch(r"[0-9]{1,10}", ref.strip()):
        number = int(ref.strip())
    if number is not None:
        instance = session.get(Instance, number) if 0 < number < 2**31 else None
    elif isinstance(ref, str) and text_ok(ref, 100):
        instance = session.execute(select(Instance).where(Instance.registration == ref.strip())).scalar_one_or_none()
    if instance is None:
        raise NotFound(f"application {ref} not found")
    return instance
