"""Users and their lanes."""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import Conflict, InvalidInput, NotFound
from ..inputs import login_ok, text_ok
from ..model import APPLICANT_LANE, AUDITOR, KNOWN_LANES, KNOWN_ROLES, SEKSI, SEKSI_LANE, lane_order
from ..passwords import MIN_LENGTH, hash_password, verify_password
from ..store.models import User, UserLane, UserRole
from ..store.uow import UnitOfWork
from ..views import UserInfo
from .context import Context

# an address a mail server accepts: local@domain.tld, no spaces or control characters
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def add_user(
    uow: UnitOfWork,
    ctx: Context,
    login: str,
    lanes: list[str],
    *,
    name: str | None = None,
    password: str | None = None,
    roles: list[str] | None = None,
    seksi: str | None = None,
    email: str | None = None,
) -> UserInfo:
    if not login_ok(login):
        raise InvalidInput(
            f"invalid login {login!r}: use 2 to 64 lowercase letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    lanes, roles = list(dict.fromkeys(lanes)), list(dict.fromkeys(roles or []))
    if not lanes and not roles:
        raise InvalidInput(f"a user needs at least one lane (or a role: {', '.join(KNOWN_ROLES)})")
    unknown = [lane for lane in lanes if lane not in KNOWN_LANES]
    if unknown:
        raise InvalidInput(f"unknown lane {unknown[0]!r}; lanes are: {', '.join(KNOWN_LANES)}")
    unknown = [role for role in roles if role not in KNOWN_ROLES]
    if unknown:
        raise InvalidInput(f"unknown role {unknown[0]!r}; roles are: {', '.join(KNOWN_ROLES)}")
    if AUDITOR in roles and (lanes or len(roles) > 1):
        raise InvalidInput("an auditor works in no lane and has no other role: whoever audits the work must not do it")
    if seksi is not None:
        if SEKSI_LANE not in lanes:
            raise InvalidInput(f"only users of the {SEKSI_LANE} lane belong to a Seksi")
        if seksi not in SEKSI:
            raise InvalidInput(f"unknown Seksi {seksi!r}; the Seksi are: {', '.join(SEKSI)}")
    if email is not None and not EMAIL.fullmatch(email):
        raise InvalidInput(f"invalid e-mail address {email[:80]!r}")
    if password is not None and len(password) < MIN_LENGTH:
        raise InvalidInput(f"password too short: at least {MIN_LENGTH} characters")
    name = (name or login).strip() if isinstance(name or login, str) else ""
    if not name or not text_ok(name, 200) or "\n" in name:
        raise InvalidInput("a name must have 1 to 200 characters and no control characters")
    session = uow.session
    if session.execute(select(User.id).where(User.login == login)).first() is not None:
        raise Conflict(f"user '{login}' already exists")
    user = User(
        login=login,
        name=name,
        password_hash=hash_password(password) if password else None,
        active=True,
        created_at=ctx.clock.now(),
        seksi=seksi,
        email=email,
    )
    session.add(user)
    uow.flush()
    for lane in lanes:
        session.add(UserLane(user_id=user.id, lane=lane))
    for role in roles:
        session.add(UserRole(user_id=user.id, role=role))
    return UserInfo(user.id, user.login, user.name, lane_order(lanes), tuple(roles), user.seksi, user.email)


def register_applicant(
    uow: UnitOfWork, ctx: Context, login: str, password: str, *, name: str, email: str | None = None
) -> UserInfo:
    """An applicant signing up: a Pemohon-lane user with a password, and an e-mail address if they gave one."""
    if not isinstance(password, str) or not password:
        raise InvalidInput("a password is required")
    if email is not None:
        if not isinstance(email, str):
            raise InvalidInput("an e-mail address must be text")
        email = email.strip() or None
    return add_user(uow, ctx, login, [APPLICANT_LANE], name=name, password=password, email=email)


def set_password(uow: UnitOfWork, login: str, password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise InvalidInput(f"password too short: at least {MIN_LENGTH} characters")
    changed = uow.session.execute(
        update(User).where(User.login == login).values(password_hash=hash_password(password))
    ).rowcount
    if changed != 1:
        raise NotFound(f"user '{login}' not found")


def authenticate(session, login: str, password: str) -> UserInfo | None:
    if not login_ok(login) or not isinstance(password, str):
        return None
    user = session.execute(select(User).where(User.login == login)).scalar_one_or_none()
    if user is None or not user.active or not verify_password(user.password_hash, password):
        return None
    return user_info(session, user)


def user_info(session: Session, user: User) -> UserInfo:
    lanes = session.execute(select(UserLane.lane).where(UserLane.user_id == user.id)).scalars().all()
    roles = session.execute(select(UserRole.role).where(UserRole.user_id == user.id)).scalars().all()
    return UserInfo(user.id, user.login, user.name, lane_order(lanes), tuple(sorted(roles)), user.seksi, user.email)
