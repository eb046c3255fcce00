"""What the gateway's own routes take and give."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from shared.roles import Role


class ProjectDivergence(msgspec.Struct, frozen=True):
    code: str
    digests: dict[str, str | None]  # per service; None where the service lacks the project


class Reconciliation(msgspec.Struct, frozen=True):
    projects_checked: int
    consistent: bool
    differences: list[ProjectDivergence]


class Readiness(msgspec.Struct, frozen=True):
    """``ready``; ``degraded`` (answering, with a service instance down); ``unavailable`` (503)."""

    status: Literal["ready", "degraded", "unavailable"]
    checks: dict[str, bool]
    instances: dict[str, bool] = {}


Username = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{2,63}$",
                                       description="lower-case letters, digits, _ . -; 3 to 64 characters")]
Roles = Annotated[list[Role], msgspec.Meta(min_length=1, max_length=len(Role))]
Uscc = Annotated[str, msgspec.Meta(min_length=18, max_length=18, description="unit's USCC")]
DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class UnitCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    uscc: Uscc
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class UnitView(msgspec.Struct, frozen=True):
    uscc: str
    name: str


class UserCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    username: Username
    display_name: DisplayName
    unit_uscc: Uscc
    roles: Roles
    password: Annotated[str, msgspec.Meta(max_length=200)]


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    display_name: DisplayName | None = None
    unit_uscc: Uscc | None = None
    roles: Roles | None = None
    password: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    disabled: bool | None = None


class UserView(msgspec.Struct, frozen=True):
    username: str
    display_name: str
    unit_uscc: str
    roles: list[str]
    disabled: bool
    locked_until: dt.datetime | None


class SignIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class SignedIn(msgspec.Struct, frozen=True):
    token: str  # send as "Authorization: Bearer <token>"; shown once
    expires_at: dt.datetime
    user: UserView


class ApiKeyCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    roles: Roles
    unit_uscc: Uscc
    expires_at: dt.datetime | None = None


class ApiKeyUpdate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    roles: Roles


class ApiKeyView(msgspec.Struct, frozen=True):
    id: str
    name: str
    roles: list[str]
    unit_uscc: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiKeyCreated(msgspec.Struct, frozen=True):
    key: ApiKeyView
    value: str  # the key itself: shown this once, never stored
