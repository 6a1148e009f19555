"""Pages of the applicant's side: the receipt, public tracking, the SKM survey, and the IKM report.

* ``/permohonan/<id>/tanda-terima``: the receipt, printable (``receipt.css``),
  with a QR code to the tracking page; for the applicant and PTSP staff.
* ``/lacak``: public tracking by registration number and code, without
  logging in. A wrong number, a wrong code or a missing field get the same
  404 page; failures are limited per client address (429 with Retry-After).
  The QR code links here with both filled in (``?nomor=...&kode=...``).
* ``/permohonan/<id>/survei``: the SKM survey, once, after completion.
* ``/laporan/ikm`` (and ``.csv``): the IKM for the Kepala Kantor and auditors.

``PTSP_PUBLIC_URL`` (e.g. ``https://ptsp.kemenagjaksel.go.id``) sets the
address printed in the QR code; without it the request's own host is used.
``PTSP_TRACKING_MAX_FAILURES`` and ``PTSP_TRACKING_WINDOW_MINUTES`` tune the limit.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import segno
from flask import Blueprint, Flask, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from engine import Conflict, FormInvalid, InvalidInput, NotFound, PermissionDenied, TooManyAttempts
from engine import skm as skm_math
from engine.services.receipts import file_handed_in
from engine.services.throttle import Limit
from engine.services.tracking import TrackingPolicy

from . import periods
from .auth import engine
from .i18n import field_error
from .views import now

bp = Blueprint("applicant", __name__)

# segno's options for the receipt's QR code (tests regenerate it with the same ones)
QR_ERROR = "m"
QR_SVG = {"scale": 4, "border": 4, "svgclass": "qr", "lineclass": "qr-line"}

# The SOP's steps in the office's words, for the public timeline.
STEP_DONE = {
    1: _l("Enquiry about the service"),
    2: _l("The type and standard of the service explained"),
    3: _l("File handed in"),
    4: _l("File checked"),
    5: _l("Disposition by the Kepala Kantor to the Kasubag"),
    6: _l("Disposition by the Kasubag to the section (Kasi)"),
    7: _l("Service processed, initialled and signed"),
    8: _l("Signed product received at the PTSP desk"),
    9: _l("Product handed over to the applicant"),
}
STEP_WAITING = {
    1: _l("Waiting for the enquiry about the service"),
    2: _l("Waiting for the explanation of the service and its standard"),
    3: _l("Waiting for the file to be handed in"),
    4: _l("The file is being checked for completeness"),
    5: _l("Waiting for the disposition by the Kepala Kantor"),
    6: _l("Waiting for the disposition by the Kasubag"),
    7: _l("The service is being processed"),
    8: _l("The product is being prepared for handover"),
    9: _l("The product is ready to be collected"),
}
OUTCOMES = {
    (3, "again"): _l("Missing documents handed in"),
    (4, "complete"): _l("File checked: complete, forwarded to the Kepala Kantor"),
    (4, "incomplete"): _l("File returned to be completed"),
}
PHASES = {
    "in_progress": _l("In progress"),
    "returned": _l("Returned: the file is not complete"),
    "ready": _l("The product is ready to be collected"),
    "handed_over": _l("The product has been handed over"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}

# PermenPANRB 14/2017: the nine elements, and the four answers of each (1 to 4) in its wording.
ELEMENTS = {
    "u1": _l("Requirements"),
    "u2": _l("Systems, mechanisms and procedures"),
    "u3": _l("Completion time"),
    "u4": _l("Cost/fee"),
    "u5": _l("Product specification of the type of service"),
    "u6": _l("Competence of the staff"),
    "u7": _l("Conduct of the staff"),
    "u8": _l("Handling of complaints, suggestions and feedback"),
    "u9": _l("Facilities and infrastructure"),
}
QUESTIONS = {
    "u1": _l("How well do the requirements match the type of service?"),
    "u2": _l("How easy is the procedure of this service?"),
    "u3": _l("How fast was the service delivered?"),
    "u4": _l("How reasonable is the cost/fee of the service?"),
    "u5": _l("How well does the product you received match the service standard?"),
    "u6": _l("How competent were the staff who served you?"),
    "u7": _l("How polite and friendly were the staff who served you?"),
    "u8": _l("How are complaints, suggestions and feedback handled?"),
    "u9": _l("How good are the facilities and infrastructure?"),
}
ANSWERS = {
    "u1": (_l("Not appropriate"), _l("Less appropriate"), _l("Appropriate"), _l("Very appropriate")),
    "u2": (_l("Not easy"), _l("Less easy"), _l("Easy"), _l("Very easy")),
    "u3": (_l("Not fast"), _l("Less fast"), _l("Fast"), _l("Very fast")),
    "u4": (_l("Very expensive"), _l("Rather expensive"), _l("Cheap"), _l("Free")),
    "u5": (_l("Not appropriate"), _l("Less appropriate"), _l("Appropriate"), _l("Very appropriate")),
    "u6": (_l("Not competent"), _l("Less competent"), _l("Competent"), _l("Very competent")),
    "u7": (
        _l("Not polite and friendly"),
        _l("Less polite and friendly"),
        _l("Polite and friendly"),
        _l("Very polite and friendly"),
    ),
    "u8": (
        _l("Not available"),
        _l("Available but not working"),
        _l("Working but not fully"),
        _l("Well managed"),
    ),
    "u9": (_l("Poor"), _l("Fair"), _l("Good"), _l("Very good")),
}
QUALITY = {
    "very_good": _l("Very good"),
    "good": _l("Good"),
    "poor": _l("Less than good"),
    "bad": _l("Not good"),
}


def _refused(exc: Exception):
    if isinstance(exc, PermissionDenied):
        abort(403)
    abort(404)


# ------------------------------------------------------------------------------ receipt
def public_url(endpoint: str, **values: Any) -> str:
    """An absolute address of this site: ``PTSP_PUBLIC_URL`` when set, else the request's own host."""
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return str(base).rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def qr_svg(data: str, title: str | None = None) -> Markup:
    """``data`` as a QR code in inline SVG (no style attributes: the page's CSP allows none)."""
    code = segno.make(data, error=QR_ERROR, micro=False)
    return Markup(code.svg_inline(title=title, **QR_SVG))


