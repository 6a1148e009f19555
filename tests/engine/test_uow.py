"""The unit of work reports a duplicate key as a conflict, and every other integrity error as the bug it is."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from engine import Engine
from engine.errors import Conflict
from engine.store.models import Counter, UserLane
from engine.store.uow import UnitOfWork

from ..helpers import fingerprint


def test_a_duplicate_key_is_a_conflict(engine: Engine) -> None:
    before = fingerprint(engine)
    with pytest.raises(Conflict, match="collides"), UnitOfWork(engine.db.write_engine) as uow:
        uow.connection.execute(insert(Counter).values(name="x", value=1))
        uow.connection.execute(insert(Counter).values(name="x", value=2))
    assert fingerprint(engine) == before


def test_a_missing_reference_is_not_a_conflict(engine: Engine) -> None:
    before = fingerprint(engine)
    with pytest.raises(IntegrityError), UnitOfWork(engine.db.write_engine) as uow:
        uow.connection.execute(insert(UserLane).values(user_id=999_999, lane="PTSP"))
        uow.commit()
    assert fingerprint(engine) == before


def test_a_missing_value_is_not_a_conflict(engine: Engine) -> None:
    with pytest.raises(IntegrityError), UnitOfWork(engine.db.write_engine) as uow:
        uow.connection.execute(insert(Counter).values(name="y", value=None))
