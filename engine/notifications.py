"""Who is told what, and in which words: the rules that turn events into notifications.

The event log is the source of truth. ``services.notifying`` reads the events
after its cursor and asks ``drafts_for`` what each one means for people:

- a task arrives in a staff lane (``task_ready``): the lane's staff, and for
  the Kasi lane only the staff of the task's Seksi (every Kasi-lane user while
  the task has no Seksi yet). A task already done by the time the notifier
  reads its arrival is not announced any more;
- a time standard is breached (``sla_breached``): the Kasubag and the Kepala
  Kantor;
- the file is returned as incomplete (step 3 ready again right after step 4
  was completed, i.e. the gateway decided "belum lengkap"): the applicant,
  with what is missing when the step-4 form says it (``kekurangan``: the
  catalogue's requirement codes, ``catatan_kekurangan``: the note to the
  applicant; ``catatan_pemeriksaan`` is internal and never sent);
- step 8 is completed (the product is signed and at the front office): the
  applicant, "produk layanan siap diambil".

Texts are Indonesian (the office's words, DOMAIN.md) and plain: the in-app
title and body are also the e-mail's subject and body. Nothing here touches
the database: the facts come through the ``Facts`` protocol.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .calendar import WIB, Duration
from .model import APPLICANT_LANE, SEKSI_LANE
from .views import iso

TASK_ARRIVED = "task_arrived"
SLA_BREACHED = "sla_breached"
FILE_RETURNED = "file_returned"
PRODUCT_READY = "product_ready"
KINDS = (TASK_ARRIVED, SLA_BREACHED, FILE_RETURNED, PRODUCT_READY)

# Who hears of a breach: the supervisors of the office.
SUPERVISOR_LANES = ("Kasubag", "Kepala Kantor")
SUBMIT_STEP, CHECK_STEP, HANDOVER_STEP = 3, 4, 8
# the event types a rule reads; the notifier skips the others without looking
RELEVANT_EVENTS = frozenset({"task_ready", "sla_breached", "task_completed"})

TITLE_MAX = 400
OFFICE = "Kantor Kementerian Agama Kota Jakarta Selatan"
_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


# ------------------------------------------------------------------ facts
@dataclass(frozen=True)
class EventFacts:
    id: int
    instance_id: int
    seq: int
    type: str
    at: datetime
    task_id: str | None
    task_name: str | None
    lane: str | None
    data: dict[str, Any]

    @property
    def sop_step(self) -> int | None:
        step = (self.data or {}).get("sop_step")
        return step if isinstance(step, int) and not isinstance(step, bool) else None

    @property
    def due_at(self) -> datetime | None:
        return _moment((self.data or {}).get("due_at"))


@dataclass(frozen=True)
class ApplicationFacts:
    id: int
    registration: str
    service: str | None
    owner_id: int
    service_code: str | None = None


@dataclass(frozen=True)
class TaskFacts:
    status: str
    seksi: str | None


class Facts(Protocol):
    """What the rules need to know besides the event, read by the notifier."""

    def application(self, instance_id: int) -> ApplicationFacts | None: ...

    def task(self, task_id: str) -> TaskFacts | None: ...

    def completion_before(self, instance_id: int, seq: int) -> EventFacts | None:
        """The newest ``task_completed`` event of the application before ``seq``."""

    def ready_after(self, instance_id: int, seq: int) -> EventFacts | None:
        """The first ``task_ready`` event of the application after ``seq`` (its next step)."""

    def requirement_label(self, application: ApplicationFacts, code: str) -> str:
        """How a requirement (Persyaratan) item code reads for people; the code itself when unknown."""


# ----------------------------------------------------------------- drafts
@dataclass(frozen=True)
class Audience:
    """The users a notification goes to: lanes' staff (for the Kasi lane, one Seksi's), or the applicant."""

    lanes: tuple[str, ...] = ()
    seksi: str | None = None
    owner: bool = False


@dataclass(frozen=True)
class Draft:
    kind: str
    audience: Audience
    title: str
    body: str
    link: str | None


def drafts_for(event: EventFacts, facts: Facts) -> list[Draft]:
    """The notifications one event calls for (most events call for none)."""
    if event.type not in RELEVANT_EVENTS:
        return []
    application = facts.application(event.instance_id)
    if application is None:
        return []
    if event.type == "task_ready":
        if event.sop_step == SUBMIT_STEP:
            returned = facts.completion_before(event.instance_id, event.seq)
            if returned is not None and returned.sop_step == CHECK_STEP:
                return [file_returned(application, event, returned, facts)]
        if event.lane is None or event.lane == APPLICANT_LANE or event.task_id is None:
            return []
        task = facts.task(event.task_id)
        if task is None or task.status != "ready":
            return []  # done (or cancelled) before anyone could be told: nothing to announce
        seksi = None
        if event.lane == SEKSI_LANE:
            seksi = task.seksi or (event.data or {}).get("seksi")  # the routing now, else as it arrived
        return [task_arrived(application, event, seksi)]
    if event.type == "sla_breached":
        return [sla_breached(application, event)]
    if event.type == "task_completed" and event.sop_step == HANDOVER_STEP:
        return [product_ready(application, event, facts.ready_after(event.instance_id, event.seq))]
    return []


# ------------------------------------------------------------------ texts
def task_arrived(application: ApplicationFacts, event: EventFacts, seksi: str | None) -> Draft:
    task = event.task_name or "-"
    where = f"lajur {event.lane}" + (f" (Seksi {seksi})" if seksi else "")
    lines = [
        f"Permohonan {application.registration}{_service(application)} masuk ke {where}.",
        f"Tugas: {_step(event)}“{task}”.",
        _deadline(event.due_at),
    ]
    return Draft(
        TASK_ARRIVED,
        Audience(lanes=(event.lane or "",), seksi=seksi),
        _title(f"Tugas baru {application.registration}: {task}"),
        _lines(lines),
        f"/tugas/{event.task_id}",
    )


def sla_breached(application: ApplicationFacts, event: EventFacts) -> Draft:
    task = event.task_name or "-"
    standard = _standard(event.data.get("standard"))
    lines = [
        f"Permohonan {application.registration}{_service(application)}: {_step(event)}“{task}”"
        + (f" di lajur {event.lane}" if event.lane else "")
        + " melewati batas waktu"
        + (f" (standar waktu {standard})" if standard else "")
        + ".",
        _deadline(event.due_at),
        "Status: Terlambat.",
    ]
    return Draft(
        SLA_BREACHED,
        Audience(lanes=SUPERVISOR_LANES),
        _title(f"Batas waktu terlampaui {application.registration}: {task}"),
        _lines(lines),
        f"/permohonan/{application.id}",
    )


def file_returned(application: ApplicationFacts, event: EventFacts, check: EventFacts, facts: Facts) -> Draft:
    form = check.data.get("form") if isinstance(check.data.get("form"), dict) else {}
    lines = [
        f"Berkas permohonan {application.registration}{_service(application)} belum lengkap "
        "dan dikembalikan untuk dilengkapi.",
    ]
    missing = [facts.requirement_label(application, code) for code in _codes(form.get("kekurangan"))]
    if missing:
        lines.append("Kekurangan berkas:\n" + "\n".join(f"- {item}" for item in missing))
    note = form.get("catatan_kekurangan")  # to the applicant (``catatan_pemeriksaan`` is internal)
    if isinstance(note, str) and note.strip():
        lines.append(f"Catatan petugas: {note.strip()}")
    lines.append(f"Silakan lengkapi berkas Anda: {_step(event)}“{event.task_name or '-'}”.")
    lines.append(_deadline(event.due_at))
    return Draft(
        FILE_RETURNED,
        Audience(owner=True),
        _title(f"Berkas dikembalikan untuk dilengkapi: {application.registration}"),
        _lines(lines),
        f"/permohonan/{application.id}",
    )


def product_ready(application: ApplicationFacts, event: EventFacts, following: EventFacts | None) -> Draft:
    lines = [
        f"Produk layanan untuk permohonan {application.registration}{_service(application)} "
        f"sudah selesai dan siap diambil di loket PTSP {OFFICE}.",
        f"{_step(event).capitalize()}“{event.task_name or '-'}” selesai pada {wib_text(event.at)}.",
        f"Sebutkan Nomor Registrasi {application.registration} saat mengambil produk layanan.",
    ]
    if following is not None:
        lines.append(f"Langkah berikutnya: {_step(following)}“{following.task_name or '-'}”.")
        lines.append(_deadline(following.due_at))
    return Draft(
        PRODUCT_READY,
        Audience(owner=True),
        _title(f"Produk layanan siap diambil: {application.registration}"),
        _lines(lines),
        f"/permohonan/{application.id}",
    )


def wib_text(moment: datetime) -> str:
    """``Senin, 23 November 2026 pukul 09.15 WIB``."""
    local = moment.astimezone(WIB)
    return f"{_DAYS[local.weekday()]}, {local.day} {_MONTHS[local.month - 1]} {local.year} pukul {local:%H.%M} WIB"


def _deadline(due: datetime | None) -> str:
    return f"Batas waktu: {wib_text(due)}." if due is not None else ""


def _step(event: EventFacts) -> str:
    return f"langkah {event.sop_step} " if event.sop_step is not None else ""


def _service(application: ApplicationFacts) -> str:
    return f" ({application.service})" if application.service else ""


def _standard(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return Duration.parse(value).describe()
    except Exception:  # a standard the calendar cannot read: say nothing rather than fail the pass
        return None


def _codes(value: Any) -> list[str]:
    """The ``kekurangan`` field: a list of item codes (or one comma-separated string); anything else: none."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, Iterable) or isinstance(value, dict):
        return []
    return [str(v).strip() for v in value if isinstance(v, str | int) and str(v).strip()]


