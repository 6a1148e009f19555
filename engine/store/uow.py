"""One command, one transaction: state, projections and events commit together."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..errors import Conflict
from .signals import after_commit

log = logging.getLogger("ptsp.store")
CHANGED = "the application was changed by someone else meanwhile; reload and try again"
COLLIDED = "the change collides with another one made meanwhile; reload and try again"


class UnitOfWork:
    """``with UnitOfWork(db) as uow: ...; uow.commit()`` (leaving without commit rolls back).

    The transaction lives on one ``Connection``; the hot commands write through
    it with Core statements, and ``session`` (an ORM session joined to the same
    transaction, created on first use) serves the rest. Callbacks registered
    with ``on_commit`` run only after a successful commit, which is where
    in-process caches may learn about the new state.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._after_commit: list[Callable[[], None]] = []
        self._session: Session | None = None
        self.connection: Connection

    def __enter__(self) -> UnitOfWork:
        self.connection = self._engine.connect()
        try:
            self.connection.begin()
        except OperationalError as exc:  # SQLite: another writer held the lock past busy_timeout
            self.connection.close()
            raise Conflict("the database is busy with other changes; try again") from exc
        return self

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session(bind=self.connection, join_transaction_mode="rollback_only", expire_on_commit=False)
        return self._session

    def on_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def flush(self) -> None:
        if self._session is not None:
            self._session.flush()

    def commit(self) -> None:
        self.flush()
        try:
            self.connection.commit()
        except OperationalError as exc:
            if "locked" in str(exc.orig).lower() or "serialize" in str(exc.orig).lower():
                raise Conflict("the database is busy with a conflicting change; try again") from None
            raise
        after_commit(self.connection)
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._session is not None:
                self._session.close()
            if self.connection.in_transaction():
                self.connection.rollback()
        finally:
            self.connection.close()
        # A unique key or the version check tripped by a concurrent command,
        # wherever the flush happened: the loser gets a conflict, never a 500.
        # Any other integrity error (a missing reference, a NULL) is a bug, not
        # a race, and must not be reported to a user as "try again".
        if isinstance(exc, StaleDataError):
            raise Conflict(CHANGED) from exc
        if isinstance(exc, IntegrityError) and is_unique_violation(exc):
            log.info("unique key collision mapped to a conflict: %s", exc.orig)
            raise Conflict(COLLIDED) from exc


def is_unique_violation(exc: IntegrityError) -> bool:
    """A duplicate key: SQLSTATE 23505 on PostgreSQL, "UNIQUE constraint failed" on SQLite."""
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if state is not None:
        return state == "23505"
    return "unique constraint failed" in str(exc.orig).lower()
