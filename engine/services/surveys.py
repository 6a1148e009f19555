"""The SKM survey of a completed application, and the IKM report made from the surveys.

One survey per application (``skm_responses.instance_id`` is unique), filled
by the applicant who filed it once the application is completed (the product
handed over at step 9). A second one is refused and changes nothing. The IKM
report is for the Kepala Kantor and auditors; it shows no respondent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from .. import skm
from ..applicant_views import IkmReport, ServiceIkm, SkmStatus, Suggestion
from ..errors import Conflict, FieldError, FormInvalid, InvalidInput, NotFound, PermissionDenied
from ..inputs import CONTROL
from ..store.models import Instance, SkmResponse
from ..store.uow import UnitOfWork
from .context import REPORT_LANES, Actor, Context, actor
from .instances import find_instance

_RESPONSES, _INSTANCES = SkmResponse.__table__, Instance.__table__
SUGGESTIONS_SHOWN = 200


def require_ikm_reader(user: Actor) -> None:
    if not (user.is_auditor or user.lanes & REPORT_LANES):
        raise PermissionDenied(f"{user.login} may not read the IKM report: it is for the Kepala Kantor and auditors")


def _owned(user: Actor, instance: Instance) -> None:
    """Only the application's own applicant fills its survey; others see nothing or are refused."""
    if instance.owner_id == user.id:
        return
    if user.sees_all_applications:
        raise PermissionDenied(
            f"{user.login} may not fill the survey of {instance.registration}: only the applicant who filed it may"
        )
    raise NotFound(f"application {instance.id} not found")


def _response(connection: Connection, instance_id: int) -> Any:
    return connection.execute(select(_RESPONSES).where(_RESPONSES.c.instance_id == instance_id)).one_or_none()


def status(session: Session, instance: Instance, user: Actor) -> SkmStatus:
    _owned(user, instance)
    row = _response(session.connection(), instance.id)
    return SkmStatus(
        instance=instance.id,
        registration=instance.registration,
        service=instance.service,
        status=instance.status,
        may_submit=row is None and instance.status == "completed",
        submitted_at=row.submitted_at if row is not None else None,
        answers=dict(row.answers) if row is not None else None,
        suggestion=row.suggestion if row is not None else None,
    )


def clean_answers(answers: Any, suggestion: Any = None) -> tuple[dict[str, int], str | None]:
    """``{"u1": 1..4, ..., "u9": 1..4}`` (whole numbers or their digits) and the optional suggestion.

    Raises ``FormInvalid`` naming every element that is missing, out of the
    scale or unknown, and a suggestion that is not acceptable text.
    """
    if not isinstance(answers, Mapping):
        raise InvalidInput("the answers must be a mapping of the nine elements u1..u9 to 1..4")
    errors = [
        FieldError(str(k)[:40], "not an element of the survey (u1..u9)", "unknown_field")
        for k in answers
        if k not in skm.CODES
    ]
    cleaned: dict[str, int] = {}
    for code in skm.CODES:
        value = answers.get(code)
        if value is None or value == "":
            errors.append(FieldError(code, "every element must be answered", "required"))
            continue
        if isinstance(value, str) and re.fullmatch(r"\s*[0-9]\s*", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value not in skm.SCALE:
            errors.append(FieldError(code, "choose 1, 2, 3 or 4", "not_allowed"))
        else:
            cleaned[code] = value
    text = None
    if suggestion is not None:
        problem = _suggestion_problem(suggestion)
        if problem is not None:
            message = f"at most {skm.SUGGESTION_LENGTH} characters of text, without control characters"
            errors.append(FieldError("suggestion", message, problem, {"max": skm.SUGGESTION_LENGTH}))
        else:
            text = suggestion.strip() or None
    if errors:
        raise FormInvalid(errors)
    return cleaned, text


def _suggestion_problem(suggestion: Any) -> str | None:
    """The FieldError code of an unacceptable suggestion (the UI words each its own way), or None."""
    if not isinstance(suggestion, str):
        return "not_text"
    if CONTROL.search(suggestion):
        return "control_characters"
    if len(suggestion) > skm.SUGGESTION_LENGTH:
        return "too_long"
    return None


def submit(
    uow: UnitOfWork, ctx: Context, instance_ref: str | int, login: str, answers: Any, suggestion: Any
) -> SkmStatus:
    session = uow.session
    user = actor(uow.connection, login)
    instance = find_instance(session, instance_ref)
    _owned(user, instance)
    row = _response(uow.connection, instance.id)
    if row is not None:
        raise Conflict(f"the survey of {instance.registration} was already filled; it is filled once per application")
    if instance.status != "completed":
        raise Conflict(
            f"the survey of {instance.registration} opens when the application is completed "
            f"(the product handed over); it is {instance.status}"
        )
    cleaned, text = clean_answers(answers, suggestion)
    now = ctx.clock.now()
    uow.connection.execute(
        insert(_RESPONSES).values(
            instance_id=instance.id,
            service_code=instance.service_code,
            submitted_at=now,
            answers=cleaned,
            suggestion=text,
        )
    )
    return SkmStatus(
        instance=instance.id,
        registration=instance.registration,
        service=instance.service,
        status=instance.status,
        may_submit=False,
        submitted_at=now,
        answers=cleaned,
        suggestion=text,
    )


def ikm_report(connection: Connection, since: datetime, until: datetime) -> IkmReport:
    """The IKM of the surveys submitted in ``[since, until)``, overall and per service."""
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("the period needs timezone-aware moments")
    if until <= since:
        raise InvalidInput("the period ends before it begins")
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    rows = connection.execute(
        select(
            _RESPONSES.c.answers,
            _RESPONSES.c.suggestion,
            _RESPONSES.c.submitted_at,
            _RESPONSES.c.service_code,
            _INSTANCES.c.service,
        )
        .join(_INSTANCES, _INSTANCES.c.id == _RESPONSES.c.instance_id)
        .where(_RESPONSES.c.submitted_at >= since, _RESPONSES.c.submitted_at < until)
        .order_by(_RESPONSES.c.submitted_at, _RESPONSES.c.id)
    ).all()
    groups: dict[tuple[str | None, str | None], list[dict[str, int]]] = {}
    labels: dict[tuple[str | None, str | None], str | None] = {}
    for row in rows:
        # one group per catalogue code; without one, per service label
        key = (row.service_code, None) if row.service_code else (None, row.service)
        groups.setdefault(key, []).append(row.answers)
        labels[key] = row.service or labels.get(key)  # the newest label names the group
    by_service = sorted(
        (ServiceIkm(code, labels[(code, label)], skm.compute(answers)) for (code, label), answers in groups.items()),
        key=lambda s: ((s.service or s.service_code or "").casefold(), s.service_code or ""),
    )
    suggestions = tuple(
        Suggestion(row.submitted_at, row.service, row.suggestion) for row in reversed(rows) if row.suggestion
    )[:SUGGESTIONS_SHOWN]
    return IkmReport(since, until, skm.compute(row.answers for row in rows), tuple(by_service), suggestions)
