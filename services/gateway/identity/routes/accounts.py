"""Units, users, sign-in and API keys: the gateway's own accounts (bureau admins manage them)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from services.gateway.identity import api_keys, users
from services.gateway.models import Unit, User
from services.gateway.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyUpdate,
    ApiKeyView,
    SignedIn,
    SignIn,
    UnitCreate,
    UnitView,
    UserCreate,
    UserUpdate,
    UserView,
)
from shared.clock import OUT_OF_UTC_RANGE, fits_in_utc
from shared.db import Database
from shared.errors import InvalidInput, NotAuthenticated, Problem
from shared.identity import requires_role
from shared.permissions import ADMIN_AND_AUDITOR, EVERYONE
from shared.roles import Role

ADMIN = requires_role(Role.BUREAU_ADMIN)
ADMIN_OR_AUDITOR = requires_role(*ADMIN_AND_AUDITOR)


class AccountLocked(Problem):
    status, slug, title = 423, "account-locked", "Account locked"


@post("/", status_code=200, tags=["accounts"])
async def sign_in_handler(state: State, data: JSONBody[SignIn]) -> SignedIn:
    """Exchange a user name and password for a bearer token (``POST /api/v1/auth/sign-in``).

    Repeated failures lock the account (423); sign-in attempts are also limited per address (429).
    """
    database: Database = state.database
    async with database.transaction() as session:
        outcome = await users.sign_in(session, state.audit, state.api_key_digester, state.sign_in_policy,
                                      data.username, data.password)
    if outcome.locked_until is not None:
        raise AccountLocked("Too many failed sign-ins; try again after {until}.", code="account.locked",
                            params={"until": outcome.locked_until.isoformat()})
    if outcome.token is None or outcome.user is None or outcome.expires_at is None:
        raise NotAuthenticated("Unknown user name or wrong password.", code="account.wrong_password")
    return SignedIn(token=outcome.token, expires_at=outcome.expires_at, user=users.user_view(outcome.user))


class AccountsController(Controller):
    path = "/"
    tags = ["accounts"]

    @post("/auth/sign-out", status_code=204)
    async def sign_out(self, request: Request, state: State) -> None:
        async with state.database.transaction() as session:
            await users.sign_out(session, state.audit, state.api_key_digester, request.user, str(request.auth))

    @get("/auth/me")
    async def me(self, request: Request) -> dict[str, object]:
        identity = request.user
        return {"subject": identity.subject, "name": identity.name, "roles": list(identity.roles),
                "unit": identity.unit}

    @get("/units", guards=[requires_role(*EVERYONE)])
    async def get_units(self, state: State) -> list[UnitView]:
        async with state.database.reading() as session:
            rows = await session.execute(select(Unit).order_by(Unit.name))
            return [UnitView(uscc=unit.uscc, name=unit.name) for unit in rows.scalars()]

    @post("/units", guards=[ADMIN])
    async def post_unit(self, request: Request, state: State, data: JSONBody[UnitCreate]) -> UnitView:
        async with state.database.transaction() as session:
            unit = await users.create_unit(session, state.audit, request.user, data)
        return UnitView(uscc=unit.uscc, name=unit.name)

    @get("/users", guards=[ADMIN_OR_AUDITOR])
    async def get_users(self, state: State) -> list[UserView]:
        async with state.database.reading() as session:
            return [users.user_view(user) for user in (await session.execute(
                select(User).order_by(User.username))).scalars()]

    @post("/users", guards=[ADMIN])
    async def post_user(self, request: Request, state: State, data: JSONBody[UserCreate]) -> UserView:
        async with state.database.transaction() as session:
            return users.user_view(await users.create_user(session, state.audit, request.user, data))

    @patch("/users/{username:str}", guards=[ADMIN])
    async def patch_user(self, request: Request, state: State, username: FromPath[str],
                         data: JSONBody[UserUpdate]) -> UserView:
        async with state.database.transaction() as session:
            user = await users.update_user(session, state.audit, request.user, username, data)
        return users.user_view(user)

    @get("/api-keys", guards=[ADMIN_OR_AUDITOR])
    async def get_api_keys(self, state: State) -> list[ApiKeyView]:
        async with state.database.reading() as session:
            return await api_keys.list_api_keys(session)

    @post("/api-keys", guards=[ADMIN])
    async def post_api_key(self, request: Request, state: State,
                           data: JSONBody[ApiKeyCreate]) -> Response[ApiKeyCreated]:
        """Create a key for a system; its value is in this answer only and never again."""
        async with state.database.transaction() as session:
            if await session.get(Unit, data.unit_uscc) is None:
                raise InvalidInput.for_field("unit_uscc", "unit.unknown", "no such unit; create the unit first")
            if not fits_in_utc(data.expires_at):
                raise InvalidInput.of([OUT_OF_UTC_RANGE.at("expires_at")])
            key, value = await api_keys.create_api_key(
                session, state.api_key_digester, state.audit, request.user, name=data.name,
                roles=[role.value for role in data.roles], unit_uscc=data.unit_uscc, expires_at=data.expires_at)
            created = ApiKeyCreated(key=api_keys.api_key_view(key), value=value)
        return Response(created, status_code=201, headers={"Cache-Control": "no-store"})

    @patch("/api-keys/{key_id:str}", guards=[ADMIN])
    async def patch_api_key(self, request: Request, state: State, key_id: FromPath[str],
                            data: JSONBody[ApiKeyUpdate]) -> ApiKeyView:
        """Change a key's roles; its next request has the new ones."""
        async with state.database.transaction() as session:
            key = await api_keys.change_api_key_roles(session, state.audit, request.user, key_id,
                                                      [role.value for role in data.roles])
        return api_keys.api_key_view(key)

    @post("/api-keys/{key_id:str}/revoke", guards=[ADMIN], status_code=200)
    async def revoke_api_key(self, request: Request, state: State, key_id: FromPath[str]) -> ApiKeyView:
        async with state.database.transaction() as session:
            key = await api_keys.revoke_api_key(session, state.audit, request.user, key_id)
        return api_keys.api_key_view(key)

