"""Migration 0004 (login attempts) goes down and up again on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from engine import Engine
from engine.store.schema import alembic_config, current_revision


def _run(engine: Engine, action, revision: str) -> None:
    config = alembic_config(engine.db)
    with engine.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, revision)


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine.db.engine).get_table_names())


def test_downgrade_and_upgrade(engine: Engine) -> None:
    engine.log_in("ptsp", "salah-sandi", address="203.0.113.7")  # a row to drop with the table
    assert "login_attempts" in _tables(engine)
    try:
        _run(engine, command.downgrade, "0003")
        assert current_revision(engine.db) == "0003"
        assert "login_attempts" not in _tables(engine)
        assert {"events", "users", "instances"} <= _tables(engine)
    finally:
        _run(engine, command.upgrade, "head")  # the PostgreSQL database is shared by the session's tests
    assert current_revision(engine.db) == engine.schema_head()
    assert "login_attempts" in _tables(engine)
    assert {ix["name"] for ix in inspect(engine.db.engine).get_indexes("login_attempts")} == {
        "ix_login_attempts_login",
        "ix_login_attempts_address",
        "ix_login_attempts_at",
    }
    assert engine.log_in("ptsp", "salah-sandi", address="203.0.113.7") is None
