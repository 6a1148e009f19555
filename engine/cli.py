"""The ``ptsp`` command: a thin shell over ``engine.Engine``.

Every command prints a readable table (times in WIB) by default and JSON (UTC,
ISO 8601 with offset) with ``--json``. A refused command prints one line,
``error: ...``, on stderr, exits with status 1 and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import UTC, date, datetime, time, timedelta
from functools import wraps
from pathlib import Path
from typing import Any

import click

from .audit.exports import FORMATS
from .calendar import WIB
from .errors import DefinitionInvalid, FormInvalid, PtspError
from .facade import Engine
from .store.db import default_url


def wib(moment: datetime | None) -> str:
    return moment.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB") if moment else "-"


def _engine(ctx: click.Context) -> Engine:
    obj = ctx.ensure_object(dict)
    if "engine" not in obj:
        obj["engine"] = Engine(obj.get("database"))
        ctx.call_on_close(obj["engine"].close)
    return obj["engine"]


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def command(group: click.Group, name: str | None = None, with_json: bool = True) -> Callable:
    """Register a command that maps engine errors to one line on stderr."""

    def decorate(fn: Callable) -> Callable:
        @wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except DefinitionInvalid as exc:
                if kwargs.get("as_json"):
                    click.echo(json.dumps({"problems": [p.as_dict() for p in exc.problems]}, indent=2))
                for problem in exc.problems:
                    click.echo(f"error: {problem}", err=True)
                sys.exit(1)
            except FormInvalid as exc:
                _fail(exc.message)
            except PtspError as exc:
                _fail(exc.message)

        if with_json:
            run = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(run)
        return group.command(name)(click.pass_context(run))

    return decorate


def _data(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    if raw == "-":
        raw = sys.stdin.read()
    elif raw.startswith("@"):
        try:
            raw = Path(raw[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot read --data file: {exc.strerror}")
        except UnicodeDecodeError:
            _fail("--data file is not UTF-8 text")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        _fail(f"--data is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    if not isinstance(data, dict):
        _fail("--data must be a JSON object, e.g. '{\"berkas_lengkap\": true}'")
    return data


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _table(headers: list[str], rows: Iterable[list[Any]]) -> None:
    rows = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database",
    envvar="PTSP_DATABASE_URL",
    help=f"SQLAlchemy database URL (default: $PTSP_DATABASE_URL or {default_url()}).",
)
@click.pass_context
def main(ctx: click.Context, database: str | None) -> None:
    """PTSP workflow: the SOP of the Kemenag Jakarta Selatan one-stop service, executed."""
    ctx.ensure_object(dict)["database"] = database


# ------------------------------------------------------------------------- db
@main.group()
def db() -> None:
    """Database schema."""


@command(db, "upgrade", with_json=False)
def db_upgrade(ctx: click.Context) -> None:
    """Create the schema or upgrade it to the newest migration (idempotent; safe from several nodes at once)."""
    engine = _engine(ctx)
    before = engine.schema_revision()
    engine.init_db()
    after = engine.schema_revision()
    change = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    click.echo(f"database {change} revision {after}: {engine.db.url.render_as_string(hide_password=True)}")


@command(db, "init", with_json=False)
def db_init(ctx: click.Context) -> None:
    """The same as ``ptsp db upgrade`` (kept for existing scripts)."""
    ctx.invoke(db_upgrade)


@command(db, "current")
def db_current(ctx: click.Context, as_json: bool) -> None:
    """The schema revision of the database and the newest one this code knows."""
    engine = _engine(ctx)
    current, head = engine.schema_revision(), engine.schema_head()
    if as_json:
        _print_json({"current": current, "head": head, "up_to_date": current == head})
        return
    click.echo(f"current: {current or '(empty database)'}\nhead:    {head}")
    if current != head:
        click.echo("run `ptsp db upgrade` to bring the schema up to date")


# ------------------------------------------------------------------- worker
@command(main, "worker", with_json=False)
@click.option(
    "--max-sleep",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="Longest sleep between two looks at the timer table (a safety net; new timers wake the worker).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    envvar="PTSP_LOG_FORMAT",
    default="text",
    show_default=True,
)
def worker(ctx: click.Context, max_sleep: float, log_format: str) -> None:
    """Fire due timers as they fall due, until SIGTERM or SIGINT. Run any number of them on PostgreSQL."""
    import signal

    from .logs import configure
    from .worker import TimerWorker

    configure(log_format)
    engine = _engine(ctx)
    timer_worker = TimerWorker(engine, max_sleep=max_sleep)

    def stop(signum: int, _frame: Any) -> None:
        timer_worker.stopped.set()
        timer_worker.waker.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    timer_worker.run()
    engine.close()


# ------------------------------------------------------------------- deploy
@command(main, "deploy")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate and say which version it would be; store nothing.")
@click.option("--note", help="A change note stored with the version.")
@click.option("--by", "deployed_by", help="Who deploys (login), recorded with the version.")
@click.option("--activate", is_flag=True, help="Also put the version into service for new applications.")
def deploy(
    ctx: click.Context,
    path: Path,
    dry_run: bool,
    note: str | None,
    deployed_by: str | None,
    activate: bool,
    as_json: bool,
) -> None:
    """Validate a .bpmn file and store it as a new version of its process.

    The first version of a process is put into service at once; a later one
    waits for `ptsp activate VERSION` (or --activate), so that its diff can be
    read first (`ptsp diff`). An invalid file lists every problem and exits 1.
    """
    try:
        xml = path.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror}")
    engine = _engine(ctx)
    try:
        result = engine.deploy(xml, deployed_by=deployed_by, note=note, activate=activate, dry_run=dry_run)
    except DefinitionInvalid as exc:
        if as_json:
            out = {"process": None, "version": None, "sha256": hashlib.sha256(xml).hexdigest()}
            _print_json({**out, "problems": [p.as_dict() for p in exc.problems]})
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    if as_json:
        _print_json(result.as_dict())
        return
    state = " (active)" if result.active else ""
    if dry_run:
        what = "would be deployed as" if result.created else "is already deployed as"
        click.echo(f"{path}: valid; {result.process} {what} version {result.version}{state}")
    else:
        what = "deployed" if result.created else "already deployed as"
        click.echo(f"{result.process} {what} version {result.version}{state} (sha256 {result.sha256[:12]}...)")
        if not result.active:
            click.echo(f"new applications still start on the active version; `ptsp activate {result.version}`")


@command(main, "versions")
@click.option("--process", help="Process id (default: the process activated most recently).")
def versions(ctx: click.Context, process: str | None, as_json: bool) -> None:
    """Every deployed version: date, who, content hash, note, running applications; * marks the active one."""
    found = _engine(ctx).versions(process=process)
    if as_json:
        _print_json([v.as_dict() for v in found])
        return
    _table(
        ["", "VERSION", "DEPLOYED", "BY", "SHA256", "RUNNING", "NOTE"],
        [
            [
                "*" if v.active else "",
                v.version,
                wib(v.deployed_at),
                v.deployed_by or "-",
                v.sha256[:12],
                v.running_instances,
                _one_line(v.note),
            ]
            for v in found
        ],
    )


def _one_line(text: str | None, width: int = 60) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: width - 3] + "..."


@command(main, "diff")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.option("--process", help="Process id (default: the process activated most recently).")
def diff(ctx: click.Context, old: int, new: int, process: str | None, as_json: bool) -> None:
    """What changed from version OLD to version NEW: tasks, lanes, timers, forms, flows (layout ignored)."""
    found = _engine(ctx).version_diff(old, new, process=process)
    if as_json:
        _print_json(found.as_dict())
        return
    lines = found.describe()
    if not lines:
        click.echo(f"versions {old} and {new} differ in layout only (or not at all)")
    for line in lines:
        click.echo(f"- {line}")


@command(main, "activate")
@click.argument("version", type=int)
@click.option("--process", help="Process id (default: the process activated most recently).")
@click.option("--note", help="Why this version is put into service (the change note).")
@click.option("--by", "recorded_by", help="Who activates (login), recorded with the activation.")
def activate(
    ctx: click.Context, version: int, process: str | None, note: str | None, recorded_by: str | None, as_json: bool
) -> None:
    """Put VERSION into service: new applications start on it, running ones stay on theirs.

    Rolling back is activating an older version.
    """
    done = _engine(ctx).activate(version, process=process, note=note, recorded_by=recorded_by)
    if as_json:
        _print_json(done.as_dict())
    else:
        click.echo(f"{done.process} version {done.version} is active: new applications start on it")


@command(main, "migrate")
@click.argument("instance")
@click.option("--to", "to_version", type=int, required=True, help="The version to move the application to.")
@click.option("--dry-run", is_flag=True, help="Check and report only; change nothing.")
@click.option("--as", "as_user", required=True, help="The process owner who migrates (named in the history).")
@click.option("--process", help="Process id (default: the application's own).")
def migrate(
    ctx: click.Context,
    instance: str,
    to_version: int,
    dry_run: bool,
    as_user: str,
    process: str | None,
    as_json: bool,
) -> None:
    """Move a running application (registration number or id) to another version of its diagram.

    Refused, with the reasons, unless it is safe: no step it completed or waits
    at was removed or changed so that its recorded data no longer fits. Pending
    deadlines are recomputed under the new standards. Exits 1 when refused.
    """
    engine = _engine(ctx)
    report = engine.migrate(instance, to_version=to_version, as_user=as_user, process=process, dry_run=dry_run)
    if as_json:
        _print_json(report.as_dict())
    elif report.ok:
        verb = "can move" if dry_run else "moved"
        click.echo(f"{report.registration} {verb} from version {report.from_version} to {report.to_version}")
        for timer in report.changed_timers:
            before = wib(timer.previous_due_at) if timer.previous_due_at else "(new)"
            click.echo(f"  deadline {timer.element} ({timer.standard}): {before} -> {wib(timer.due_at)}")
        for note in report.notes:
            click.echo(f"  note: {note}")
    else:
        click.echo(f"error: {report.registration or instance} cannot move to version {to_version}:", err=True)
        for reason in report.reasons:
            click.echo(f"error: - {reason}", err=True)
    if not report.ok:
        sys.exit(1)


# --------------------------------------------------------------------- users
@main.group()
def user() -> None:
    """Users and their lanes."""


@command(user, "add")
@click.argument("login")
@click.option("--lane", "lanes", multiple=True, help="A lane the user works in (repeatable).")
@click.option(
    "--role",
    "roles",
    multiple=True,
    help="A role beside lanes: 'auditor' (reads everything, in no lane), 'process_owner' "
    "(Pemilik Proses: deploys, activates and migrates diagram versions) or 'administrator' (keeps the office "
    "calendar).",
)
@click.option("--seksi", help="The Seksi a Kasi-lane user works for (sees and does that Seksi's tasks only).")
@click.option("--email", help="Where notifications are mailed (when SMTP is configured).")
@click.option("--name", help="Full name (defaults to the login).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def user_add(
    ctx: click.Context,
    login: str,
    lanes: tuple[str, ...],
    roles: tuple[str, ...],
    seksi: str | None,
    email: str | None,
    name: str | None,
    password_stdin: bool,
    as_json: bool,
) -> None:
    """Add a user who works in the given lanes, or an auditor (--role auditor)."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    info = _engine(ctx).add_user(
        login, list(lanes), name=name, password=password, roles=list(roles), seksi=seksi, email=email
    )
    if as_json:
        _print_json(info.as_dict())
    else:
        where = ", ".join(info.lanes + info.roles) + (f" (Seksi {info.seksi})" if info.seksi else "")
        click.echo(f"user {info.login} added to {where}")


