"""Registration numbers: PTSP/<year>/<six digits>, counted per year (WIB).

The counter row is incremented in the same transaction that creates the
instance, so a number is used exactly once and a rolled-back start gives its
number back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from .calendar import WIB
from .store.models import Counter

PREFIX = "PTSP"


def format_registration(year: int, number: int) -> str:
    return f"{PREFIX}/{year}/{number:06d}"


def next_counter(session: Session | Connection, name: str) -> int:
    dialect = session.get_bind().dialect.name if isinstance(session, Session) else session.dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        stmt = (
            insert(Counter)
            .values(name=name, value=1)
            .on_conflict_do_update(index_elements=[Counter.name], set_={"value": Counter.value + 1})
            .returning(Counter.value)
        )
        return session.execute(stmt).scalar_one()
    row = session.execute(select(Counter).where(Counter.name == name).with_for_update()).scalar_one_or_none()
    if row is None:
        session.add(Counter(name=name, value=1))
        session.flush()
        return 1
    session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1))
    return row.value + 1


def allocate(session: Session | Connection, moment: datetime) -> str:
    year = moment.astimezone(WIB).year
    return format_registration(year, next_counter(session, f"registration:{year}"))
