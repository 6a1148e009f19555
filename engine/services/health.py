"""Is the database there? A check cheap enough for a load balancer to call every few seconds."""

from __future__ import annotations

import logging

from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from ..store.db import Database
from ..views import Health

log = logging.getLogger("ptsp.health")
_PING = text("SELECT 1")


def check(database: Database) -> Health:
    """One round trip and the Alembic revision; a failure is a short reason, its detail goes to the log."""
    try:
        connection = database.engine.connect()
    except (OperationalError, InterfaceError) as exc:  # refused, timed out, no such host or file
        log.warning("health check: the database is unreachable: %s", exc)
        return Health(False, "unreachable")
    except SQLAlchemyError as exc:  # reached, but not a database (a broken file, say)
        log.warning("health check: the database failed: %s", exc)
        return Health(False, f"error ({_name(exc)})")
    try:
        with connection:
            connection.execute(_PING)
            revision = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        log.warning("health check: the database failed: %s", exc)
        return Health(False, f"error ({_name(exc)})")
    if revision is None:
        return Health(False, "no schema (run ptsp db upgrade)")
    return Health(True, "ok", revision)


def _name(exc: SQLAlchemyError) -> str:
    original = exc.orig if isinstance(exc, DBAPIError) else None
    return type(original or exc).__name__
