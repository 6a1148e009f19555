"""A Flask app on the test engine, a client per user, and CSRF-aware helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import Engine
from webui import create_app

from ..conftest import password_of

AUDITOR = "inspektorat"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@pytest.fixture
def app(engine: Engine) -> Iterator[Flask]:
    yield create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "test-secret"})


class Browser:
    """A test client that logs in through the form and sends CSRF tokens like a browser does."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token: str | None = None

    def get(self, url: str, **kwargs):
        response = self.client.get(url, **kwargs)
        match = CSRF.search(response.get_data(as_text=True)) if response.mimetype == "text/html" else None
        if match:
            self.token = match.group(1)
        return response

    def post(self, url: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        if csrf and self.token is None:
            self.get("/masuk")
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kwargs)

    def login(self, login: str) -> Browser:
        self.get("/masuk")
        response = self.post("/masuk", {"login": login, "password": password_of(login)})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self.get("/", follow_redirects=True)  # a fresh CSRF token for the new session
        return self


def add_auditor(engine: Engine) -> str:
    """An auditor: no lane, reads everything, logs in like everyone else."""
    engine.add_user(AUDITOR, [], roles=["auditor"], name="Inspektorat Jenderal", password=password_of(AUDITOR))
    return AUDITOR


@pytest.fixture
def auditor(engine: Engine) -> str:
    return add_auditor(engine)


@pytest.fixture
def browser(app: Flask):
    def make(login: str | None = None) -> Browser:
        b = Browser(app.test_client())
        return b.login(login) if login else b

    return make
