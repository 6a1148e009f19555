"""The receipt (tanda terima) the applicant gets when the file is handed in at SOP step 3.

The expected completion is the moment the file was handed in plus the time
standards of the SOP steps still ahead, in SOP-step order, each added with
the engine's calendar (so office hours and holidays count as they count for
the deadlines). A step of several tasks (step 7: process, sign, document)
shares one standard counted from the step's start, so it is added once: the
latest of its tasks' ends. After a return, the missing documents handed in
restart the count.

The receipt is the applicant's own, and PTSP staff print it at the desk;
anyone else who may see the application is refused, anyone who may not is
told it does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..applicant_views import Receipt, StepStandard
from ..calendar import Calendar, Duration
from ..errors import NotFound, PermissionDenied, PtspError
from ..model import ProcessModel
from ..store.models import Event, Instance
from ..timers import timer_text
from .context import Actor, Context
from .tracking import RECEIPT_STEP, tracking_code

# Staff who hand out printed receipts at the front desk.
RECEIPT_LANE = "PTSP"


class NoKeyYet(Exception):
    """The first receipt ever: the tracking key must be created (in a write) before it can be shown."""


def handovers(events: Iterable[Any]) -> list[Any]:
    """The completions of SOP step 3 (the file handed in, then any missing documents), oldest first.

    Works on ``EventInfo`` and on event rows alike (``type``, ``data``).
    """
    return [e for e in events if e.type == "task_completed" and (e.data or {}).get("sop_step") == RECEIPT_STEP]


def file_handed_in(events: Iterable[Any]) -> bool:
    """Whether the application has a receipt: its file was handed in."""
    return bool(handovers(events))


def may_open(user: Actor | None, instance: Instance) -> bool:
    """Whether ``user`` may open the receipt (raises for those who may see the application but not it)."""
    if user is None or instance.owner_id == user.id or RECEIPT_LANE in user.lanes:
        return True
    if user.sees_all_applications:
        raise PermissionDenied(
            f"{user.login} may not open the receipt of {instance.registration}: "
            f"it is for the applicant and {RECEIPT_LANE} staff"
        )
    return False


def steps_ahead(model: ProcessModel, after: int = RECEIPT_STEP) -> list[tuple[int, tuple[str, ...]]]:
    """The SOP steps after ``after``, in order, with the time standards (durations) of their tasks."""
    by_step: dict[int, list[str]] = {}
    for task in model.tasks.values():
        if task.sop_step is None or task.sop_step <= after:
            continue
        standards = by_step.setdefault(task.sop_step, [])
        timer = model.timer_for(task.id)
        if timer is not None and timer.kind == "duration" and timer.expression not in standards:
            standards.append(timer.expression)
    return [(step, tuple(by_step[step])) for step in sorted(by_step)]


def expected_completion(
    calendar: Calendar, start: datetime, steps: list[tuple[int, tuple[str, ...]]], data: dict[str, Any]
) -> tuple[datetime | None, tuple[StepStandard, ...]]:
    """``start`` plus each step's standard in turn (None when a standard cannot be read)."""
    moment = start
    out: list[StepStandard] = []
    for step, expressions in steps:
        if not expressions:
            continue
        try:
            written = tuple(timer_text(expression, data) for expression in expressions)
            ends = [calendar.add(moment, Duration.parse(text)) for text in written]
        except (PtspError, ValueError, OverflowError):
            return None, tuple(out)
        moment = max(ends)
        out.append(StepStandard(step, written, moment))
    return moment, tuple(out)


def receipt(session: Session, ctx: Context, instance: Instance, user: Actor | None, key: bytes | None) -> Receipt:
    """The receipt; ``NoKeyYet`` when everything allows it but the tracking key does not exist yet."""
    if not may_open(user, instance):
        raise NotFound(f"application {instance.id} not found")
    events = session.execute(
        select(Event).where(Event.instance_id == instance.id, Event.type == "task_completed").order_by(Event.seq)
    ).scalars()
    handed = handovers(events)
    if not handed:
        raise NotFound(
            f"{instance.registration} has no receipt yet: it is given when the file is handed in (SOP step 3)"
        )
    if key is None:
        raise NoKeyYet
    model = ctx.compiled(session.connection(), instance.definition_id).model
    counted_from = handed[-1].at
    expected, remaining = expected_completion(
        ctx.runtime.script_engine.calendar, counted_from, steps_ahead(model), instance.data or {}
    )
    return Receipt(
        instance=instance.id,
        registration=instance.registration,
        service=instance.service,
        status=instance.status,
        filed_at=instance.started_at,
        received_at=handed[0].at,
        resubmitted_at=counted_from if len(handed) > 1 else None,
        expected_at=expected,
        tracking_code=tracking_code(key, instance.registration),
        remaining=remaining,
    )
