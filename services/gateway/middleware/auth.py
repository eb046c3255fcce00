"""Who is calling the gateway: a bearer API key (systems) or a signed-in user's token."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from services.gateway.domain.api_keys import ApiKeyDigester, identity_for_key
from services.gateway.domain.users import identity_for_user_token
from shared.db import Database
from shared.errors import NotAuthenticated


class BearerAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("Send an API key as 'Authorization: Bearer <key>'.",
                                   headers={"WWW-Authenticate": 'Bearer realm="sortes"'})
        database: Database = connection.app.state.database
        digester: ApiKeyDigester = connection.app.state.api_key_digester
        async with database.reading() as session:
            identity = await identity_for_key(session, digester, token.strip()) or await identity_for_user_token(
                session, digester, token.strip())
        if identity is None:
            raise NotAuthenticated("The API key or sign-in token is unknown, revoked or expired.",
                                   headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return AuthenticationResult(user=identity, auth=token)
