"""An application's state on its diagram, computed from its history alone.

``marks_from_history`` reads the event log (never the workflow state), so the
live diagram of an application and the diagram at any point of an audit
replay (the events up to that point, and the moment of the last one) come
from the same function.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .diagram import Marks
from .model import ProcessModel


def marks_from_history(model: ProcessModel, events: Iterable[Any], now: datetime | None = None) -> Marks:
    """``events`` are ``EventInfo``-like (type, task, data), oldest first; ``now`` marks late tasks."""
    completed: set[str] = set()
    active: dict[str, str | None] = {}  # element -> due_at of its ready task
    fired_timers: set[str] = set()
    taken: set[str] = set()
    deciding: set[str] = set()
    outgoing: dict[str, list[Any]] = {}
    for flow in model.flows.values():
        outgoing.setdefault(flow.source, []).append(flow)
    breach_ends = {f.target for t in model.timers for f in outgoing.get(t, [])}
    for event in events:
        data = event.data or {}
        kind = event.type
        if kind == "instance_started":
            completed.add(model.start_event)
        elif kind == "task_ready":
            active[data.get("element")] = data.get("due_at")
        elif kind == "task_completed":
            active.pop(data.get("element"), None)
            completed.add(data.get("element"))
        elif kind == "sla_breached":
            timer = data.get("timer")
            if timer:
                fired_timers.add(timer)
                for flow in outgoing.get(timer, []):
                    taken.add(flow.id)
                    completed.add(flow.target)
        elif kind == "gateway_decided":
            gateway = data.get("gateway")
            completed.add(gateway)
            deciding.add(gateway)
            taken.update(t["flow"] for t in data.get("taken", []) if t.get("flow"))
        elif kind == "instance_completed":
            for node in model.nodes.values():
                if node.kind == "endEvent" and node.id not in breach_ends:
                    completed.add(node.id)
        elif kind == "instance_cancelled":
            active.clear()
        elif kind == "instance_migrated":  # a new standard moved the waiting tasks' deadlines
            for task in data.get("tasks", []):
                if task.get("element") in active:
                    active[task["element"]] = task.get("due_at")
    visited = completed | set(active)
    # gateways that only merge leave no event: they were passed if what follows them was reached
    for node in model.nodes.values():
        merging = node.kind.endswith("Gateway") and node.id not in deciding
        if merging and any(f.target in visited for f in outgoing.get(node.id, [])):
            completed.add(node.id)
            visited.add(node.id)
    for flow in model.flows.values():
        if flow.source in deciding or flow.source in model.timers:
            continue
        if flow.source in completed and flow.target in visited:
            taken.add(flow.id)
    overdue = set(fired_timers)
    if now is not None:
        for element, due in active.items():
            if due and datetime.fromisoformat(due) <= now:
                overdue.add(element)
    return Marks(frozenset(completed), frozenset(active), frozenset(overdue), frozenset(taken))
