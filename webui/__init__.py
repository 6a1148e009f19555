"""The web UI and the JSON API: a thin Flask layer over ``engine.Engine``.

Views parse input, call one engine method and render the plain result; every
rule (who may see or do what, what a form accepts) lives in the engine.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from engine import Engine

from . import api, audit, auth, i18n, views

# No inline script or style anywhere; the SVG diagrams carry their own <style>.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


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
    )
    app.config.from_prefixed_env("PTSP")
    if test_config:
        app.config.update(test_config)
    app.config["SECRET_KEY"] = _secret_key(app)

    engine = app.config.get("ENGINE") or Engine(app.config.get("DATABASE_URL"))
    app.extensions["ptsp_engine"] = engine

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Content-Security-Policy", SVG_CSP if response.mimetype == "image/svg+xml" else PAGE_CSP)
        return response

    i18n.init_app(app)
    auth.init_app(app)
    views.init_app(app)
    audit.init_app(app)
    api.init_app(app)
    return app


def engine_of(app: Flask) -> Engine:
    return app.extensions["ptsp_engine"]
