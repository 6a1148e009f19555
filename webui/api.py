"""The JSON API, ``/api/v1``: the same rules as the pages, for other programs.

Authentication is a bearer token (``ptsp token create LOGIN``). Every error is
``{"error": {"code", "message", "fields"?}}`` with the status that names it.
The OpenAPI document (``openapi.py``) describes exactly these routes; the tests
check every response against it.
"""

from __future__ import annotations

import json
import re
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, request

from engine import Conflict, DefinitionInvalid, FormInvalid, InvalidInput, NotFound, PermissionDenied, PtspError
from engine.definitions import MAX_BYTES
from engine.model import PROCESS_OWNER

from .auth import csrf, engine
from .openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

LANGUAGES = ("id", "en")
UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and headers around the file  # the diagram's labels and legend
STATUS = {
    InvalidInput: 400,
    NotFound: 404,
    PermissionDenied: 403,
    Conflict: 409,
    FormInvalid: 422,
    DefinitionInvalid: 422,
}


def error(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ptsp"'
    return response


def from_engine(exc: PtspError) -> Response:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            fields = exc.fields if isinstance(exc, FormInvalid) else None
            response = error(STATUS[cls], exc.code, exc.message, fields)
            if isinstance(exc, DefinitionInvalid):  # every problem, located, not only the first
                body = response.get_json()
                body["error"]["problems"] = [p.as_dict() for p in exc.problems]
                response.set_data(json.dumps(body))
            return response
    return error(422, exc.code, exc.message)  # the process could not continue with this data


def token_required(view):
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error(401, "unauthorized", "send Authorization: Bearer TOKEN (create one with ptsp token create)")
        user = engine().authenticate_token(token.strip())
        if user is None:
            return error(401, "unauthorized", "the token is unknown or revoked")
        g.api_user = user
        try:
            return view(*args, **kwargs)
        except PtspError as exc:
            return from_engine(exc)

    return wrapped


def _json_body() -> dict[str, Any]:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # the decoder recurses once per level: [[[[...]]]] runs out of stack
        raise InvalidInput("the request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise InvalidInput('the request body must be a JSON object, e.g. {"data": {...}}')
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise InvalidInput('"data" must be a JSON object of field values')
    if not _unicode_ok(data):
        raise InvalidInput('"data" contains text that is not valid Unicode (an unpaired \\uD800-\\uDFFF escape)')
    return data


def _unicode_ok(value: Any) -> bool:
    """JSON may escape a lone surrogate (\\ud800); no text containing one can be stored or hashed."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _task_json(task: Any, now: Any) -> dict[str, Any]:
    d = task.as_dict()
    keys = ("id", "instance", "registration", "name", "lane", "sop_step", "ready_at", "due_at", "status", "service")
    return {k: d[k] for k in keys} | {"overdue": task.overdue(now)}


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())


@bp.get("/tasks")
@token_required
def list_tasks() -> Response:
    lane = request.args.get("lane")  # absent: every lane the user works in; empty or unknown: refused
    limit = request.args.get("limit", "50")
    offset = request.args.get("offset", "0")
    if not re.fullmatch(r"[0-9]{1,3}", limit) or not re.fullmatch(r"[0-9]{1,6}", offset) or not 1 <= int(limit) <= 500:
        raise InvalidInput("limit must be 1 to 500 and offset a whole number below 1000000")
    eng = engine()
    found = eng.tasks(lane=lane, as_user=g.api_user.login, limit=int(limit), offset=int(offset))
    now = eng.ctx.clock.now()
    return jsonify({"tasks": [_task_json(t, now) for t in found]})


@bp.get("/tasks/<task_id>")
@token_required
def get_task(task_id: str) -> Response:
    eng = engine()
    detail = eng.task(task_id, as_user=g.api_user.login)
    body = detail.as_dict()
    body["overdue"] = detail.summary.overdue(eng.ctx.clock.now())
    return jsonify(body)


@bp.post("/tasks/<task_id>/complete")
@token_required
def complete_task(task_id: str) -> Response:
    data = _json_body()
    result = engine().complete(task_id, as_user=g.api_user.login, data=data)
    return jsonify(result.as_dict())


@bp.post("/instances")
@token_required
def start_instance() -> tuple[Response, int]:
    data = _json_body()
    started = engine().start(as_user=g.api_user.login, data=data)
    return jsonify({"id": started.instance, "registration": started.registration}), 201


@bp.get("/instances/<int:instance_id>")
@token_required
def get_instance(instance_id: int) -> Response:
    return jsonify(engine().show(instance_id, as_user=g.api_user.login).as_dict())


@bp.get("/instances/<int:instance_id>/history")
@token_required
def get_history(instance_id: int) -> Response:
    events = engine().history(instance_id, as_user=g.api_user.login)
    return jsonify({"events": [e.as_dict() for e in events]})


@bp.get("/instances/<int:instance_id>/diagram.svg")
@token_required
def get_diagram(instance_id: int) -> Response:
    lang = request.args.get("lang", "id")
    if lang not in LANGUAGES:
        raise InvalidInput(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    svg = engine().diagram_svg(instance_id, as_user=g.api_user.login, lang=lang)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------ definitions
def _flag(name: str) -> bool:
    value = request.args.get(name, "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise InvalidInput(f"{name} must be true or false, not {value!r}")
    return value in ("true", "1")


def _uploaded_file() -> bytes:
    """The .bpmn file: the raw body (application/xml), or the part named ``file`` of a multipart form."""
    if (request.content_length or 0) > MAX_BYTES + UPLOAD_OVERHEAD:
        raise InvalidInput(f"the file is larger than the limit of {MAX_BYTES // (1024 * 1024)} MiB")
    if request.mimetype == "multipart/form-data":
        part = request.files.get("file")
        if part is None:
            raise InvalidInput("send the .bpmn file as the multipart part named 'file'")
        return part.read(MAX_BYTES + 1)
    if request.mimetype not in ("application/xml", "text/xml", "application/octet-stream"):
        raise InvalidInput("send the .bpmn file as the body with Content-Type application/xml (or multipart 'file')")
    # never more than one byte past the limit in memory: the engine names the limit in its refusal
    return request.stream.read(MAX_BYTES + 1)


def _process_arg() -> str | None:
    process = request.args.get("process")
    if process is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,199}", process):
        raise InvalidInput(f"invalid process id {process[:60]!r}")
    return process


def _require_process_owner() -> None:
    """Refuse before reading a body that only a process owner may send (the engine checks again)."""
    if PROCESS_OWNER not in g.api_user.roles:
        raise PermissionDenied(f"{g.api_user.login} is not a process owner (Pemilik Proses)")


@bp.post("/definitions")
@token_required
def deploy_definition() -> tuple[Response, int]:
    _require_process_owner()
    note = request.args.get("note")
    result = engine().deploy(
        _uploaded_file(),
        as_user=g.api_user.login,
        note=note,
        activate=_flag("activate"),
        dry_run=_flag("dry_run"),
    )
    return jsonify(result.as_dict()), 201 if result.created and not result.dry_run else 200


@bp.get("/definitions")
@token_required
def list_definitions() -> Response:
    found = engine().versions(process=_process_arg(), as_user=g.api_user.login)
    return jsonify({"definitions": [v.as_dict() for v in found]})


@bp.get("/definitions/<int:version>/bpmn")
@token_required
def download_definition(version: int) -> Response:
    found = engine().definition_file(version, process=_process_arg(), as_user=g.api_user.login)
    return Response(
        found.data,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"', "Cache-Control": "no-store"},
    )


@bp.post("/definitions/<int:version>/activate")
@token_required
def activate_definition(version: int) -> Response:
    _require_process_owner()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("note"), str):
        raise InvalidInput('the request body must be a JSON object with a change note, e.g. {"note": "..."}')
    done = engine().activate(version, process=_process_arg(), as_user=g.api_user.login, note=body["note"])
    return jsonify(done.as_dict())


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # bearer tokens, not cookies: no cross-site request can carry one
    app.register_blueprint(bp)
