"""The pages: lane lists, the task page, the applicant's side, the dashboard, the diagram."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from engine import Conflict, FormInvalid, NotFound, PermissionDenied, PtspError
from engine.model import APPLICANT_LANE, KNOWN_LANES, SEKSI_LANE

from .auth import engine
from .i18n import field_error

bp = Blueprint("views", __name__)

SLUGS = {lane: lane.lower().replace(" ", "-") for lane in KNOWN_LANES}
LANES_BY_SLUG = {slug: lane for lane, slug in SLUGS.items()}


def now():
    return engine().ctx.clock.now()


@bp.app_template_filter("lane_slug")
def lane_slug(lane: str) -> str:
    return SLUGS.get(lane, lane)


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.is_auditor:
        return redirect(url_for("audit.applications"))
    if current_user.staff_lanes:
        return redirect(url_for("views.lanes"))
    if current_user.is_process_owner:
        return redirect(url_for("versions.index"))
    return redirect(url_for("views.applications"))


def _staff_only() -> None:
    if not current_user.staff_lanes:
        abort(403)


# ------------------------------------------------------------------ staff
@bp.get("/tugas")
@login_required
def lanes():
    _staff_only()
    eng = engine()
    counts = eng.user_lane_counts(as_user=current_user.login, lanes=list(current_user.staff_lanes))
    return render_template("lanes.html", counts=counts, seksi=eng.seksi_of(current_user.login))


@bp.get("/tugas/lajur/<slug>")
@login_required
def lane(slug: str):
    lane_name = LANES_BY_SLUG.get(slug)
    if lane_name is None or lane_name == APPLICANT_LANE:
        abort(404)
    if lane_name not in current_user.lanes:
        abort(403)
    raw = request.args.get("halaman", "1")
    page = int(raw) if re.fullmatch(r"[0-9]{1,5}", raw) and int(raw) > 0 else 1
    size = current_app.config["PAGE_SIZE"]
    found = engine().tasks(lane=lane_name, as_user=current_user.login, limit=size + 1, offset=(page - 1) * size)
    context = {
        "lane": lane_name,
        "seksi": engine().seksi_of(current_user.login) if lane_name == SEKSI_LANE else None,
        "slug": slug,
        "tasks": found[:size],
        "page": page,
        "has_next": len(found) > size,
        "now": now(),
    }
    if request.args.get("potongan") == "1":  # the table alone, for the list's own refresh
        return render_template("_task_table.html", **context)
    return render_template("lane.html", **context)


@bp.route("/tugas/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: str):
    eng = engine()
    try:
        detail = eng.task(task_id, as_user=current_user.login)
    except NotFound:
        abort(404)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {
            f.id: request.form.getlist(f.id) if f.type == "checklist" else request.form.get(f.id)
            for f in detail.form.fields
            if f.id in request.form
        }
        try:
            result = eng.complete(task_id, as_user=current_user.login, data=values)
        except FormInvalid as exc:
            errors = {e.field: field_error(e.code, e.message, e.params) for e in exc.errors}
            status = 422
        except Conflict:
            flash(_("This task was already completed (or changed by someone else); nothing was changed."), "warning")
            return redirect(_back_to(detail.summary.lane, detail.summary.instance))
        except PermissionDenied:
            abort(403)
        except PtspError as exc:
            flash(_("The task could not be completed: %(reason)s", reason=exc.message), "error")
            status = 422
        else:
            flash(
                _(
                    "“%(task)s” for %(registration)s is done.",
                    task=detail.summary.name,
                    registration=result.registration,
                ),
                "success",
            )
            return redirect(_back_to(detail.summary.lane, detail.summary.instance))
    info = eng.show(detail.summary.instance, as_user=current_user.login)
    history = eng.history(detail.summary.instance, as_user=current_user.login)
    return render_template(
        "task.html", detail=detail, info=info, history=history, values=values, errors=errors, now=now()
    ), status


def _back_to(lane: str | None, instance: int) -> str:
    if lane and lane != APPLICANT_LANE and lane in current_user.lanes:
        return url_for("views.lane", slug=SLUGS[lane])
    return url_for("views.application", instance_id=instance)


@bp.get("/dasbor")
@login_required
def dashboard():
    if not current_user.is_supervisor:
        abort(403)
    counts = engine().lane_counts([lane for lane in KNOWN_LANES if lane != APPLICANT_LANE])
    return render_template("dashboard.html", counts=counts, seksi_counts=engine().seksi_counts(), now=now())


# -------------------------------------------------------------- applicants
@bp.get("/permohonan")
@login_required
def applications():
    if not current_user.is_applicant:
        abort(403)
    found = engine().applications(as_user=current_user.login)
    return render_template("applications.html", applications=found, now=now())


@bp.route("/permohonan/baru", methods=["GET", "POST"])
@login_required
def new_application():
    if not current_user.is_applicant:
        abort(403)
    form = engine().start_form()
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {f.id: request.form.get(f.id) for f in form.fields if f.id in request.form}
        try:
            started = engine().start(as_user=current_user.login, data=values)
        except FormInvalid as exc:
            errors = {e.field: field_error(e.code, e.message, e.params) for e in exc.errors}
        except PtspError as exc:
            flash(exc.message, "error")
        else:
            flash(
                _("Application %(registration)s is filed. Fill in step 1 below.", registration=started.registration),
                "success",
            )
            return redirect(url_for("views.application", instance_id=started.instance))
        return render_template("new_application.html", form=form, values=values, errors=errors), 422
    return render_template("new_application.html", form=form, values=values, errors=errors)


@bp.get("/permohonan/<int:instance_id>")
@login_required
def application(instance_id: int):
    eng = engine()
    try:
        info = eng.show(instance_id, as_user=current_user.login)
        history = eng.history(instance_id, as_user=current_user.login)
    except NotFound:
        abort(404)
    return render_template("application.html", info=info, history=history, now=now())


@bp.get("/permohonan/<int:instance_id>/diagram.svg")
@login_required
def diagram(instance_id: int):
    try:
        svg = engine().diagram_svg(instance_id, as_user=current_user.login, lang=_lang())
    except NotFound:
        abort(404)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


def _lang() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "id")


API_ERRORS = {
    400: ("bad_request", "the request could not be understood"),
    403: ("forbidden", "not allowed"),
    404: ("not_found", "no such resource"),
    405: ("method_not_allowed", "this resource does not accept that method"),
    500: ("internal_error", "the server failed; nothing was changed"),
    503: (
        "unavailable",
        "the database cannot be reached; try again shortly (read a task again before completing it once more: "
        "a completion sent as the database went away may have been recorded)",
    ),
}


def _error_page(code: int, message: str):
    if request.path.startswith("/api/"):
        from .api import error

        return error(code, *API_ERRORS[code])
    try:
        return render_template("error.html", code=code, message=message), code
    except Exception:  # the error page must not fail in turn (a database down, say)
        return message, code, {"Content-Type": "text/plain; charset=utf-8"}


@bp.app_errorhandler(403)
def forbidden(_error):
    return _error_page(403, _("You may not open this page."))


@bp.app_errorhandler(404)
def not_found(_error):
    return _error_page(404, _("This page does not exist."))


# An engine refusal that reaches a page (the API answers its own in JSON) is
# the page "you may not" or "does not exist", never a 500.
@bp.app_errorhandler(PermissionDenied)
def refused(exc: PermissionDenied):
    return forbidden(exc)


@bp.app_errorhandler(NotFound)
def missing(exc: NotFound):
    return not_found(exc)


@bp.app_errorhandler(405)
def not_allowed(_error):
    return _error_page(405, _("This page does not accept that kind of request."))


@bp.app_errorhandler(CSRFError)
def csrf_failed(_error):
    return _error_page(
        400, _("The form has expired or did not come from this site. Go back, reload the page and send it again.")
    )


@bp.app_errorhandler(400)
def bad_request(_error):
    return _error_page(400, _("The request could not be understood."))


@bp.app_errorhandler(500)
def server_error(_error):
    return _error_page(500, _("Something went wrong on our side; nothing was changed. Please try again."))


@bp.app_errorhandler(DBAPIError)
def database_unavailable(error: DBAPIError):
    """The database is restarting or unreachable: a clean 503 that says to try again, never a 500."""
    if not error.connection_invalidated and not isinstance(error, OperationalError | InterfaceError):
        raise error  # a real bug: the 500 handler logs it
    current_app.logger.warning("database unavailable: %s", str(error.orig).strip().splitlines()[0][:200])
    response = _error_page(
        503,
        _(
            "The database cannot be reached right now. Please try again in a moment; "
            "if you were completing a task, open it again to see whether it was recorded."
        ),
    )
    response = make_response(response)
    response.headers["Retry-After"] = "5"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
