"""The service catalogue in the database, and forms bound to it at run time.

Versions are append-only rows of ``catalogue_versions``; the newest is the
catalogue in use. An application keeps the version it was filed under: the
completion that chose its service records the entry as it was then
(``model.SERVICE_RECORD``: code, name, Seksi, catalogue version), so that its
checklist, the items returned as missing, a later audit and re-execution
read that version, never today's.

``bind`` fills a form's catalogue fields for one application: the services
in use (step 1, referrals shown and refused), the application's persyaratan
(step 4's checklist of what is missing), the Seksi with the application's
own preselected (step 6).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select

from ..catalogue import (
    Catalogue,
    CatalogueFile,
    CatalogueInvalid,
    CatalogueVersionInfo,
    CatalogueView,
    Service,
    dump,
    entry_from_fields,
    parse,
    with_entry,
)
from ..errors import Conflict, InvalidInput, NotFound
from ..inputs import text_ok
from ..model import (
    CATALOGUE_PERSYARATAN,
    CATALOGUE_SEKSI,
    CATALOGUE_SERVICES,
    SEKSI_CODE_OF,
    SEKSI_CODES,
    SEKSI_FIELD,
    SERVICE_FIELD,
    SERVICE_RECORD,
    EnumValue,
    Form,
)
from ..store.models import CatalogueVersion
from ..store.uow import UnitOfWork
from .context import Context, actor, require_process_owner

MAX_NOTE = 2000
MAX_VERSION = 2**31 - 1
_VERSIONS = CatalogueVersion.__table__
_NEWEST = select(_VERSIONS.c.version, _VERSIONS.c.sha256).order_by(_VERSIONS.c.version.desc()).limit(1)
_BY_VERSION = select(_VERSIONS.c.version, _VERSIONS.c.sha256).where(_VERSIONS.c.version == bindparam("version"))
_CONTENT = select(_VERSIONS.c.content).where(_VERSIONS.c.sha256 == bindparam("sha"))


class _Parsed:
    """Parsed catalogues by content hash: a version never changes, so neither does its parse."""

    def __init__(self, size: int = 32) -> None:
        self._items: OrderedDict[str, Catalogue] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, connection: Connection, sha: str) -> Catalogue:
        with self._lock:
            found = self._items.get(sha)
            if found is not None:
                self._items.move_to_end(sha)
                return found
        content = connection.execute(_CONTENT, {"sha": sha}).scalar_one()
        try:
            parsed = parse(content)
        except CatalogueInvalid:  # stored before a check was added: serve what can be read
            parsed = Catalogue()
        with self._lock:
            self._items[sha] = parsed
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return parsed


PARSED = _Parsed()


# ------------------------------------------------------------------- reading
def newest(connection: Connection) -> tuple[int, Catalogue] | None:
    """(version, catalogue) in use, or None before any catalogue was stored."""
    row = connection.execute(_NEWEST).one_or_none()
    return (row.version, PARSED.get(connection, row.sha256)) if row is not None else None


def at_version(connection: Connection, version: int) -> Catalogue | None:
    if not isinstance(version, int) or isinstance(version, bool) or not 0 < version <= MAX_VERSION:
        return None
    row = connection.execute(_BY_VERSION, {"version": version}).one_or_none()
    return PARSED.get(connection, row.sha256) if row is not None else None


def view(connection: Connection, version: int | None = None) -> CatalogueView:
    infos = versions(connection)
    if version is None:
        info = infos[0] if infos else None
    else:
        info = next((i for i in infos if i.version == version), None)
        if info is None:
            raise NotFound(f"catalogue version {version} not found")
    if info is None:
        return CatalogueView(None, Catalogue())
    return CatalogueView(info, PARSED.get(connection, info.sha256))


def versions(connection: Connection) -> list[CatalogueVersionInfo]:
    rows = connection.execute(
        select(
            _VERSIONS.c.version,
            _VERSIONS.c.sha256,
            _VERSIONS.c.created_at,
            _VERSIONS.c.created_by,
            _VERSIONS.c.note,
        ).order_by(_VERSIONS.c.version.desc())
    ).all()
    return [
        CatalogueVersionInfo(
            r.version,
            r.sha256,
            r.created_at,
            r.created_by,
            r.note,
            len(PARSED.get(connection, r.sha256)),
            in_use=i == 0,
        )
        for i, r in enumerate(rows)
    ]


def file(connection: Connection, version: int) -> CatalogueFile:
    if not isinstance(version, int) or not 0 < version <= MAX_VERSION:
        raise NotFound(f"catalogue version {version} not found")
    content = connection.execute(select(_VERSIONS.c.content).where(_VERSIONS.c.version == version)).scalar_one_or_none()
    if content is None:
        raise NotFound(f"catalogue version {version} not found")
    return CatalogueFile(version, content)


def service(connection: Connection, code: str, version: int | None = None) -> Service:
    found = view(connection, version).catalogue.get(code) if isinstance(code, str) else None
    if found is None:
        raise NotFound(f"service {code!r} is not in the catalogue")
    return found


def application_service(connection: Connection, data: Mapping[str, Any] | None) -> Service | None:
    """The catalogue entry an application was filed under (as recorded), else today's entry of its code."""
    data = data or {}
    record = data.get(SERVICE_RECORD)
    if isinstance(record, Mapping) and isinstance(record.get("code"), str):
        version = record.get("version")
        catalogue = at_version(connection, version) if isinstance(version, int) else None
        if catalogue is not None and catalogue.get(record["code"]) is not None:
            return catalogue.get(record["code"])
    code = record.get("code") if isinstance(record, Mapping) else data.get(SERVICE_FIELD)
    if not isinstance(code, str):
        return None
    current = newest(connection)
    return current[1].get(code) if current is not None else None


