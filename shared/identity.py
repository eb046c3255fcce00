"""The identity assertion the gateway forwards to experts and vendors.

The gateway authenticates the caller, then signs a short-lived JWT (EdDSA/Ed25519) naming the
acting person or system, its roles and unit, addressed to one service (``aud``). Experts and
vendors accept a request only with a valid assertion for themselves: a caller that bypasses the
gateway has no private key and is refused with 401.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from shared.errors import NotAuthenticated, NotPermitted
from shared.roles import ALL_ROLES, Role
from shared.signing_keys import key_id_of

IDENTITY_HEADER = "x-sortes-identity"
ISSUER = "sortes-gateway"
DEFAULT_TTL_SECONDS = 60
_ALGORITHM = "EdDSA"


class Identity(msgspec.Struct, frozen=True):
    """Who acts: ``subject`` is stable (``user:<id>`` or ``apikey:<id>``); ``unit`` is a unit code."""

    subject: str
    name: str
    roles: tuple[str, ...]
    unit: str

    def has_any(self, roles: Iterable[str]) -> bool:
        return any(role in self.roles for role in roles)


class IdentityIssuer:
    def __init__(self, private_key: Ed25519PrivateKey, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self._private_key = private_key
        self.key_id = key_id_of(private_key.public_key())
        self.ttl_seconds = ttl_seconds

    def issue(self, identity: Identity, audience: str) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "sub": identity.subject,
            "name": identity.name,
            "roles": list(identity.roles),
            "unit": identity.unit,
            "iat": now,
            "exp": now + self.ttl_seconds,
        }
        return jwt.encode(claims, self._private_key, algorithm=_ALGORITHM, headers={"kid": self.key_id})


class CachingIssuer:
    """Reuses an assertion for the same caller and service while more than half its life is left:
    signing is the costliest step of forwarding a call, and the content would be the same."""

    def __init__(self, issuer: IdentityIssuer) -> None:
        self._issuer = issuer
        self._issued: dict[tuple[Identity, str], tuple[float, str]] = {}

    def issue(self, identity: Identity, audience: str) -> str:
        key = (identity, audience)
        now = time.monotonic()
        cached = self._issued.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        if len(self._issued) > 10_000:
            self._issued.clear()
        token = self._issuer.issue(identity, audience)
        self._issued[key] = (now + self._issuer.ttl_seconds / 2, token)
        return token


class IdentityVerifier:
    """Checks assertions for one service against the gateway's public key(s), by key id."""

    def __init__(self, public_keys: Iterable[Ed25519PublicKey], audience: str, leeway_seconds: int = 5):
        self._keys = {key_id_of(key): key for key in public_keys}
        self.audience = audience
        self.leeway_seconds = leeway_seconds

    def verify(self, token: str) -> Identity:
        try:
            key_id = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(key_id) if isinstance(key_id, str) else None
            if key is None:
                raise NotAuthenticated("The identity assertion is signed by an unknown key.",
                                       code="assertion.unknown_key")
            claims = jwt.decode(
                token, key, algorithms=[_ALGORITHM], audience=self.audience, issuer=ISSUER,
                leeway=self.leeway_seconds, options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("The identity assertion has expired.", code="assertion.expired") from None
        except jwt.PyJWTError:
            raise NotAuthenticated("The identity assertion is not valid.", code="assertion.invalid") from None
        return _identity_from_claims(claims)


def _identity_from_claims(claims: dict[str, Any]) -> Identity:
    roles = claims.get("roles")
    if not isinstance(roles, list) or not roles or not set(roles) <= ALL_ROLES:
        raise NotAuthenticated("The identity assertion names no valid role.", code="assertion.no_role")
    return Identity(subject=str(claims["sub"]), name=str(claims.get("name", "")),
                    roles=tuple(roles), unit=str(claims.get("unit", "")))


# Everything else, the OpenAPI document, the draw key set and the public ratings included, only through
# the gateway, which publishes them.
OPEN_PATHS = {"/healthz", "/readyz"}


class AssertionAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``request.user`` to the asserted :class:`Identity`; 401 without a valid assertion."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        token = connection.headers.get(IDENTITY_HEADER)
        if not token:
            raise NotAuthenticated("Calls must come through the gateway with an identity assertion.",
                                   code="assertion.missing")
        verifier: IdentityVerifier = connection.app.state.identity_verifier
        return AuthenticationResult(user=verifier.verify(token), auth=token)


def requires_role(*roles: str) -> Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]:
    """A Litestar guard: the caller must act in one of ``roles`` (a group of shared.permissions, or
    roles named one by one); 403 otherwise.

    A coroutine function although it awaits nothing: Litestar runs a plain function guard in a worker
    thread, a hop there and back on every request for a look at a set."""
    unknown = set(roles) - ALL_ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    named = ", ".join(role for role in Role if role in set(roles))  # a group's order is the roles' own

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        identity: Identity = connection.user
        if not identity.has_any(roles):
            raise NotPermitted("This operation needs one of the roles: {roles}.", code="role.required",
                               params={"roles": named})

    return guard
