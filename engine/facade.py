"""``Engine``: the one documented Python API of the PTSP workflow system.

The CLI and the web UI call only this class. Each method is one command or
one query, runs in its own transaction, and returns plain dataclasses from
``engine.views``. Errors are ``engine.errors.PtspError`` subclasses; a refused
command changes nothing.

    engine = Engine("sqlite:///var/ptsp.db")
    engine.init_db()
    engine.deploy(Path("processes/ptsp.bpmn").read_bytes())
    engine.add_user("warga", ["Pemohon"], password="...")
    started = engine.start(as_user="warga")
    task = engine.tasks(instance=started.instance)[0]
    engine.complete(task.id, as_user="warga", data={...})
    engine.tick()                      # fire due SLA timers
    engine.history(started.registration)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .audit.exports import FORMATS
from .audit.replay import frame
from .audit.sla import SlaReport, build_report
from .cache import DefinitionCache, WorkflowCache
from .calendar import Calendar
from .clock import Clock, CommandClock
from .diagram import render_changes_svg, render_svg
from .errors import Conflict, InvalidInput, PtspError
from .facade_applicant import ApplicantApi
from .facade_calendar import CalendarApi
from .facade_catalogue import CatalogueApi
from .facade_notifications import NotificationApi
from .marks import marks_from_history
from .migration import MigrationReport
from .model import Form, lane_order
from .runtime import Runtime
from .scripting import EngineScriptEngine
from .services import (
    audit_reads,
    auditing,
    deploying,
    instances,
    migrating,
    office_calendar,
    overview,
    queries,
    ticking,
    tokens,
    users,
    versioning,
)
from .services.audit_reads import AuditFilter, AuditRow
from .services.auditing import VerifyReport
from .services.context import Actor, Context, actor, require_auditor, require_report_reader
from .services.health import check as check_health
from .services.throttle import DEFAULT_POLICY, Policy, begin_login, begin_signup, login_succeeded
from .store import schema
from .store.db import Database
from .store.models import Definition
from .store.uow import UnitOfWork
from .views import (
    ActivationInfo,
    ApplicationSummary,
    CompleteResult,
    DefinitionFile,
    DeployResult,
    EventInfo,
    Health,
    InstanceInfo,
    LaneCount,
    ReplayView,
    StartResult,
    TaskDetail,
    TaskSummary,
    TickResult,
    TokenInfo,
    UserInfo,
    VersionInfo,
)

if TYPE_CHECKING:
    from .model_diff import ModelDiff

log = logging.getLogger("ptsp.engine")


def _info(a: Actor) -> UserInfo:
    return UserInfo(a.id, a.login, a.name, lane_order(a.lanes), tuple(sorted(a.roles)), a.seksi)


class Engine(CalendarApi, CatalogueApi, ApplicantApi, NotificationApi):
    def __init__(
        self,
        database_url: str | None = None,
        *,
        clock: Clock | None = None,
        calendar: Calendar | str | None = None,
        holiday_categories: Sequence[str] | str | None = None,
        workflow_cache_size: int = 256,
        **engine_kwargs: Any,
    ) -> None:
        """``calendar``: "office" (working time, the default), "wall-clock", or a ``Calendar``;
        without it ``$PTSP_CALENDAR``. ``holiday_categories``: which of the holidays package's
        categories ``init_db`` stores ("public", "government"; ``$PTSP_HOLIDAY_CATEGORIES``; both)."""
        setting = office_calendar.calendar_setting(calendar)
        self.holiday_categories = office_calendar.holiday_categories(holiday_categories)
        self.db = Database(database_url, **engine_kwargs)
        self.calendar_store = office_calendar.CalendarStore(self.db)
        self.calendar_mode = setting if isinstance(setting, str) else getattr(setting, "name", "custom")
        self.ctx = Context(
            runtime=Runtime(
                EngineScriptEngine(CommandClock(clock), office_calendar.make_calendar(setting, self.calendar_store))
            ),
            definitions=DefinitionCache(),
            workflows=WorkflowCache(workflow_cache_size),
        )

    # -- schema ---------------------------------------------------------------
    def init_db(self) -> None:
        """Create or upgrade the schema to the newest migration (idempotent), then store the
        holidays package's national holidays and cuti bersama from last year to two years
        ahead that are not stored yet, and the regular office hours on the first set-up."""
        schema.upgrade(self.db)
        self.sync_holidays()

    def schema_revision(self) -> str | None:
        """The database's Alembic revision (None for an empty database)."""
        return schema.current_revision(self.db)

    def schema_head(self) -> str | None:
        """The newest revision this code brings."""
        return schema.head_revision(self.db)

    def close(self) -> None:
        self.db.dispose()

    @contextmanager
    def _write(self) -> Iterator[UnitOfWork]:
        # one moment for the whole command: see CommandClock
        with self.ctx.clock.pinned(), UnitOfWork(self.db.write_engine) as uow:
            yield uow

    # -- definitions -------------------------------------------------------------
    def validate(self, xml: bytes) -> None:
        """Raise ``DefinitionInvalid`` (listing every problem) unless the file could be deployed."""
        deploying.validate(xml)

    def deploy(
        self,
        xml: bytes,
        *,
        deployed_by: str | None = None,
        note: str | None = None,
        as_user: str | None = None,
        activate: bool = False,
        dry_run: bool = False,
    ) -> DeployResult:
        """Store a new version, or return the existing one for identical content.

        The first version of a process becomes active at once; a later one
        only with ``activate`` (or ``activate()`` after a look at the diff).
        ``as_user`` must be a process owner; the command line passes none and
        names the operator with ``deployed_by``.
        """
        for attempt in (1, 2):
            try:
                with self._write() as uow:
                    result = deploying.deploy(
                        uow,
                        self.ctx,
                        xml,
                        deployed_by=deployed_by,
                        note=note,
                        as_user=as_user,
                        activate=activate,
                        dry_run=dry_run,
                    )
                    if not dry_run:
                        uow.commit()
                    return result
            except Conflict:  # a concurrent deploy of the same file won: return it
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def activate(
        self,
        version: int,
        *,
        process: str | None = None,
        as_user: str | None = None,
        note: str | None = None,
        recorded_by: str | None = None,
    ) -> ActivationInfo:
        """Put a deployed version into service for new applications (a rollback is an older one)."""
        with self._write() as uow:
            result = versioning.activate(
                uow, self.ctx, version, process_id=process, as_user=as_user, note=note, recorded_by=recorded_by
            )
            uow.commit()
            return result

    def _version_reader(self, session: Any, as_user: str | None) -> None:
        if as_user is not None:
            versioning.require_version_reader(actor(session.connection(), as_user))

    def versions(self, *, process: str | None = None, as_user: str | None = None) -> list[VersionInfo]:
        """Every deployed version of the process, newest first."""
        with self.db.reader() as session:
            self._version_reader(session, as_user)
            return versioning.versions(session, process)

    def activations(
        self, *, process: str | None = None, as_user: str | None = None, limit: int = 50
    ) -> list[ActivationInfo]:
        """The newest activations: which version was put into service, by whom, when and why."""
        with self.db.reader() as session:
            self._version_reader(session, as_user)
            return versioning.activations(session, process, limit)

    def definition_file(
        self, version: int, *, process: str | None = None, as_user: str | None = None
    ) -> DefinitionFile:
        """A version's file exactly as it was uploaded, to edit again in the modeler."""
        with self.db.reader() as session:
            self._version_reader(session, as_user)
            row = versioning.definition(session, process, version)
            return DefinitionFile(row.process_id, row.version, row.bpmn)

    def version_diff(self, old: int, new: int, *, process: str | None = None, as_user: str | None = None) -> ModelDiff:
        """What changed from version ``old`` to version ``new`` (layout is not a change)."""
        with self.db.reader() as session:
            self._version_reader(session, as_user)
            return versioning.diff(session, self.ctx, process, old, new)

    def version_svg(
        self,
        version: int,
        *,
        against: int | None = None,
        process: str | None = None,
        as_user: str | None = None,
        lang: str = "id",
    ) -> str:
        """Version ``version``'s diagram, with what changed since ``against`` (default: the active one) marked."""
        with self.db.reader() as session:
            self._version_reader(session, as_user)
            row = versioning.definition(session, process, version)
            base = against
            if base is None:
                active = versioning.active_definition(session.connection(), row.process_id)
                base = active.version if active is not None else version
            found = versioning.diff(session, self.ctx, row.process_id, base, version)
            xml = row.bpmn
        return render_changes_svg(xml, found, title=f"{row.name} v{version}", lang=lang)

    # -- migration --------------------------------------------------------------------
    def migrate(
        self,
        instance: str | int,
        *,
        to_version: int,
        as_user: str,
        process: str | None = None,
        dry_run: bool = False,
    ) -> MigrationReport:
        """Move one running application to another version, where that is safe (see ``engine.migration``).

        A refusal is a report with ``ok`` False and its reasons, not an exception;
        nothing is written then, nor in a dry run.
        """
        with self._write() as uow:
            report = migrating.migrate(uow, self.ctx, as_user, instance, to_version, process=process, dry_run=dry_run)
            if report.migrated:
                uow.commit()
            return report

    def plan_migration(
        self, from_version: int, to_version: int, *, as_user: str, process: str | None = None
    ) -> list[MigrationReport]:
        """The dry run of moving every running application of ``from_version`` to ``to_version``."""
        with self.db.reader() as session:
            return migrating.plan_bulk(
                session.connection(), self.ctx, as_user, from_version, to_version, process=process
            )

    def migrate_version(
        self,
        from_version: int,
        to_version: int,
        *,
        as_user: str,
        process: str | None = None,
        only: set[int] | None = None,
    ) -> list[MigrationReport]:
        """Move every running application of ``from_version`` that may move safely, each in its own transaction.

        ``only`` limits it to these application ids (those a person confirmed
        after the dry run); each is checked again as it is moved.
        """
        results = []
        for planned in self.plan_migration(from_version, to_version, as_user=as_user, process=process):
            if not planned.ok or (only is not None and planned.instance not in only):
                results.append(planned)
                continue
            try:
                results.append(self.migrate(planned.instance, to_version=to_version, as_user=as_user, process=process))
            except Conflict as exc:  # it moved on meanwhile: it stays, and says why
                planned.ok, planned.reasons = False, [exc.message]
                results.append(planned)
        return results

    # -- users ---------------------------------------------------------------------
    def add_user(
        self,
        login: str,
        lanes: list[str],
        *,
        name: str | None = None,
        password: str | None = None,
        roles: list[str] | None = None,
        seksi: str | None = None,
        email: str | None = None,
    ) -> UserInfo:
        """A user working in ``lanes`` (a Kasi-lane user for one ``seksi``), or an auditor
        (``roles=["auditor"]``, no lanes); ``email`` receives notifications when SMTP is set up."""
        with self._write() as uow:
            info = users.add_user(
                uow, self.ctx, login, lanes, name=name, password=password, roles=roles, seksi=seksi, email=email
            )
            uow.commit()
            return info

    def set_password(self, login: str, password: str) -> None:
        with self._write() as uow:
            users.set_password(uow, login, password)
            uow.commit()

    def register_applicant(self, login: str, password: str, *, name: str, email: str | None = None) -> UserInfo:
        """An applicant signing up: a user in the Pemohon lane, with a password (and an e-mail address for
        notifications, if given)."""
        with self._write() as uow:
            info = users.register_applicant(uow, self.ctx, login, password, name=name, email=email)
            uow.commit()
            return info

    def create_token(self, login: str, *, label: str | None = None) -> tuple[str, TokenInfo]:
        """A new API token for ``login``; the token itself is returned only now."""
        with self._write() as uow:
            result = tokens.create(uow, self.ctx, login, label)
            uow.commit()
            return result

    def revoke_token(self, token_id: int, *, as_user: str | None = None) -> None:
        with self._write() as uow:
            tokens.revoke(uow, self.ctx, token_id, as_user)
            uow.commit()

    def list_tokens(self, login: str | None = None) -> list[TokenInfo]:
        with self.db.reader() as session:
            return tokens.list_tokens(session.connection(), login)

    def authenticate_token(self, token: str) -> UserInfo | None:
        with self.db.reader() as session:
            a = tokens.authenticate(session.connection(), token)
            return _info(a) if a is not None else None

    def authenticate(self, login: str, password: str) -> UserInfo | None:
        with self.db.reader() as session:
            return users.authenticate(session, login, password)

    def user(self, login: str) -> UserInfo:
        with self.db.reader() as session:
            return _info(actor(session.connection(), login))

    # -- commands ----------------------------------------------------------------------
    def start(self, *, as_user: str, data: dict[str, Any] | None = None, process: str | None = None) -> StartResult:
        """Start an application owned by ``as_user`` (a member of the start event's lane)."""
        with self._write() as uow:
            result = instances.start(uow, self.ctx, as_user, data, process)
            uow.commit()
            return result

    def start_form(self, *, process: str | None = None) -> Form:
        """The form a new application starts with (often empty: step 1 asks the questions)."""
        with self.db.reader() as session:
            definition = instances.definition_for_start(session.connection(), process)
            return self.ctx.compiled(session.connection(), definition.id).model.start_form

    def complete(self, task_id: str, *, as_user: str, data: dict[str, Any] | None = None) -> CompleteResult:
        """Complete a ready user task with form data, as a member of its lane."""
        with self._write() as uow:
            result = instances.complete(uow, self.ctx, task_id, as_user, data)
            uow.commit()
            return result

    def cancel(self, instance: str | int, *, as_user: str, reason: str | None = None) -> str:
        with self._write() as uow:
            registration = instances.cancel(uow, self.ctx, instance, as_user, reason)
            uow.commit()
            return registration

    def tick(self, *, batch: int = 500) -> TickResult:
        """Fire every timer that is due now; each instance in its own transaction."""
        fired = handled = 0
        failed: list[dict[str, Any]] = []
        skip: set[int] = set()
        while True:
            now = self.ctx.clock.now()
            with self.db.reader() as session:
                due = ticking.due_instances(session, now, batch, skip)
            if not due:
                break
            for instance_id in due:
                try:
                    with self._write() as uow:
                        fired += ticking.fire_instance(uow, self.ctx, instance_id)
                        uow.commit()
                    handled += 1
                except Conflict:
                    handled += 1  # another worker or a user changed it; its timers are re-read next sweep
                    skip.add(instance_id)
                except PtspError as exc:
                    log.error("timer sweep: instance %s failed: %s", instance_id, exc)
                    failed.append({"instance": instance_id, "error": exc.message})
                    skip.add(instance_id)
                except Exception as exc:  # one broken instance never blocks the sweep
                    log.exception("timer sweep: instance %s failed", instance_id)
                    failed.append({"instance": instance_id, "error": f"{type(exc).__name__}: {exc}"})
                    skip.add(instance_id)
            if len(due) < batch:
                break
        return TickResult(fired, handled, tuple(failed))

    # -- queries --------------------------------------------------------------------------
    def tasks(
        self,
        *,
        lane: str | None = None,
        instance: str | int | None = None,
        as_user: str | None = None,
        status: str = "ready",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[TaskSummary]:
        """Tasks from the projection, soonest deadline first; limited to what ``as_user`` may see."""
        with self.db.reader() as session:
            user = actor(session.connection(), as_user) if as_user is not None else None
            instance_id = instances.find_instance(session, instance).id if instance is not None else None
            return queries.list_tasks(
                session.connection(),
                lane=lane,
                instance=instance_id,
                user=user,
                status=status,
                limit=limit,
                offset=offset,
            )

    def task(self, task_id: str, *, as_user: str | None = None) -> TaskDetail:
        with self.db.reader() as session:
            user = actor(session.connection(), as_user) if as_user is not None else None
            return queries.task_detail(session, self.ctx, task_id, user)

    def show(self, instance: str | int, *, as_user: str | None = None) -> InstanceInfo:
        with self.db.reader() as session:
            user = actor(session.connection(), as_user) if as_user is not None else None
            found = instances.find_instance(session, instance)
            model = self.ctx.compiled(session.connection(), found.definition_id).model
            return queries.instance_info(session, found, user, model)

    def lane_counts(self, lanes: list[str] | None = None) -> list[LaneCount]:
        """Open and overdue tasks per lane now, and completions since midnight WIB."""
        with self.db.reader() as session:
            return overview.lane_counts(session.connection(), self.ctx.clock.now(), lanes)

    def applications(self, *, as_user: str, limit: int = 50, offset: int = 0) -> list[ApplicationSummary]:
        """The user's own applications, newest first."""
        with self.db.reader() as session:
            user = actor(session.connection(), as_user)
            return overview.applications(session.connection(), user, limit=limit, offset=offset)

    def next_timer_due(self) -> datetime | None:
        with self.db.reader() as session:
            return overview.next_timer_due(session.connection())

    def diagram_svg(self, instance: str | int, *, as_user: str | None = None, lang: str = "id") -> str:
        """The application's own diagram version, drawn with its state marked."""
        with self.db.reader() as session:
            user = actor(session.connection(), as_user) if as_user is not None else None
            found = instances.find_instance(session, instance)
            events = queries.history(session, found, user)
            compiled = self.ctx.compiled(session.connection(), found.definition_id)
            xml = session.get(Definition, found.definition_id).bpmn
        marks = marks_from_history(compiled.model, events, self.ctx.clock.now())
        return render_svg(xml, marks, title=f"{found.registration}: {compiled.model.name}", lang=lang)

    def history(self, instance: str | int, *, as_user: str | None = None) -> list[EventInfo]:
        with self.db.reader() as session:
            user = actor(session.connection(), as_user) if as_user is not None else None
            return queries.history(session, instances.find_instance(session, instance), user)

    # -- audit ------------------------------------------------------------------------------
    def _auditor(self, session: Any, as_user: str | None) -> Actor | None:
        if as_user is None:
            return None
        user = actor(session.connection(), as_user)
        require_auditor(user)
        return user

    def audit_applications(
        self,
        filters: AuditFilter | None = None,
        *,
        as_user: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[AuditRow], int]:
        """Applications matching ``filters``, newest first, and how many match (auditors only)."""
        with self.db.reader() as session:
            self._auditor(session, as_user)
            return audit_reads.list_applications(
                session.connection(), filters or AuditFilter(), limit=limit, offset=offset
            )

    def audit_services(self, *, as_user: str | None = None) -> list[str]:
        with self.db.reader() as session:
            self._auditor(session, as_user)
            return audit_reads.services(session.connection())

    def audit_replay(
        self, instance: str | int, position: int | None = None, *, as_user: str | None = None
    ) -> ReplayView:
        """The application's history at ``position`` (1-based; the newest event when None), verified."""
        with self.db.reader() as session:
            user = self._auditor(session, as_user)
            found = instances.find_instance(session, instance)
            model = self.ctx.compiled(session.connection(), found.definition_id).model
            info = queries.instance_info(session, found, user, model)
            events = queries.history(session, found, user)
            report = auditing.verify(self.db.engine, self.ctx, [found.id])
        at = frame(model, events, len(events) if position is None else position)
        return ReplayView(info, tuple(events), at, report.failures[0] if report.failures else None)

    def audit_diagram_svg(
        self, instance: str | int, position: int | None = None, *, as_user: str | None = None, lang: str = "id"
    ) -> str:
        """The application's diagram as it stood right after event ``position``."""
        with self.db.reader() as session:
            user = self._auditor(session, as_user)
            found = instances.find_instance(session, instance)
            events = queries.history(session, found, user)
            compiled = self.ctx.compiled(session.connection(), found.definition_id)
            xml = session.get(Definition, found.definition_id).bpmn
        at = frame(compiled.model, events, len(events) if position is None else position)
        title = f"{found.registration}: {compiled.model.name} ({at.position}/{at.count})"
        return render_svg(xml, at.marks, title=title, lang=lang)

    def audit_export(
        self,
        fmt: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        instance: str | int | None = None,
        as_user: str | None = None,
    ) -> Iterator[str]:
        """The events of the applications filed in ``[since, until)`` (or of one) as text chunks.

        Checks happen now; the rows are read as the chunks are consumed, on a
        connection of their own, so a web response can stream them.
        """
        exporter = FORMATS.get(fmt)
        if exporter is None:
            raise InvalidInput(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
        if since is not None and until is not None and until <= since:
            raise InvalidInput("the period ends before it begins")
        instance_id = None
        with self.db.reader() as session:
            self._auditor(session, as_user)
            if instance is not None:
                instance_id = instances.find_instance(session, instance).id

        def rows() -> Iterator[dict[str, Any]]:
            with self.db.engine.connect() as connection:
                yield from audit_reads.export_rows(connection, since=since, until=until, instance=instance_id)

        return exporter.chunks(rows())

    def sla_report(self, since: datetime, until: datetime, *, as_user: str | None = None) -> SlaReport:
        """SLA compliance of the tasks that became ready in ``[since, until)`` (auditors and the head)."""
        with self.db.reader() as session:
            if as_user is not None:
                require_report_reader(actor(session.connection(), as_user))
            facts = audit_reads.sla_facts(self.ctx, session.connection(), since, until)
            return build_report(facts, period_start=since, period_end=until, now=self.ctx.clock.now())

    def audit_verify(self, applications: list[str | int] | None = None, *, jobs: int = 1) -> VerifyReport:
        """Check the hash chain and re-execute the history of the given applications (all when None).

        With ``jobs`` > 1, batches of applications are re-executed in that many
        worker processes (re-execution is CPU-bound: SpiffWorkflow itself).
        """
        if not isinstance(jobs, int) or not 1 <= jobs <= 64:
            raise InvalidInput("jobs must be a whole number from 1 to 64")
        with self.db.reader() as session:
            connection = session.connection()
            if applications is None:
                ids: Any = auditing.all_instance_ids(connection)
            else:
                ids = [instances.find_instance(session, ref).id for ref in applications]
            if jobs == 1:
                return auditing.verify(self.db.engine, self.ctx, ids)
            ids = list(ids)
        url = self.db.url.render_as_string(hide_password=False)
        return auditing.verify_in_processes(url, ids, jobs, calendar=self.calendar_mode)

    # -- rate-limited logins and sign-ups, health ----------------------------------------------
    def log_in(
        self, login: str, password: str, *, address: str | None, policy: Policy | None = None
    ) -> UserInfo | None:
        """``authenticate`` under the rate limits kept in the database (shared by every web worker).

        Raises ``TooManyAttempts`` while the login name or the client ``address``
        has too many recent failures, even for the right password; a success
        clears the login's failures.
        """
        with self._write() as uow:
            begin_login(uow, self.ctx, policy or DEFAULT_POLICY, login, address)
            uow.commit()
        info = self.authenticate(login, password)
        if info is not None:
            with self._write() as uow:
                login_succeeded(uow, info.login)
                uow.commit()
        return info

    def sign_up(
        self,
        login: str,
        password: str,
        *,
        name: str,
        address: str | None,
        policy: Policy | None = None,
        email: str | None = None,
    ) -> UserInfo:
        """``register_applicant`` under the per-address sign-up limit (refused sign-ups count too)."""
        with self._write() as uow:
            begin_signup(uow, self.ctx, policy or DEFAULT_POLICY, login, address)
            uow.commit()
        return self.register_applicant(login, password, name=name, email=email)

    def health(self) -> Health:
        """Whether the database answers (one cheap query) and its schema revision; never raises."""
        return check_health(self.db)