# --------------------------------------------------------------- binding forms
@dataclass(frozen=True)
class Binding:
    """A form with its catalogue fields filled in for one application."""

    form: Form
    version: int | None = None  # the catalogue version the services came from
    catalogue: Catalogue | None = None

    def record(self, cleaned: Mapping[str, Any]) -> dict[str, Any] | None:
        """What the completion records of the service it chose (``model.SERVICE_RECORD``)."""
        if self.catalogue is None:
            return None
        for f in self.form.fields:
            if f.catalogue == CATALOGUE_SERVICES and isinstance(cleaned.get(f.id), str):
                chosen = self.catalogue.get(cleaned[f.id])
                if chosen is not None:
                    return {"code": chosen.code, "name": chosen.name, "seksi": chosen.seksi, "version": self.version}
        return None


def needs_binding(form: Form) -> bool:
    return any(f.catalogue for f in form.fields)


def bind(connection: Connection, form: Form, *, data: Mapping[str, Any] | None, seksi: str | None) -> Binding:
    """``form`` as the application with ``data`` (routed to ``seksi``) must fill it in now."""
    if not needs_binding(form):
        return Binding(form)
    fields = []
    version = catalogue = None
    pinned: Service | None = None
    for f in form.fields:
        source = f.catalogue
        if source == CATALOGUE_SERVICES:
            current = newest(connection)
            if current is not None and len(current[1]):
                version, catalogue = current
                options = tuple(EnumValue(s.code, s.name, s.referral) for s in catalogue)
                f = replace(f, enum=options)
        elif source == CATALOGUE_PERSYARATAN:
            pinned = pinned or application_service(connection, data)
            if pinned is None or not pinned.persyaratan:
                continue  # nothing to tick against: the step asks for the note alone
            f = replace(f, enum=tuple(EnumValue(r.code, r.text) for r in pinned.persyaratan))
        elif source == CATALOGUE_SEKSI:
            options = tuple(EnumValue(code, name) for code, name in SEKSI_CODES.items())
            f = replace(f, enum=options, default=SEKSI_CODE_OF.get(seksi or "", f.default))
        fields.append(f)
    return Binding(Form(tuple(fields)), version, catalogue)


def routed_seksi(form: Form, cleaned: Mapping[str, Any]) -> str | None:
    """The Seksi a completion routes the application to (its catalogue=seksi field), if it does."""
    for f in form.fields:
        routes = f.catalogue == CATALOGUE_SEKSI or f.id == SEKSI_FIELD
        if routes and isinstance(cleaned.get(f.id), str) and cleaned[f.id] in SEKSI_CODES:
            return SEKSI_CODES[cleaned[f.id]]
    return None


