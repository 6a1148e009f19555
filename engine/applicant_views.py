"""Plain results of the applicant's side: the receipt, public tracking, the SKM survey and the IKM report.

Like ``engine.views``: no ORM or SpiffWorkflow objects, ``as_dict()`` gives
the JSON shape (moments as ISO 8601 in UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .skm import IkmResult
from .views import iso


@dataclass(frozen=True)
class StepStandard:
    """An SOP step still ahead when the file was handed in, and when it should end."""

    sop_step: int
    standards: tuple[str, ...]  # the time standards as the diagram writes them (step 7: one per task)
    ends_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"sop_step": self.sop_step, "standards": list(self.standards), "ends_at": iso(self.ends_at)}


@dataclass(frozen=True)
class Receipt:
    """The tanda terima: what the applicant handed in, when, and when the product is expected."""

    instance: int
    registration: str
    service: str | None
    status: str
    filed_at: datetime
    received_at: datetime  # the file handed in (step 3)
    resubmitted_at: datetime | None  # the missing documents handed in last, after a return
    expected_at: datetime | None  # None when a standard ahead cannot be read
    tracking_code: str
    remaining: tuple[StepStandard, ...] = ()

    @property
    def code_display(self) -> str:
        """The code in two groups of four, easier to read aloud and to type."""
        return f"{self.tracking_code[:4]}-{self.tracking_code[4:]}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "registration": self.registration,
            "service": self.service,
            "status": self.status,
            "filed_at": iso(self.filed_at),
            "received_at": iso(self.received_at),
            "resubmitted_at": iso(self.resubmitted_at),
            "expected_at": iso(self.expected_at),
            "tracking_code": self.tracking_code,
            "remaining": [s.as_dict() for s in self.remaining],
        }


@dataclass(frozen=True)
class TrackingEntry:
    """One line of the public timeline.

    ``kind``: ``filed``, ``step`` (an SOP step done), ``waiting`` (the step the
    application is at now), ``completed`` or ``cancelled``. ``outcome``: for
    step 4, ``complete`` or ``incomplete``; for step 3, ``again`` when the
    missing documents were handed in after a return.
    """

    kind: str
    at: datetime
    sop_step: int | None = None
    outcome: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": iso(self.at), "sop_step": self.sop_step, "outcome": self.outcome}


@dataclass(frozen=True)
class TrackingView:
    """What anyone with the registration number and the code may see: no names, no form data.

    ``phase``: ``in_progress``, ``returned`` (waiting for the missing
    documents), ``ready`` (the product may be collected), ``handed_over``,
    ``cancelled``.
    """

    registration: str
    status: str
    phase: str
    filed_at: datetime
    timeline: tuple[TrackingEntry, ...]
    waiting_steps: tuple[int, ...] = ()
    missing: tuple[str, ...] = ()
    missing_note: str | None = None
    ready_at: datetime | None = None
    handed_over_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "registration": self.registration,
            "status": self.status,
            "phase": self.phase,
            "filed_at": iso(self.filed_at),
            "timeline": [e.as_dict() for e in self.timeline],
            "waiting_steps": list(self.waiting_steps),
            "missing": list(self.missing),
            "missing_note": self.missing_note,
            "ready_at": iso(self.ready_at),
            "handed_over_at": iso(self.handed_over_at),
        }


@dataclass(frozen=True)
class SkmStatus:
    """The survey of one application as its applicant sees it: may they fill it, and what they sent."""

    instance: int
    registration: str
    service: str | None
    status: str
    may_submit: bool
    submitted_at: datetime | None = None
    answers: dict[str, int] | None = None
    suggestion: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "registration": self.registration,
            "service": self.service,
            "status": self.status,
            "may_submit": self.may_submit,
            "submitted_at": iso(self.submitted_at),
            "answers": self.answers,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True)
class ServiceIkm:
    """The IKM of one service; ``service_code`` is the catalogue's code when the application had one."""

    service_code: str | None
    service: str | None
    result: IkmResult

    def as_dict(self) -> dict[str, Any]:
        return {"service_code": self.service_code, "service": self.service, **self.result.as_dict()}


@dataclass(frozen=True)
class Suggestion:
    """A suggestion sent with a survey, without who sent it."""

    submitted_at: datetime
    service: str | None
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"submitted_at": iso(self.submitted_at), "service": self.service, "text": self.text}


@dataclass(frozen=True)
class IkmReport:
    """The IKM of the surveys submitted in ``[since, until)``, overall and per service."""

    since: datetime
    until: datetime
    overall: IkmResult
    by_service: tuple[ServiceIkm, ...]
    suggestions: tuple[Suggestion, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.overall.respondents == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": iso(self.since),
            "until": iso(self.until),
            "overall": self.overall.as_dict(),
            "by_service": [s.as_dict() for s in self.by_service],
            "suggestions": [s.as_dict() for s in self.suggestions],
        }
