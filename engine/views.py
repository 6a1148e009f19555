"""Plain results the engine returns; callers never see ORM or SpiffWorkflow objects.

Each has ``as_dict()`` giving the JSON shape the CLI prints with ``--json``
(timestamps as ISO 8601 with offset, in UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .model import Form, MutuBaku


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True)
class DeployResult:
    """A deployed (or, in a dry run, deployable) version; ``created`` is false for known content."""

    process: str
    version: int
    sha256: str
    created: bool
    active: bool = False
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "version": self.version,
            "sha256": self.sha256,
            "created": self.created,
            "active": self.active,
            "dry_run": self.dry_run,
            "problems": [],
        }


@dataclass(frozen=True)
class VersionInfo:
    """One deployed version of a process, as the versions page and ``ptsp versions`` show it."""

    process: str
    version: int
    name: str
    sha256: str
    deployed_at: datetime
    deployed_by: str | None
    note: str | None
    active: bool
    running_instances: int
    last_activated_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "version": self.version,
            "name": self.name,
            "sha256": self.sha256,
            "deployed_at": iso(self.deployed_at),
            "deployed_by": self.deployed_by,
            "note": self.note,
            "active": self.active,
            "running_instances": self.running_instances,
            "last_activated_at": iso(self.last_activated_at),
        }


@dataclass(frozen=True)
class DefinitionFile:
    """A version's file exactly as uploaded, with the name to save it under."""

    process: str
    version: int
    data: bytes

    @property
    def filename(self) -> str:
        return f"{self.process}-v{self.version}.bpmn"


@dataclass(frozen=True)
class ActivationInfo:
    """A version put into service: by whom, when and why."""

    process: str
    version: int
    activated_at: datetime
    activated_by: str | None
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "version": self.version,
            "activated_at": iso(self.activated_at),
            "activated_by": self.activated_by,
            "note": self.note,
        }


@dataclass(frozen=True)
class UserInfo:
    id: int
    login: str
    name: str
    lanes: tuple[str, ...]
    roles: tuple[str, ...] = ()
    seksi: str | None = None
    email: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "login": self.login,
            "name": self.name,
            "lanes": list(self.lanes),
            "roles": list(self.roles),
            "seksi": self.seksi,
            "email": self.email,
        }


@dataclass(frozen=True)
class StartResult:
    instance: int
    registration: str

    def as_dict(self) -> dict[str, Any]:
        return {"instance": self.instance, "registration": self.registration}


@dataclass(frozen=True)
class TaskSummary:
    id: str
    instance: int
    registration: str
    name: str
    element: str
    lane: str | None
    sop_step: int | None
    status: str
    ready_at: datetime
    due_at: datetime | None
    breached_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    service: str | None = None
    seksi: str | None = None  # a Kasi-lane task: the Seksi whose staff alone see and do it

    def overdue(self, now: datetime) -> bool:
        return self.status == "ready" and self.due_at is not None and self.due_at <= now

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "instance": self.instance,
            "registration": self.registration,
            "name": self.name,
            "element": self.element,
            "lane": self.lane,
            "sop_step": self.sop_step,
            "status": self.status,
            "ready_at": iso(self.ready_at),
            "due_at": iso(self.due_at),
            "breached_at": iso(self.breached_at),
            "completed_at": iso(self.completed_at),
            "completed_by": self.completed_by,
            "service": self.service,
            "seksi": self.seksi,
        }


@dataclass(frozen=True)
class MissingItem:
    """A requirement (persyaratan) ticked as missing when the file was returned: what to bring."""

    code: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


@dataclass(frozen=True)
class Disposition:
    """A disposition so far (steps 5 and 6): who disposed, when, to which Seksi, with which note."""

    sop_step: int | None
    task_name: str | None
    by: str | None  # login
    by_name: str | None
    at: datetime
    note: str | None
    seksi: str | None = None  # the Seksi the application was routed to by this disposition

    def as_dict(self) -> dict[str, Any]:
        return {
            "sop_step": self.sop_step,
            "task_name": self.task_name,
            "by": self.by,
            "by_name": self.by_name,
            "at": iso(self.at),
            "note": self.note,
            "seksi": self.seksi,
        }


@dataclass(frozen=True)
class TaskDetail:
    summary: TaskSummary
    form: Form  # with its catalogue fields filled in for this application
    documentation: str | None
    mutu_baku: MutuBaku
    standard: str | None  # the time standard as written, e.g. PT15M
    # the catalogue entry of the application's service (engine.catalogue.Service), as filed
    service: Any = None

    def as_dict(self) -> dict[str, Any]:
        d = self.summary.as_dict()
        d.update(
            {
                "documentation": self.documentation,
                "mutu_baku": self.mutu_baku.as_dict(),
                "standard": self.standard,
                "form": self.form.as_dict(),
            }
        )
        if self.service is not None:
            d["service_standard"] = self.service.summary()
        return d