# ---------------------------------------------------------------- storing
def _sha(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _check_note(note: str | None) -> str | None:
    if note is None:
        return None
    if not text_ok(note, MAX_NOTE):
        raise InvalidInput(f"the note must be text of at most {MAX_NOTE} characters, without control characters")
    return note.strip() or None


def store(
    uow: UnitOfWork,
    ctx: Context,
    content: str | bytes,
    *,
    note: str | None = None,
    created_by: str | None = None,
    as_user: str | None = None,
    base_version: int | None = None,
    dry_run: bool = False,
) -> CatalogueVersionInfo:
    """Check ``content`` and store it as the newest version (the one in use); nothing when refused.

    ``as_user`` must be a process owner. ``base_version`` is the version the
    change was made on: when another one came in meanwhile the change is
    refused (``Conflict``) rather than silently undoing it. Content equal to
    the version in use stores nothing; content equal to an older version is
    stored again as the newest (a rollback), marked so in a first comment line.
    """
    connection = uow.connection
    if as_user is not None:
        user = actor(connection, as_user)
        require_process_owner(user)
        created_by = user.login
    note = _check_note(note)
    if isinstance(content, bytes):
        parsed = parse(content)  # refuses non-UTF-8 and oversize content with a problem
        content = content.decode("utf-8-sig")
    else:
        parsed = parse(content)
    content = content.replace("\r\n", "\n")
    current = connection.execute(_NEWEST).one_or_none()
    current_version = current.version if current is not None else 0
    if base_version is not None and base_version != current_version:
        raise Conflict(
            f"the catalogue was changed meanwhile: version {current_version} is in use now, not {base_version}; "
            "reload it and make the change again"
        )
    sha = _sha(content)
    if current is not None and current.sha256 == sha:
        return _info(connection, current_version, created=False)
    older = connection.execute(select(_VERSIONS.c.version).where(_VERSIONS.c.sha256 == sha)).scalar_one_or_none()
    now = ctx.clock.now()
    if older is not None:
        content = f"# Versi {current_version + 1} memulihkan isi versi {older} ({now.isoformat()}).\n" + content
        sha = _sha(content)
    info = CatalogueVersionInfo(current_version + 1, sha, now, created_by, note, len(parsed), True, True)
    if dry_run:
        return info
    connection.execute(
        insert(_VERSIONS).values(
            version=info.version, sha256=sha, content=content, created_at=now, created_by=created_by, note=note
        )
    )
    return info


def _info(connection: Connection, version: int, *, created: bool) -> CatalogueVersionInfo:
    found = next(i for i in versions(connection) if i.version == version)
    return replace(found, created=created)


def ensure(uow: UnitOfWork, ctx: Context, path: Path, created_by: str | None = None) -> CatalogueVersionInfo | None:
    """Store ``path`` as version 1 when no catalogue exists yet; otherwise leave the one in use."""
    connection = uow.connection
    if connection.execute(select(func.count()).select_from(_VERSIONS)).scalar_one():
        return None
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the catalogue {path}: {exc.strerror}") from None
    return store(uow, ctx, content, note=f"from {path.name}", created_by=created_by)


def _current(connection: Connection, base_version: int | None) -> tuple[int, Catalogue]:
    current = newest(connection)
    if current is None:
        raise NotFound("there is no catalogue yet: deploy one first (ptsp services deploy processes/services.yaml)")
    if base_version is not None and base_version != current[0]:
        raise Conflict(
            f"the catalogue was changed meanwhile: version {current[0]} is in use now, not {base_version}; "
            "reload it and make the change again"
        )
    return current


def save_entry(
    uow: UnitOfWork,
    ctx: Context,
    fields: Mapping[str, Any],
    *,
    as_user: str,
    note: str,
    base_version: int | None,
    code: str | None = None,
) -> CatalogueVersionInfo:
    """Add an entry (``code`` None) or change entry ``code``, as a new version with ``note``."""
    require_process_owner(actor(uow.connection, as_user))
    if not isinstance(note, str) or not note.strip():
        raise InvalidInput("write a note: what changed and why")
    version, catalogue = _current(uow.connection, base_version)
    if code is not None and catalogue.get(code) is None:
        raise NotFound(f"service {code!r} is not in the catalogue")
    entry = entry_from_fields(fields, code)
    if code is None and catalogue.get(str(entry.get("code"))) is not None:
        raise Conflict(f"a service with the code {entry['code']!r} already exists; edit it or choose another code")
    content = with_entry(catalogue, entry, code)
    return store(uow, ctx, content, note=note, as_user=as_user, base_version=version)


def remove_entry(
    uow: UnitOfWork, ctx: Context, code: str, *, as_user: str, note: str, base_version: int | None
) -> CatalogueVersionInfo:
    require_process_owner(actor(uow.connection, as_user))
    if not isinstance(note, str) or not note.strip():
        raise InvalidInput("write a note: what changed and why")
    version, catalogue = _current(uow.connection, base_version)
    if catalogue.get(code) is None:
        raise NotFound(f"service {code!r} is not in the catalogue")
    return store(uow, ctx, dump(catalogue.without(code)), note=note, as_user=as_user, base_version=version)
