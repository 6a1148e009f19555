"""The process owner's pages: versions, upload, preview with diff, activation, download, migration.

A process owner (Pemilik Proses) uploads a .bpmn file as the modeler saved
it. An invalid file is refused with every problem listed (line, element,
what to do, in the reader's language) and nothing is stored. A valid one
becomes a new, inactive version, shown with its differences from the
active version, listed and marked on the diagram; activating it (with a
change note) puts it into service for new applications. Running
applications move only through a migration, tried as a dry run first.
Auditors may read these pages; the engine enforces who may change what.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from engine import Conflict, DefinitionInvalid, InvalidInput
from engine.definitions import MAX_BYTES

from .auth import engine
from .problems import problem_text

bp = Blueprint("versions", __name__, url_prefix="/proses")

MAX_NOTE = 2000
# (section, kind) -> what the change is called on the page; a kind not named here shows as it is
SECTIONS = {
    "tasks": _l("Task"),
    "lanes": _l("Lane"),
    "timers": _l("Time standard"),
    "forms": _l("Form field"),
    "flows": _l("Flow"),
    "gateways": _l("Gateway or event"),
}
KINDS = {
    "added": _l("added"),
    "removed": _l("removed"),
    "renamed": _l("renamed"),
    "moved": _l("moved to another lane"),
    "sop_step": _l("SOP step changed"),
    "mutu_baku": _l("quality standard (Mutu Baku) changed"),
    "retyped": _l("type changed"),
    "changed": _l("standard changed"),
    "reattached": _l("attached to another task"),
    "interrupting": _l("interrupting changed"),
    "field_added": _l("field added"),
    "field_removed": _l("field removed"),
    "required": _l("required changed"),
    "label": _l("label changed"),
    "options_added": _l("options added"),
    "options_removed": _l("options removed"),
    "options_renamed": _l("option renamed"),
    "default": _l("default changed"),
    "constraints": _l("validation changed"),
    "rerouted": _l("rerouted"),
    "condition": _l("condition changed"),
}


def lang() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "id")


def _readers_only() -> None:
    if not (current_user.is_process_owner or current_user.is_auditor):
        abort(403)


def _owners_only() -> None:
    if not current_user.is_process_owner:
        abort(403)


def _shown(value: Any) -> str:
    """A changed value as a short text: a field as 'label (type, required)', ends of a flow as 'a → b'."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dict):
        if "label" in value and "type" in value:
            extra = [value["type"]] + ([_("required")] if value.get("required") else [])
            return f"{value['label']} ({', '.join(extra)})"
        if "source" in value and "target" in value:
            return f"{value.get('source_name') or value['source']} → {value.get('target_name') or value['target']}"
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def change_rows(found: Any) -> list[dict[str, Any]]:
    """The diff as table rows: what, which element, before, after."""
    rows = []
    for change in found.changes():
        extra = change.as_dict()
        where = extra.get("task_name") or extra.get("label")
        rows.append(
            {
                "section": SECTIONS.get(change.section, change.section),
                "kind": KINDS.get(change.kind, change.kind),
                "element": change.element,
                "name": change.name or change.element,
                "where": where if where and where != change.name else None,
                "field": extra.get("field"),
                "step": extra.get("sop_step"),
                "old": _shown(change.old),
                "new": _shown(change.new),
            }
        )
    return rows


# ------------------------------------------------------------------- the list
@bp.get("/versi")
@login_required
def index():
    _readers_only()
    return _index_page()


def _index_page(problems: list[Any] | None = None, refused_file: str | None = None, note: str = "", status=200):
    eng = engine()
    found = eng.versions(as_user=current_user.login)
    history = eng.activations(as_user=current_user.login, limit=20)
    texts = [
        {"line": p.line, "element": p.element, "name": getattr(p, "name", None), "text": problem_text(p, lang())}
        for p in problems or []
    ]
    body = render_template(
        "versions.html", versions=found, history=history, problems=texts, refused_file=refused_file, note=note
    )
    return body, status


