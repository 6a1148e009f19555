"""Telling timer workers that a new deadline exists, so that none of them polls.

A command that arms a timer calls ``announce_timer`` inside its transaction.
On PostgreSQL that is ``pg_notify('ptsp_timers', due)``: the server delivers it
to every listening worker when (and only if) the transaction commits. For a
worker in the same process (``ptsp serve`` on SQLite) the database object's
``timers_changed`` event is set after the commit, through the connection's
commit hook; a rolled-back command announces nothing.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import Connection, Engine, event, text

CHANNEL = "ptsp_timers"
_ARMED = "ptsp_timer_armed"
_NOTIFY = text("SELECT pg_notify(:channel, :due)")


def announce_timer(connection: Connection, due: datetime) -> None:
    connection.info[_ARMED] = True
    if connection.dialect.name == "postgresql":
        connection.execute(_NOTIFY, {"channel": CHANNEL, "due": due.isoformat()})


def watch_commits(engine: Engine, timers_changed: threading.Event) -> None:
    """Set ``timers_changed`` after every commit that armed a timer."""

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Connection) -> None:
        if connection.info.pop(_ARMED, False):
            timers_changed.set()

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Connection) -> None:
        connection.info.pop(_ARMED, None)
