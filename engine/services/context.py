"""What every service needs besides its unit of work, built once per ``Engine``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select

from ..cache import DefinitionCache, WorkflowCache
from ..clock import CommandClock
from ..definitions import load_definition
from ..errors import NotFound, PermissionDenied
from ..inputs import login_ok
from ..model import APPLICANT_LANE, AUDITOR, PROCESS_OWNER
from ..runtime import CompiledProcess, Runtime, compile_definition
from ..store.models import Definition, User, UserLane, UserRole


@dataclass
class Context:
    runtime: Runtime
    definitions: DefinitionCache
    workflows: WorkflowCache

    @property
    def clock(self) -> CommandClock:
        return self.runtime.script_engine.clock

    def compiled(self, connection: Connection, definition_id: int) -> CompiledProcess:
        def load() -> CompiledProcess:
            row = connection.execute(_DEFINITION, {"id": definition_id}).one_or_none()
            if row is None:
                raise NotFound(f"definition {definition_id} not found")
            return compile_definition(definition_id, row.version, load_definition(row.bpmn))

        return self.definitions.get(definition_id, load)


@dataclass(frozen=True)
class Actor:
    """A user as the services see them: who, and in which lanes."""

    id: int
    login: str
    name: str
    lanes: frozenset[str]
    roles: frozenset[str] = frozenset()
    seksi: str | None = None  # a Kasi-lane user's section

    @property
    def is_applicant(self) -> bool:
        return APPLICANT_LANE in self.lanes

    @property
    def is_auditor(self) -> bool:
        return AUDITOR in self.roles

    @property
    def is_process_owner(self) -> bool:
        return PROCESS_OWNER in self.roles

    @property
    def sees_all_applications(self) -> bool:
        """Staff and auditors see every application; an applicant sees their own."""
        return bool(self.lanes - {APPLICANT_LANE}) or self.is_auditor


_USERS, _LANES, _ROLES, _DEFINITIONS = (m.__table__ for m in (User, UserLane, UserRole, Definition))
_DEFINITION = select(_DEFINITIONS.c.version, _DEFINITIONS.c.bpmn).where(_DEFINITIONS.c.id == bindparam("id"))
# built once: every command starts here, and building a statement costs more than running it
_ACTOR = (
    select(_USERS.c.id, _USERS.c.login, _USERS.c.name, _USERS.c.active, _USERS.c.seksi, _LANES.c.lane, _ROLES.c.role)
    .outerjoin(_LANES, _LANES.c.user_id == _USERS.c.id)
    .outerjoin(_ROLES, _ROLES.c.user_id == _USERS.c.id)
    .where(_USERS.c.login == bindparam("login"))
)


def actor(connection: Connection, login: str) -> Actor:
    if not login_ok(login):
        raise NotFound(f"user {login!r} not found")
    rows = connection.execute(_ACTOR, {"login": login}).all()
    if not rows or not rows[0].active:
        raise NotFound(f"user '{login}' not found")
    first = rows[0]
    return Actor(
        first.id,
        first.login,
        first.name,
        frozenset(r.lane for r in rows if r.lane is not None),
        frozenset(r.role for r in rows if r.role is not None),
        first.seksi,
    )


# Who reads the SLA compliance report besides auditors: the head of office.
REPORT_LANES = frozenset({"Kepala Kantor"})


def require_auditor(user: Actor) -> None:
    if not user.is_auditor:
        raise PermissionDenied(f"{user.login} is not an auditor: the audit pages are for auditors")


def require_report_reader(user: Actor) -> None:
    if not (user.is_auditor or user.lanes & REPORT_LANES):
        raise PermissionDenied(f"{user.login} may not read the SLA report: it is for auditors and the Kepala Kantor")


def require_process_owner(user: Actor) -> None:
    if not user.is_process_owner:
        raise PermissionDenied(
            f"{user.login} is not a process owner (Pemilik Proses): only process owners deploy, activate and migrate"
        )
