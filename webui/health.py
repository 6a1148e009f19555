"""``GET /healthz`` for load balancers and monitors: no login, no session, no CSRF, no HTML."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify

from .auth import csrf, engine

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    report = engine().health()
    response = jsonify(report.as_dict())
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if report.ok else 503


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # GET only; nothing to protect, and a monitor has no token
    app.register_blueprint(bp)
