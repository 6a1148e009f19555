"""Turning a step's changes into history events and projection rows.

Called inside the command's transaction, so the event log, the task and timer
projections and the workflow state always agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..runtime import Change, CompiledProcess
from ..store.models import Event, Instance, TaskRow, TimerRow


def log_event(
    session: Session,
    instance: Instance,
    type_: str,
    at: datetime,
    *,
    actor: str | None = None,
    task_id: str | None = None,
    task_name: str | None = None,
    lane: str | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    instance.last_seq = (instance.last_seq or 0) + 1
    event = Event(
        instance_id=instance.id,
        seq=instance.last_seq,
        type=type_,
        at=at,
        actor=actor,
        task_id=task_id,
        task_name=task_name,
        lane=lane,
        data=data or {},
    )
    session.add(event)
    return event


def apply_changes(
    session: Session,
    instance: Instance,
    compiled: CompiledProcess,
    changes: list[Change],
    *,
    now: datetime,
    actor: str | None = None,
    form_data: dict[str, dict[str, Any]] | None = None,
) -> list[TaskRow]:
    """Record ``changes``; return the task rows that became ready."""
    model = compiled.model
    form_data = form_data or {}
    created: dict[str, TaskRow] = {}
    # A timer armed with its deadline already past (step 7 running late) fires
    # at once and is never "armed"; its breach still carries the deadline.
    due_of = {c.data.get("task"): c.data.get("due_at") for c in changes if c.type in ("timer_armed", "sla_breached")}

    def row(task_id: str | None) -> TaskRow | None:
        if task_id is None:
            return None
        return created.get(task_id) or session.get(TaskRow, task_id)

    for change in changes:
        task_def = model.tasks.get(change.element_id) if change.element_id else None
        if change.type == "task_ready":
            due = due_of.get(change.task_id)
            created[change.task_id] = TaskRow(
                id=change.task_id,
                instance_id=instance.id,
                element_id=change.element_id,
                name=task_def.name,
                lane=task_def.lane,
                sop_step=task_def.sop_step,
                status="ready",
                ready_at=now,
                due_at=datetime.fromisoformat(due) if due else None,
            )
            session.add(created[change.task_id])
            timer = model.timer_for(change.element_id)
            log_event(
                session,
                instance,
                "task_ready",
                now,
                task_id=change.task_id,
                task_name=task_def.name,
                lane=task_def.lane,
                data={
                    "element": change.element_id,
                    "sop_step": task_def.sop_step,
                    "due_at": due,
                    "standard": timer.expression if timer and timer.kind == "duration" else None,
                },
            )
        elif change.type == "task_completed":
            task_row = row(change.task_id)
            if task_row is not None:
                task_row.status, task_row.completed_at, task_row.completed_by = "completed", now, actor
            log_event(
                session,
                instance,
                "task_completed",
                now,
                actor=actor,
                task_id=change.task_id,
                task_name=task_def.name,
                lane=task_def.lane,
                data={
                    "element": change.element_id,
                    "sop_step": task_def.sop_step,
                    "form": form_data.get(change.task_id, {}),
                },
            )
        elif change.type == "task_cancelled":
            task_row = row(change.task_id)
            if task_row is not None:
                task_row.status = "cancelled"
        elif change.type == "timer_armed":
            session.add(
                TimerRow(
                    id=change.task_id,
                    instance_id=instance.id,
                    element_id=change.element_id,
                    task_id=change.data.get("task"),
                    due_at=datetime.fromisoformat(change.data["due_at"]),
                )
            )
        elif change.type == "timer_cleared":
            session.execute(delete(TimerRow).where(TimerRow.id == change.task_id))
        elif change.type == "sla_breached":
            watched = model.tasks.get(change.data.get("task_element") or "")
            task_row = row(change.data.get("task"))
            if task_row is not None and task_row.breached_at is None:
                task_row.breached_at = now
            log_event(
                session,
                instance,
                "sla_breached",
                now,
                task_id=change.data.get("task"),
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
        elif change.type == "gateway_decided":
            node = model.nodes.get(change.element_id)
            log_event(
                session,
                instance,
                "gateway_decided",
                now,
                task_name=node.name if node else None,
                lane=node.lane if node else None,
                data=dict(change.data),
            )
        elif change.type == "instance_completed":
            instance.status, instance.ended_at = "completed", now
            log_event(session, instance, "instance_completed", now)
    return [r for r in created.values() if r.status == "ready"]
