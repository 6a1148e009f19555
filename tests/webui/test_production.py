"""``PTSP_PRODUCTION=1``: refuses to start half-configured, secure cookies, HSTS; ``PTSP_PROXY_FIX``."""

from __future__ import annotations

import pytest
from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

from engine import Engine
from webui import create_app

from ..conftest import password_of
from .conftest import Browser

HSTS = "Strict-Transport-Security"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> pytest.MonkeyPatch:
    for name in ("PTSP_PRODUCTION", "PTSP_SECRET_KEY", "PTSP_DATABASE_URL", "PTSP_PROXY_FIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PTSP_INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


def production(engine: Engine, **extra) -> dict:
    url = engine.db.url.render_as_string(hide_password=False)
    return {"PRODUCTION": True, "ENGINE": engine, "SECRET_KEY": "k" * 64, "DATABASE_URL": url} | extra


def test_production_refuses_to_start_without_its_variables(clean_env, tmp_path) -> None:
    clean_env.setenv("PTSP_PRODUCTION", "1")
    with pytest.raises(RuntimeError) as refused:
        create_app()
    assert "PTSP_SECRET_KEY" in str(refused.value) and "PTSP_DATABASE_URL" in str(refused.value)
    assert not (tmp_path / "instance" / "secret_key").exists()  # no key was invented
    clean_env.setenv("PTSP_SECRET_KEY", "k" * 64)
    with pytest.raises(RuntimeError, match="PTSP_DATABASE_URL") as refused:
        create_app()
    assert "PTSP_SECRET_KEY" not in str(refused.value)
    clean_env.delenv("PTSP_SECRET_KEY")
    clean_env.setenv("PTSP_DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    with pytest.raises(RuntimeError, match="PTSP_SECRET_KEY"):
        create_app()
    clean_env.setenv("PTSP_SECRET_KEY", "")  # empty is missing
    with pytest.raises(RuntimeError, match="PTSP_SECRET_KEY"):
        create_app()


def test_production_from_the_environment(clean_env, tmp_path) -> None:
    clean_env.setenv("PTSP_PRODUCTION", "1")
    clean_env.setenv("PTSP_SECRET_KEY", "k" * 64)
    clean_env.setenv("PTSP_DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    app = create_app()
    assert app.config["PRODUCTION"] and app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_production_cookies_are_secure_and_pages_carry_hsts(clean_env, engine: Engine) -> None:
    app = create_app(production(engine))
    b = Browser(app.test_client())
    page = b.get("/masuk")
    assert page.headers[HSTS] == "max-age=31536000"
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    response = b.post("/masuk", {"login": "ptsp", "password": password_of("ptsp")})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_outside_production_no_hsts_and_plain_cookies(clean_env, app) -> None:
    b = Browser(app.test_client())
    page = b.get("/masuk")
    assert HSTS not in page.headers
    response = b.post("/masuk", {"login": "ptsp", "password": password_of("ptsp")})
    assert "Secure" not in response.headers["Set-Cookie"]


def test_proxy_fix_is_off_unless_configured(clean_env, engine: Engine, app) -> None:
    assert not isinstance(app.wsgi_app, ProxyFix)
    fixed = create_app({"ENGINE": engine, "SECRET_KEY": "x", "PROXY_FIX": 2})
    assert isinstance(fixed.wsgi_app, ProxyFix)
    assert (fixed.wsgi_app.x_for, fixed.wsgi_app.x_proto, fixed.wsgi_app.x_host) == (2, 2, 2)
    clean_env.setenv("PTSP_PROXY_FIX", "1")
    assert isinstance(create_app({"ENGINE": engine, "SECRET_KEY": "x"}).wsgi_app, ProxyFix)


@pytest.mark.parametrize("value", ["satu", -1, 1.5])
def test_a_bad_proxy_count_is_refused(clean_env, engine: Engine, value) -> None:
    with pytest.raises(RuntimeError, match="PTSP_PROXY_FIX"):
        create_app({"ENGINE": engine, "SECRET_KEY": "x", "PROXY_FIX": value})


def _echo(app):
    """A route that shows what the app believes about the client (added for this test only)."""
    app.add_url_rule("/uji-klien", "uji_klien", lambda: f"{request.remote_addr} {request.scheme} {request.host}")
    return app.test_client()


def test_behind_a_proxy_the_client_address_scheme_and_host_come_from_it(clean_env, engine: Engine) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "ptsp.example"}
    client = _echo(create_app(production(engine, PROXY_FIX=1)))
    assert client.get("/uji-klien", headers=forwarded).get_data(as_text=True) == "203.0.113.5 https ptsp.example"
    client = _echo(create_app(production(engine)))
    assert client.get("/uji-klien", headers=forwarded).get_data(as_text=True) == "127.0.0.1 http localhost"


@pytest.mark.parametrize("name", ["LOGIN_MAX_FAILURES", "SIGNUP_WINDOW_MINUTES"])
def test_a_bad_limit_is_refused(clean_env, engine: Engine, name: str) -> None:
    with pytest.raises(RuntimeError, match=f"PTSP_{name}"):
        create_app({"ENGINE": engine, "SECRET_KEY": "x", name: 0})
