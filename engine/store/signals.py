"""Telling timer workers that a new deadline exists, so that none of them polls.

A command that arms a timer calls ``announce_timer`` inside its transaction.
On PostgreSQL that is ``pg_notify('ptsp_timers', due)``: the server delivers it
to every listening worker when (and only if) the transaction commits. For a
worker in the same process (``ptsp serve`` on SQLite) the database object's
``timers_changed`` event is set by the unit of work after the commit; a
rolled-back command announces nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

CHANNEL = "ptsp_timers"
_ARMED = "ptsp_timer_armed"
_NOTIFY = text("SELECT pg_notify(:channel, :due)")
SIGNAL_OPTION = "ptsp_timers_changed"  # execution option carrying the Database's threading.Event


def announce_timer(connection: Connection, due: datetime) -> None:
    # on the Connection object, which lives for one command (``connection.info``
    # would outlive it in the pool, and cannot be read once the connection broke)
    setattr(connection, _ARMED, True)
    if connection.dialect.name == "postgresql":
        connection.execute(_NOTIFY, {"channel": CHANNEL, "due": due.isoformat()})


def after_commit(connection: Connection) -> None:
    """Called once a command's transaction has committed: wake this process's worker if it armed a timer.

    (SQLAlchemy's own ``commit`` event fires before the commit, when a woken
    worker could still read the old state.)
    """
    if getattr(connection, _ARMED, False):
        setattr(connection, _ARMED, False)
        signal = connection.get_execution_options().get(SIGNAL_OPTION)
        if signal is not None:
            signal.set()
