"""The notifier and the outbox: events after a cursor become notifications; pending e-mails go out.

Commands never wait for any of this: the timer worker (or ``ptsp notify``)
runs it after they commit, reading the append-only event log.

**Exactly once.** The cursor is the id of the last event turned into
notifications, kept in ``counters`` under ``notifications_cursor``. A pass
locks that row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write
transaction is exclusive anyway), reads the events after it, inserts the
notifications and moves the cursor in the same transaction: a second worker
waits for the lock and then starts after the new cursor, and a pass that
fails leaves both as they were.

**No event skipped.** On PostgreSQL event ids come from a sequence and
transactions commit in any order, so event 41 may become visible after event
42. Where the ids read have a gap, the pass takes the snapshot the read ran
under: while a transaction that was running then and has written to the
events table still runs, the missing id may yet commit, and the pass stops
just before it (the next pass looks again); once none is left, whatever is
still missing was rolled back and is passed over. (Every command writes its
instance row before its events, so the transaction holding an event id
already has a transaction id that the snapshot lists.)

**E-mail.** A notification for a user with an address, written while SMTP is
configured, is ``pending``. The sender claims one attempt at a time with a
conditional update (two senders never send the same attempt), sends it, and
records ``sent``, or the error with the row still ``pending`` for a retry
after a back-off (1, 5, 15, then 60 minutes), or ``failed`` after the last
attempt. While an e-mail is pending ``sent_at`` holds the time of its last
attempt (the back-off counts from it); once sent, the time it was sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, literal_column, or_, select, text, update

from ..mailer import MailSettings, MessageRefused, SmtpConnection, compose, describe
from ..notifications import (
    ApplicationFacts,
    Draft,
    EventFacts,
    MailResult,
    NotificationInfo,
    NotifyResult,
    TaskFacts,
    drafts_for,
)
from ..store.models import Counter, Event, Instance, Notification, TaskRow, User, UserLane
from ..store.uow import UnitOfWork

log = logging.getLogger("ptsp.notifications")

CURSOR = "notifications_cursor"
BATCH = 500
# The first pass on a database (no cursor yet) starts with the events of the
# last day: an upgraded office is not sent its whole history.
FIRST_RUN_WINDOW = timedelta(days=1)
# wait before attempt n+1 after n failed attempts (the last entry repeats)
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=60))

EVENTS, INSTANCES, TASKS, USERS, LANES, COUNTERS, NOTIFICATIONS = (
    m.__table__ for m in (Event, Instance, TaskRow, User, UserLane, Counter, Notification)
)
_EVENT_COLUMNS = [
    EVENTS.c[name] for name in ("id", "instance_id", "seq", "type", "at", "task_id", "task_name", "lane", "data")
]
_CURSOR = select(COUNTERS.c.value).where(COUNTERS.c.name == CURSOR)
# The transactions of a snapshot that still run and have written to ``events``
# in this database: only they can still commit an event id the snapshot did
# not show. (Every running transaction holds a lock on its own transaction id;
# one that inserted an event holds RowExclusiveLock on the table until it ends.
# ``pg_locks`` is readable by every role. Transactions of other databases on
# the server, or that never touched the events, do not hold the notifier back.)
_IN_PROGRESS = text("""
    SELECT count(*) FROM pg_snapshot_xip(CAST(:snapshot AS pg_snapshot)) AS x(xid)
    JOIN pg_locks t ON t.locktype = 'transactionid'
        AND t.transactionid::text = (x.xid::text::numeric % 4294967296)::text
    JOIN pg_locks r ON r.virtualtransaction = t.virtualtransaction
        AND r.locktype = 'relation' AND r.relation = 'events'::regclass
        AND r.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    WHERE t.pid IS DISTINCT FROM pg_backend_pid()
