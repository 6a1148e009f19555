"""Tables: definitions, users, instances, the task and timer projections, the event log.

Times are stored as timezone-aware UTC (``UTCDateTime``) on every backend.
The workflow state column holds SpiffWorkflow's serialized state *without* the
process definition, which lives once per version in ``definitions``.
Task lists and timer sweeps read ``tasks`` and ``timers``, never the state.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column

from .types import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict: JSON}


class Definition(Base):
    """One deployed version of a process diagram, stored exactly as uploaded."""

    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("process_id", "version", name="uq_definitions_process_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    bpmn: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


class Activation(Base):
    """Putting a version into service: new applications of its process start on it.

    Append-only: the active version of a process is the one its newest
    activation names, so rolling back is one more activation of an older
    version, and the table is the record of who changed the process when and why.
    """

    __tablename__ = "activations"
    __table_args__ = (Index("ix_activations_process", "process_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"))
    activated_at: Mapped[datetime]
    activated_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(400))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # the section (Seksi) a Kasi-lane user works for: they see and do that Seksi's tasks only
    seksi: Mapped[str | None] = mapped_column(String(100))
    # where notifications are mailed, when SMTP is configured
    email: Mapped[str | None] = mapped_column(String(320))


class UserLane(Base):
    __tablename__ = "user_lanes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    lane: Mapped[str] = mapped_column(String(100), primary_key=True)


class Instance(Base):
    """One application. ``version`` is the optimistic lock every command checks."""

    __tablename__ = "instances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration: Mapped[str] = mapped_column(String(40), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # what the applicant asked for (the label of the chosen jenis_layanan), for lists
    service: Mapped[str | None] = mapped_column(String(200))
    # the catalogue code of the service applied for, and the Seksi the application is routed to
    service_code: Mapped[str | None] = mapped_column(String(40))
    seksi: Mapped[str | None] = mapped_column(String(100))
    # SHA-256 of the short secret code printed on the receipt (public tracking without logging in)
    tracking_hash: Mapped[str | None] = mapped_column(String(64))
    state_format: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = deferred(mapped_column(Text, nullable=False))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str | None] = mapped_column(String(64))  # the newest event's hash: the chain's head
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (
        Index("ix_instances_owner_status", "owner_id", "status"),
        # the auditors' list: newest first, and a filing period
        Index("ix_instances_started", "started_at", "id"),
    )
    __mapper_args__ = {"version_id_col": version}


class TaskRow(Base):
    """Projection of user tasks: one row per task occurrence (a loop makes new ones)."""

    __tablename__ = "tasks"
    __table_args__ = (
        # the lane list: ready tasks of one lane in deadline order, read straight off the index
        Index("ix_tasks_status_lane_due", "status", "lane", "due_at", "ready_at", "id"),
        # an application's tasks; three columns so that SQLite prefers it over the lane index
        Index("ix_tasks_instance", "instance_id", "status", "lane"),
        # a Seksi's list in the Kasi lane
        Index("ix_tasks_status_lane_seksi_due", "status", "lane", "seksi", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(400))
    lane: Mapped[str | None] = mapped_column(String(100))
    # for Kasi-lane tasks: the Seksi whose staff alone see and do it
    seksi: Mapped[str | None] = mapped_column(String(100))
    sop_step: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # ready | completed | cancelled
    ready_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))


class TimerRow(Base):
    """Projection of pending timers; a sweep reads only rows already due."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "due_at"), Index("ix_timers_instance", "instance_id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    element_id: Mapped[str] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(String(36))
    due_at: Mapped[datetime]


class Event(Base):
    """The append-only history of an instance; ``seq`` counts from 1 per instance."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("instance_id", "seq", name="uq_events_instance_seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(100))
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(400))
    lane: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class UserRole(Base):
    """Roles beside lanes: ``auditor`` reads every application and does nothing."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(50), primary_key=True)


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Counter(Base):
    """Named counters (registration numbers per year)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class LoginAttempt(Base):
    """A failed login or a sign-up, kept for a day: the rate limits every web worker shares.

    ``login`` is empty when the name given could not be a login at all; such
    attempts count against the address only.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_login", "kind", "login", "at"),
        Index("ix_login_attempts_address", "kind", "address", "at"),
        Index("ix_login_attempts_at", "at"),  # pruning
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # login_failed | signup
    login: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class NonWorkingDay(Base):
    """A day the office is closed: a national holiday, cuti bersama, or an extra closure.

    Rows are never deleted: a revoked closure keeps its row with ``revoked_at``.
    The calendar as known at a moment T uses the rows created before T and not
    revoked before T, so re-executing a history computes the deadlines it
    computed then, even after the calendar changed.
    """

    __tablename__ = "non_working_days"
    __table_args__ = (Index("ix_non_working_days_day", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # holiday | cuti_bersama | closure
    source: Mapped[str] = mapped_column(String(60))  # "holidays 0.109" | "admin"
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(100))


class SpecialHours(Base):
    """Office hours that differ for a period (Ramadan hours); same as-of rules as closures.

    ``hours`` maps an ISO weekday ("1" Monday ... "7" Sunday) to ["HH:MM", "HH:MM"] or null (closed).
    """

    __tablename__ = "special_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)  # inclusive
    hours: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(100))


class CatalogueVersion(Base):
    """One version of the service catalogue (Jenis Layanan), stored as the YAML text it was saved as."""

    __tablename__ = "catalogue_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """An in-app notification, and its e-mail when SMTP is configured (an outbox row)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user", "user_id", "read_at", "id"),
        Index("ix_notifications_email", "email_status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))  # task_arrived | sla_breached | file_returned | product_ready
    title: Mapped[str] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    email_to: Mapped[str | None] = mapped_column(String(320))
    email_status: Mapped[str] = mapped_column(String(20), default="none")  # none | pending | sent | failed
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


class SkmResponse(Base):
    """One applicant's SKM survey (PermenPANRB 14/2017): nine elements scored 1 to 4, once per application."""

    __tablename__ = "skm_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), unique=True)
    service_code: Mapped[str | None] = mapped_column(String(40))
    submitted_at: Mapped[datetime]
    answers: Mapped[dict] = mapped_column(JSON)  # {"u1": 1..4, ..., "u9": 1..4}
    suggestion: Mapped[str | None] = mapped_column(Text)
