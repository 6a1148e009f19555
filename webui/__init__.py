"""The web UI and the JSON API: a thin Flask layer over ``engine.Engine``.

Views parse input, call one engine method and render the plain result; every
rule (who may see or do what, what a form accepts) lives in the engine.

Configuration comes from ``PTSP_*`` variables (``app.config`` without the
prefix). ``PTSP_PRODUCTION=1`` requires ``PTSP_SECRET_KEY`` and
``PTSP_DATABASE_URL``, marks the cookies Secure and sends HSTS.
``PTSP_PROXY_FIX=N`` trusts the ``X-Forwarded-*`` headers of N reverse
proxies in front of the app (for the client address the login limits count).
``PTSP_LOGIN_MAX_FAILURES`` and the other limits below tune the rate limits.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from engine import Engine
from engine.services.throttle import Limit, Policy

from . import api, applicant, audit, auth, calendar, catalogue, health, i18n, notifications, versions, views

# No inline script or style anywhere; the SVG diagrams carry their own <style>.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
HSTS = "max-age=31536000"  # a year; without includeSubDomains: other hosts of the domain are not ours

# The rate limits' settings (PTSP_<name>) and their defaults: see engine/services/throttle.py.
LIMITS = {
    "LOGIN_MAX_FAILURES": 5,  # failed logins per login name in the window
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 30,  # failed logins per client address in the window
    "LOGIN_WINDOW_MINUTES": 15,
    "SIGNUP_MAX_PER_ADDRESS": 10,
    "SIGNUP_WINDOW_MINUTES": 60,
}


def _require_production_settings(app: Flask) -> None:
    """In production nothing may fall back to a default: name every missing variable at once."""
    missing = [f"PTSP_{name}" for name in ("SECRET_KEY", "DATABASE_URL") if not app.config.get(name)]
    if missing:
        raise RuntimeError(
            f"PTSP_PRODUCTION is set but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not: "
            "set them in the environment of every web worker (the same secret key on all of them)"
        )
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = True


def _whole(app: Flask, name: str, minimum: int) -> int:
    value = app.config[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RuntimeError(f"PTSP_{name} must be a whole number of at least {minimum}, not {value!r}")
    return value


def _throttle_policy(app: Flask) -> Policy:
    login_window = timedelta(minutes=_whole(app, "LOGIN_WINDOW_MINUTES", 1))
    signup_window = timedelta(minutes=_whole(app, "SIGNUP_WINDOW_MINUTES", 1))
    return Policy(
        per_login=Limit(_whole(app, "LOGIN_MAX_FAILURES", 1), login_window),
        per_address=Limit(_whole(app, "LOGIN_MAX_FAILURES_PER_ADDRESS", 1), login_window),
        signups_per_address=Limit(_whole(app, "SIGNUP_MAX_PER_ADDRESS", 1), signup_window),
        keep=max(timedelta(days=1), login_window, signup_window),
    )


def _trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies, take the client address, scheme and host from their X-Forwarded-* headers.

    Without it those headers are ignored: anyone can send them, so trusting
    them without a proxy would let a client pick the address it is limited by.
    """
    count = app.config.get("PROXY_FIX") or 0
    if count is True:
        count = 1
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise RuntimeError(f"PTSP_PROXY_FIX must be the number of reverse proxies in front of the app, not {count!r}")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def _secret_key(app: Flask) -> str:
    """PTSP_SECRET_KEY, or (outside production) a key kept in the instance folder."""
    key = app.config.get("SECRET_KEY")
    if key:
        return key
    if app.config.get("PRODUCTION"):
        raise RuntimeError("PTSP_SECRET_KEY must be set in production")
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("PTSP_INSTANCE_PATH") or str(Path("var").resolve()))
    app.config.from_mapping(
        DATABASE_URL=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="ptsp_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        BABEL_DEFAULT_LOCALE="id",
        BABEL_DEFAULT_TIMEZONE="Asia/Jakarta",
        PAGE_SIZE=25,
        LIST_REFRESH_SECONDS=30,
        PRODUCTION=False,
        PROXY_FIX=0,
        **LIMITS,
    )
    app.config.from_prefixed_env("PTSP")
    if test_config:
        app.config.update(test_config)
    if app.config["PRODUCTION"]:
        _require_production_settings(app)
    app.config["SECRET_KEY"] = _secret_key(app)
    _trust_proxies(app)
    app.extensions["ptsp_throttle"] = _throttle_policy(app)

    engine = app.config.get("ENGINE") or Engine(app.config.get("DATABASE_URL"))
    app.extensions["ptsp_engine"] = engine

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Content-Security-Policy", SVG_CSP if response.mimetype == "image/svg+xml" else PAGE_CSP)
        if app.config["PRODUCTION"]:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    i18n.init_app(app)
    auth.init_app(app)
    views.init_app(app)
    audit.init_app(app)
    versions.init_app(app)
    calendar.init_app(app)
    catalogue.init_app(app)
    applicant.init_app(app)
    notifications.init_app(app)
    api.init_app(app)
    health.init_app(app)
    return app


def engine_of(app: Flask) -> Engine:
    return app.extensions["ptsp_engine"]