def _lines(lines: list[str]) -> str:
    return "\n".join(line for line in lines if line)


def _title(text: str) -> str:
    text = " ".join(text.split())  # one line: it is also an e-mail subject
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1] + "…"


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


# ---------------------------------------------------------------- results
@dataclass(frozen=True)
class NotificationInfo:
    """One notification as its reader sees it."""

    id: int
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None
    instance_id: int | None
    registration: str | None
    email_status: str

    @property
    def unread(self) -> bool:
        return self.read_at is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "link": self.link,
            "created_at": iso(self.created_at),
            "read_at": iso(self.read_at),
            "instance": self.instance_id,
            "registration": self.registration,
            "email_status": self.email_status,
        }


@dataclass(frozen=True)
class NotifyResult:
    """One run of the notifier: events read, notifications written (and how many of them await e-mail)."""

    events: int = 0
    notifications: int = 0
    emails: int = 0
    cursor: int = 0

    def __add__(self, other: NotifyResult) -> NotifyResult:
        return NotifyResult(
            self.events + other.events,
            self.notifications + other.notifications,
            self.emails + other.emails,
            max(self.cursor, other.cursor),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "notifications": self.notifications,
            "emails_queued": self.emails,
            "cursor": self.cursor,
        }


@dataclass(frozen=True)
class MailResult:
    """One run of the sender: e-mails sent, to be retried later, and given up on."""

    configured: bool = False
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"configured": self.configured, "sent": self.sent, "retrying": self.retrying, "failed": self.failed}
