"""Who is calling the gateway: a bearer API key (systems) or a signed-in user's token."""

from __future__ import annotations

import time

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from services.gateway.domain.api_keys import ApiKeyDigester, identity_for_key
from services.gateway.domain.users import identity_for_user_token
from shared.db import Database
from shared.errors import NotAuthenticated
from shared.identity import Identity


class CallerCache:
    """Whose token is whose, remembered for a few seconds so that a busy caller does not cost a
    database read per request. Any change to keys or users in this process clears it; in another
    gateway process a revocation takes effect within ``ttl_seconds``."""

    def __init__(self, ttl_seconds: float = 5.0, capacity: int = 10_000) -> None:
        self._ttl, self._capacity = ttl_seconds, capacity
        self._entries: dict[str, tuple[float, Identity]] = {}

    def get(self, digest: str) -> Identity | None:
        entry = self._entries.get(digest)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def put(self, digest: str, identity: Identity) -> None:
        if len(self._entries) >= self._capacity:
            self._entries.clear()
        self._entries[digest] = (time.monotonic() + self._ttl, identity)

    def clear(self) -> None:
        self._entries.clear()


class BearerAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("Send an API key as 'Authorization: Bearer <key>'.",
                                   headers={"WWW-Authenticate": 'Bearer realm="sortes"'})
        token = token.strip()
        state = connection.app.state
        digester: ApiKeyDigester = state.api_key_digester
        cache: CallerCache = state.caller_cache
        digest = digester.digest(token)
        identity = cache.get(digest)
        if identity is None:
            database: Database = state.database
            async with database.reading() as session:
                identity = await identity_for_key(session, digester, token) or await identity_for_user_token(
                    session, digester, token)
            if identity is not None:
                cache.put(digest, identity)
        if identity is None:
            raise NotAuthenticated("The API key or sign-in token is unknown, revoked or expired.",
                                   headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return AuthenticationResult(user=identity, auth=token)
