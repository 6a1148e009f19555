"""What every service needs besides its unit of work, built once per ``Engine``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..cache import DefinitionCache, WorkflowCache
from ..clock import Clock
from ..definitions import load_definition
from ..errors import NotFound
from ..model import APPLICANT_LANE
from ..runtime import CompiledProcess, Runtime, compile_definition
from ..store.models import Definition, User, UserLane


@dataclass
class Context:
    runtime: Runtime
    definitions: DefinitionCache
    workflows: WorkflowCache

    @property
    def clock(self) -> Clock:
        return self.runtime.script_engine.clock

    def compiled(self, session: Session, definition_id: int) -> CompiledProcess:
        def load() -> CompiledProcess:
            row = session.get(Definition, definition_id)
            if row is None:
                raise NotFound(f"definition {definition_id} not found")
            return compile_definition(row.id, row.version, load_definition(row.bpmn))

        return self.definitions.get(definition_id, load)


@dataclass(frozen=True)
class Actor:
    """A user as the services see them: who, and in which lanes."""

    id: int
    login: str
    name: str
    lanes: frozenset[str]

    @property
    def is_applicant(self) -> bool:
        return APPLICANT_LANE in self.lanes


_USERS, _LANES = User.__table__, UserLane.__table__
# built once: every command starts here, and building a statement costs more than running it
_ACTOR = (
    select(_USERS.c.id, _USERS.c.login, _USERS.c.name, _USERS.c.active, _LANES.c.lane)
    .outerjoin(_LANES, _LANES.c.user_id == _USERS.c.id)
    .where(_USERS.c.login == bindparam("login"))
)


def actor(session: Session, login: str) -> Actor:
    if not isinstance(login, str):
        raise NotFound(f"user {login!r} not found")
    rows = session.connection().execute(_ACTOR, {"login": login}).all()
    if not rows or not rows[0].active:
        raise NotFound(f"user '{login}' not found")
    first = rows[0]
    return Actor(first.id, first.login, first.name, frozenset(r.lane for r in rows if r.lane is not None))