@command(user, "password", with_json=False)
@click.argument("login")
def user_password(ctx: click.Context, login: str) -> None:
    """Set a user's password, read from the first line of standard input."""
    _engine(ctx).set_password(login, sys.stdin.readline().rstrip("\r\n"))
    click.echo(f"password of {login} set")


# -------------------------------------------------------------------- tokens
@main.group()
def token() -> None:
    """API tokens (Authorization: Bearer TOKEN)."""


@command(token, "create")
@click.argument("login")
@click.option("--label", help="What the token is for (shown in token list).")
def token_create(ctx: click.Context, login: str, label: str | None, as_json: bool) -> None:
    """Create an API token for a user; it is shown only now."""
    value, info = _engine(ctx).create_token(login, label=label)
    if as_json:
        _print_json({"token": value, "id": info.id})
    else:
        click.echo(value)


@command(token, "list")
@click.option("--user", "login", help="Only this user's tokens.")
def token_list(ctx: click.Context, login: str | None, as_json: bool) -> None:
    """List tokens (never their values)."""
    found = _engine(ctx).list_tokens(login)
    if as_json:
        _print_json([t.as_dict() for t in found])
    else:
        _table(
            ["ID", "USER", "LABEL", "CREATED", "REVOKED"],
            [[t.id, t.login, t.label, wib(t.created_at), wib(t.revoked_at) if t.revoked_at else ""] for t in found],
        )


