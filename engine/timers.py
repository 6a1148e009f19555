"""Timer events that read the engine's clock and calendar.

SpiffWorkflow's own timers read ``datetime.now()`` and add wall-clock time.
These subclasses ask the workflow's script engine (``EngineScriptEngine``) for
the current moment and compute every deadline with its calendar, which is what
working-time standards and audit re-execution need.

A time standard in the SOP belongs to a *step*, not to a single task. Step 7
is three activities (the Kasi processes, the head signs, the Kasi documents)
with one 1-day standard, so each timer counts from the moment its SOP step
began: when the previous user task on the path belongs to the same step, the
timer inherits that task's start. For every other step the start is simply the
moment the task became ready.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

from . import expressions
from .calendar import WIB, Duration
from .errors import ExpressionError

# internal_data keys on a timer task
DUE = "event_value"  # the key SpiffWorkflow itself uses for the due moment
ANCHOR = "sla_anchor"
STANDARD = "sla_standard"


def sop_step(task_spec: Any) -> int | None:
    value = (getattr(task_spec, "extensions", None) or {}).get("sop_step")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def attached_task(timer_task: Any) -> Any | None:
    """The activity a boundary timer task watches (its sibling under the split)."""
    split = timer_task.parent
    if split is None or not isinstance(split.task_spec, BoundaryEventSplit):
        return None
    for child in split.children:
        if not isinstance(child.task_spec, BoundaryEvent):
            return child
    return None


def _previous_user_task(task: Any) -> Any | None:
    node = task.parent
    while node is not None:
        if isinstance(node.task_spec, UserTask):
            return node
        node = node.parent
    return None


def step_start(timer_task: Any, now: datetime) -> datetime:
    """When the SOP step the timer's activity belongs to began."""
    main = attached_task(timer_task)
    if main is None:
        return now
    step = sop_step(main.task_spec)
    if step is None:
        return now
    previous = _previous_user_task(main)
    if previous is None or sop_step(previous.task_spec) != step:
        return now
    for sibling in previous.parent.children if previous.parent is not None else ():
        anchor = sibling.internal_data.get(ANCHOR)
        if anchor:
            return datetime.fromisoformat(anchor)
    return now


def _engine(my_task: Any) -> Any:
    return my_task.workflow.top_workflow.script_engine


def _arming(compute: Any) -> Any:
    """Deadline arithmetic on diagram-supplied values fails as an ExpressionError, not a crash."""
    try:
        return compute()
    except (ValueError, OverflowError, TypeError) as exc:
        raise ExpressionError(f"timer cannot be set: {type(exc).__name__}: {exc}") from None


class EngineDurationTimer(DurationTimerEventDefinition):
    """``timeDuration``: a time standard, counted by the engine's calendar.

    The calendar is bound to the script engine's clock, so the deadline is
    counted with the calendar as known at ``now`` (the command's moment, or the
    recorded event's moment when a history is re-executed); once armed, the
    deadline is stored and never recounted.
    """

    def has_fired(self, my_task: Any) -> bool:
        engine = _engine(my_task)
        now = engine.clock.now()
        due = my_task._get_internal_data(DUE)
        if due is None:
            standard = timer_text(self.expression, my_task.data)
            anchor = step_start(my_task, now)
            due = _arming(lambda: engine.calendar.add(anchor, Duration.parse(standard)).isoformat())
            my_task._set_internal_data(**{DUE: due, ANCHOR: anchor.isoformat(), STANDARD: standard})
        if datetime.fromisoformat(due) <= now:
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class EngineDateTimer(TimeDateEventDefinition):
    """``timeDate``: a fixed moment; a moment without an offset is read as WIB."""

    def has_fired(self, my_task: Any) -> bool:
        engine = _engine(my_task)
        now = engine.clock.now()
        due = my_task._get_internal_data(DUE)
        if due is None:
            text = timer_text(self.expression, my_task.data)
            moment = _arming(lambda: datetime.fromisoformat(text))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=WIB)
            due = moment.astimezone(UTC).isoformat()
            my_task._set_internal_data(**{DUE: due, ANCHOR: now.isoformat()})
        if datetime.fromisoformat(due) <= now:
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


def timer_text(expression: str, data: dict) -> str:
    """A timer value as written: literal ISO text, or ``${...}`` evaluated to text."""
    inner, wrapped = expressions.unwrap(expression)
    if not wrapped:
        return inner
    value = expressions.evaluate(expression, data)
    if not isinstance(value, str):
        raise ExpressionError(f"timer expression {expression!r} must give text, not {value!r}")
    return value
