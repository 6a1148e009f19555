"""Rate limits on logging in and signing up, kept in the database.

Several web workers on several machines share one database and nothing else,
so the attempts are rows of ``login_attempts``, not counters in a process.
A limit is "at most N attempts in any window of W": the window slides, and an
attempt that was refused because of a limit is not recorded, so persisting
does not prolong the wait. A login attempt is recorded as failed *before* the
password is checked (and removed again, with the login's other failures, when
it succeeds); with the check and the record in one transaction, serialized per
login name and address, simultaneous attempts on other workers see each other
and no burst gets past a limit.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Connection, delete, insert, select, text

from ..errors import TooManyAttempts
from ..inputs import login_ok
from ..store.models import LoginAttempt
from ..store.uow import UnitOfWork
from .context import Context

LOGIN_FAILED = "login_failed"
SIGNUP = "signup"
ADDRESS_LENGTH = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_T = LoginAttempt.__table__
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` attempts in any ``window``."""

    attempts: int
    window: timedelta

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int) or self.attempts < 1:
            raise ValueError(f"a limit needs at least 1 attempt, not {self.attempts!r}")
        if not isinstance(self.window, timedelta) or self.window <= timedelta(0):
            raise ValueError(f"a limit needs a positive window, not {self.window!r}")


@dataclass(frozen=True)
class Policy:
    """The limits; rows older than ``keep`` are deleted, so ``keep`` must cover every window."""

    per_login: Limit = Limit(5, timedelta(minutes=15))
    per_address: Limit = Limit(30, timedelta(minutes=15))
    signups_per_address: Limit = Limit(10, timedelta(hours=1))
    keep: timedelta = timedelta(days=1)

    def __post_init__(self) -> None:
        longest = max(self.per_login.window, self.per_address.window, self.signups_per_address.window)
        if self.keep < longest:
            raise ValueError(f"attempts must be kept at least as long as the longest window ({longest})")


DEFAULT_POLICY = Policy()


def login_key(login: str | None) -> str | None:
    """The login name as stored, or None for a name that cannot be a login (it counts per address only)."""
    return login if login_ok(login) else None


def address_key(address: str | None) -> str:
    """The client address as stored: no control characters, at most 64 characters."""
    cleaned = _CONTROL.sub("", address if isinstance(address, str) else "").strip()[:ADDRESS_LENGTH]
    return cleaned or "unknown"


def begin_login(uow: UnitOfWork, ctx: Context, policy: Policy, login: str | None, address: str | None) -> None:
    """Refuse with ``TooManyAttempts`` while the login name or the address is limited.

    Otherwise record this attempt as failed; ``login_succeeded`` takes it back.
    """
    now = ctx.clock.now()
    name, addr = login_key(login), address_key(address)
    connection = uow.connection
    _serialize(connection, *([f"login:{name}"] if name else []), f"address:{addr}")
    _prune(connection, now, policy)
    checks: list[tuple[Column, str, Limit]] = [(_T.c.address, addr, policy.per_address)]
    if name is not None:
        checks.insert(0, (_T.c.login, name, policy.per_login))
    _refuse_if_limited(connection, LOGIN_FAILED, now, checks, "too many failed logins for this user or address")
    connection.execute(insert(_T).values(kind=LOGIN_FAILED, login=name, address=addr, at=now))


def login_succeeded(uow: UnitOfWork, login: str) -> None:
    """A successful login clears that login's failures (those of other logins from its address stay)."""
    uow.connection.execute(delete(_T).where(_T.c.kind == LOGIN_FAILED, _T.c.login == login))


def begin_signup(uow: UnitOfWork, ctx: Context, policy: Policy, login: str | None, address: str | None) -> None:
    """Refuse with ``TooManyAttempts`` while the address is limited; otherwise count this sign-up."""
    now = ctx.clock.now()
    addr = address_key(address)
    connection = uow.connection
    _serialize(connection, f"signup:{addr}")
    _prune(connection, now, policy)
    checks = [(_T.c.address, addr, policy.signups_per_address)]
    _refuse_if_limited(connection, SIGNUP, now, checks, "too many sign-ups from this address")
    connection.execute(insert(_T).values(kind=SIGNUP, login=login_key(login), address=addr, at=now))


def limit_per_address(
    connection: Connection, kind: str, address: str | None, now: datetime, limit: Limit, keep: timedelta, what: str
) -> str:
    """The same rule for another kind of attempt (public tracking...): refuse with ``TooManyAttempts``
    while the address is limited, forgetting attempts of this kind older than ``keep``.

    Returns the address key to count a failed attempt under (``count_attempt``).
    """
    addr = address_key(address)
    _serialize(connection, f"{kind}:{addr}")
    connection.execute(delete(_T).where(_T.c.kind == kind, _T.c.at < now - keep))
    _refuse_if_limited(connection, kind, now, [(_T.c.address, addr, limit)], what)
    return addr


def count_attempt(connection: Connection, kind: str, address: str, now: datetime) -> None:
    connection.execute(insert(_T).values(kind=kind, login=None, address=address, at=now))


def _serialize(connection: Connection, *keys: str) -> None:
    """On PostgreSQL, one transaction at a time per key until commit (SQLite's writers queue anyway).

    Callers pass the keys in one fixed order (login before address), so two
    transactions never wait for each other in a circle.
    """
    if connection.dialect.name != "postgresql":
        return
    for key in keys:
        number = int.from_bytes(hashlib.sha256(f"ptsp-throttle:{key}".encode()).digest()[:8], "big", signed=True)
        connection.execute(_ADVISORY_LOCK, {"key": number})


def _prune(connection: Connection, now: datetime, policy: Policy) -> None:
    connection.execute(delete(_T).where(_T.c.at < now - policy.keep))


def _wait(connection: Connection, kind: str, column: Column, value: str, limit: Limit, now: datetime) -> float:
    """Seconds until fewer than ``limit.attempts`` of these attempts lie in the window (0 when fewer already)."""
    nth_newest = connection.execute(
        select(_T.c.at)
        .where(_T.c.kind == kind, column == value, _T.c.at > now - limit.window)
        .order_by(_T.c.at.desc())
        .limit(1)
        .offset(limit.attempts - 1)
    ).scalar_one_or_none()
    if nth_newest is None:
        return 0.0
    return (nth_newest + limit.window - now).total_seconds()


def _refuse_if_limited(
    connection: Connection, kind: str, now: datetime, checks: list[tuple[Column, str, Limit]], what: str
) -> None:
    wait = max(_wait(connection, kind, column, value, limit, now) for column, value, limit in checks)
    if wait > 0:
        seconds = math.ceil(wait)
        raise TooManyAttempts(f"{what}; try again in {seconds} seconds", retry_after=seconds)