@command(token, "revoke")
@click.argument("token_id", type=int)
def token_revoke(ctx: click.Context, token_id: int, as_json: bool) -> None:
    """Revoke a token: it stops working at once."""
    _engine(ctx).revoke_token(token_id)
    if as_json:
        _print_json({"id": token_id, "revoked": True})
    else:
        click.echo(f"token {token_id} revoked")


# ---------------------------------------------------------------- instances
@command(main, "start")
@click.option("--as", "as_user", required=True, help="The applicant (a member of the Pemohon lane).")
@click.option("--data", help="Start form data as a JSON object, @file or - for stdin.")
@click.option("--process", help="Process id (default: the most recently deployed process).")
def start(ctx: click.Context, as_user: str, data: str | None, process: str | None, as_json: bool) -> None:
    """Start a new application."""
    result = _engine(ctx).start(as_user=as_user, data=_data(data), process=process)
    if as_json:
        _print_json(result.as_dict())
    else:
        click.echo(f"started {result.registration} (instance {result.instance})")


@command(main, "tasks")
@click.option("--lane", help="Only tasks of this lane.")
@click.option("--instance", help="Only tasks of this application (id or registration number).")
@click.option("--as", "as_user", help="Only what this user may see and do.")
@click.option("--status", type=click.Choice(["ready", "completed", "cancelled"]), default="ready", show_default=True)
@click.option("--limit", type=int, help="At most this many tasks.")
def tasks(
    ctx: click.Context,
    lane: str | None,
    instance: str | None,
    as_user: str | None,
    status: str,
    limit: int | None,
    as_json: bool,
) -> None:
    """List tasks, soonest deadline first."""
    engine = _engine(ctx)
    found = engine.tasks(lane=lane, instance=instance, as_user=as_user, status=status, limit=limit)
    if as_json:
        keys = ("id", "instance", "registration", "name", "lane", "sop_step", "ready_at", "due_at")
        _print_json([{k: t.as_dict()[k] for k in keys} | {"status": t.status} for t in found])
        return
    now = engine.ctx.clock.now()
    _table(
        ["ID", "REGISTRATION", "STEP", "TASK", "LANE", "READY", "DUE"],
        [
            [
                t.id,
                t.registration,
                t.sop_step,
                t.name,
                t.lane,
                wib(t.ready_at),
                wib(t.due_at) + (" (late)" if t.overdue(now) else ""),
            ]
            for t in found
        ],
    )


