"""Database engines and sessions.

SQLite (the embedded default) runs in WAL mode with foreign keys on, and a
write transaction starts with ``BEGIN IMMEDIATE`` so that concurrent writers
queue instead of failing half-way. PostgreSQL (psycopg 3) runs at READ
COMMITTED; there, concurrent commands are caught by the optimistic lock on the
instance row.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .signals import SIGNAL_OPTION

DEFAULT_SQLITE_PATH = Path("var") / "ptsp.db"


def default_url() -> str:
    return os.environ.get("PTSP_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def normalize_url(url: str) -> str:
    """Accept the URLs people paste: postgres:// and postgresql:// mean psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own
        # transaction handling would defer it and break BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get("ptsp_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def create_db_engine(url: str | None = None, **kwargs) -> Engine:
    url = normalize_url(url or default_url())
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class Database:
    """An engine with two session factories: reads, and writes (one per command)."""

    def __init__(self, url: str | None = None, **engine_kwargs) -> None:
        self.engine = create_db_engine(url, **engine_kwargs)
        self.url = self.engine.url
        self.reader: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)
        # set after a commit that armed a timer: wakes a timer worker in this process
        self.timers_changed = threading.Event()
        # Commands run on this one: on SQLite its transactions begin IMMEDIATE.
        self.write_engine = self.engine.execution_options(ptsp_write=True, **{SIGNAL_OPTION: self.timers_changed})
        self.writer: sessionmaker[Session] = sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()
