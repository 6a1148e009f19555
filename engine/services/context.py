"""What every service needs besides its unit of work, built once per ``Engine``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
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


def actor(session: Session, login: str) -> Actor:
    user = session.execute(select(User).where(User.login == login)).scalar_one_or_none()
    if user is None or not user.active:
        raise NotFound(f"user '{login}' not found")
    lanes = session.execute(select(UserLane.lane).where(UserLane.user_id == user.id)).scalars().all()
    return Actor(user.id, user.login, user.name, frozenset(lanes))