@command(main, "task")
@click.argument("task_id")
@click.option("--as", "as_user", help="Show it as this user may see it.")
def task(ctx: click.Context, task_id: str, as_user: str | None, as_json: bool) -> None:
    """Show one task with its SOP standard and its form."""
    detail = _engine(ctx).task(task_id, as_user=as_user)
    if as_json:
        _print_json(detail.as_dict())
        return
    s = detail.summary
    mb = detail.mutu_baku
    for label, value in [
        ("Task", s.name),
        ("Application", f"{s.registration} (instance {s.instance})"),
        ("Lane", s.lane),
        ("SOP step", s.sop_step),
        ("Status", s.status),
        ("Ready", wib(s.ready_at)),
        ("Due", wib(s.due_at)),
        ("Persyaratan", mb.persyaratan),
        ("Waktu", mb.waktu),
        ("Output", mb.output),
    ]:
        click.echo(f"{label + ':':<13}{'' if value is None else value}")
    click.echo("")
    _table(
        ["FIELD", "TYPE", "REQUIRED", "LABEL", "VALUES"],
        [
            [f.id, f.type, "yes" if f.required else "", f.label, ", ".join(v.id for v in f.enum)]
            for f in detail.form.fields
        ],
    )


@command(main, "complete")
@click.argument("task_id")
@click.option("--as", "as_user", required=True, help="Who completes it (a member of the task's lane).")
@click.option("--data", help="Form data as a JSON object, @file or - for stdin.")
def complete(ctx: click.Context, task_id: str, as_user: str, data: str | None, as_json: bool) -> None:
    """Complete a task with its form data."""
    result = _engine(ctx).complete(task_id, as_user=as_user, data=_data(data))
    if as_json:
        _print_json(result.as_dict())
        return
    click.echo(f"completed {task_id} of {result.registration}; application is {result.status}")
    for t in result.next_tasks:
        click.echo(f"next: {t.name} ({t.lane}), task {t.id}, due {wib(t.due_at)}")


