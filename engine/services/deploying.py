"""Deploying a diagram: validate fully, store once per content, version per process."""

from __future__ import annotations

from sqlalchemy import func, select

from ..definitions import load_definition
from ..errors import DefinitionInvalid, Problem
from ..runtime import ProcessError, compile_definition
from ..store.models import Definition
from ..store.uow import UnitOfWork
from ..views import DeployResult
from .context import Context


def validate(xml: bytes) -> None:
    """Raise ``DefinitionInvalid`` unless the diagram can be deployed and executed."""
    parsed = load_definition(xml)
    try:
        compile_definition(0, 0, parsed)
    except ProcessError as exc:
        raise DefinitionInvalid([Problem(exc.message)]) from None


def deploy(uow: UnitOfWork, ctx: Context, xml: bytes, *, deployed_by: str | None, note: str | None) -> DeployResult:
    parsed = load_definition(xml)
    session = uow.session
    existing = session.execute(select(Definition).where(Definition.sha256 == parsed.sha256)).scalar_one_or_none()
    if existing is not None:
        return DeployResult(existing.process_id, existing.version, existing.sha256, created=False)
    try:
        compiled = compile_definition(0, 0, parsed)
    except ProcessError as exc:
        raise DefinitionInvalid([Problem(exc.message)]) from None
    process_id = parsed.model.process_id
    latest = session.execute(
        select(func.max(Definition.version)).where(Definition.process_id == process_id)
    ).scalar_one()
    row = Definition(
        process_id=process_id,
        version=(latest or 0) + 1,
        name=parsed.model.name,
        sha256=parsed.sha256,
        bpmn=parsed.xml,
        deployed_at=ctx.clock.now(),
        deployed_by=deployed_by,
        note=note,
    )
    session.add(row)
    uow.flush()
    compiled.definition_id, compiled.version = row.id, row.version
    uow.on_commit(lambda: ctx.definitions.put(compiled))
    return DeployResult(row.process_id, row.version, row.sha256, created=True)


def latest_definition(session, process_id: str | None) -> Definition | None:
    query = select(Definition).order_by(Definition.id.desc()).limit(1)
    if process_id is not None:
        query = (
            select(Definition).where(Definition.process_id == process_id).order_by(Definition.version.desc()).limit(1)
        )
    return session.execute(query).scalar_one_or_none()
