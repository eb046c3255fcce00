"""Users, their sign-in (with lockout) and their bearer tokens; units."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.identity.api_keys import ApiKeyDigester
from services.gateway.identity.passwords import DUMMY_HASH, hash_password, password_matches, password_problem
from services.gateway.models import Unit, User, UserToken
from services.gateway.schemas import UnitCreate, UserCreate, UserUpdate, UserView
from shared.audit import Actor, AuditRecorder
from shared.clock import as_utc, utc_now
from shared.errors import Conflict, InvalidInput, NotFound
from shared.identifiers import uscc_problem
from shared.identity import Identity

USER_TOKEN_PREFIX = "sortes_u_"


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int = 5
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    token_lifetime: dt.timedelta = dt.timedelta(hours=8)


def user_view(user: User) -> UserView:
    return UserView(username=user.username, display_name=user.display_name, unit_uscc=user.unit_uscc,
                    roles=[role for role in user.roles.split(",") if role], disabled=user.disabled_at is not None,
                    locked_until=as_utc(user.locked_until))


async def create_unit(session: AsyncSession, audit: AuditRecorder, actor: Identity, data: UnitCreate) -> Unit:
    problem = uscc_problem(data.uscc)
    if problem:
        raise InvalidInput.of([problem.at("uscc")])
    if await session.get(Unit, data.uscc) is not None:
        raise Conflict("Unit {uscc} already exists.", code="unit.exists", params={"uscc": data.uscc})
    unit = Unit(uscc=data.uscc, name=data.name, created_at=utc_now())
    session.add(unit)
    await session.flush()
    await audit.record(session, actor=actor, action="unit.created", object_type="unit", object_id=data.uscc,
                       after={"name": data.name})
    return unit


async def unit_names(session: AsyncSession, usccs: Iterable[str]) -> dict[str, str]:
    """The registered units' names by USCC, for pages that would otherwise show only the code."""
    wanted = sorted(set(usccs))
    if not wanted:
        return {}
    rows = await session.execute(select(Unit.uscc, Unit.name).where(Unit.uscc.in_(wanted)))
    return {uscc: name for uscc, name in rows.all()}


async def _require_unit(session: AsyncSession, uscc: str) -> None:
    if await session.get(Unit, uscc) is None:
        raise InvalidInput.for_field("unit_uscc", "unit.unknown", "no such unit; create the unit first")


async def create_user(session: AsyncSession, audit: AuditRecorder, actor: Identity | Actor,
                      data: UserCreate) -> User:
    problem = password_problem(data.password, data.username)
    if problem:
        raise InvalidInput.of([problem.at("password")])
    await _require_unit(session, data.unit_uscc)
    if await session.get(User, data.username) is not None:
        raise Conflict("User {username} already exists.", code="user.exists", params={"username": data.username})
    user = User(username=data.username, display_name=data.display_name, unit_uscc=data.unit_uscc,
                roles=",".join(data.roles), password_hash=hash_password(data.password), failed_sign_ins=0,
                created_at=utc_now())
    session.add(user)
    await session.flush()
    await audit.record(session, actor=actor, action="user.created", object_type="user", object_id=user.username,
                       after={"roles": data.roles, "unit": data.unit_uscc},
                       details={"roles": ",".join(data.roles), "unit": data.unit_uscc})
    return user


