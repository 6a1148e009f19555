"""``GET /healthz``: for load balancers and monitors; no login, no session, no CSRF."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from engine import Engine
from engine.store.schema import head_revision
from webui import create_app

from ..engine.test_health import UNREACHABLE


def test_healthy(app: Flask, engine: Engine) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "schema": head_revision(engine.db)}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_a_logged_in_client_gets_the_same_and_keeps_its_session(browser) -> None:
    b = browser("ptsp")
    response = b.get("/healthz")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert b.get("/tugas").status_code == 200


def test_only_get(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200


@pytest.fixture
def broken_engines(tmp_path: Path):
    garbage = tmp_path / "rusak.db"
    garbage.write_bytes(b"not a database" * 500)
    engines = {"unreachable": Engine(UNREACHABLE), "broken": Engine(f"sqlite:///{garbage}")}
    yield engines
    for engine in engines.values():
        engine.close()


@pytest.mark.parametrize(("which", "reason"), [("unreachable", "unreachable"), ("broken", "error (DatabaseError)")])
def test_a_database_that_fails_is_a_503(broken_engines, which: str, reason: str) -> None:
    app = create_app({"ENGINE": broken_engines[which], "TESTING": True, "SECRET_KEY": "test-secret"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": reason}
    assert "Set-Cookie" not in response.headers