@command(main, "cancel")
@click.argument("instance")
@click.option("--as", "as_user", required=True, help="The applicant, or PTSP or Kepala Kantor staff.")
@click.option("--reason", help="Why the application is cancelled.")
def cancel(ctx: click.Context, instance: str, as_user: str, reason: str | None, as_json: bool) -> None:
    """Cancel a running application."""
    registration = _engine(ctx).cancel(instance, as_user=as_user, reason=reason)
    if as_json:
        _print_json({"registration": registration, "status": "cancelled"})
    else:
        click.echo(f"cancelled {registration}")


@command(main, "tick")
def tick(ctx: click.Context, as_json: bool) -> None:
    """Fire every timer that is due now and record the breaches."""
    result = _engine(ctx).tick()
    if as_json:
        _print_json(result.as_dict())
    else:
        click.echo(f"fired {result.fired} timer(s) in {result.instances} application(s)")
        for failure in result.failed:
            click.echo(f"failed: instance {failure['instance']}: {failure['error']}", err=True)
    if result.failed:
        sys.exit(1)


@command(main, "show")
@click.argument("instance")
@click.option("--as", "as_user", help="Show it as this user may see it.")
def show(ctx: click.Context, instance: str, as_user: str | None, as_json: bool) -> None:
    """Show an application (by id or registration number)."""
    info = _engine(ctx).show(instance, as_user=as_user)
    if as_json:
        _print_json(info.as_dict())
        return
    for label, value in [
        ("Registration", info.registration),
        ("Instance", info.id),
        ("Status", info.status),
        ("Process", f"{info.process} version {info.version}"),
        ("Applicant", info.owner),
        ("Started", wib(info.started_at)),
        ("Ended", wib(info.ended_at)),
    ]:
        click.echo(f"{label + ':':<14}{value}")
    for t in info.open_tasks:
        click.echo(f"{'Waiting for:':<14}{t.name} ({t.lane}), due {wib(t.due_at)}, task {t.id}")
    if info.data:
        click.echo("")
        _table(["FIELD", "VALUE"], [[k, json.dumps(v, ensure_ascii=False)] for k, v in info.data.items()])


def describe_event(e: Any) -> str:
    data = e.data
    if e.type == "task_completed":
        filled = {k: v for k, v in (data.get("form") or {}).items() if v is not None}
        return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in filled.items())
    if e.type == "task_ready":
        return f"due {wib(datetime.fromisoformat(data['due_at']))}" if data.get("due_at") else ""
    if e.type == "sla_breached":
        due = wib(datetime.fromisoformat(data["due_at"])) if data.get("due_at") else "-"
        return f"standard {data.get('standard')}, due {due}"
    if e.type == "gateway_decided":
        return "; ".join(f"-> {t.get('flow_name') or t.get('target')}" for t in data.get("taken", []))
    if e.type == "instance_started":
        return f"{data.get('registration')} on {data.get('process')} version {data.get('version')}"
    if e.type == "instance_cancelled":
        return data.get("reason") or ""
    if e.type == "instance_migrated":
        return f"version {data.get('from', {}).get('version')} -> {data.get('to', {}).get('version')}"
    return ""


def print_timeline(events: list[Any]) -> None:
    _table(
        ["SEQ", "TIME", "EVENT", "ACTOR", "LANE", "STEP", "TASK", "DETAIL"],
        [
            [e.seq, wib(e.at), e.type, e.actor, e.lane, e.data.get("sop_step"), e.task_name, describe_event(e)]
            for e in events
        ],
    )


@command(main, "history")
@click.argument("instance")
@click.option("--as", "as_user", help="Show it as this user may see it.")
def history(ctx: click.Context, instance: str, as_user: str | None, as_json: bool) -> None:
    """The application's timeline, oldest first."""
    events = _engine(ctx).history(instance, as_user=as_user)
    if as_json:
        _print_json([e.as_dict() for e in events])
    else:
        print_timeline(events)


