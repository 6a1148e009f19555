"""The office calendar page (Kalender Kerja).

Everyone logged in reads it: the coming months' non-working days (national
holidays, cuti bersama, office closures), periods of special office hours
and the next two weeks day by day. Only an administrator changes it: add a
closure, add special hours, revoke either; the engine refuses anyone else.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from engine import Conflict, InvalidInput
from engine.model import ADMINISTRATOR
from engine.working_time import RAMADAN_HOURS, group_week_hours

from .auth import engine

bp = Blueprint("calendar", __name__, url_prefix="/kalender")

KIND_LABELS = {
    "holiday": _l("National holiday"),
    "cuti_bersama": _l("Cuti bersama"),
    "closure": _l("Office closure"),
}
KIND_BADGES = {"holiday": "badge-late", "cuti_bersama": "badge-soon", "closure": "badge-none"}
MAX_FIELD = 400
DASH = "\u2013"  # an en dash between the ends of a range


def is_administrator() -> bool:
    return ADMINISTRATOR in current_user.roles


def _administrators_only() -> None:
    # the engine refuses anyone else too; checked first so that nobody else's input is even read
    if not is_administrator():
        abort(403)


def day_text(day: date, pattern: str = "EEEE, d MMMM yyyy") -> str:
    return format_date(day, pattern)


def hours_runs(hours: Any) -> list[dict[str, Any]]:
    """The week's hours as runs of days: ``Senin-Kamis 07.30-16.00``, in the reader's language."""
    monday = date(2024, 1, 1)  # any Monday: weekday names come from the locale
    runs = []
    for first, last, value in group_week_hours(hours):
        names = [day_text(monday + timedelta(days=d - 1), "EEEE") for d in (first, last)]
        runs.append(
            {
                "days": names[0] if first == last else f"{names[0]}{DASH}{names[1]}",
                "hours": f"{value[0]:%H.%M}{DASH}{value[1]:%H.%M}" if value else None,
            }
        )
    return runs


def _field(name: str) -> str:
    value = request.form.get(name, "")
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def _page(status: int = 200, form: dict[str, Any] | None = None):
    eng = engine()
    since, until = request.args.get("dari") or None, request.args.get("sampai") or None
    try:
        found = eng.calendar_overview(since, until, as_user=current_user.login)
    except InvalidInput as exc:
        flash(exc.message, "error")
        found, status = eng.calendar_overview(as_user=current_user.login), 400
    soon = found.days[:14] if since is None else ()
    monday = date(2024, 1, 1)
    weekdays = [(d, day_text(monday + timedelta(days=d - 1), "EEEE")) for d in range(1, 8)]
    defaults = {
        f"{edge}_{d}": (RAMADAN_HOURS[d][i].strftime("%H:%M") if RAMADAN_HOURS[d] else "")
        for d in range(1, 8)
        for i, edge in enumerate(("buka", "tutup"))
    }
    body = render_template(
        "calendar.html",
        overview=found,
        soon=soon,
        regular=hours_runs(found.regular.hours) if found.regular else None,
        kinds=KIND_LABELS,
        badges=KIND_BADGES,
        day_text=day_text,
        hours_runs=hours_runs,
        admin=is_administrator(),
        weekdays=weekdays,
        form=defaults | (form or {}),
        today=found.since,
    )
    return body, status


@bp.get("")
@login_required
def index():
    return _page()


def _refused_change(exc: InvalidInput | Conflict, what: str):
    flash(_("%(what)s: %(reason)s", what=what, reason=exc.message), "error")
    return _page(status=409 if isinstance(exc, Conflict) else 400, form=dict(request.form))


@bp.post("/penutupan")
@login_required
def close():
    _administrators_only()
    what = _("The closure was not saved")
    try:
        row = engine().close_day(_field("tanggal"), note=_field("catatan"), as_user=current_user.login)
    except (InvalidInput, Conflict) as exc:
        return _refused_change(exc, what)
    flash(_("The office is closed on %(day)s: %(note)s.", day=day_text(row.day), note=row.name), "ok")
    return redirect(url_for("calendar.index"))


@bp.post("/libur/<int:row_id>/cabut")
@login_required
def revoke_day(row_id: int):
    _administrators_only()
    what = _("Nothing was revoked")
    try:
        [row] = engine().revoke_closure(row_id, as_user=current_user.login)
    except (InvalidInput, Conflict) as exc:
        return _refused_change(exc, what)
    flash(_("The office opens as usual on %(day)s (%(name)s revoked).", day=day_text(row.day), name=row.name), "ok")
    return redirect(url_for("calendar.index"))


def _week_hours_from_form() -> dict[int, tuple[time, time] | None]:
    hours: dict[int, tuple[time, time] | None] = {}
    for day in range(1, 8):
        opens, closes = _field(f"buka_{day}").strip(), _field(f"tutup_{day}").strip()
        if not opens and not closes:
            hours[day] = None
            continue
        try:
            hours[day] = (time.fromisoformat(opens.replace(".", ":")), time.fromisoformat(closes.replace(".", ":")))
        except ValueError:
            raise InvalidInput(
                _("Give both the opening and the closing time (HH:MM), or neither for a closed day.")
            ) from None
    return hours


@bp.post("/jam-khusus")
@login_required
def add_hours():
    _administrators_only()
    what = _("The special hours were not saved")
    try:
        hours = _week_hours_from_form()
        period = engine().add_special_hours(
            _field("dari"), _field("sampai"), name=_field("nama"), hours=hours, as_user=current_user.login
        )
    except (InvalidInput, Conflict) as exc:
        return _refused_change(exc, what)
    flash(
        _(
            "%(name)s: special office hours from %(first)s to %(last)s.",
            name=period.name,
            first=day_text(period.starts),
            last=day_text(period.ends),
        ),
        "ok",
    )
    return redirect(url_for("calendar.index"))


@bp.post("/jam-khusus/<int:period_id>/cabut")
@login_required
def revoke_hours(period_id: int):
    _administrators_only()
    what = _("Nothing was revoked")
    try:
        period = engine().revoke_special_hours(period_id, as_user=current_user.login)
    except (InvalidInput, Conflict) as exc:
        return _refused_change(exc, what)
    flash(_("%(name)s revoked: the regular office hours apply again.", name=period.name), "ok")
    return redirect(url_for("calendar.index"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
