"""``ptsp calendar``: the office calendar (registered on ``engine.cli.main`` when that module loads).

    ptsp calendar show [--from DATE] [--to DATE]
    ptsp calendar close 2026-12-31 --note "Penutupan akhir tahun" [--by LOGIN]
    ptsp calendar open 2026-12-31 [--by LOGIN]          (or: ptsp calendar revoke ID)
    ptsp calendar hours --from 2027-02-08 --to 2027-03-09 --name "Jam kerja Ramadan" \\
        --weekday-hours "mon-thu 08.00-15.00; fri 08.00-15.30"
    ptsp calendar hours --regular --weekday-hours "mon-thu 07.30-16.00; fri 07.30-16.30"
    ptsp calendar sync [--years 2026-2028] [--categories public,government]
    ptsp calendar deadline 2026-12-23T15:50+07:00 PT15M

The operator at the command line is trusted (like ``ptsp activate``); ``--by``
names who made a change and is recorded with it. Dates are YYYY-MM-DD.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import click

from .calendar import WIB
from .cli import _engine, _fail, _print_json, _table, command, main, wib
from .services.office_calendar import CalendarOverview, SyncResult, parse_day, period_dict, row_dict, today
from .working_time import SHORT_DAY, WEEK_HOURS_EXAMPLE, DayRow, PeriodRow, format_week_hours

KIND_LABELS = {"holiday": "national holiday", "cuti_bersama": "cuti bersama", "closure": "office closure"}
BY = click.option("--by", "by", help="Who makes the change (login), recorded with it.")


@main.group()
def calendar() -> None:
    """The office calendar: working days and hours, holidays, cuti bersama, closures, special hours."""


def _day_line(row: DayRow) -> str:
    return f"{row.name} ({KIND_LABELS.get(row.kind, row.kind)}, #{row.id})"


def _hours_text(opens: datetime | None, closes: datetime | None) -> str:
    return f"{opens:%H.%M}-{closes:%H.%M}" if opens and closes else "closed"


def _print_overview(found: CalendarOverview) -> None:
    if found.mode == "wall-clock":
        click.echo("Calendar: wall-clock (PTSP_CALENDAR=wall-clock): deadlines count 24-hour days")
    else:
        click.echo("Calendar: office time (deadlines count office hours and working days)")
    if found.regular is not None:
        click.echo(f"Regular hours: {format_week_hours(found.regular.hours)} (WIB)")
    else:
        click.echo("Regular hours: none yet (run `ptsp db upgrade`); deadlines count wall-clock time until then")
    click.echo("")
    rows = []
    for day in found.days:
        notes = [_day_line(r) for r in day.closed_by]
        if day.period is not None and not day.closed_by:
            notes.append(f"{day.period.name} (special hours, #{day.period.id})")
        if not day.working and not notes:
            notes.append("weekend" if day.day.isoweekday() >= 6 else "no office hours")
        rows.append([day.day.strftime("%d-%m-%Y"), SHORT_DAY[day.day.isoweekday()], _hours_text(day.opens, day.closes)])
        rows[-1].append("; ".join(notes))
    _table(["DATE", "DAY", "HOURS (WIB)", "NOTE"], rows)
    if found.periods:
        click.echo("")
        _table(
            ["ID", "SPECIAL HOURS", "FROM", "TO", "HOURS (WIB)"],
            [
                [p.id, p.name, f"{p.starts:%d-%m-%Y}", f"{p.ends:%d-%m-%Y}", format_week_hours(p.hours)]
                for p in found.periods
            ],
        )


@command(calendar, "show")
@click.option("--from", "since", metavar="DATE", help="First day (default: today).")
@click.option("--to", "until", metavar="DATE", help="Last day (default: two weeks after the first).")
def show(ctx: click.Context, since: str | None, until: str | None, as_json: bool) -> None:
    """Working days and office hours, holidays (named), closures and special hours of a period."""
    engine = _engine(ctx)
    found = engine.calendar_overview(since, until if until is not None else _two_weeks(engine, since))
    if as_json:
        _print_json(found.as_dict())
    else:
        _print_overview(found)


def _two_weeks(engine: Any, since: str | None) -> str:
    first = parse_day(since, "first day") if since is not None else today(engine.ctx.clock.now())
    return (first + timedelta(days=13)).isoformat()


def _print_rows(rows: list[DayRow], verb: str, as_json: bool) -> None:
    if as_json:
        _print_json([row_dict(r) for r in rows])
        return
    for row in rows:
        if verb == "closed":
            since, how = row.created_at, "with"
        else:
            since, how = row.revoked_at, "without"
        click.echo(f"{verb} {row.day:%d-%m-%Y}: {_day_line(row)}; deadlines computed from {wib(since)} count {how} it")


@command(calendar, "close")
@click.argument("day", metavar="DATE")
@click.option("--note", required=True, help="Why the office is closed (shown on the calendar).")
@BY
def close(ctx: click.Context, day: str, note: str, by: str | None, as_json: bool) -> None:
    """Close the office on DATE (an extra closure, Penutupan kantor)."""
    row = _engine(ctx).close_day(day, note=note, by=by)
    if as_json:
        _print_json(row_dict(row))
    else:
        _print_rows([row], "closed", as_json)


@command(calendar, "open")
@click.argument("day", metavar="DATE")
@BY
def open_day(ctx: click.Context, day: str, by: str | None, as_json: bool) -> None:
    """Open the office on DATE again: revoke its closure (or holiday, or cuti bersama). Nothing is deleted."""
    rows = _engine(ctx).revoke_closure(day=day, by=by)
    _print_rows(rows, "opened", as_json)


@command(calendar, "revoke")
@click.argument("row_id", metavar="ID")
@click.option("--hours", "is_hours", is_flag=True, help="ID names a period of special hours, not a non-working day.")
@BY
def revoke(ctx: click.Context, row_id: str, is_hours: bool, by: str | None, as_json: bool) -> None:
    """Revoke non-working day ID (as `show` lists it), or with --hours a period of special hours."""
    engine = _engine(ctx)
    if is_hours:
        period = engine.revoke_special_hours(row_id, by=by)
        if as_json:
            _print_json(period_dict(period))
        else:
            click.echo(f"revoked special hours #{period.id} {period.name}: the regular hours apply again")
        return
    _print_rows(engine.revoke_closure(row_id, by=by), "opened", as_json)


_RANGE = re.compile(r"^(\d{4})(?:-(\d{4}))?$")


@command(calendar, "hours")
@click.option("--from", "since", metavar="DATE", help="First day of the period.")
@click.option("--to", "until", metavar="DATE", help="Last day of the period (included).")
@click.option("--name", help="What the period is called, e.g. 'Jam kerja Ramadan'.")
@click.option(
    "--weekday-hours",
    "weekday_hours",
    required=True,
    help=f"Hours per weekday, e.g. '{WEEK_HOURS_EXAMPLE}' (days not named are closed; Indonesian day names work).",
)
@click.option("--regular", is_flag=True, help="Replace the regular office hours instead (no --from/--to).")
@BY
def hours(
    ctx: click.Context,
    since: str | None,
    until: str | None,
    name: str | None,
    weekday_hours: str,
    regular: bool,
    by: str | None,
    as_json: bool,
) -> None:
    """Special office hours for a period (e.g. Ramadan), or with --regular the regular hours."""
    engine = _engine(ctx)
    if regular:
        if since or until:
            _fail("--regular sets the hours of every day: leave out --from and --to")
        period: PeriodRow = engine.set_regular_hours(weekday_hours, by=by)
    else:
        if not since or not until or not name:
            _fail("special hours need --from, --to and --name (or --regular for the regular hours)")
        period = engine.add_special_hours(since, until, name=name, hours=weekday_hours, by=by)
    if as_json:
        _print_json(period_dict(period))
        return
    span = "every day" if period.regular else f"{period.starts:%d-%m-%Y} to {period.ends:%d-%m-%Y}"
    click.echo(f"#{period.id} {period.name}, {span}: {format_week_hours(period.hours)} (WIB)")
    click.echo(f"deadlines computed from {wib(period.created_at)} count with these hours")


@command(calendar, "sync")
@click.option("--years", help="A year or a range, e.g. 2027 or 2026-2028 (default: last year to two years ahead).")
@click.option(
    "--categories",
    help="public (national holidays), government (cuti bersama), or both comma-separated "
    "(default: $PTSP_HOLIDAY_CATEGORIES or both).",
)
@BY
def sync(ctx: click.Context, years: str | None, categories: str | None, by: str | None, as_json: bool) -> None:
    """Store the holidays package's national holidays and cuti bersama that are not stored yet."""
    chosen = None
    if years is not None:
        m = _RANGE.match(years.strip())
        if m is None:
            _fail(f"--years {years!r}: write a year (2027) or a range (2026-2028)")
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        if last < first:
            _fail(f"--years {years!r}: the range runs backwards")
        chosen = range(first, last + 1)
    result: SyncResult = _engine(ctx).sync_holidays(chosen, categories=categories, by=by)
    if as_json:
        _print_json(result.as_dict())
        return
    click.echo(
        f"{len(result.added)} new non-working day(s) for {result.years[0]}-{result.years[-1]} "
        f"({', '.join(result.categories)})"
    )
    for row in result.added:
        click.echo(f"  {row.day:%d-%m-%Y}  {_day_line(row)}")
    if result.regular_created:
        click.echo("regular office hours stored: Mon-Thu 07.30-16.00; Fri 07.30-16.30 (WIB)")


@command(calendar, "deadline")
@click.argument("start")
@click.argument("standard")
def deadline(ctx: click.Context, start: str, standard: str, as_json: bool) -> None:
    """When STANDARD (PT15M, P1D...) starting at START (2026-12-23T15:50+07:00; no offset = WIB) runs out."""
    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        _fail(f"{start!r} is not a moment; write it as 2026-12-23T15:50+07:00")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=WIB)
    engine = _engine(ctx)
    due = engine.deadline(moment, standard)
    if as_json:
        _print_json(
            {
                "start": moment.isoformat(),
                "standard": standard,
                "due": due.isoformat(),
                "calendar": engine.calendar_mode,
            }
        )
    else:
        click.echo(f"{standard} from {wib(moment)}: batas waktu {wib(due)} ({engine.calendar_mode})")