@command(main, "setup", with_json=False)
@click.option(
    "--bpmn",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("processes/ptsp.bpmn"),
    show_default=True,
    help="The diagram to deploy (skipped when already deployed).",
)
@click.option("--demo-users", is_flag=True, help="Create one demo user per lane (passwords shown once).")
def setup(ctx: click.Context, bpmn: Path, demo_users: bool) -> None:
    """Create or upgrade the schema, deploy the diagram, and optionally add demo users."""
    from .demo import ensure_demo_users

    engine = _engine(ctx)
    engine.init_db()
    try:
        xml = bpmn.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {bpmn}: {exc.strerror}")
    deployed = engine.deploy(xml, deployed_by="setup")
    click.echo(f"database ready; {deployed.process} version {deployed.version} deployed")
    seeded = engine.ensure_catalogue()
    if seeded is not None:
        click.echo(f"service catalogue version {seeded.version} stored from processes/services.yaml")
    if not deployed.active:
        # a process owner decides what runs: setup never replaces their choice
        click.echo(f"version {deployed.version} is not active; `ptsp activate {deployed.version}` puts it into service")
    if demo_users:
        ensure_demo_users(engine, click.echo)


@command(main, "demo", with_json=False)
@click.option("--bpmn", type=click.Path(dir_okay=False, path_type=Path), default=Path("processes/ptsp.bpmn"))
def demo(ctx: click.Context, bpmn: Path) -> None:
    """Set up the database, the diagram and demo users; run one application through all lanes."""
    from .demo import run_demo

    run_demo(_engine(ctx), bpmn, click.echo, print_timeline)


# ----------------------------------------------------------------------- audit
@main.group()
def audit() -> None:
    """Check, replay and export applications' histories."""


@command(audit, "verify")
@click.argument("applications", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Check every application.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
def audit_verify(ctx: click.Context, applications: tuple[str, ...], everything: bool, jobs: int, as_json: bool) -> None:
    """Check the hash chain and re-execute the history of applications (ids or registration numbers).

    Exits with status 1 when any application fails, 0 when all hold.
    """
    if bool(applications) == everything:
        _fail("name the applications to check, or pass --all")
    report = _engine(ctx).audit_verify(None if everything else list(applications), jobs=jobs)
    if as_json:
        _print_json(report.as_dict())
    else:
        for failure in report.failures:
            at = f" at event {failure.seq}" if failure.seq is not None else ""
            click.echo(f"FAILED {failure.registration} ({failure.check}{at}): {failure.reason}")
        verdict = "all intact" if report.ok else f"{len(report.failures)} failed"
        click.echo(f"{report.checked} application(s) checked: {verdict}")
    if not report.ok:
        sys.exit(1)


class Moment(click.ParamType):
    """A day (YYYY-MM-DD, an office day in WIB) or an ISO 8601 moment with its offset."""

    name = "DATE"

    def __init__(self, end_of_day: bool = False) -> None:
        self.end_of_day = end_of_day

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        if day is not None:  # --until names the last day included: the period ends at the next midnight
            start = datetime.combine(day + timedelta(days=1) if self.end_of_day else day, time(0), WIB)
            return start.astimezone(UTC)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is neither a date (2026-11-23) nor a moment (2026-11-23T09:00+07:00)", param, ctx)
        if moment.tzinfo is None:
            self.fail(f"{value!r} has no offset: write it as 2026-11-23T09:00+07:00", param, ctx)
        return moment.astimezone(UTC)


@command(audit, "export", with_json=False)
@click.option(
    "--format", "fmt", type=click.Choice(sorted(FORMATS)), required=True, help="csv, jsonl or xes (IEEE 1849)."
)
@click.option("--since", type=Moment(), help="Applications filed on or after this day (WIB) or moment.")
@click.option("--until", type=Moment(end_of_day=True), help="Applications filed up to and including this day (WIB).")
@click.option("--instance", help="Only this application (id or registration number).")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Write here, not stdout."
)
def audit_export(
    ctx: click.Context,
    fmt: str,
    since: datetime | None,
    until: datetime | None,
    instance: str | None,
    output: Path | None,
) -> None:
    """Export the event log, one event a row (CSV, JSON Lines) or one trace per application (XES).

    Whole histories of the applications filed in the period are exported,
    streamed, so memory stays flat for any size.
    """
    chunks = _engine(ctx).audit_export(fmt, since=since, until=until, instance=instance)
    if output is None:
        for chunk in chunks:
            click.echo(chunk, nl=False)
        return
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            for chunk in chunks:
                out.write(chunk)
        partial.replace(output)  # never leave a truncated file under the asked name
    except OSError as exc:
        partial.unlink(missing_ok=True)
        _fail(f"cannot write {output}: {exc.strerror}")
    click.echo(f"written {output}", err=True)