@dataclass(frozen=True)
class CompleteResult:
    task: str
    instance: int
    registration: str
    status: str
    next_tasks: tuple[TaskSummary, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "instance": self.instance,
            "registration": self.registration,
            "status": self.status,
            "next_tasks": [t.as_dict() for t in self.next_tasks],
        }


@dataclass(frozen=True)
class TickResult:
    fired: int
    instances: int
    failed: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"fired": self.fired, "instances": self.instances, "failed": list(self.failed)}


@dataclass(frozen=True)
class InstanceInfo:
    id: int
    registration: str
    status: str
    process: str
    version: int
    owner: str
    started_at: datetime
    ended_at: datetime | None
    data: dict[str, Any] = field(default_factory=dict)
    open_tasks: tuple[TaskSummary, ...] = ()
    service: str | None = None
    owner_name: str | None = None
    # (field id, label, value) of ``data``, labelled by the diagram's forms
    described: tuple[tuple[str, str, Any], ...] = ()
    service_code: str | None = None
    seksi: str | None = None  # the Seksi the application is routed to
    # while the file is returned as incomplete: the requirements ticked missing and the note to the applicant
    missing: tuple[MissingItem, ...] = ()
    missing_note: str | None = None
    # the dispositions so far (staff and auditors only; empty for the applicant)
    dispositions: tuple[Disposition, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "registration": self.registration,
            "status": self.status,
            "service": self.service,
            "service_code": self.service_code,
            "seksi": self.seksi,
            "process": self.process,
            "version": self.version,
            "owner": self.owner,
            "owner_name": self.owner_name,
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
            "data": self.data,
            "open_tasks": [t.as_dict() for t in self.open_tasks],
            "missing": [m.as_dict() for m in self.missing],
            "missing_note": self.missing_note,
            "dispositions": [d.as_dict() for d in self.dispositions],
        }


@dataclass(frozen=True)
class LaneCount:
    lane: str
    open: int
    overdue: int
    completed_today: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"lane": self.lane, "open": self.open, "overdue": self.overdue, "completed_today": self.completed_today}


@dataclass(frozen=True)
class SeksiCount:
    """The Kasi lane of one Seksi: open and overdue tasks now, completions since midnight WIB."""

    seksi: str
    open: int
    overdue: int
    completed_today: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "seksi": self.seksi,
            "open": self.open,
            "overdue": self.overdue,
            "completed_today": self.completed_today,
        }


@dataclass(frozen=True)
class ApplicationSummary:
    id: int
    registration: str
    service: str | None
    status: str
    started_at: datetime
    ended_at: datetime | None
    waiting_for: tuple[TaskSummary, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "registration": self.registration,
            "service": self.service,
            "status": self.status,
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
            "waiting_for": [t.as_dict() for t in self.waiting_for],
        }


@dataclass(frozen=True)
class TokenInfo:
    id: int
    login: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "login": self.login,
            "label": self.label,
            "created_at": iso(self.created_at),
            "revoked_at": iso(self.revoked_at),
        }


@dataclass(frozen=True)
class EventInfo:
    seq: int
    type: str
    at: datetime
    actor: str | None
    task: str | None
    task_name: str | None
    lane: str | None
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        d = {
            "seq": self.seq,
            "type": self.type,
            "at": iso(self.at),
            "actor": self.actor,
            "task": self.task,
            "task_name": self.task_name,
            "lane": self.lane,
        }
        d.update({k: v for k, v in self.data.items() if k not in d})
        return d


@dataclass(frozen=True)
class ReplayView:
    """An auditor's view of one application at one point of its history."""

    info: InstanceInfo
    events: tuple[EventInfo, ...]
    frame: Any  # engine.audit.replay.Frame
    failure: Any | None  # engine.services.auditing.Failure when the history does not verify


@dataclass(frozen=True)
class Health:
    """Whether the database answers, and the schema revision it is at (``/healthz``)."""

    ok: bool
    database: str  # "ok", or a short reason without detail (the endpoint is public)
    schema: str | None = None

    def as_dict(self) -> dict[str, Any]:
        if not self.ok:
            return {"status": "error", "database": self.database}
        return {"status": "ok", "database": self.database, "schema": self.schema}
