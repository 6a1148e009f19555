"""Public tracking: an application's progress for whoever holds its registration number and code.

**The code.** Eight characters from an alphabet without 0, O, 1 and I,
derived as HMAC-SHA256(key, registration number): nothing is stored per
application, the same code is printed on every copy of the receipt, and
nobody can compute one without the key. The key is 256 random bits created
once and kept in the database (four rows ``tracking_key:1..4`` of
``counters``, 64 bits each), so every web worker and the command line derive
the same codes.

**No oracle.** A wrong registration number, a wrong code and a missing field
take the same path: the code is derived from whatever number was given and
compared in constant time, the application is looked up either way, and the
caller gets the same "not found". Failed attempts are rows of
``login_attempts`` with the kind ``tracking``; while an address has too many
in the window every attempt from it is refused, even with the right code
(the same rule and mechanism as failed logins: ``engine.services.throttle``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from ..applicant_views import TrackingEntry, TrackingView
from ..store.models import Counter, Event, Instance, TaskRow
from ..store.uow import UnitOfWork
from . import queries
from .context import Context
from .throttle import Limit, count_attempt, limit_per_address

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: 5 bits each, no 0/O/1/I
CODE_LENGTH = 8
KEY_ROWS = tuple(f"tracking_key:{n}" for n in range(1, 5))
TRACKING = "tracking"
REGISTRATION_LENGTH = 40
_REGISTRATION = re.compile(r"[A-Z0-9/ -]{1,40}")
_COUNTERS = Counter.__table__

# The SOP's step numbers the public page speaks of (DOMAIN.md).
RECEIPT_STEP = 3  # the applicant hands in the file
CHECK_STEP = 4  # PTSP checks it: complete, or returned to be completed
READY_STEP = 8  # PTSP has the signed product: the applicant may collect it
HANDED_OVER_STEP = 9  # the applicant received the product
# The form fields of step 4 that name what is missing (read defensively: older diagrams lack some).
COMPLETE_FIELD = "berkas_lengkap"
# (``catatan_pemeriksaan`` is the staff's internal note: never shown.)
MISSING_FIELDS = ("kekurangan",)
MISSING_NOTE_FIELDS = ("catatan_kekurangan",)


@dataclass(frozen=True)
class TrackingPolicy:
    """At most ``per_address`` failed look-ups from one client address; rows older than ``keep`` are deleted."""

    per_address: Limit = field(default_factory=lambda: Limit(20, timedelta(minutes=15)))
    keep: timedelta = timedelta(days=1)

    def __post_init__(self) -> None:
        if self.keep < self.per_address.window:
            raise ValueError("attempts must be kept at least as long as the window")


DEFAULT_TRACKING_POLICY = TrackingPolicy()


# ------------------------------------------------------------------ the key and the code
def _key_from(values: dict[str, int]) -> bytes | None:
    if any(name not in values for name in KEY_ROWS):
        return None
    return b"".join(int(values[name]).to_bytes(8, "big", signed=True) for name in KEY_ROWS)


def read_key(connection: Connection) -> bytes | None:
    """The tracking key, or None before the first receipt created it."""
    rows = connection.execute(select(_COUNTERS.c.name, _COUNTERS.c.value).where(_COUNTERS.c.name.in_(KEY_ROWS)))
    return _key_from({r.name: r.value for r in rows})


def ensure_key(connection: Connection) -> bytes:
    """The tracking key, created now when there is none (concurrent creators agree on one)."""
    key = read_key(connection)
    if key is not None:
        return key
    dialect = connection.dialect.name
    for name in KEY_ROWS:
        value = int.from_bytes(secrets.token_bytes(8), "big", signed=True)
        if dialect in ("sqlite", "postgresql"):
            if dialect == "sqlite":
                from sqlalchemy.dialects.sqlite import insert as upsert
            else:
                from sqlalchemy.dialects.postgresql import insert as upsert
            connection.execute(upsert(_COUNTERS).values(name=name, value=value).on_conflict_do_nothing())
        elif connection.execute(select(_COUNTERS.c.name).where(_COUNTERS.c.name == name)).first() is None:
            connection.execute(insert(_COUNTERS).values(name=name, value=value))
    key = read_key(connection)
    assert key is not None
    return key


def tracking_code(key: bytes, registration: str) -> str:
    """The eight-character code of a registration number."""
    digest = hmac.new(key, b"ptsp-tracking:" + registration.encode("utf-8"), hashlib.sha256).digest()
    bits = int.from_bytes(digest[:5], "big")  # 40 bits: 8 symbols of 5 bits, no modulo bias
    return "".join(ALPHABET[(bits >> (5 * (CODE_LENGTH - 1 - i))) & 31] for i in range(CODE_LENGTH))


def normalize_registration(text: Any) -> str:
    """A registration number as typed (any case, spaces around) in its stored form; "" when it cannot be one."""
    if not isinstance(text, str):
        return ""
    cleaned = text.strip().upper()
    return cleaned if _REGISTRATION.fullmatch(cleaned) else ""


def normalize_code(text: Any) -> str:
    """A code as typed (any case, with spaces or a dash) as eight symbols; "" when it cannot be one."""
    if not isinstance(text, str) or len(text) > 32:
        return ""
    cleaned = re.sub(r"[\s-]", "", text).upper()
    return cleaned if len(cleaned) == CODE_LENGTH and all(c in ALPHABET for c in cleaned) else ""


# ------------------------------------------------------------------------------- the look-up
def track(
    uow: UnitOfWork,
    ctx: Context,
    registration: Any,
    code: Any,
    address: str | None,
    policy: TrackingPolicy = DEFAULT_TRACKING_POLICY,
) -> TrackingView | None:
    """The application's public view, or None (and the failure counted) when number and code do not match.

    Raises ``TooManyAttempts`` while the address is limited, whatever it sends.
    """
    connection = uow.connection
    now = ctx.clock.now()
    addr = limit_per_address(
        connection,
        TRACKING,
        address,
        now,
        policy.per_address,
        policy.keep,
        "too many tracking attempts from this address",
    )

    number, given = normalize_registration(registration), normalize_code(code)
    key = read_key(connection)
    # without a key no receipt was ever given, so nothing matches (the same work is done all the same)
    expected = tracking_code(key or b"\0" * 32, number)
    matches = hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))
    matches = matches and key is not None and bool(number and given)
    instance = connection.execute(
        select(Instance.__table__.c.id).where(Instance.__table__.c.registration == number)
    ).scalar_one_or_none()
    if not matches or instance is None:
        count_attempt(connection, TRACKING, addr, now)
        return None
    return public_view(uow.session, ctx, instance)


def public_view(session: Session, ctx: Context, instance_id: int) -> TrackingView:
    instance = session.get(Instance, instance_id)
    events = session.execute(select(Event).where(Event.instance_id == instance_id).order_by(Event.seq)).scalars()
    ready = session.execute(
        select(TaskRow.sop_step, TaskRow.ready_at)
        .where(TaskRow.instance_id == instance_id, TaskRow.status == "ready")
        .order_by(TaskRow.ready_at, TaskRow.id)
    ).all()
    view = build_view(
        instance.registration,
        instance.status,
        instance.started_at,
        [(e.type, e.at, e.data or {}) for e in events],
        [(r.sop_step, r.ready_at) for r in ready],
    )
    if view.phase == "returned":
        items, note = _catalogue_missing(session, ctx, instance)
        if items or note:
            view = replace(view, missing=items or view.missing, missing_note=note or view.missing_note)
    return view


def _catalogue_missing(session: Session, ctx: Context, instance: Instance) -> tuple[tuple[str, ...], str | None]:
    """What the catalogue names as missing (``InstanceInfo.missing``: the requirements' own words)."""
    model = ctx.compiled(session.connection(), instance.definition_id).model
    info = queries.instance_info(session, instance, None, model)
    note = getattr(info, "missing_note", None)
    return _labels(getattr(info, "missing", None)), note.strip() if isinstance(note, str) and note.strip() else None


def _labels(items: Any) -> tuple[str, ...]:
    """Missing items as text, whatever shape they come in (text, records with a name or label, mappings)."""
    if not items or isinstance(items, str | bytes):
        return (items,) if isinstance(items, str) and items.strip() else ()
    out = []
    for item in items:
        if isinstance(item, dict):
            label = item.get("text") or item.get("label") or item.get("name") or item.get("nama") or item.get("code")
        elif isinstance(item, str):
            label = item
        else:
            label = getattr(item, "text", None) or getattr(item, "label", None) or getattr(item, "name", None)
            label = label or str(item)
        if label is not None and str(label).strip():
            out.append(str(label).strip())
    return tuple(out)


def _missing_from_form(form: dict[str, Any]) -> tuple[tuple[str, ...], str | None]:
    items: tuple[str, ...] = ()
    for name in MISSING_FIELDS:
        items = _labels(form.get(name))
        if items:
            break
    note = None
    for name in MISSING_NOTE_FIELDS:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            note = value.strip()
            break
    return items, note


@dataclass
class _Run:
    """Consecutive completions of one SOP step (step 7 is three tasks)."""

    step: int
    at: datetime
    outcome: str | None
    form: dict[str, Any]


def build_view(
    registration: str,
    status: str,
    started_at: datetime,
    events: list[tuple[str, datetime, dict[str, Any]]],
    ready: list[tuple[int | None, datetime]],
) -> TrackingView:
    """The public view from the history (type, moment, data) and the tasks waiting now (SOP step, since)."""
    runs: list[_Run] = []
    ended: TrackingEntry | None = None
    handed_in = False
    for type_, at, data in events:
        if type_ == "instance_completed":
            ended = TrackingEntry("completed", at)
        elif type_ == "instance_cancelled":
            ended = TrackingEntry("cancelled", at)
        if type_ != "task_completed" or not isinstance(data.get("sop_step"), int):
            continue
        step, form = data["sop_step"], data.get("form") or {}
        outcome = None
        if step == CHECK_STEP:
            complete = form.get(COMPLETE_FIELD)
            outcome = "complete" if complete is True else "incomplete" if complete is False else None
        elif step == RECEIPT_STEP:
            outcome = "again" if handed_in else None
            handed_in = True
        if runs and runs[-1].step == step and step not in (CHECK_STEP, RECEIPT_STEP):
            runs[-1].at, runs[-1].form = at, form
        else:
            runs.append(_Run(step, at, outcome, form))

    timeline = [TrackingEntry("filed", started_at)]
    timeline += [TrackingEntry("step", run.at, run.step, run.outcome) for run in runs]
    waiting: dict[int, datetime] = {}
    for step, since in ready:
        if step is not None and step not in waiting:
            waiting[step] = since
    timeline += [TrackingEntry("waiting", since, step) for step, since in waiting.items()]
    if ended is not None:
        timeline.append(ended)

    done = {run.step: run for run in runs}
    missing: tuple[str, ...] = ()
    note = None
    if status == "cancelled":
        phase = "cancelled"
    elif HANDED_OVER_STEP in done:
        phase = "handed_over"
    elif READY_STEP in done:
        phase = "ready"
    elif runs and runs[-1].step == CHECK_STEP and runs[-1].outcome == "incomplete":
        phase = "returned"
        missing, note = _missing_from_form(runs[-1].form)
    elif status == "completed":
        phase = "completed"
    else:
        phase = "in_progress"
    return TrackingView(
        registration=registration,
        status=status,
        phase=phase,
        filed_at=started_at,
        timeline=tuple(timeline),
        waiting_steps=tuple(waiting),
        missing=missing,
        missing_note=note,
        ready_at=done[READY_STEP].at if READY_STEP in done else None,
        handed_over_at=done[HANDED_OVER_STEP].at if HANDED_OVER_STEP in done else None,
    )
