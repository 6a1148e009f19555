"""Days and periods in a query string (``dari``..``sampai``), read as days in WIB.

A period runs from the first day's 00.00 WIB to the end of the last day; a
report without days covers the current month. A day that is not a date
comes back as an error text for the page to show beside its field.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine.calendar import WIB

DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def day(args: MultiDict, name: str, errors: dict[str, str]) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if not DAY.fullmatch(raw):
            raise ValueError(raw)
        found = date.fromisoformat(raw)
        if not 2000 <= found.year <= 2999:
            raise ValueError(raw)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD (between the years 2000 and 2999).")
        return None
    return found


def start_of(first: date | None) -> datetime | None:
    return datetime.combine(first, time(), WIB) if first is not None else None


def end_of(last: date | None) -> datetime | None:
    """The moment after the last day: ``until`` is exclusive, the day the person chose is not."""
    return datetime.combine(last + timedelta(days=1), time(), WIB) if last is not None else None


def period(args: MultiDict, errors: dict[str, str]) -> tuple[datetime | None, datetime | None]:
    """``dari``..``sampai`` as moments; either end may be open."""
    return start_of(day(args, "dari", errors)), end_of(day(args, "sampai", errors))


def report_days(args: MultiDict, errors: dict[str, str], now: datetime) -> tuple[date, date]:
    """The chosen days, each defaulting to the current month in WIB."""
    today = now.astimezone(WIB).date()
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return day(args, "dari", errors) or first, day(args, "sampai", errors) or last