""")


# ------------------------------------------------------------------- notifier
@dataclass
class GapWatch:
    """A gap in the event ids one worker is waiting on: the first missing id and the snapshot it was seen in."""

    missing: int | None = None
    snapshot: str | None = None
    seen_up_to: int = 0


def peek(connection: Connection) -> tuple[int | None, bool]:
    """A cheap look without a lock: the cursor (None before the first run), and whether events follow it."""
    cursor = connection.execute(_CURSOR).scalar()
    newest = connection.execute(select(func.max(EVENTS.c.id))).scalar()
    return cursor, newest is not None and (cursor is None or newest > cursor)


def notify_batch(
    uow: UnitOfWork,
    now: datetime,
    *,
    mail: bool,
    gap: GapWatch,
    batch: int = BATCH,
    requirement_label: Callable[[ApplicationFacts, str], str] | None = None,
) -> tuple[NotifyResult, bool]:
    """Turn up to ``batch`` events after the cursor into notifications; say whether more are waiting."""
    connection = uow.connection
    cursor = _lock_cursor(connection, now)
    rows = connection.execute(_events_after(connection, cursor, batch)).all()
    if not rows:
        return NotifyResult(cursor=cursor), False
    read, last_read = len(rows), rows[-1].id
    rows, horizon = _settled(connection, cursor, rows, gap)
    facts = DbFacts(connection, requirement_label)
    facts.prefetch(rows)
    drafts = []
    for row in rows:
        event = EventFacts(**{k: row._mapping[k] for k in EventFacts.__dataclass_fields__})
        for draft in drafts_for(event, facts):
            drafts.append((event, draft))
    written = _write(connection, facts, drafts, mail)
    if horizon > cursor:
        connection.execute(update(COUNTERS).where(COUNTERS.c.name == CURSOR).values(value=horizon))
    emails = sum(1 for r in written if r["email_status"] == "pending")
    # more after this batch, or after where a gap that has just settled stopped this one
    more = horizon > cursor and (read == batch or horizon < last_read)
    return NotifyResult(len(rows), len(written), emails, horizon), more


def _lock_cursor(connection: Connection, now: datetime) -> int:
    locked = _CURSOR.with_for_update()
    value = connection.execute(locked).scalar()
    if value is not None:
        return value
    start = connection.execute(select(func.max(EVENTS.c.id)).where(EVENTS.c.at < now - FIRST_RUN_WINDOW)).scalar()
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as upsert
        else:
            from sqlalchemy.dialects.postgresql import insert as upsert
        # two first passes at once: one row wins, the other waits for it below
        connection.execute(upsert(COUNTERS).values(name=CURSOR, value=start or 0).on_conflict_do_nothing())
    else:
        connection.execute(insert(COUNTERS).values(name=CURSOR, value=start or 0))
    return connection.execute(locked).scalar_one()


def _events_after(connection: Connection, cursor: int, batch: int) -> Any:
    columns = list(_EVENT_COLUMNS)
    if connection.dialect.name == "postgresql":
        # the snapshot this very statement reads with (see the module's docstring)
        columns.append(literal_column("pg_current_snapshot()::text").label("snapshot"))
    return select(*columns).where(EVENTS.c.id > cursor).order_by(EVENTS.c.id).limit(batch)


def _settled(connection: Connection, cursor: int, rows: list[Any], gap: GapWatch) -> tuple[list[Any], int]:
    """The events that can no longer be preceded by one committing late, and the new cursor."""
    last = rows[-1].id
    if connection.dialect.name != "postgresql":
        return rows, last  # SQLite: one writer at a time, nothing commits out of order
    missing = _first_missing(cursor, (r.id for r in rows))
    if missing is None:
        gap.missing = None
        return rows, last
    if gap.missing != missing or gap.snapshot is None:
        gap.missing, gap.snapshot, gap.seen_up_to = missing, rows[0].snapshot, last
    running = connection.execute(_IN_PROGRESS, {"snapshot": gap.snapshot}).scalar_one()
    if running:
        log.debug("event %d not visible yet; %d transaction(s) that may hold it still run", missing, running)
        return [r for r in rows if r.id < missing], missing - 1
    # Everything that could hold an id up to what that snapshot showed has ended: read those again.
    upto = gap.seen_up_to
    gap.missing = gap.snapshot = None
    again = connection.execute(
        select(*_EVENT_COLUMNS).where(EVENTS.c.id > cursor, EVENTS.c.id <= upto).order_by(EVENTS.c.id)
    ).all()
    return again, upto


def _first_missing(cursor: int, ids: Iterable[int]) -> int | None:
    expected = cursor + 1
    for event_id in ids:
        if event_id != expected:
            return expected
        expected += 1
    return None


_APPLICATION = select(
    INSTANCES.c.id, INSTANCES.c.registration, INSTANCES.c.service, INSTANCES.c.owner_id, INSTANCES.c.service_code
)


class DbFacts:
    """``notifications.Facts`` read from the projections and the event log, remembered for one pass."""

    def __init__(
        self, connection: Connection, requirement_label: Callable[[ApplicationFacts, str], str] | None = None
    ) -> None:
        self.connection = connection
        self._applications: dict[int, ApplicationFacts | None] = {}
        self._audiences: dict[tuple, list[Any]] = {}
        self._services: dict[int, Any] = {}
        self._tasks: dict[str, TaskFacts | None] = {}
        self._label = requirement_label

    def prefetch(self, rows: list[Any]) -> None:
        """The applications and tasks a batch of events names, two queries instead of two per event."""
        instance_ids = {r.instance_id for r in rows} - set(self._applications)
        task_ids = {r.task_id for r in rows if r.task_id} - set(self._tasks)
        if instance_ids:
            found = self.connection.execute(_APPLICATION.where(INSTANCES.c.id.in_(instance_ids))).all()
            self._applications.update({row.id: ApplicationFacts(**row._asdict()) for row in found})
            self._applications.update({i: None for i in instance_ids - {row.id for row in found}})
        if task_ids:
            found = self.connection.execute(
                select(TASKS.c.id, TASKS.c.status, TASKS.c.seksi).where(TASKS.c.id.in_(task_ids))
            ).all()
            self._tasks.update({row.id: TaskFacts(row.status, row.seksi) for row in found})
            self._tasks.update({t: None for t in task_ids - {row.id for row in found}})

    def application(self, instance_id: int) -> ApplicationFacts | None:
        if instance_id not in self._applications:
            row = self.connection.execute(_APPLICATION.where(INSTANCES.c.id == instance_id)).one_or_none()
            self._applications[instance_id] = ApplicationFacts(**row._asdict()) if row is not None else None
        return self._applications[instance_id]

    def task(self, task_id: str) -> TaskFacts | None:
        if task_id not in self._tasks:
            row = self.connection.execute(
                select(TASKS.c.status, TASKS.c.seksi).where(TASKS.c.id == task_id)
            ).one_or_none()
            self._tasks[task_id] = TaskFacts(row.status, row.seksi) if row is not None else None
        return self._tasks[task_id]

    def _neighbour(self, instance_id: int, seq: int, type_: str, before: bool) -> EventFacts | None:
        order = EVENTS.c.seq.desc() if before else EVENTS.c.seq
        where = EVENTS.c.seq < seq if before else EVENTS.c.seq > seq
        row = self.connection.execute(
            select(*_EVENT_COLUMNS)
            .where(EVENTS.c.instance_id == instance_id, where, EVENTS.c.type == type_)
            .order_by(order)
            .limit(1)
        ).one_or_none()
        return EventFacts(**row._asdict()) if row is not None else None

    def completion_before(self, instance_id: int, seq: int) -> EventFacts | None:
        return self._neighbour(instance_id, seq, "task_completed", before=True)

    def ready_after(self, instance_id: int, seq: int) -> EventFacts | None:
        return self._neighbour(instance_id, seq, "task_ready", before=False)

    def requirement_label(self, application: ApplicationFacts, code: str) -> str:
        if self._label is not None:
            try:
                return self._label(application, code) or code
            except Exception:  # a catalogue that cannot answer must not stop the notifier
                log.exception("no label for requirement %r", code)
            return code
        service = self._service(application)
        found = service.requirement(code) if service is not None else None
        return found.text if found is not None else code

    def _service(self, application: ApplicationFacts) -> Any:
        """The catalogue entry the application was filed under (its requirements' texts), if any."""
        if application.id not in self._services:
            self._services[application.id] = None
            try:
                from . import catalogue

                # in a savepoint: a failing read must not spoil the pass's transaction
                with self.connection.begin_nested():
                    data = self.connection.execute(
                        select(INSTANCES.c.data).where(INSTANCES.c.id == application.id)
                    ).scalar()
                    self._services[application.id] = catalogue.application_service(self.connection, data)
            except Exception:  # no catalogue (or a broken one): the codes themselves are shown
                log.warning("requirements of %s shown as codes: no catalogue entry", application.registration)
        return self._services[application.id]

    def recipients(self, application: ApplicationFacts, draft: Draft) -> list[Any]:
        audience = draft.audience
        key = (audience, application.owner_id if audience.owner else None)
        if key not in self._audiences:
            query = select(USERS.c.id, USERS.c.email).where(USERS.c.active.is_(True))
            if audience.owner:
                query = query.where(USERS.c.id == application.owner_id)
            else:
                members = select(LANES.c.user_id).where(LANES.c.lane.in_(audience.lanes))
                query = query.where(USERS.c.id.in_(members))
                if audience.seksi is not None:
                    query = query.where(USERS.c.seksi == audience.seksi)
            self._audiences[key] = self.connection.execute(query.order_by(USERS.c.id)).all()
        return self._audiences[key]


def _write(connection: Connection, facts: DbFacts, drafts: list[tuple[EventFacts, Draft]], mail: bool) -> list[dict]:
    rows = []
    for event, draft in drafts:
        application = facts.application(event.instance_id)
        for user in facts.recipients(application, draft):
            email = user.email if mail and user.email else None
            rows.append(
                {
                    "user_id": user.id,
                    "instance_id": event.instance_id,
                    "kind": draft.kind,
                    "title": draft.title,
                    "body": draft.body,
                    "link": draft.link,
                    "created_at": event.at,
                    "read_at": None,
                    "email_to": email,
                    "email_status": "pending" if email else "none",
                    "email_attempts": 0,
                    "email_error": None,
                    "sent_at": None,
                }
            )
    if rows:
        connection.execute(insert(NOTIFICATIONS), rows)
    return rows


# -------------------------------------------------------------------- reading
def _user_filter(user_id: int, unread_only: bool) -> list[Any]:
    where = [NOTIFICATIONS.c.user_id == user_id]
    if unread_only:
        where.append(NOTIFICATIONS.c.read_at.is_(None))
    return where


def list_for(
    connection: Connection, user_id: int, *, unread_only: bool, limit: int, offset: int
) -> list[NotificationInfo]:
    query = (
        select(
            NOTIFICATIONS.c.id,
            NOTIFICATIONS.c.kind,
            NOTIFICATIONS.c.title,
            NOTIFICATIONS.c.body,
            NOTIFICATIONS.c.link,
            NOTIFICATIONS.c.created_at,
            NOTIFICATIONS.c.read_at,
            NOTIFICATIONS.c.instance_id,
            INSTANCES.c.registration,
            NOTIFICATIONS.c.email_status,
        )
        .select_from(NOTIFICATIONS.outerjoin(INSTANCES, INSTANCES.c.id == NOTIFICATIONS.c.instance_id))
        .where(*_user_filter(user_id, unread_only))
        .order_by(NOTIFICATIONS.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [NotificationInfo(**row._asdict()) for row in connection.execute(query)]


def unread_count(connection: Connection, user_id: int) -> int:
    query = select(func.count()).select_from(NOTIFICATIONS).where(*_user_filter(user_id, True))
    return connection.execute(query).scalar_one()


def owned(connection: Connection, user_id: int, ids: list[int]) -> set[int]:
    query = select(NOTIFICATIONS.c.id).where(NOTIFICATIONS.c.id.in_(ids), NOTIFICATIONS.c.user_id == user_id)
    return set(connection.execute(query).scalars())


def mark_read(connection: Connection, user_id: int, ids: list[int] | None, now: datetime) -> int:
    query = update(NOTIFICATIONS).where(*_user_filter(user_id, True)).values(read_at=now)
    if ids is not None:
        query = query.where(NOTIFICATIONS.c.id.in_(ids))
    return connection.execute(query).rowcount


# ---------------------------------------------------------------------- mail
@dataclass
class Outgoing:
    id: int
    attempts: int
    to: str
    name: str | None
    title: str
    body: str
    link: str | None


def _due(now: datetime) -> Any:
    attempts, last = NOTIFICATIONS.c.email_attempts, NOTIFICATIONS.c.sent_at
    waits = [or_(attempts == 0, last.is_(None))]
    for n, wait in enumerate(BACKOFF, start=1):
        reached = attempts >= n if n == len(BACKOFF) else attempts == n
        waits.append(and_(reached, last <= now - wait))
    return or_(*waits)


def due_mail(connection: Connection, now: datetime, limit: int) -> list[Outgoing]:
    query = (
        select(
            NOTIFICATIONS.c.id,
            NOTIFICATIONS.c.email_attempts.label("attempts"),
            NOTIFICATIONS.c.email_to.label("to"),
            USERS.c.name,
            NOTIFICATIONS.c.title,
            NOTIFICATIONS.c.body,
            NOTIFICATIONS.c.link,
        )
        .select_from(NOTIFICATIONS.outerjoin(USERS, USERS.c.id == NOTIFICATIONS.c.user_id))
        .where(NOTIFICATIONS.c.email_status == "pending", _due(now))
        .order_by(NOTIFICATIONS.c.id)
        .limit(limit)
    )
    return [Outgoing(**row._asdict()) for row in connection.execute(query)]


def has_pending_mail(connection: Connection) -> bool:
    query = select(NOTIFICATIONS.c.id).where(NOTIFICATIONS.c.email_status == "pending").limit(1)
    return connection.execute(query).first() is not None


_CLAIM = (
    update(NOTIFICATIONS)
    .where(
        NOTIFICATIONS.c.id == bindparam("row_id"),
        NOTIFICATIONS.c.email_status == "pending",
        NOTIFICATIONS.c.email_attempts == bindparam("seen"),
    )
    .values(email_attempts=NOTIFICATIONS.c.email_attempts + 1, sent_at=bindparam("at"))
)


def claim(connection: Connection, outgoing: Outgoing, now: datetime) -> bool:
    """Take one attempt at this e-mail; False when another sender took it first."""
    taken = connection.execute(_CLAIM, {"row_id": outgoing.id, "seen": outgoing.attempts, "at": now}).rowcount == 1
    if taken:
        outgoing.attempts += 1
    return taken


def record(connection: Connection, outgoing: Outgoing, now: datetime, error: str | None, max_attempts: int) -> str:
    """Write the attempt's outcome; return the row's new status."""
    if error is None:
        status, values = "sent", {"email_status": "sent", "email_error": None, "sent_at": now}
    else:
        status = "failed" if outgoing.attempts >= max_attempts else "pending"
        values = {"email_status": status, "email_error": error}
    connection.execute(update(NOTIFICATIONS).where(NOTIFICATIONS.c.id == outgoing.id).values(**values))
    return status


@dataclass
class MailRun:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    outcomes: list[tuple[int, str]] = field(default_factory=list)

    def result(self) -> MailResult:
        return MailResult(True, self.sent, self.retrying, self.failed)

    def count(self, status: str) -> None:
        if status == "sent":
            self.sent += 1
        elif status == "failed":
            self.failed += 1
        else:
            self.retrying += 1


def send_batch(
    settings: MailSettings,
    outgoing: list[Outgoing],
    *,
    claim_one: Callable[[Outgoing], bool],
    record_one: Callable[[Outgoing, str | None], str],
) -> MailRun:
    """Send the e-mails one attempt each over one connection; stop at the first failure of the connection."""
    run = MailRun()
    with SmtpConnection(settings) as smtp:
        for item in outgoing:
            if not claim_one(item):
                continue
            try:
                message = compose(
                    settings, to=item.to, name=item.name, title=item.title, body=item.body, link=item.link
                )
            except Exception as exc:  # an address the mail library will not write: this one alone
                run.count(record_one(item, describe(exc)))
                continue
            try:
                smtp.send(message)
            except MessageRefused as exc:
                run.count(record_one(item, str(exc)[:1000]))
            except Exception as exc:  # the server is down, refused us, or hung up: later, all of them
                run.count(record_one(item, describe(exc)))
                log.warning("e-mail not sent (%s); will retry later", describe(exc))
                break
            else:
                run.count(record_one(item, None))
    return run
