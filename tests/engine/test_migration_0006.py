"""Migration 0006 (office operations) goes down and up again and keeps every user, lane and application."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from engine import Engine
from engine.store.schema import alembic_config, current_revision

from ..helpers import Application, fingerprint

NEW_TABLES = {"non_working_days", "special_hours", "catalogue_versions", "notifications", "skm_responses"}


def _run(engine: Engine, action, revision: str) -> None:
    config = alembic_config(engine.db)
    with engine.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, revision)


def test_downgrade_and_upgrade_keep_the_data(engine: Engine) -> None:
    Application(engine).do(1)
    before = fingerprint(engine)
    try:
        _run(engine, command.downgrade, "0005")
        assert current_revision(engine.db) == "0005"
        assert not NEW_TABLES & set(inspect(engine.db.engine).get_table_names())
        assert "seksi" not in {c["name"] for c in inspect(engine.db.engine).get_columns("users")}
    finally:
        _run(engine, command.upgrade, "head")
    assert current_revision(engine.db) == engine.schema_head()
    assert NEW_TABLES <= set(inspect(engine.db.engine).get_table_names())
    assert fingerprint(engine) == before  # users keep their lanes, applications their tasks
    engine.ctx.workflows.clear()
    Application(engine).do(1)
