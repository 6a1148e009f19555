"""Versions of a process: which one is active, activating one, what two versions differ in.

Deploying stores a version (``deploying``); activating puts it into service
for new applications. The newest row in ``activations`` for a process names
its active version, so a rollback is simply the activation of an older one,
and the table records who changed the process, when and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..inputs import text_ok
from ..store.models import Activation, Definition, Instance
from ..store.uow import UnitOfWork
from ..views import ActivationInfo, VersionInfo
from .context import Actor, Context, actor, require_process_owner

if TYPE_CHECKING:
    from ..model_diff import ModelDiff

MAX_NOTE = 2000
MAX_VERSION = 2**31 - 1
_DEFINITIONS, _ACTIVATIONS = Definition.__table__, Activation.__table__


def require_version_reader(user: Actor) -> None:
    """Process owners manage versions; auditors may read them (and download the files)."""
    if not (user.is_process_owner or user.is_auditor):
        raise PermissionDenied(
            f"{user.login} may not see the process versions: they are for process owners and auditors"
        )


def active_definition(connection: Connection, process_id: str | None) -> Any | None:
    """(id, process_id, version) of the version new applications of the process start on.

    Without a process id: the active version of the process activated most recently.
    """
    query = (
        select(_DEFINITIONS.c.id, _DEFINITIONS.c.process_id, _DEFINITIONS.c.version)
        .join(_ACTIVATIONS, _ACTIVATIONS.c.definition_id == _DEFINITIONS.c.id)
        .order_by(_ACTIVATIONS.c.id.desc())
        .limit(1)
    )
    if process_id is not None:
        query = query.where(_ACTIVATIONS.c.process_id == process_id)
    return connection.execute(query).one_or_none()


def resolve_process(session: Session, process_id: str | None) -> str:
    """The process meant: the one named, or the one activated most recently."""
    if process_id is not None:
        if session.execute(select(Definition.id).where(Definition.process_id == process_id).limit(1)).first() is None:
            raise NotFound(f"process '{process_id}' is not deployed")
        return process_id
    row = active_definition(session.connection(), None)
    if row is None:
        raise NotFound("no process is deployed; deploy one first (ptsp deploy processes/ptsp.bpmn)")
    return row.process_id


def definition(session: Session, process_id: str | None, version: int) -> Definition:
    process = resolve_process(session, process_id)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidInput(f"invalid version {version!r}: a version is a whole number from 1")
    if version > MAX_VERSION:  # beyond the column: certainly not deployed
        raise NotFound(f"{process} has no version {version}")
    row = session.execute(
        select(Definition).where(Definition.process_id == process, Definition.version == version)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"{process} has no version {version}")
    return row


def versions(session: Session, process_id: str | None) -> list[VersionInfo]:
    """Every deployed version of the process, newest first, with its running applications."""
    process = resolve_process(session, process_id)
    active = active_definition(session.connection(), process)
    running = dict(
        session.execute(
            select(Instance.definition_id, func.count())
            .join(Definition, Definition.id == Instance.definition_id)
            .where(Definition.process_id == process, Instance.status == "running")
            .group_by(Instance.definition_id)
        ).all()
    )
    last_activated = dict(
        session.execute(
            select(Activation.definition_id, func.max(Activation.activated_at))
            .where(Activation.process_id == process)
            .group_by(Activation.definition_id)
        ).all()
    )
    rows = session.execute(
        select(Definition).where(Definition.process_id == process).order_by(Definition.version.desc())
    ).scalars()
    return [
        VersionInfo(
            process=row.process_id,
            version=row.version,
            name=row.name,
            sha256=row.sha256,
            deployed_at=row.deployed_at,
            deployed_by=row.deployed_by,
            note=row.note,
            active=active is not None and active.id == row.id,
            running_instances=running.get(row.id, 0),
            last_activated_at=last_activated.get(row.id),
        )
        for row in rows
    ]


def activations(session: Session, process_id: str | None, limit: int = 50) -> list[ActivationInfo]:
    """The newest activations of the process: the record of what was put into service."""
    process = resolve_process(session, process_id)
    rows = session.execute(
        select(Activation, Definition.version)
        .join(Definition, Definition.id == Activation.definition_id)
        .where(Activation.process_id == process)
        .order_by(Activation.id.desc())
        .limit(limit)
    ).all()
    return [ActivationInfo(a.process_id, version, a.activated_at, a.activated_by, a.note) for a, version in rows]


def clean_note(note: str | None, *, required: bool = False) -> str | None:
    if note is not None and not isinstance(note, str):
        raise InvalidInput("a change note is text")
    note = (note or "").strip()
    if not note:
        if required:
            raise InvalidInput("a change note is required: say what changed and why")
        return None
    if not text_ok(note, MAX_NOTE) or not _encodable(note):
        raise InvalidInput(f"a change note has at most {MAX_NOTE} characters and no control characters")
    return note


def _encodable(text: str) -> bool:
    try:  # a lone surrogate (from a JSON escape) can be neither stored nor hashed
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def record_activation(uow: UnitOfWork, ctx: Context, row: Definition, by: str | None, note: str | None) -> None:
    uow.session.add(
        Activation(
            process_id=row.process_id,
            definition_id=row.id,
            activated_at=ctx.clock.now(),
            activated_by=by,
            note=note,
        )
    )


def activate(
    uow: UnitOfWork,
    ctx: Context,
    version: int,
    *,
    process_id: str | None,
    as_user: str | None,
    note: str | None,
    recorded_by: str | None = None,
) -> ActivationInfo:
    """Make ``version`` the one new applications start on; running ones stay on theirs.

    ``as_user`` must be a process owner; ``None`` is the operator at the
    command line, who is trusted like the database itself (``recorded_by``
    then names them in the record).
    """
    session = uow.session
    if as_user is not None:
        require_process_owner(actor(session.connection(), as_user))
    note = clean_note(note, required=as_user is not None)
    row = definition(session, process_id, version)
    current = active_definition(session.connection(), row.process_id)
    if current is not None and current.id == row.id:
        raise Conflict(f"{row.process_id} version {row.version} is already the active version")
    by = as_user or recorded_by
    record_activation(uow, ctx, row, by, note)
    uow.flush()
    return ActivationInfo(row.process_id, row.version, ctx.clock.now(), by, note)


def diff(session: Session, ctx: Context, process_id: str | None, old: int, new: int) -> ModelDiff:
    """What changed from version ``old`` to version ``new`` of the process."""
    from ..model_diff import diff_models

    old_row, new_row = definition(session, process_id, old), definition(session, process_id, new)
    connection = session.connection()
    return diff_models(ctx.compiled(connection, old_row.id).model, ctx.compiled(connection, new_row.id).model)
