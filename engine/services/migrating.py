"""Migrating running applications to another deployed version of their diagram.

``migrate`` moves one application (or, with ``dry_run``, says what moving it
would do) and ``plan_bulk`` dry-runs every running application of one version.
Only process owners may do either. A refusal is an answer, not an error: the
report says ``ok=False`` and lists the reasons, and nothing is written. When it
is done, one transaction writes the migrated workflow, the instance's new
``definition_id`` (its version column bumped as in every command), the
``instance_migrated`` event and the task and timer projections. What is safe is
decided in ``engine.migration``, which audit re-execution calls as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from .. import migration
from ..errors import InvalidInput, NotFound, PtspError
from ..migration import DeployedVersion, MigrationReport
from ..store.models import Definition
from ..store.uow import UnitOfWork
from . import versioning
from .context import Context, actor, require_process_owner
from .instances import find_instance
from .recording import INSTANCES, TASKS, InstanceRecord, Recorder, load_instance

_DEFINITIONS = Definition.__table__
_VERSION_COLUMNS = (_DEFINITIONS.c.id, _DEFINITIONS.c.process_id, _DEFINITIONS.c.version, _DEFINITIONS.c.sha256)
_BY_ID = select(*_VERSION_COLUMNS).where(_DEFINITIONS.c.id == bindparam("id"))
_BY_VERSION = select(*_VERSION_COLUMNS).where(
    _DEFINITIONS.c.process_id == bindparam("process_id"), _DEFINITIONS.c.version == bindparam("version")
)
_VERSIONS_OF = (
    select(_DEFINITIONS.c.version)
    .where(_DEFINITIONS.c.process_id == bindparam("process_id"))
    .order_by(_DEFINITIONS.c.version)
)
_READY_AT = select(TASKS.c.id, TASKS.c.ready_at).where(
    TASKS.c.instance_id == bindparam("instance_id"), TASKS.c.status == "ready"
)
_RUNNING_ON = (
    select(INSTANCES.c.id)
    .where(INSTANCES.c.definition_id == bindparam("definition_id"), INSTANCES.c.status == "running")
    .order_by(INSTANCES.c.id)
)
_NEWEST_PROCESS = select(_DEFINITIONS.c.process_id).order_by(_DEFINITIONS.c.id.desc()).limit(1)


# ------------------------------------------------------------------- deployed versions
def _deployed(ctx: Context, connection: Connection, row: Any) -> DeployedVersion:
    return DeployedVersion(row.id, row.process_id, row.version, row.sha256, ctx.compiled(connection, row.id))


def version_by_id(connection: Connection, ctx: Context, definition_id: int) -> DeployedVersion:
    row = connection.execute(_BY_ID, {"id": definition_id}).one_or_none()
    if row is None:
        raise NotFound(f"definition {definition_id} not found")
    return _deployed(ctx, connection, row)


def find_version(connection: Connection, ctx: Context, process_id: str, version: int) -> DeployedVersion | None:
    """A deployed version of a process (compiled, from the cache), or None."""
    if not isinstance(process_id, str) or not isinstance(version, int) or isinstance(version, bool):
        return None
    if not 0 < version < 2**31:
        return None
    row = connection.execute(_BY_VERSION, {"process_id": process_id, "version": version}).one_or_none()
    return _deployed(ctx, connection, row) if row is not None else None


def version_loader(connection: Connection, ctx: Context) -> Any:
    """``load(process_id, version) -> DeployedVersion`` for re-execution; NotFound when not deployed."""

    def load(process_id: Any, version: Any) -> DeployedVersion:
        found = find_version(connection, ctx, process_id, version)
        if found is None:
            raise NotFound(f"process {process_id!r} has no deployed version {version!r}")
        return found

    return load


def _version_number(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise InvalidInput(f"the target version must be a whole number of at least 1, not {value!r}")
    return value


def running_instances(connection: Connection, ctx: Context, process_id: str, version: int) -> list[int]:
    """The ids of the running applications pinned to one version (for a bulk migration)."""
    found = find_version(connection, ctx, process_id, _version_number(version))
    if found is None:
        raise NotFound(f"process '{process_id}' has no deployed version {version}")
    return list(connection.execute(_RUNNING_ON, {"definition_id": found.definition_id}).scalars())


# ------------------------------------------------------------------------- commands
def migrate(
    uow: UnitOfWork,
    ctx: Context,
    login: str,
    instance_ref: str | int,
    to_version: int,
    *,
    process: str | None = None,
    dry_run: bool = False,
) -> MigrationReport:
    """Move one running application to ``to_version`` of its process (``process`` defaults to its own).

    Raises only for a caller's mistake (unknown user or application, not a
    process owner, a version that is not a number); a migration that is not
    safe is refused in the report, with nothing written. A dry run writes
    nothing and returns the report the migration would give.
    """
    connection = uow.connection
    require_process_owner(actor(connection, login))
    target_version = _version_number(to_version)
    instance = load_instance(connection, find_instance(uow.session, instance_ref).id)
    planned = _plan(connection, ctx, instance, process, target_version, dry_run)
    report = planned.report
    if not report.ok or dry_run:
        return report
    assert planned.target is not None and planned.outcome is not None and planned.wf is not None
    wf, target = planned.wf, planned.target
    recorder = Recorder(connection, instance, target.compiled, ctx.clock.now(), login)
    data = migration.event_data(planned.current, target, login, planned.outcome)
    recorder.migrated(target, data, planned.outcome)
    version = recorder.save(planned.state or ctx.runtime.dump(wf))
    uow.on_commit(lambda: ctx.workflows.put(instance.id, version, wf))
    report.migrated = True
    return report


def plan_bulk(
    connection: Connection,
    ctx: Context,
    login: str,
    from_version: int,
    to_version: int,
    *,
    process: str | None = None,
) -> list[MigrationReport]:
    """Dry-run the migration of every running application of ``from_version`` to ``to_version``, in id order.

    ``process`` defaults to the process activated last. Nothing is written; each
    report says whether that application could move and, if not, why.
    """
    require_process_owner(actor(connection, login))
    target_version = _version_number(to_version)
    if process is None:
        active = versioning.active_definition(connection, None)
        process = active.process_id if active is not None else connection.execute(_NEWEST_PROCESS).scalar()
        if process is None:
            raise NotFound("no process is deployed")
    reports = []
    for instance_id in running_instances(connection, ctx, process, from_version):
        instance = load_instance(connection, instance_id)
        reports.append(_plan(connection, ctx, instance, process, target_version, True).report)
    return reports


@dataclass
class _Planned:
    report: MigrationReport
    current: DeployedVersion
    target: DeployedVersion | None = None
    outcome: migration.Outcome | None = None
    wf: Any = None  # migrated, when the report is ok
    state: str | None = None  # its serialized state


def _plan(
    connection: Connection,
    ctx: Context,
    instance: InstanceRecord,
    process: str | None,
    target_version: int,
    dry_run: bool,
) -> _Planned:
    """The report for one application and, when it may move, its migrated workflow (not yet saved)."""
    current = version_by_id(connection, ctx, instance.definition_id)
    process = process if process is not None else current.process_id
    report = MigrationReport(
        ok=False,
        reasons=[],
        instance=instance.id,
        registration=instance.registration,
        process=process,
        from_version=current.version,
        to_version=target_version,
        dry_run=dry_run,
    )
    planned = _Planned(report, current)
    if instance.status != "running":
        report.reasons.append(
            f"{instance.registration} is {instance.status}: only running applications can be migrated"
        )
        return planned
    target = find_version(connection, ctx, process, target_version)
    if target is None:
        deployed = connection.execute(_VERSIONS_OF, {"process_id": process}).scalars().all()
        known = f"deployed: {', '.join(map(str, deployed))}" if deployed else "it is not deployed at all"
        report.reasons.append(f"process '{process}' has no version {target_version} ({known})")
        return planned
    # never the cached workflow: a dry run or a refusal must leave it as it is
    wf = ctx.runtime.load(current.compiled, instance.state or "")
    outcome = migration.migrate(
        wf,
        current,
        target,
        now=ctx.clock.now(),
        calendar=ctx.runtime.script_engine.calendar,
        ready_at=_ready_at(connection, instance.id),
    )
    state = _restorable_state(ctx, target, wf, outcome) if outcome.ok else None
    report.ok = outcome.ok
    report.reasons, report.notes = outcome.reasons, outcome.notes
    report.tasks, report.timers = outcome.tasks, outcome.timers
    planned.target, planned.outcome = target, outcome
    if outcome.ok:
        planned.wf, planned.state = wf, state
    return planned


def _ready_at(connection: Connection, instance_id: int) -> Mapping[str, datetime]:
    return {row.id: row.ready_at for row in connection.execute(_READY_AT, {"instance_id": instance_id})}


def _restorable_state(ctx: Context, target: DeployedVersion, wf: Any, outcome: migration.Outcome) -> str | None:
    """The migrated state, which must load on the new version as every later command will load it."""
    state = ctx.runtime.dump(wf)
    try:
        ctx.runtime.load(target.compiled, state)
    except (PtspError, KeyError, ValueError, TypeError, AttributeError) as exc:
        outcome.reasons.append(
            f"the migrated application could not be restored on version {target.version}: {type(exc).__name__}: {exc}"
        )
        return None
    return state
