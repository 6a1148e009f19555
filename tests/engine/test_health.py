"""``Engine.health()``: a cheap check that the database answers, and its schema revision."""

from __future__ import annotations

from pathlib import Path

from engine import Engine
from engine.store.schema import head_revision

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/ptsp"  # nothing listens on port 1


def test_a_reachable_database(engine: Engine) -> None:
    health = engine.health()
    assert health.ok and health.database == "ok"
    assert health.schema == head_revision(engine.db) == "0006"
    assert health.as_dict() == {"status": "ok", "database": "ok", "schema": "0006"}


def test_an_unreachable_database() -> None:
    engine = Engine(UNREACHABLE)
    try:
        health = engine.health()
    finally:
        engine.close()
    assert not health.ok
    assert health.as_dict() == {"status": "error", "database": "unreachable"}


def test_a_file_that_is_no_database(tmp_path: Path) -> None:
    path = tmp_path / "rusak.db"
    path.write_bytes(b"this is not a database file at all" * 200)
    engine = Engine(f"sqlite:///{path}")
    try:
        health = engine.health()
    finally:
        engine.close()
    assert not health.ok and health.as_dict()["status"] == "error"
    assert health.database.startswith("error")
    assert str(tmp_path) not in health.database  # no detail for an anonymous caller


def test_a_database_without_schema(tmp_path: Path) -> None:
    engine = Engine(f"sqlite:///{tmp_path / 'kosong.db'}")
    try:
        health = engine.health()
    finally:
        engine.close()
    assert health.as_dict() == {"status": "error", "database": "no schema (run ptsp db upgrade)"}
