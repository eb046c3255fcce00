"""API keys for systems: shown once, stored as a keyed SHA-256 digest.

Keys are long and random, so a fast keyed digest is the right store (a slow password hash buys
nothing against guessing a 256-bit value and would slow every call); the HMAC key keeps a stolen
table from being checked offline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.models import ApiKey, Unit
from services.gateway.schemas import ApiKeyView
from shared.audit import Actor, AuditRecorder, system_actor
from shared.clock import as_utc, utc_now
from shared.db import hold_lock
from shared.errors import NotFound
from shared.identity import Identity
from shared.roles import Role

KEY_PREFIX = "sortes_"


class ApiKeyDigester:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def digest(self, presented: str) -> str:
        # The one-shot digest runs in C; an HMAC object costs several times as much on every call.
        return hmac.digest(self._secret, presented.encode("utf-8"), hashlib.sha256).hex()


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


async def ensure_unit(session: AsyncSession, uscc: str, name: str) -> Unit:
    unit = await session.get(Unit, uscc)
    if unit is None:
        unit = Unit(uscc=uscc, name=name, created_at=utc_now())
        session.add(unit)
        await session.flush()
    return unit


async def create_api_key(session: AsyncSession, digester: ApiKeyDigester, audit: AuditRecorder,
                         actor: Actor | Identity, *, name: str, roles: list[str], unit_uscc: str,
                         value: str | None = None,
                         expires_at: dt.datetime | None = None) -> tuple[ApiKey, str]:
    """Store a new key and return it with its plain value, which is never stored or shown again."""
    value = value or new_api_key()
    key = ApiKey(id=uuid.uuid4().hex[:16], name=name, digest=digester.digest(value),
                 roles=",".join(roles), unit_uscc=unit_uscc, created_at=utc_now(),
                 expires_at=expires_at)
    session.add(key)
    await audit.record(session, actor=actor, action="api_key.created", object_type="api_key",
                       object_id=key.id, after={"name": name, "roles": roles, "unit": unit_uscc},
                       details={"roles": ",".join(roles), "unit": unit_uscc})
    return key, value


async def ensure_admin_key(session: AsyncSession, digester: ApiKeyDigester, audit: AuditRecorder,
                           value: str, bureau_uscc: str, bureau_name: str) -> None:
    """``SORTES_ADMIN_API_KEY``: create (or keep) a bureau-admin key with exactly that value.

    Gateway processes started together each run this: holding one lock first queues them, so the
    second finds the first one's key instead of failing on the bureau unit's primary key."""
    await hold_lock(session, "gateway:admin-key")
    existing = (await session.execute(
        select(ApiKey).where(ApiKey.digest == digester.digest(value)))).scalar_one_or_none()
    if existing is not None:
        return
    await ensure_unit(session, bureau_uscc, bureau_name)
    await create_api_key(session, digester, audit, system_actor("gateway"), name="admin (SORTES_ADMIN_API_KEY)",
                         roles=[Role.BUREAU_ADMIN.value], unit_uscc=bureau_uscc, value=value)


def api_key_view(key: ApiKey) -> ApiKeyView:
    return ApiKeyView(id=key.id, name=key.name, roles=key.roles.split(","), unit_uscc=key.unit_uscc,
                      created_at=as_utc(key.created_at), expires_at=as_utc(key.expires_at),
                      revoked_at=as_utc(key.revoked_at))


async def list_api_keys(session: AsyncSession) -> list[ApiKeyView]:
    return [api_key_view(key) for key in (await session.execute(select(ApiKey).order_by(ApiKey.created_at))).scalars()]


async def revoke_api_key(session: AsyncSession, audit: AuditRecorder, actor: Identity, key_id: str) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("No API key {key}.", code="api_key.unknown", params={"key": key_id})
    if key.revoked_at is None:
        key.revoked_at = utc_now()
        await audit.record(session, actor=actor, action="api_key.revoked", object_type="api_key", object_id=key_id)
    return key


async def change_api_key_roles(session: AsyncSession, audit: AuditRecorder, actor: Identity, key_id: str,
                               roles: list[str]) -> ApiKey:
    """New roles for a key, in force from its next request (each request reads the key's row)."""
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("No API key {key}.", code="api_key.unknown", params={"key": key_id})
    before = key.roles.split(",")
    if before != roles:
        key.roles = ",".join(roles)
        await audit.record(session, actor=actor, action="api_key.updated", object_type="api_key", object_id=key_id,
                           before={"roles": before}, after={"roles": roles}, details={"roles": key.roles})
    return key
