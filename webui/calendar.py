"""Pages for the calendar."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("calendar", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
