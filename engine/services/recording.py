"""Writing one command's outcome: instance state, projections and events, together.

A command loads what it needs of the instance row into an ``InstanceRecord``,
runs the workflow, and hands the resulting changes to a ``Recorder``. The
recorder turns them into rows and, in ``save``, writes everything with a few
Core statements inside the caller's transaction: first the instance row,
guarded by its version (the optimistic lock: a concurrent command that got
there first makes this one a ``Conflict`` before anything else is written),
then the events, the task and timer projections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from ..audit.chain import GENESIS, event_hash
from ..errors import Conflict, NotFound
from ..model import SEKSI_LANE
from ..runtime import Change, CompiledProcess
from ..store.models import Event, Instance, TaskRow, TimerRow
from ..store.signals import announce_timer

if TYPE_CHECKING:
    from ..migration import DeployedVersion, Outcome

CHANGED_MEANWHILE = "the application was changed by someone else meanwhile; reload and try again"

# Plain Core statements on the tables, built once: this is the hot path of
# every command, and the ORM's unit of work adds nothing here.
INSTANCES, EVENTS, TASKS, TIMERS = (m.__table__ for m in (Instance, Event, TaskRow, TimerRow))
INSTANCE_COLUMNS = [
    INSTANCES.c[name]
    for name in (
        "id",
        "registration",
        "definition_id",
        "owner_id",
        "status",
        "version",
        "last_seq",
        "data",
        "service",
        "last_hash",
        "service_code",
        "seksi",
    )
]
_BY_ID = select(*INSTANCE_COLUMNS, INSTANCES.c.state).where(INSTANCES.c.id == bindparam("id"))
_BY_ID_NO_STATE = select(*INSTANCE_COLUMNS).where(INSTANCES.c.id == bindparam("id"))
_FINISH_TASKS = (
    update(TASKS)
    .where(TASKS.c.id == bindparam("row_id"))
    .values(
        status=bindparam("new_status"),
        completed_at=bindparam("new_completed_at"),
        completed_by=bindparam("new_completed_by"),
    )
)
_INSERT_EVENTS, _INSERT_TASKS, _INSERT_TIMERS = insert(EVENTS), insert(TASKS), insert(TIMERS)
_MARK_BREACHED = (
    update(TASKS)
    .where(TASKS.c.id.in_(bindparam("ids", expanding=True)), TASKS.c.breached_at.is_(None))
    .values(breached_at=bindparam("at"))
)
_CLEAR_TIMERS = delete(TIMERS).where(TIMERS.c.id.in_(bindparam("ids", expanding=True)))
_SAVE = (
    update(INSTANCES)
    .where(INSTANCES.c.id == bindparam("row_id"), INSTANCES.c.version == bindparam("expected_version"))
    .values(
        state=bindparam("new_state"),
        data=bindparam("new_data"),
        last_seq=bindparam("new_last_seq"),
        last_hash=bindparam("new_last_hash"),
        status=bindparam("new_status"),
        ended_at=bindparam("new_ended_at"),
        service=bindparam("new_service"),
        service_code=bindparam("new_service_code"),
        seksi=bindparam("new_seksi"),
        definition_id=bindparam("new_definition_id"),
        version=bindparam("new_version"),
    )
)
# a migration re-describes the tasks waiting now (the deadline only where a timer is pending)
_RETASK = (
    update(TASKS)
    .where(TASKS.c.id == bindparam("row_id"))
    .values(
        name=bindparam("new_name"),
        lane=bindparam("new_lane"),
        sop_step=bindparam("new_sop_step"),
        due_at=func.coalesce(bindparam("new_due_at", type_=TASKS.c.due_at.type), TASKS.c.due_at),
    )
)
_RETIME = (
    update(TIMERS)
    .where(TIMERS.c.id == bindparam("row_id"))
    .values(element_id=bindparam("new_element_id"), due_at=bindparam("new_due_at"))
)


@dataclass
class InstanceRecord:
    """The instance row as a command sees it (plain values, no ORM identity)."""

    id: int
    registration: str
    definition_id: int
    owner_id: int
    status: str
    version: int
    last_seq: int
    data: dict[str, Any]
    service: str | None = None
    last_hash: str | None = None  # the head of the event chain
    state: str | None = None
    ended_at: datetime | None = None
    service_code: str | None = None  # the catalogue code of the service applied for
    seksi: str | None = None  # the Seksi the application is routed to: its Kasi-lane tasks are theirs


def load_instance(connection: Connection, instance_id: int, *, with_state: bool = True) -> InstanceRecord:
    row = connection.execute(_BY_ID if with_state else _BY_ID_NO_STATE, {"id": instance_id}).one_or_none()
    if row is None:
        raise NotFound(f"application {instance_id} not found")
    return InstanceRecord(**row._asdict())


@dataclass
class Recorder:
    connection: Connection
    instance: InstanceRecord
    compiled: CompiledProcess
    now: datetime
    actor: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    new_tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_timers: list[dict[str, Any]] = field(default_factory=list)
    finished: list[dict[str, Any]] = field(default_factory=list)  # completed or cancelled task rows
    breached: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    retasked: list[dict[str, Any]] = field(default_factory=list)  # waiting tasks a migration re-describes
    retimed: list[dict[str, Any]] = field(default_factory=list)  # pending timers a migration re-times
    _form_data: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False)
    _due_of: dict[str | None, str | None] = field(default_factory=dict, init=False, repr=False)
    _anchor_of: dict[str | None, str | None] = field(default_factory=dict, init=False, repr=False)

    def event(self, type_: str, **fields: Any) -> None:
        """Append an event to the instance's chain (written by ``save``)."""
        inst = self.instance
        inst.last_seq += 1
        event = {
            "instance_id": inst.id,
            "seq": inst.last_seq,
            "type": type_,
            "at": self.now,
            "actor": fields.pop("actor", None),
            "task_id": fields.pop("task_id", None),
            "task_name": fields.pop("task_name", None),
            "lane": fields.pop("lane", None),
            "data": fields.pop("data", None) or {},
            "prev_hash": inst.last_hash or GENESIS,
        }
        event["hash"] = inst.last_hash = event_hash(event, event["prev_hash"])
        self.events.append(event)

    def apply(self, changes: list[Change], form_data: dict[str, dict[str, Any]] | None = None) -> None:
        """Turn a step's changes into rows and events (written by ``save``)."""
        self._form_data = form_data or {}
        # A timer armed with its deadline already past (step 7 running late)
        # fires at once and is never "armed"; its breach carries the deadline.
        armed = [c for c in changes if c.type in ("timer_armed", "sla_breached")]
        self._due_of = {c.data.get("task"): c.data.get("due_at") for c in armed}
        self._anchor_of = {c.data.get("task"): c.data.get("anchor") for c in armed}
        for change in changes:
            getattr(self, f"_on_{change.type}")(change)

    def _task(self, change: Change) -> Any:
        return self.compiled.model.tasks[change.element_id]

    def _on_task_ready(self, change: Change) -> None:
        task_def = self._task(change)
        due = self._due_of.get(change.task_id)
        timer = self.compiled.model.timer_for(change.element_id)
        self.new_tasks[change.task_id] = {
            "id": change.task_id,
            "instance_id": self.instance.id,
            "element_id": change.element_id,
            "name": task_def.name,
            "lane": task_def.lane,
            # a Kasi-lane task belongs to the Seksi the application is routed to when it becomes ready
            "seksi": self.instance.seksi if task_def.lane == SEKSI_LANE else None,
            "sop_step": task_def.sop_step,
            "status": "ready",
            "ready_at": self.now,
            "due_at": datetime.fromisoformat(due) if due else None,
            "breached_at": None,
            "completed_at": None,
            "completed_by": None,
        }
        standard = timer.expression if timer and timer.kind == "duration" else None
        self.event(
            "task_ready",
            task_id=change.task_id,
            task_name=task_def.name,
            lane=task_def.lane,
            data={
                "element": change.element_id,
                "sop_step": task_def.sop_step,
                "due_at": due,
                "standard": standard,
                # when the step's time started (step 7's tasks share the start of its first)
                "counted_from": self._anchor_of.get(change.task_id),
            },
        )

    def _finish(self, task_id: str, status: str, at: datetime | None, by: str | None) -> None:
        if task_id in self.new_tasks:
            self.new_tasks[task_id].update(status=status, completed_at=at, completed_by=by)
        else:
            self.finished.append(
                {"row_id": task_id, "new_status": status, "new_completed_at": at, "new_completed_by": by}
            )

    def _on_task_completed(self, change: Change) -> None:
        task_def = self._task(change)
        self._finish(change.task_id, "completed", self.now, self.actor)
        self.event(
            "task_completed",
            actor=self.actor,
            task_id=change.task_id,
            task_name=task_def.name,
            lane=task_def.lane,
            data={
                "element": change.element_id,
                "sop_step": task_def.sop_step,
                "form": self._form_data.get(change.task_id, {}),
            },
        )

    def _on_task_cancelled(self, change: Change) -> None:
        self._finish(change.task_id, "cancelled", None, None)

    def _on_timer_armed(self, change: Change) -> None:
        self.new_timers.append(
            {
                "id": change.task_id,
                "instance_id": self.instance.id,
                "element_id": change.element_id,
                "task_id": change.data.get("task"),
                "due_at": datetime.fromisoformat(change.data["due_at"]),
            }
        )

    def _on_timer_cleared(self, change: Change) -> None:
        self.cleared.append(change.task_id)

    def _on_sla_breached(self, change: Change) -> None:
        watched = self.compiled.model.tasks.get(change.data.get("task_element") or "")
        task_id = change.data.get("task")
        if task_id in self.new_tasks:
            self.new_tasks[task_id]["breached_at"] = self.now
        elif task_id is not None:
            self.breached.append(task_id)
        self.event(
            "sla_breached",
            task_id=task_id,
            task_name=watched.name if watched else None,
            lane=watched.lane if watched else None,
            data={
                "element": change.data.get("task_element"),
                "sop_step": change.data.get("sop_step"),
                "timer": change.element_id,
                "standard": change.data.get("standard"),
                "due_at": change.data.get("due_at"),
                "counted_from": change.data.get("anchor"),
            },
        )

    def _on_gateway_decided(self, change: Change) -> None:
        node = self.compiled.model.nodes.get(change.element_id)
        self.event(
            "gateway_decided",
            task_name=node.name if node else None,
            lane=node.lane if node else None,
            data=dict(change.data),
        )

    def _on_instance_completed(self, _change: Change) -> None:
        self.instance.status, self.instance.ended_at = "completed", self.now
        self.event("instance_completed")

    def migrated(self, new: DeployedVersion, data: dict[str, Any], outcome: Outcome) -> None:
        """The application now runs ``new``: the event, the pinned version and both projections."""
        self.compiled = new.compiled
        self.instance.definition_id = new.definition_id
        self.event("instance_migrated", actor=self.actor, data=data)
        for task in outcome.tasks:
            self.retasked.append(
                {
                    "row_id": task.task,
                    "new_name": task.name,
                    "new_lane": task.lane,
                    "new_sop_step": task.sop_step,
                    "new_due_at": task.due_at,
                }
            )
        for timer in outcome.timers:
            if timer.attached:
                self.new_timers.append(
                    {
                        "id": timer.timer_task,
                        "instance_id": self.instance.id,
                        "element_id": timer.element,
                        "task_id": timer.task,
                        "due_at": timer.due_at,
                    }
                )
            else:
                self.retimed.append(
                    {"row_id": timer.timer_task, "new_element_id": timer.element, "new_due_at": timer.due_at}
                )

    @property
    def ready_rows(self) -> list[dict[str, Any]]:
        return [r for r in self.new_tasks.values() if r["status"] == "ready"]

    def save(self, state: str, *, new: bool = False) -> int:
        """Write everything; return the instance's new version."""
        s, inst = self.connection, self.instance
        version = inst.version + 1
        if not new:
            saved = s.execute(
                _SAVE,
                {
                    "row_id": inst.id,
                    "expected_version": inst.version,
                    "new_state": state,
                    "new_data": inst.data,
                    "new_last_seq": inst.last_seq,
                    "new_last_hash": inst.last_hash,
                    "new_status": inst.status,
                    "new_ended_at": inst.ended_at,
                    "new_service": inst.service,
                    "new_service_code": inst.service_code,
                    "new_seksi": inst.seksi,
                    "new_definition_id": inst.definition_id,
                    "new_version": version,
                },
            )
            if saved.rowcount != 1:
                raise Conflict(CHANGED_MEANWHILE)
        else:  # inserted by the caller with its state; only the event counter moved
            version = inst.version
            s.execute(
                update(INSTANCES)
                .where(INSTANCES.c.id == inst.id)
                .values(last_seq=inst.last_seq, last_hash=inst.last_hash)
            )
        if self.events:
            s.execute(_INSERT_EVENTS, self.events)
        if self.new_tasks:
            s.execute(_INSERT_TASKS, list(self.new_tasks.values()))
        if self.new_timers:
            s.execute(_INSERT_TIMERS, self.new_timers)
            announce_timer(s, min(t["due_at"] for t in self.new_timers))
        if self.finished:
            s.execute(_FINISH_TASKS, self.finished)
        if self.breached:
            s.execute(_MARK_BREACHED, {"ids": self.breached, "at": self.now})
        if self.cleared:
            s.execute(_CLEAR_TIMERS, {"ids": self.cleared})
        if self.retasked:
            s.execute(_RETASK, self.retasked)
        if self.retimed:
            s.execute(_RETIME, self.retimed)
            announce_timer(s, min(t["new_due_at"] for t in self.retimed))
        inst.version = version
        return version
