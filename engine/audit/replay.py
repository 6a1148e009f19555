"""Replay for people: an application's history, one event at a time.

``frame(model, events, position)`` gives what an auditor sees at one point of
the history: the event itself, the diagram marks as they were right after it
(the same ``marks_from_history`` the live diagram uses, with the event's own
moment as "now", so a task that was late then is marked late), the form data
entered with it, which values of the application it changed, and for a
completion or a breach the time taken against the step's standard.

Pure: it reads events (``EventInfo``-like, oldest first) and the diagram's
model, nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..diagram import Marks
from ..marks import marks_from_history
from ..model import Form, ProcessModel


@dataclass(frozen=True)
class Entry:
    """One form value: field id, its label in the diagram, the value as entered and as shown."""

    field: str
    label: str
    value: Any
    shown: Any


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Timing:
    """How long a step took (or had taken when its deadline passed) against its standard."""

    standard: str | None  # ISO 8601, as in the diagram
    counted_from: datetime
    due_at: datetime | None
    elapsed: timedelta

    @property
    def within(self) -> bool | None:
        return None if self.due_at is None else self.counted_from + self.elapsed <= self.due_at

    @property
    def overrun(self) -> timedelta | None:
        if self.due_at is None:
            return None
        late = self.counted_from + self.elapsed - self.due_at
        return late if late > timedelta(0) else None


@dataclass(frozen=True)
class Frame:
    position: int  # 1-based: the history up to and including this event
    count: int
    event: Any
    marks: Marks
    entries: tuple[Entry, ...]
    changes: tuple[Change, ...]
    timing: Timing | None

    @property
    def first(self) -> bool:
        return self.position == 1

    @property
    def last(self) -> bool:
        return self.position == self.count


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _form_of(model: ProcessModel, event: Any) -> Form | None:
    if event.type == "instance_started":
        return model.start_form
    if event.type == "task_completed":
        task = model.tasks.get((event.data or {}).get("element") or "")
        return task.form if task is not None else None
    return None


def _labels(model: ProcessModel) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for form in [model.start_form, *(t.form for t in model.tasks.values())]:
        for f in form.fields:
            fields.setdefault(f.id, f)
    return fields


def _shown(field: Any, value: Any) -> Any:
    if field is not None and field.type == "enum":
        return next((v.name for v in field.enum if v.id == value), value)
    return value


def _entries(model: ProcessModel, event: Any, fields: dict[str, Any]) -> tuple[Entry, ...]:
    values = (event.data or {}).get("form") or {}
    form = _form_of(model, event)
    order = [f.id for f in form.fields] if form is not None else []
    ordered = [k for k in order if k in values] + sorted(k for k in values if k not in order)
    return tuple(
        Entry(k, fields[k].label if k in fields else k, values[k], _shown(fields.get(k), values[k])) for k in ordered
    )


def _timing(event: Any, ready: dict[str, Any]) -> Timing | None:
    data = event.data or {}
    if event.type == "task_completed":
        opened = ready.get(event.task or "")
        if opened is None:
            return None
        info = opened.data or {}
        start = _moment(info.get("counted_from")) or opened.at
        return Timing(info.get("standard"), start, _moment(info.get("due_at")), event.at - start)
    if event.type == "sla_breached":
        start = _moment(data.get("counted_from"))
        if start is None:
            return None
        return Timing(data.get("standard"), start, _moment(data.get("due_at")), event.at - start)
    return None


def frame(model: ProcessModel, events: Sequence[Any], position: int) -> Frame:
    """The history at ``position`` (clamped to 1..len(events)); ``events`` must not be empty."""
    if not events:
        raise ValueError("an application always has at least the event of its filing")
    position = min(max(position, 1), len(events))
    event = events[position - 1]
    fields = _labels(model)
    before: dict[str, Any] = {}
    ready: dict[str, Any] = {}
    for earlier in events[: position - 1]:
        before.update((earlier.data or {}).get("form") or {})
        if earlier.type == "task_ready" and earlier.task:
            ready[earlier.task] = earlier
    entered = (event.data or {}).get("form") or {}
    changes = tuple(
        Change(k, fields[k].label if k in fields else k, _shown(fields.get(k), before.get(k)), entry.shown)
        for entry in _entries(model, event, fields)
        for k in [entry.field]
        if before.get(k) != entered[k]
    )
    return Frame(
        position=position,
        count=len(events),
        event=event,
        marks=marks_from_history(model, events[:position], now=event.at),
        entries=_entries(model, event, fields),
        changes=changes,
        timing=_timing(event, ready),
    )
