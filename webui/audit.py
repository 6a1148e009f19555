"""The auditor's pages: the application list, replay, exports, and the SLA report.

Auditors read everything and change nothing; the Kepala Kantor reads the SLA
report too (the engine enforces both rules; the checks here only spare a
pointless query). Each view parses its query string, makes one engine call and
renders the plain result. Dates in a query string are days in WIB: a period
``dari``..``sampai`` runs from the first day's 00.00 WIB to the end of the
last day. A value the engine refuses comes back as a 400 page naming it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, stream_with_context
from flask_babel import format_date, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from engine import InvalidInput, NotFound, PtspError
from engine.audit.exports import FORMATS
from engine.audit.sla import duration_label, standard_label
from engine.audit.sla_render import report_csv, report_svg
from engine.model import KNOWN_LANES
from engine.services.audit_reads import STATUSES, AuditFilter

from . import periods
from .auth import engine
from .views import now

bp = Blueprint("audit", __name__)

FILTERS = ("layanan", "dari", "sampai", "status", "pelanggaran", "lajur", "cari")
BREACH = {"ya": True, "tidak": False}
CHECKS = {
    "chain": _l("the hash chain is broken"),
    "reexecution": _l("re-executing the history gives a different result"),
}


def lang() -> str:
    return str(get_locale() or "id")


# ------------------------------------------------------------ query parsing
def _whole(raw: str | None, pattern: str = r"-?[0-9]{1,9}") -> int | None:
    return int(raw) if raw is not None and re.fullmatch(pattern, raw.strip()) else None


def _filled(args: MultiDict, names: tuple[str, ...]) -> dict[str, str]:
    """The non-empty parameters among ``names``, to carry into links (pages, downloads)."""
    return {name: args[name] for name in names if args.get(name)}


def _auditor_only() -> None:
    if not current_user.is_auditor:
        abort(403)


def _report_readers_only() -> None:
    if not current_user.reads_sla_report:
        abort(403)


def _attachment(body: Any, media_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    return Response(body, mimetype=media_type, headers=headers)


# ------------------------------------------------------- the application list
@bp.get("/audit")
@login_required
def applications():
    _auditor_only()
    args = request.args
    errors: dict[str, str] = {}
    since, until = periods.period(args, errors)
    breached = args.get("pelanggaran") or ""
    if breached and breached not in BREACH:
        errors["pelanggaran"] = _("Choose yes, no or all.")
    filters = AuditFilter(
        service=args.get("layanan") or None,
        since=since,
        until=until,
        status=args.get("status") or None,
        breached=BREACH.get(breached),
        lane=args.get("lajur") or None,
        search=(args.get("cari") or "").strip() or None,
    )
    page = max(_whole(args.get("halaman"), r"[0-9]{1,5}") or 1, 1)
    size = current_app.config["PAGE_SIZE"]
    rows: list[Any] = []
    total = 0
    problem = None
    if not errors:
        try:
            rows, total = engine().audit_applications(
                filters, as_user=current_user.login, limit=size, offset=(page - 1) * size
            )
        except InvalidInput as exc:
            problem = exc.message
    context = {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": max((total + size - 1) // size, 1),
        "query": _filled(args, FILTERS),
        "values": args,
        "errors": errors,
        "problem": problem,
        "services": engine().audit_services(as_user=current_user.login),
        "statuses": STATUSES,
        "lanes": KNOWN_LANES,
    }
    return render_template("audit_list.html", **context), 400 if errors or problem else 200


# ------------------------------------------------------------------- replay
def _position() -> int | None:
    """``?peristiwa=N`` (1-based; the engine clamps it to the history); the newest event without it."""
    return _whole(request.args.get("peristiwa"))


@bp.get("/audit/<int:instance_id>")
@login_required
def replay(instance_id: int):
    _auditor_only()
    view = engine().audit_replay(instance_id, _position(), as_user=current_user.login)
    return render_template("audit_replay.html", view=view, frame=view.frame, checks=CHECKS, formats=FORMATS)


@bp.get("/audit/<int:instance_id>/diagram.svg")
@login_required
def diagram(instance_id: int):
    _auditor_only()
    svg = engine().audit_diagram_svg(instance_id, _position(), as_user=current_user.login, lang=lang())
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------- export
def _export_name(fmt: str, number: str | None, args: MultiDict) -> str:
    parts = ["riwayat", number or "ptsp", *(args[name] for name in ("dari", "sampai") if args.get(name))]
    stem = re.sub(r"[^A-Za-z0-9]+", "-", "-".join(parts)).strip("-").lower()
    return FORMATS[fmt].filename(stem)


@bp.get("/audit/ekspor")
@login_required
def export():
    _auditor_only()
    args = request.args
    errors: dict[str, str] = {}
    problem = None
    status = 200
    if "format" in args:
        fmt = args.get("format", "")
        if fmt not in FORMATS:
            errors["format"] = _("Choose one of the formats.")
        since, until = periods.period(args, errors)
        number = (args.get("nomor") or "").strip() or None
        if not errors:
            try:
                chunks = engine().audit_export(
                    fmt, since=since, until=until, instance=number, as_user=current_user.login
                )
            except NotFound:
                errors["nomor"] = _("No application has this registration number.")
            except InvalidInput as exc:
                problem = exc.message
            else:
                # rows are read while the response is sent, on the engine's own connection
                return _attachment(
                    stream_with_context(chunks), FORMATS[fmt].media_type, _export_name(fmt, number, args)
                )
        status = 404 if "nomor" in errors else 400
    return render_template("audit_export.html", formats=FORMATS, values=args, errors=errors, problem=problem), status


# --------------------------------------------------------------- SLA report
def _report_period(errors: dict[str, str]) -> tuple[date, date]:
    return periods.report_days(request.args, errors, now())


def _report():
    """The report for the query's period, or the reason it could not be made (as form errors)."""
    errors: dict[str, str] = {}
    first, last = _report_period(errors)
    report = problem = None
    if not errors:
        try:
            report = engine().sla_report(periods.start_of(first), periods.end_of(last), as_user=current_user.login)
        except InvalidInput as exc:
            problem = exc.message
    return report, first, last, errors, problem


