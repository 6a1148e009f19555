"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine import Engine
from engine.store.models import Base
from engine.store.schema import current_revision, head_revision


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert current_revision(engine.db) == head_revision(engine.db)


def test_init_db_is_idempotent(engine: Engine) -> None:
    engine.init_db()
    engine.init_db()
    assert current_revision(engine.db) == head_revision(engine.db)