def _this_month() -> tuple[datetime, datetime]:
    today = datetime.now(WIB).date()
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return datetime.combine(first, time(0), WIB), datetime.combine(following, time(0), WIB)


@command(audit, "sla")
@click.option("--since", type=Moment(), help="First day of the period (WIB); default: the first of this month.")
@click.option("--until", type=Moment(end_of_day=True), help="Last day of the period (WIB); default: this month's last.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
@click.option("--csv", "as_csv", is_flag=True, help="Print the report as CSV.")
@click.option("--svg", type=click.Path(dir_okay=False, path_type=Path), help="Also write the chart to this file.")
def audit_sla(
    ctx: click.Context,
    since: datetime | None,
    until: datetime | None,
    lang: str,
    as_csv: bool,
    svg: Path | None,
    as_json: bool,
) -> None:
    """SLA compliance per SOP step and per lane for a period: share within the standard, median, p90, breaches."""
    from .audit.sla import duration_label
    from .audit.sla_render import report_csv, report_svg

    default_since, default_until = _this_month()
    report = _engine(ctx).sla_report(since or default_since, until or default_until)
    if svg is not None:
        svg.write_text(report_svg(report, lang), encoding="utf-8")
    if as_csv:
        click.echo(report_csv(report, lang), nl=False)
        return
    if as_json:
        _print_json(sla_dict(report))
        return

    def span(value: timedelta | None) -> str:
        return duration_label(value, lang) if value is not None else "-"

    def share(value: float | None) -> str:
        return f"{value * 100:.1f}%" if value is not None else "-"

    click.echo(f"SLA {wib(report.period_start)} - {wib(report.period_end)}: {report.tasks} task(s)")
    _table(
        ["STEP", "STANDARD", "COUNT", "ON TIME", "MEDIAN", "P90", "BREACHES", "OPEN", "OVERDUE"],
        [
            [
                r.step,
                r.standard_label,
                r.occurrences,
                share(r.on_time_share),
                span(r.median),
                span(r.p90),
                r.breaches,
                r.open,
                r.open_overdue,
            ]
            for r in report.by_step
        ],
    )
    click.echo("")
    _table(
        ["LANE", "TASKS", "ON TIME", "MEDIAN", "P90", "BREACHES", "OPEN"],
        [
            [r.lane, r.tasks, share(r.on_time_share), span(r.median), span(r.p90), r.breaches, r.open]
            for r in report.by_lane
        ],
    )
    if report.breaches:
        click.echo("")
        _table(
            ["REGISTRATION", "STEP", "TASK", "LANE", "DUE", "DONE", "BY", "OVERRUN"],
            [
                [
                    b.registration,
                    b.step,
                    b.task_name,
                    b.lane,
                    wib(b.due_at),
                    wib(b.completed_at),
                    b.completed_by,
                    span(b.overrun),
                ]
                for b in report.breaches
            ],
        )


def sla_dict(report: Any) -> dict[str, Any]:
    """The report as JSON: durations in seconds, moments in ISO 8601 UTC."""

    def value(v: Any) -> Any:
        if isinstance(v, timedelta):
            return v.total_seconds()
        if isinstance(v, datetime):
            return v.isoformat()
        if isinstance(v, tuple):
            return [value(x) for x in v]
        return v

    def rows(items: Any) -> list[dict[str, Any]]:
        return [{f.name: value(getattr(r, f.name)) for f in fields(r)} for r in items]

    return {
        "period_start": report.period_start.isoformat(),
        "period_end": report.period_end.isoformat(),
        "tasks": report.tasks,
        "by_step": rows(report.by_step),
        "by_lane": rows(report.by_lane),
        "breaches": rows(report.breaches),
    }


if __name__ == "__main__":
    main()


# Commands of each area live in their own module and register themselves on ``main``.
from . import cli_applicant, cli_calendar, cli_catalogue, cli_notifications  # noqa: E402, F401