@bp.get("/permohonan/<int:instance_id>/tanda-terima")
@login_required
def receipt(instance_id: int):
    try:
        found = engine().receipt(instance_id, as_user=current_user.login)
    except (NotFound, PermissionDenied) as exc:
        _refused(exc)
    url = public_url("applicant.track", nomor=found.registration, kode=found.tracking_code)
    qr = qr_svg(url, title=_("Tracking address of %(registration)s", registration=found.registration))
    response = Response(
        render_template("receipt.html", receipt=found, qr=qr, track_page=public_url("applicant.track"), now=now())
    )
    response.headers["Cache-Control"] = "no-store"  # it carries the tracking code
    return response


# ----------------------------------------------------------------------------- tracking
def _tracking_policy() -> TrackingPolicy:
    return current_app.extensions["ptsp_tracking_throttle"]


def _wait(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return format_timedelta(timedelta(minutes=minutes), granularity="minute", threshold=10_000, add_direction=False)


@bp.route("/lacak", methods=["GET", "POST"])
def track():
    source = request.form if request.method == "POST" else request.args
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    if request.method == "GET" and "nomor" not in source and "kode" not in source:
        return render_template("track.html", view=None, outcome=None), 200, headers
    try:
        view = engine().track(
            source.get("nomor"), source.get("kode"), address=request.remote_addr, policy=_tracking_policy()
        )
    except NotFound:
        return render_template("track.html", view=None, outcome="not_found"), 404, headers
    except TooManyAttempts as refused:
        message = _(
            "Too many unsuccessful look-ups from your address. Try again in %(time)s.", time=_wait(refused.retry_after)
        )
        headers["Retry-After"] = str(refused.retry_after)
        return render_template("track.html", view=None, outcome="limited", message=message), 429, headers
    return render_template("track.html", view=view, outcome="found"), 200, headers


def entry_text(entry: Any) -> str:
    """A public timeline entry in the office's words."""
    if entry.kind == "filed":
        return _("Application registered")
    if entry.kind == "completed":
        return _("Application completed")
    if entry.kind == "cancelled":
        return _("Application cancelled")
    if entry.kind == "waiting":
        label = STEP_WAITING.get(entry.sop_step)
        return str(label) if label else _("At step %(step)s", step=entry.sop_step)
    label = OUTCOMES.get((entry.sop_step, entry.outcome)) or STEP_DONE.get(entry.sop_step)
    return str(label) if label else _("Step %(step)s done", step=entry.sop_step)


# ------------------------------------------------------------------------------- survey
@bp.route("/permohonan/<int:instance_id>/survei", methods=["GET", "POST"])
@login_required
def survey(instance_id: int):
    eng = engine()
    try:
        state = eng.skm_status(instance_id, as_user=current_user.login)
    except (NotFound, PermissionDenied) as exc:
        _refused(exc)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    refused = None
    status = 200
    if request.method == "POST":
        values = {code: request.form.get(code) for code in skm_math.CODES}
        suggestion = request.form.get("suggestion")
        values["suggestion"] = suggestion
        try:
            eng.submit_skm(instance_id, as_user=current_user.login, answers=values_of(values), suggestion=suggestion)
        except FormInvalid as exc:
            errors = {e.field: field_error(e.code, e.message, e.params) for e in exc.errors}
            status = 422
        except Conflict:
            state = eng.skm_status(instance_id, as_user=current_user.login)
            refused = (
                _("You already filled the survey of this application; it is filled once. Nothing was changed.")
                if state.submitted_at
                else _("The survey opens when the application is completed and the product handed over.")
            )
            status = 409
        except InvalidInput as exc:
            refused, status = exc.message, 400
        except (NotFound, PermissionDenied) as exc:
            _refused(exc)
        else:
            flash(
                _("Thank you: your survey for %(registration)s is recorded.", registration=state.registration),
                "success",
            )
            return redirect(url_for("views.application", instance_id=instance_id))
    context = {
        "state": state,
        "values": values,
        "errors": errors,
        "refused": refused,
        "elements": ELEMENTS,
        "questions": QUESTIONS,
        "answers": ANSWERS,
        "codes": skm_math.CODES,
        "max_suggestion": skm_math.SUGGESTION_LENGTH,
    }
    return render_template("skm.html", **context), status


def values_of(form: dict[str, Any]) -> dict[str, Any]:
    """The answers as posted, the empty ones left out (the engine names what is missing)."""
    return {code: form[code] for code in skm_math.CODES if form.get(code)}


# --------------------------------------------------------------------------- IKM report
def _report():
    """The report for the query's days (this month in WIB by default), or what was wrong with them."""
    errors: dict[str, str] = {}
    first, last = periods.report_days(request.args, errors, now())
    report = problem = None
    if not errors:
        try:
            report = engine().ikm_report(periods.start_of(first), periods.end_of(last), as_user=current_user.login)
        except InvalidInput:
            problem = _("The period ends before it begins.")
        except PermissionDenied:
            abort(403)
    return report, first, last, errors, problem


def _ikm_readers_only() -> None:
    if not (current_user.is_auditor or "Kepala Kantor" in current_user.lanes):
        abort(403)


@bp.get("/laporan/ikm")
@login_required
def ikm():
    _ikm_readers_only()
    report, first, last, errors, problem = _report()
    query = {"dari": first.isoformat(), "sampai": last.isoformat()}
    values = query | {k: request.args[k] for k in ("dari", "sampai") if request.args.get(k)}
    context = {
        "report": report,
        "first": first,
        "last": last,
        "query": query,
        "values": values,
        "errors": errors,
        "problem": problem,
        "elements": ELEMENTS,
        "codes": skm_math.CODES,
        "quality": QUALITY,
    }
    return render_template("ikm_report.html", **context), 400 if errors or problem else 200


@bp.get("/laporan/ikm.csv")
@login_required
def ikm_csv():
    _ikm_readers_only()
    report, first, last, errors, problem = _report()
    if report is None:
        message = problem or "; ".join(errors.values())
        return render_template("error.html", code=400, message=message), 400
    name = f"laporan-ikm-{first.isoformat()}-{last.isoformat()}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(report_csv(report), mimetype="text/csv", headers=headers)


def report_csv(report: Any) -> str:
    """One row per service and one for all services: respondents, each element's NRR, NRR tertimbang, IKM, quality."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            _("Service"),
            _("Service code"),
            _("Respondents"),
            *[f"{code.upper()} {ELEMENTS[code]}" for code in skm_math.CODES],
            _("Weighted NRR"),
            _("IKM"),
            _("Quality"),
            _("Performance"),
        ]
    )
    rows = [(_("All services"), "", report.overall)] + [
        (s.service or "", s.service_code or "", s.result) for s in report.by_service
    ]
    for name, code, result in rows:
        if result.respondents == 0:
            continue
        writer.writerow(
            [
                name,
                code,
                result.respondents,
                *[str(skm_math.rounded(v, 3)) for v in result.element_nrr],
                str(skm_math.rounded(result.weighted, 3)),
                str(skm_math.rounded(result.ikm, 2)),
                result.letter,
                str(QUALITY[result.quality]),
            ]
        )
    return out.getvalue()


# ------------------------------------------------------------------------- template words
def number(value: Fraction | Decimal | float | None, places: int = 2) -> str:
    """A score rounded half-up, written in the UI's language (3,25 in Indonesian)."""
    if value is None:
        return "-"
    rounded = skm_math.rounded(Fraction(value) if isinstance(value, float) else value, places)
    return format_decimal(rounded, format="#,##0." + "0" * places)


def init_app(app: Flask) -> None:
    window = app.config.get("TRACKING_WINDOW_MINUTES", 15)
    attempts = app.config.get("TRACKING_MAX_FAILURES", 20)
    for name, value in (("TRACKING_WINDOW_MINUTES", window), ("TRACKING_MAX_FAILURES", attempts)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RuntimeError(f"PTSP_{name} must be a whole number of at least 1, not {value!r}")
    limit = Limit(attempts, timedelta(minutes=window))
    app.extensions["ptsp_tracking_throttle"] = TrackingPolicy(limit, keep=max(timedelta(days=1), limit.window))
    app.jinja_env.globals["receipt_ready"] = file_handed_in
    app.jinja_env.filters["tracking_entry"] = entry_text
    app.jinja_env.filters["skm_number"] = number
    app.jinja_env.globals["TRACKING_PHASES"] = PHASES
    app.register_blueprint(bp)
