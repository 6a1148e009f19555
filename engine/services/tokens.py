"""API tokens: created once and shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import Connection, bindparam, insert, select, update

from ..errors import InvalidInput, NotFound
from ..store.models import ApiToken, User
from ..store.uow import UnitOfWork
from ..views import TokenInfo
from .context import Actor, Context, actor

PREFIX = "ptsp_"
_TOKENS, _USERS = ApiToken.__table__, User.__table__
_BY_HASH = (
    select(_USERS.c.login)
    .select_from(_TOKENS.join(_USERS, _USERS.c.id == _TOKENS.c.user_id))
    .where(_TOKENS.c.token_hash == bindparam("hash"), _TOKENS.c.revoked_at.is_(None), _USERS.c.active.is_(True))
)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(uow: UnitOfWork, ctx: Context, login: str, label: str | None) -> tuple[str, TokenInfo]:
    if label is not None and (not isinstance(label, str) or len(label) > 200):
        raise InvalidInput("a token label must be text of at most 200 characters")
    user = actor(uow.connection, login)
    token = PREFIX + secrets.token_urlsafe(32)
    now = ctx.clock.now()
    token_id = uow.connection.execute(
        insert(_TOKENS)
        .values(user_id=user.id, token_hash=digest(token), label=label, created_at=now, revoked_at=None)
        .returning(_TOKENS.c.id)
    ).scalar_one()
    return token, TokenInfo(token_id, login, label, now, None)


def authenticate(connection: Connection, token: str) -> Actor | None:
    """The user a presented token belongs to, or None (unknown, revoked, or malformed)."""
    if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > 200:
        return None
    login = connection.execute(_BY_HASH, {"hash": digest(token)}).scalar_one_or_none()
    return actor(connection, login) if login is not None else None


def revoke(uow: UnitOfWork, ctx: Context, token_id: int, login: str | None = None) -> None:
    query = update(_TOKENS).where(_TOKENS.c.id == token_id, _TOKENS.c.revoked_at.is_(None))
    if login is not None:
        owner = actor(uow.connection, login)
        query = query.where(_TOKENS.c.user_id == owner.id)
    if uow.connection.execute(query.values(revoked_at=ctx.clock.now())).rowcount != 1:
        raise NotFound(f"active token {token_id} not found")


def list_tokens(connection: Connection, login: str | None = None) -> list[TokenInfo]:
    query = (
        select(_TOKENS.c.id, _USERS.c.login, _TOKENS.c.label, _TOKENS.c.created_at, _TOKENS.c.revoked_at)
        .select_from(_TOKENS.join(_USERS, _USERS.c.id == _TOKENS.c.user_id))
        .order_by(_TOKENS.c.id)
    )
    if login is not None:
        query = query.where(_USERS.c.login == login)
    return [TokenInfo(*row) for row in connection.execute(query)]
