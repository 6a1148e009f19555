"""A database that cannot be reached gives a clean 503 with Retry-After, on pages and the API; never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from engine import Engine


def _database_gone(*_args, **_kwargs):
    raise OperationalError("SELECT 1", {}, Exception("connection to server at 127.0.0.1 failed: Connection refused"))


def test_the_api_answers_503_when_the_database_is_away(app, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    token, _ = engine.create_token("ptsp")
    client = app.test_client()
    monkeypatch.setattr(engine, "authenticate_token", _database_gone)
    response = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["error"]["code"] == "unavailable"


def test_a_page_says_so_in_indonesian(browser, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = browser("ptsp")
    monkeypatch.setattr(engine, "user", _database_gone)
    response = staff.get("/")
    assert response.status_code == 503
    assert "basis data" in response.get_data(as_text=True).lower()


def test_other_database_errors_stay_500(app, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import ProgrammingError

    def broken(*_a, **_k):
        raise ProgrammingError("SELECT nonsense", {}, Exception("syntax error"))

    app.config["PROPAGATE_EXCEPTIONS"] = False
    token, _ = engine.create_token("ptsp")
    monkeypatch.setattr(engine, "authenticate_token", broken)
    response = app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500
