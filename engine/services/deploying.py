"""Deploying a diagram: validate fully, store once per content, version per process."""

from __future__ import annotations

from sqlalchemy import func, select

from ..definitions import load_definition
from ..errors import DefinitionInvalid, Problem
from ..runtime import ProcessError, compile_definition
from ..store.models import Definition
from ..store.uow import UnitOfWork
from ..views import DeployResult
from . import versioning
from .context import Context, actor, require_process_owner


def validate(xml: bytes) -> None:
    """Raise ``DefinitionInvalid`` unless the diagram can be deployed and executed."""
    parsed = load_definition(xml)
    try:
        compile_definition(0, 0, parsed)
    except ProcessError as exc:
        raise DefinitionInvalid([Problem(exc.message)]) from None


def deploy(
    uow: UnitOfWork,
    ctx: Context,
    xml: bytes,
    *,
    deployed_by: str | None,
    note: str | None,
    as_user: str | None = None,
    activate: bool = False,
    dry_run: bool = False,
) -> DeployResult:
    """Store a new version (nothing is stored unless the whole file is valid).

    The first version of a process is activated at once (there is nothing
    else to start applications on); later ones only with ``activate``.
    ``as_user`` must be a process owner; without it the caller is the operator
    at the command line, named by ``deployed_by``. A dry run validates and
    says which version the file would become, storing nothing.
    """
    session = uow.session
    if as_user is not None:
        require_process_owner(actor(session.connection(), as_user))
        deployed_by = as_user
    note = versioning.clean_note(note)
    parsed = load_definition(xml)
    existing = session.execute(select(Definition).where(Definition.sha256 == parsed.sha256)).scalar_one_or_none()
    if existing is not None:
        active = versioning.active_definition(session.connection(), existing.process_id)
        is_active = active is not None and active.id == existing.id
        if activate and not is_active and not dry_run:
            versioning.record_activation(uow, ctx, existing, deployed_by, note)
            is_active = True
        return DeployResult(
            existing.process_id, existing.version, existing.sha256, created=False, active=is_active, dry_run=dry_run
        )
    try:
        compiled = compile_definition(0, 0, parsed)
    except ProcessError as exc:
        raise DefinitionInvalid([Problem(exc.message)]) from None
    process_id = parsed.model.process_id
    latest = session.execute(
        select(func.max(Definition.version)).where(Definition.process_id == process_id)
    ).scalar_one()
    first = latest is None
    version = (latest or 0) + 1
    if dry_run:
        return DeployResult(process_id, version, parsed.sha256, created=True, active=first or activate, dry_run=True)
    row = Definition(
        process_id=process_id,
        version=version,
        name=parsed.model.name,
        sha256=parsed.sha256,
        bpmn=parsed.xml,
        deployed_at=ctx.clock.now(),
        deployed_by=deployed_by,
        note=note,
    )
    session.add(row)
    uow.flush()
    if first or activate:
        versioning.record_activation(uow, ctx, row, deployed_by, note)
    compiled.definition_id, compiled.version = row.id, row.version
    uow.on_commit(lambda: ctx.definitions.put(compiled))
    return DeployResult(row.process_id, row.version, row.sha256, created=True, active=first or activate)
