"""Pages for the catalogue: the services of the office and their standards (Jenis Layanan).

Every logged-in user reads the list: applicants see what each service needs
before they apply, and which ones (hajj, umrah) are served elsewhere. A
process owner (Pemilik Proses) edits one service, adds or removes one; each
save is a new version with a note, and any version's YAML can be downloaded
to commit back to ``processes/services.yaml``. The engine decides who may
change what; a refused change changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.catalogue import CatalogueInvalid, fields_of
from engine.model import SEKSI

from .auth import engine
from .problems import problem_text
from .versions import lang

bp = Blueprint("catalogue", __name__, url_prefix="/layanan")

FIELDS = (
    "code",
    "name",
    "seksi",
    "persyaratan",
    "produk",
    "standard",
    "biaya",
    "dasar_hukum",
    "keterangan",
    "referral",
)
CODE_PATTERN = r"[a-z0-9][a-z0-9_]{0,39}"


def _owners_only() -> None:
    if not current_user.is_process_owner:
        abort(403)


def _readers_of_versions() -> None:
    if not (current_user.is_process_owner or current_user.is_auditor):
        abort(403)


def _base_version() -> int | None:
    raw = request.form.get("versi", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.get("")
@login_required
def index():
    found = engine().catalogue(as_user=current_user.login)
    return render_template("catalogue.html", view=found, catalogue=found.catalogue)


@bp.get("/versi")
@login_required
def versions():
    _readers_of_versions()
    return render_template("catalogue_versions.html", versions=engine().catalogue_versions(as_user=current_user.login))


@bp.get("/versi/<int:version>/yaml")
@login_required
def download(version: int):
    _readers_of_versions()
    try:
        found = engine().catalogue_file(version, as_user=current_user.login)
    except NotFound:
        abort(404)
    headers = {"Content-Disposition": f'attachment; filename="{found.filename}"', "Cache-Control": "no-store"}
    return Response(found.content, mimetype="application/yaml", headers=headers)


def _edit_page(code: str | None, values: dict[str, Any], version: int | None, problems=(), status: int = 200):
    texts = [{"line": p.line, "element": p.element, "text": problem_text(p, lang())} for p in problems]
    page = render_template(
        "catalogue_edit.html",
        code=code,
        values=values,
        version=version,
        problems=texts,
        seksi=SEKSI,
        code_pattern=CODE_PATTERN,
    )
    return page, status


def _save(code: str | None):
    values = {name: request.form.get(name, "") for name in FIELDS}
    note = request.form.get("catatan", "")
    values["catatan"] = note
    version = _base_version()
    try:
        info = engine().save_service(values, as_user=current_user.login, note=note, base_version=version, code=code)
    except CatalogueInvalid as exc:
        return _edit_page(code, values, version, exc.problems, 422)
    except PermissionDenied:
        abort(403)
    except NotFound:
        abort(404)
    except Conflict as exc:
        flash(_("Not saved: %(reason)s", reason=exc.message), "error")
        return _edit_page(code, values, version, (), 409)
    except InvalidInput as exc:
        flash(_("Not saved: %(reason)s", reason=exc.message), "error")
        return _edit_page(code, values, version, (), 422)
    flash(_("Saved as catalogue version %(version)s.", version=info.version), "ok")
    return redirect(url_for("catalogue.index") + f"#layanan-{code or values['code']}")


@bp.route("/baru", methods=["GET", "POST"])
@login_required
def add():
    _owners_only()
    if request.method == "POST":
        return _save(None)
    found = engine().catalogue(as_user=current_user.login)
    return _edit_page(None, fields_of(None), found.version)


@bp.route("/<code>/ubah", methods=["GET", "POST"])
@login_required
def edit(code: str):
    _owners_only()
    if request.method == "POST":
        return _save(code)
    found = engine().catalogue(as_user=current_user.login)
    service = found.catalogue.get(code)
    if service is None:
        abort(404)
    return _edit_page(code, fields_of(service), found.version)


@bp.post("/<code>/hapus")
@login_required
def remove(code: str):
    _owners_only()
    note = request.form.get("catatan", "")
    try:
        info = engine().remove_service(code, as_user=current_user.login, note=note, base_version=_base_version())
    except PermissionDenied:
        abort(403)
    except NotFound:
        abort(404)
    except (InvalidInput, Conflict) as exc:
        flash(_("Not removed: %(reason)s", reason=exc.message), "error")
        return redirect(url_for("catalogue.index") + f"#layanan-{code}")
    flash(_("Removed; saved as catalogue version %(version)s.", version=info.version), "ok")
    return redirect(url_for("catalogue.index"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
