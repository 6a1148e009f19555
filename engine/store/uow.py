"""One command, one transaction: state, projections and events commit together."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ..errors import Conflict


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
        try:
            self.session.flush()
        except StaleDataError:
            raise Conflict("the application was changed by someone else meanwhile; reload and try again") from None

    def commit(self) -> None:
        try:
            self.session.commit()
        except StaleDataError:
            raise Conflict("the application was changed by someone else meanwhile; reload and try again") from None
        except IntegrityError as exc:
            raise Conflict(f"the change collides with another one made meanwhile ({exc.orig})") from None
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
