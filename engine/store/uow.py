"""One command, one transaction: state, projections and events commit together."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ..errors import Conflict

log = logging.getLogger("ptsp.store")
CHANGED = "the application was changed by someone else meanwhile; reload and try again"
COLLIDED = "the change collides with another one made meanwhile; reload and try again"


class UnitOfWork:
    """``with UnitOfWork(db.writer) as uow: ...; uow.commit()`` (no commit = rollback).

    Callbacks registered with ``on_commit`` run only after a successful commit,
    which is where in-process caches may learn about the new state.
    """

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._after_commit: list[Callable[[], None]] = []
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        self.session.begin()
        return self

    def on_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def flush(self) -> None:
        self.session.flush()

    def commit(self) -> None:
        try:
            self.session.commit()
        except OperationalError as exc:
            if "locked" in str(exc.orig).lower() or "serialize" in str(exc.orig).lower():
                raise Conflict("the database is busy with a conflicting change; try again") from None
            raise
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.session.in_transaction():
            self.session.rollback()
        self.session.close()
        # A unique key or the version check tripped by a concurrent command,
        # wherever the flush happened: the loser gets a conflict, never a 500.
        if isinstance(exc, StaleDataError):
            raise Conflict(CHANGED) from exc
        if isinstance(exc, IntegrityError):
            log.info("integrity error mapped to a conflict: %s", exc.orig)
            raise Conflict(COLLIDED) from exc
