"""What the console uses of the gateway's identity: sign-in and sign-out, the session cookie and its
CSRF rule, who is calling, and the few names and counts its pages show about users and units.

The console reaches identity through this module only; everything else it reads, it reads from the
services through the upstream client, as an API call would (the import contracts in .importlinter).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from sqlalchemy import func, select

from services.gateway.identity.authentication import BearerAuthenticationMiddleware, session_caller
from services.gateway.identity.passwords import MIN_PASSWORD_LENGTH
from services.gateway.identity.sessions import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    cleared,
    csrf_matches,
    csrf_token,
    home_path,
    home_roles,
    local_target,
    session_cookie,
    sign_in_cookie,
)
from services.gateway.identity.users import SignInOutcome, sign_in, sign_out, unit_names, user_view
from services.gateway.models import ApiKey, Unit, User
from shared.db import Database
from shared.roles import Role

__all__ = [
    "CSRF_FIELD", "MIN_PASSWORD_LENGTH", "SESSION_COOKIE", "SIGN_IN_COOKIE", "BearerAuthenticationMiddleware",
    "SignInOutcome", "cleared", "count_registered", "csrf_matches", "csrf_token", "eligible_supervisors",
    "home_path", "home_roles",
    "local_target", "person_name", "registered_units", "session_caller", "session_cookie", "sign_in",
    "sign_in_cookie", "sign_out", "subject_names", "subject_of", "unit_names", "user_view",
]


async def registered_units(database: Database) -> list[Unit]:
    """Every registered unit, by name."""
    async with database.reading() as session:
        return list((await session.execute(select(Unit).order_by(Unit.name))).scalars())


async def count_registered(database: Database, what: Literal["users", "units"]) -> int:
    """How many users or units are registered."""
    table = User if what == "users" else Unit
    async with database.reading() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def subject_names(database: Database, subjects: Iterable[str]) -> dict[str, str]:
    """Display names of users (``user:<name>``) and names of API keys (``apikey:<id>``) among ``subjects``,
    in two queries; a subject not found (or of another kind) is left out."""
    wanted = set(subjects)
    users = [subject.removeprefix("user:") for subject in wanted if subject.startswith("user:")]
    keys = [subject.removeprefix("apikey:") for subject in wanted if subject.startswith("apikey:")]
    names: dict[str, str] = {}
    async with database.reading() as session:
        if users:
            for username, shown in await session.execute(
                    select(User.username, User.display_name).where(User.username.in_(users))):
                names[f"user:{username}"] = shown
        if keys:
            for key_id, shown in await session.execute(select(ApiKey.id, ApiKey.name).where(ApiKey.id.in_(keys))):
                names[f"apikey:{key_id}"] = shown
    return names


async def subject_of(database: Database, typed: str) -> str:
    """The subject an audit filter means by ``typed``: a subject as it is (``user:…``, ``apikey:…``), a
    user name, or a user's display name when exactly one user has it."""
    if ":" in typed:
        return typed
    async with database.reading() as session:
        if await session.get(User, typed) is not None:
            return f"user:{typed}"
        named = (await session.execute(
            select(User.username).where(User.display_name == typed).limit(2))).scalars().all()
    return f"user:{named[0]}" if len(named) == 1 else f"user:{typed}"


async def eligible_supervisors(database: Database, organiser_unit: str) -> list[tuple[str, str, str]]:
    """(username, display name, unit name) of every active supervisor of a unit other than
    ``organiser_unit`` (a panel's supervisor comes from another unit), by name."""
    async with database.reading() as session:
        rows = (await session.execute(
            select(User.username, User.display_name, Unit.name, User.roles).join(Unit, Unit.uscc == User.unit_uscc)
            .where(User.disabled_at.is_(None), User.unit_uscc != organiser_unit,
                   User.roles.like(f"%{Role.SUPERVISOR.value}%"))
            .order_by(User.display_name, User.username))).all()
    return [(username, name, unit) for username, name, unit, roles in rows
            if Role.SUPERVISOR.value in roles.split(",")]


async def person_name(database: Database, subject: str | None) -> str:
    """A signed-in person's display name for ``user:<name>``; any other subject (an API key) as it is."""
    if not subject:
        return ""
    if not subject.startswith("user:"):
        return subject
    async with database.reading() as session:
        user = await session.get(User, subject.removeprefix("user:"))
    return user.display_name if user is not None else subject