def _refused_period(errors: dict[str, str], problem: str | None):
    message = problem or "; ".join(errors.values())
    return render_template("error.html", code=400, message=message), 400


@bp.get("/laporan/sla")
@login_required
def sla():
    _report_readers_only()
    report, first, last, errors, problem = _report()
    query = {"dari": first.isoformat(), "sampai": last.isoformat()}
    values = query | _filled(request.args, ("dari", "sampai"))  # what was typed stays, even when refused
    context = {
        "report": report,
        "first": first,
        "last": last,
        "query": query,
        "errors": errors,
        "problem": problem,
        "values": values,
    }
    return render_template("sla_report.html", **context), 400 if errors or problem else 200


@bp.get("/laporan/sla.svg")
@login_required
def sla_svg():
    _report_readers_only()
    report, _first, _last, errors, problem = _report()
    if report is None:
        return _refused_period(errors, problem)
    return Response(report_svg(report, lang()), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("/laporan/sla.csv")
@login_required
def sla_csv():
    _report_readers_only()
    report, first, last, errors, problem = _report()
    if report is None:
        return _refused_period(errors, problem)
    name = f"laporan-sla-{first.isoformat()}-{last.isoformat()}.csv"
    return _attachment(report_csv(report, lang()), "text/csv", name)


# ------------------------------------------------------------ words, numbers
def duration(span: timedelta | None) -> str:
    return duration_label(span, lang()) if span is not None else "-"


def standard(iso: str | None) -> str:
    """A time standard as written in the diagram, in words (as written when it is not a duration)."""
    if not iso:
        return "-"
    try:
        return standard_label(iso, lang())
    except (PtspError, ValueError):  # not an ISO duration (a timeDate standard, say)
        return iso


def share(value: float | None) -> str:
    return format_percent(value, "#,##0.#%") if value is not None else "-"


def day(value: date) -> str:
    return format_date(value, "d MMM yyyy")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["standard"] = standard
    app.jinja_env.filters["share"] = share
    app.jinja_env.filters["day"] = day
    app.register_blueprint(bp)
