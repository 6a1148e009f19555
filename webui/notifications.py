"""Pages for the notifications: the list, marking read, and the unread count every page can show.

Templates get ``unread_notifications``: the logged-in user's unread count
(0 for a visitor), read from the database only when a template uses it.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.local import LocalProxy

from engine import InvalidInput, NotFound

from .auth import _safe_next, engine

bp = Blueprint("notifications", __name__)


def _page() -> int:
    raw = request.args.get("halaman", "1")
    return int(raw) if re.fullmatch(r"[0-9]{1,5}", raw) and int(raw) > 0 else 1


@bp.get("/notifikasi")
@login_required
def index():
    unread_only = request.args.get("belum") == "1"
    page = _page()
    size = current_app.config["PAGE_SIZE"]
    found = engine().notifications(
        as_user=current_user.login, unread_only=unread_only, limit=size + 1, offset=(page - 1) * size
    )
    return render_template(
        "notifications.html",
        notifications=found[:size],
        unread_only=unread_only,
        page=page,
        has_next=len(found) > size,
    )


@bp.post("/notifikasi/<int:notification_id>/dibaca")
@login_required
def mark_one(notification_id: int):
    """Mark one of one's own notifications read; with ``next``, go on to the page it links to."""
    try:
        engine().mark_read([notification_id], as_user=current_user.login)
    except (NotFound, InvalidInput):
        abort(404)  # not one's own (or no such one): nothing changed, and nothing said about it
    return redirect(_safe_next(request.form.get("next")) or url_for("notifications.index"))


@bp.post("/notifikasi/dibaca")
@login_required
def mark_all():
    changed = engine().mark_read(None, as_user=current_user.login)
    if changed:
        message = ngettext("%(num)d notification marked as read.", "%(num)d notifications marked as read.", changed)
        flash(message, "success")
    return redirect(url_for("notifications.index"))


def _unread() -> Any:
    """The unread count, read once per request and only when a template asks for it."""
    remembered: dict[str, int] = {}

    def count() -> int:
        if "n" not in remembered:
            remembered["n"] = 0
            if current_user.is_authenticated:
                try:
                    remembered["n"] = engine().unread_count(as_user=current_user.login)
                except Exception:  # a page (the error page, say) must render without it
                    current_app.logger.warning("unread notifications could not be counted", exc_info=True)
        return remembered["n"]

    return LocalProxy(count)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def unread_notifications() -> dict[str, Any]:
        return {"unread_notifications": _unread()}