@bp.post("/versi")
@login_required
def upload():
    _owners_only()
    if (request.content_length or 0) > MAX_BYTES + 64 * 1024:
        flash(_("The file is too large: a diagram may have at most 2 MiB."), "error")
        return redirect(url_for("versions.index"))
    part = request.files.get("berkas")
    note = (request.form.get("catatan") or "").strip()
    if part is None or not part.filename:
        flash(_("Choose a .bpmn file to upload."), "error")
        return redirect(url_for("versions.index"))
    name = re.sub(r"[^\w.\- ]", "_", part.filename)[:120]
    data = part.read(MAX_BYTES + 1)
    try:
        deployed = engine().deploy(data, as_user=current_user.login, note=note or None)
    except DefinitionInvalid as exc:
        return _index_page(exc.problems, refused_file=name, note=note, status=422)
    except InvalidInput as exc:
        flash(exc.message, "error")
        return redirect(url_for("versions.index"))
    if deployed.created:
        flash(_("Version %(version)s is stored. Check the changes, then activate it.", version=deployed.version), "ok")
    else:
        flash(_("This exact file is already version %(version)s.", version=deployed.version), "info")
    return redirect(url_for("versions.show", version=deployed.version))


# ----------------------------------------------------------- one version
def _version(version: int) -> Any:
    for found in engine().versions(as_user=current_user.login):
        if found.version == version:
            return found
    abort(404)


@bp.get("/versi/<int:version>")
@login_required
def show(version: int):
    _readers_only()
    eng = engine()
    info = _version(version)
    versions = eng.versions(as_user=current_user.login)
    active = next((v for v in versions if v.active), None)
    against = request.args.get("banding", type=int)
    if against is None or not any(v.version == against for v in versions):
        against = active.version if active is not None and active.version != version else None
        if against is None:  # the active version itself: compare with the one before it
            older = [v.version for v in versions if v.version < version]
            against = max(older) if older else None
    rows = change_rows(eng.version_diff(against, version, as_user=current_user.login)) if against else []
    movable = [v for v in versions if v.version != version and v.running_instances]
    return render_template(
        "version.html",
        info=info,
        versions=versions,
        active=active,
        against=against,
        rows=rows,
        movable=movable,
    )


@bp.get("/versi/<int:version>/diagram.svg")
@login_required
def diagram(version: int):
    _readers_only()
    against = request.args.get("banding", type=int)
    svg = engine().version_svg(version, against=against, as_user=current_user.login, lang=lang())
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("/versi/<int:version>/bpmn")
@login_required
def download(version: int):
    _readers_only()
    found = engine().definition_file(version, as_user=current_user.login)
    headers = {"Content-Disposition": f'attachment; filename="{found.filename}"', "Cache-Control": "no-store"}
    return Response(found.data, mimetype="application/xml", headers=headers)


@bp.post("/versi/<int:version>/aktifkan")
@login_required
def activate(version: int):
    _owners_only()
    note = request.form.get("catatan", "")
    if not note.strip():
        flash(_("Write a change note: what changed and why."), "error")
        return redirect(url_for("versions.show", version=version))
    try:
        engine().activate(version, as_user=current_user.login, note=note)
    except (InvalidInput, Conflict) as exc:
        flash(_("Not activated: %(reason)s", reason=exc.message), "error")
        return redirect(url_for("versions.show", version=version))
    flash(_("Version %(version)s is active: new applications start on it.", version=version), "ok")
    return redirect(url_for("versions.index"))


# ------------------------------------------------------------ migration
@bp.post("/versi/<int:version>/migrasi")
@login_required
def migrate(version: int):
    """``mode=uji``: the dry run, listed; ``mode=jalankan``: move the confirmed applications that still may."""
    _owners_only()
    source = request.form.get("dari", type=int)
    mode = request.form.get("mode")
    if source is None or mode not in ("uji", "jalankan"):
        abort(400)
    eng = engine()
    if mode == "uji":
        reports = eng.plan_migration(source, version, as_user=current_user.login)
        done = False
    else:
        chosen = {int(v) for v in request.form.getlist("aplikasi") if v.isdigit() and len(v) < 10}
        reports = eng.migrate_version(source, version, as_user=current_user.login, only=chosen)
        done = True
        moved = sum(1 for r in reports if r.migrated)
        flash(_("%(moved)s application(s) moved to version %(version)s.", moved=moved, version=version), "ok")
    return render_template(
        "version_migration.html",
        target=version,
        source=source,
        reports=reports,
        done=done,
        safe=[r for r in reports if r.ok and not r.migrated],
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