async def update_user(session: AsyncSession, audit: AuditRecorder, actor: Identity, username: str,
                      data: UserUpdate) -> User:
    """Change a user; a new password, roles or unit, or disabling, ends every token the user holds."""
    user = await session.get(User, username)
    if user is None:
        raise NotFound("No user {username}.", code="user.unknown", params={"username": username})
    before = {"roles": user.roles, "unit": user.unit_uscc, "disabled": user.disabled_at is not None}
    changed: list[str] = []
    if data.display_name is not None:
        user.display_name = data.display_name
        changed.append("display_name")
    if data.roles is not None:
        user.roles = ",".join(data.roles)
        changed.append("roles")
    if data.unit_uscc is not None:
        await _require_unit(session, data.unit_uscc)
        user.unit_uscc = data.unit_uscc
        changed.append("unit")
    if data.password is not None:
        problem = password_problem(data.password, username)
        if problem:
            raise InvalidInput.of([problem.at("password")])
        user.password_hash, user.failed_sign_ins, user.locked_until = hash_password(data.password), 0, None
        changed.append("password")
    if data.disabled is not None:
        user.disabled_at = utc_now() if data.disabled else None
        changed.append("disabled")
    await session.flush()
    after = {"roles": user.roles, "unit": user.unit_uscc, "disabled": user.disabled_at is not None}
    details: dict[str, object] = {"changed": ",".join(changed)}
    if data.password is not None or any(before[name] != after[name] for name in ("roles", "unit")) or (
            after["disabled"] and not before["disabled"]):
        details["tokens_revoked"] = await revoke_tokens(session, username)
    await audit.record(session, actor=actor, action="user.updated", object_type="user", object_id=username,
                       before=before, after=after, details=details)
    return user


async def revoke_tokens(session: AsyncSession, username: str) -> int:
    """End every live token of the user at once: each request reads its token's row (identity/authentication.py),
    so no gateway process keeps accepting one. How many were ended."""
    now = utc_now()
    result = await session.execute(update(UserToken).where(
        UserToken.username == username, UserToken.revoked_at.is_(None), UserToken.expires_at > now)
        .values(revoked_at=now))
    return int(result.rowcount or 0)


@dataclass(frozen=True)
class SignInOutcome:
    """What a sign-in attempt came to; the caller commits it before answering (a failure counts too)."""

    user: User | None
    token: str | None = None
    expires_at: dt.datetime | None = None
    locked_until: dt.datetime | None = None


async def sign_in(session: AsyncSession, audit: AuditRecorder, digester: ApiKeyDigester, policy: SignInPolicy,
                  username: str, password: str) -> SignInOutcome:
    """Check a user name and password. An unknown or disabled name costs one password check too, and
    answers as a wrong password does; so does a locked account, unless its own password was given
    (only then is ``locked_until`` set): the answers never tell whether an account exists."""
    user = await session.get(User, username)
    now = utc_now()
    if user is None or user.disabled_at is not None:
        password_matches(password, DUMMY_HASH)
        return SignInOutcome(user=None)
    actor = Actor(subject=f"user:{username}", roles=(), unit=user.unit_uscc)
    matches = password_matches(password, user.password_hash)
    locked_until = as_utc(user.locked_until)
    if locked_until is not None and locked_until > now:
        return SignInOutcome(user=user, locked_until=locked_until) if matches else SignInOutcome(user=None)
    if not matches:
        user.failed_sign_ins += 1
        details: dict[str, object] = {"failures": user.failed_sign_ins}
        if user.failed_sign_ins >= policy.max_failures:
            user.locked_until, user.failed_sign_ins = now + policy.lockout, 0
            details["locked_until"] = user.locked_until.isoformat()
            # Someone is guessing: whatever tokens the account holds end with the lock.
            details["tokens_revoked"] = await revoke_tokens(session, username)
        await audit.record(session, actor=actor, action="user.sign_in_failed", object_type="user",
                           object_id=username, details=details)
        return SignInOutcome(user=None)
    token = USER_TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + policy.token_lifetime
    user.failed_sign_ins, user.locked_until = 0, None
    session.add(UserToken(id=uuid.uuid4().hex[:16], digest=digester.digest(token), username=username,
                          created_at=now, expires_at=expires_at))
    await audit.record(session, actor=actor, action="user.signed_in", object_type="user", object_id=username)
    return SignInOutcome(user=user, token=token, expires_at=expires_at)


async def sign_out(session: AsyncSession, audit: AuditRecorder, digester: ApiKeyDigester, identity: Identity,
                   token: str) -> None:
    statement = select(UserToken).where(UserToken.digest == digester.digest(token))
    row = (await session.execute(statement)).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = utc_now()
    await audit.record(session, actor=identity, action="user.signed_out", object_type="user", object_id=row.username)
