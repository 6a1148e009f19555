"""``ptsp`` commands for the applicant (registered on ``engine.cli.main`` when that module loads).

``ptsp receipt INSTANCE`` prints the receipt's facts: the tracking code and
the expected completion. ``ptsp ikm`` prints the IKM (PermenPANRB 14/2017) of
the SKM surveys submitted in a period, overall and per service.
"""

from __future__ import annotations

from datetime import datetime

import click

from . import skm
from .cli import Moment, _engine, _print_json, _table, _this_month, command, main, wib

QUALITY = {"very_good": "Sangat Baik", "good": "Baik", "poor": "Kurang Baik", "bad": "Tidak Baik"}


@command(main, "receipt")
@click.argument("instance")
@click.option("--as", "as_user", help="Show it as this user may (the applicant, or PTSP staff).")
def receipt(ctx: click.Context, instance: str, as_user: str | None, as_json: bool) -> None:
    """The receipt (tanda terima) of an application whose file was handed in: tracking code, expected completion."""
    r = _engine(ctx).receipt(instance, as_user=as_user)
    if as_json:
        _print_json(r.as_dict())
        return
    for label, value in [
        ("Registration", r.registration),
        ("Service", r.service or "-"),
        ("Filed", wib(r.filed_at)),
        ("File received", wib(r.received_at)),
        *([("Completed file", wib(r.resubmitted_at))] if r.resubmitted_at else []),
        ("Expected", wib(r.expected_at)),
        ("Tracking code", r.code_display),
    ]:
        click.echo(f"{label + ':':<16}{value}")


def _number(value: object, places: int) -> str:
    return "-" if value is None else str(skm.rounded(value, places))  # type: ignore[arg-type]


@command(main, "ikm")
@click.option("--since", type=Moment(), help="First day of the period (WIB); default: the first of this month.")
@click.option("--until", type=Moment(end_of_day=True), help="Last day of the period (WIB); default: this month's last.")
def ikm(ctx: click.Context, since: datetime | None, until: datetime | None, as_json: bool) -> None:
    """The IKM of the SKM surveys submitted in a period (PermenPANRB 14/2017), overall and per service."""
    default_since, default_until = _this_month()
    report = _engine(ctx).ikm_report(since or default_since, until or default_until)
    if as_json:
        _print_json(report.as_dict())
        return
    click.echo(f"IKM {wib(report.since)} - {wib(report.until)}: {report.overall.respondents} respondent(s)")
    if report.is_empty:
        return
    groups = [("(all services)", report.overall)] + [
        (s.service or s.service_code or "-", s.result) for s in report.by_service
    ]
    _table(
        ["SERVICE", "N", *[code.upper() for code in skm.CODES], "NRR", "IKM", "QUALITY"],
        [
            [
                name,
                result.respondents,
                *[_number(v, 2) for v in result.element_nrr],
                _number(result.weighted, 3),
                _number(result.ikm, 2),
                f"{result.letter} ({QUALITY.get(result.quality or '', '-')})",
            ]
            for name, result in groups
        ],
    )
