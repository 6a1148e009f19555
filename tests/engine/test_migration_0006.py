"""Migration 0006 (office operations) goes down and up again and keeps every user, lane and application."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from engine import Engine
from engine.store.schema import alembic_config, current_revision

from ..helpers import Application, fingerprint

# what the downgrade drops with the new columns (their values cannot survive it)
NEW_COLUMNS = {"users": {"seksi", "email"}, "instances": {"service_code", "seksi", "tracking_hash"}, "tasks": {"seksi"}}
NEW_TABLES = {"non_working_days", "special_hours", "catalogue_versions", "notifications", "skm_responses"}


def _run(engine: Engine, action, revision: str) -> None:
    config = alembic_config(engine.db)
    with engine.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, revision)


def test_downgrade_and_upgrade_keep_the_data(engine: Engine) -> None:
    Application(engine).do(1)
    # the downgrade drops the new tables, and with them the office calendar the test database starts with
    before = {table: rows for table, rows in fingerprint(engine, NEW_COLUMNS).items() if table not in NEW_TABLES}
    try:
        _run(engine, command.downgrade, "0005")
        assert current_revision(engine.db) == "0005"
        assert not NEW_TABLES & set(inspect(engine.db.engine).get_table_names())
        assert "seksi" not in {c["name"] for c in inspect(engine.db.engine).get_columns("users")}
    finally:
        _run(engine, command.upgrade, "head")
    assert current_revision(engine.db) == engine.schema_head()
    assert set(inspect(engine.db.engine).get_table_names()) >= NEW_TABLES
    after = {table: rows for table, rows in fingerprint(engine, NEW_COLUMNS).items() if table not in NEW_TABLES}
    assert after == before  # users keep their lanes, applications their tasks
    engine.ctx.workflows.clear()
    Application(engine).do(1)
