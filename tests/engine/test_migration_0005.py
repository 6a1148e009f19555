"""Migration 0005 (activations): an upgraded system keeps starting applications on its newest version."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from engine import Engine
from engine.store.schema import alembic_config, current_revision

from ..helpers import Application


def _run(engine: Engine, action, revision: str) -> None:
    config = alembic_config(engine.db)
    with engine.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, revision)


def test_upgrade_activates_the_newest_version_of_each_process(engine: Engine) -> None:
    try:
        _run(engine, command.downgrade, "0004")
        assert current_revision(engine.db) == "0004"
        assert "activations" not in inspect(engine.db.engine).get_table_names()
        with engine.db.engine.begin() as connection:  # a second version, deployed the old way
            connection.execute(
                text(
                    "INSERT INTO definitions (process_id, version, name, sha256, bpmn, deployed_at, deployed_by)"
                    " SELECT process_id, 2, name, :sha, bpmn, deployed_at, 'lama' FROM definitions WHERE version = 1"
                ),
                {"sha": "f" * 64},
            )
    finally:
        _run(engine, command.upgrade, "head")
    assert current_revision(engine.db) == engine.schema_head()
    assert [(v.version, v.active) for v in engine.versions()] == [(2, True), (1, False)]
    assert [(a.version, a.activated_by) for a in engine.activations()] == [(2, "lama")]
    engine.ctx.definitions._compiled.clear()
    assert engine.show(Application(engine).id).version == 2
