"""Who a bearer token names: an API key or a signed-in user's token, found in one indexed query.

Read from the database on every request, never remembered: a revoked token or key, a disabled user or
a change of roles or unit holds from the next request on, in every gateway process. The check runs on
every call through the gateway, so it is one statement, built once, on a pooled connection (no ORM
session): the key's digest looked up among API keys and user tokens at once.
"""

from __future__ import annotations

from sqlalchemy import CompoundSelect, bindparam, literal_column, null, select, union_all

from services.gateway.identity.api_keys import ApiKeyDigester
from services.gateway.models import ApiKey, User, UserToken
from shared.clock import as_utc, utc_now
from shared.db import Database
from shared.identity import Identity

_KEYS = select(literal_column("'apikey:'").label("kind"), ApiKey.id.label("name_or_id"), ApiKey.name.label("shown"),
               ApiKey.roles, ApiKey.unit_uscc, ApiKey.expires_at, ApiKey.revoked_at,
               null().label("disabled_at")).where(ApiKey.digest == bindparam("digest"))
_USER_TOKENS = (select(literal_column("'user:'").label("kind"), User.username.label("name_or_id"),
                       User.display_name.label("shown"), User.roles, User.unit_uscc, UserToken.expires_at,
                       UserToken.revoked_at, User.disabled_at)
                .join(User, User.username == UserToken.username).where(UserToken.digest == bindparam("digest")))
_EITHER: CompoundSelect = union_all(_KEYS, _USER_TOKENS)


async def identity_for_token(database: Database, digester: ApiKeyDigester, presented: str, *,
                             users_only: bool) -> Identity | None:
    """The identity behind an API key or user token (only a user token when ``users_only``); None when
    unknown, revoked, expired or its user disabled."""
    row = await database.read_one(_USER_TOKENS if users_only else _EITHER, {"digest": digester.digest(presented)})
    if row is None or row.revoked_at is not None or row.disabled_at is not None:
        return None
    expires_at = as_utc(row.expires_at)
    if (expires_at is None and row.kind == "user:") or (expires_at is not None and expires_at <= utc_now()):
        return None
    return Identity(subject=row.kind + row.name_or_id, name=row.shown,
                    roles=tuple(role for role in row.roles.split(",") if role), unit=row.unit_uscc)
