"""Who is calling the gateway: a bearer API key (systems), a signed-in user's token, or the
console's session cookie holding that token (a browser; see sessions.py for its CSRF rule)."""

from __future__ import annotations

from contextvars import ContextVar

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import Receive, Scope, Send

from services.gateway.identity.callers import identity_for_token
from services.gateway.identity.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    csrf_matches,
    csrf_token,
)
from shared.errors import NotAuthenticated, NotPermitted
from shared.identity import Identity


class CsrfTokenMissing(NotPermitted):
    slug, title = "csrf-token-missing", "CSRF token missing or wrong"


# The base class hands authenticate_request a connection that cannot read the body, where a plain
# form's CSRF token is; the request's own ``receive`` waits here for it.
_receive: ContextVar[Receive] = ContextVar("sortes_authentication_receive")


class BearerAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """``Authorization: Bearer`` when the request has that header, else the session cookie."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _receive.set(receive)
        try:
            await super().__call__(scope, receive, send)
        finally:
            # equivalent mutant: drop `_receive.reset(token)` — every request sets it anew before it is read
            _receive.reset(token)

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        if "authorization" not in connection.headers and SESSION_COOKIE in connection.cookies:
            return await _from_session(connection, connection.cookies[SESSION_COOKIE])
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("Send an API key as 'Authorization: Bearer <key>'.", code="auth.bearer_malformed",
                                   headers={"WWW-Authenticate": 'Bearer realm="sortes"'})
        token = token.strip()
        identity = await _caller(connection, token, users_only=False)
        if identity is None:
            raise NotAuthenticated("The API key or sign-in token is unknown, revoked or expired.",
                                   code="auth.token_unknown",
                                   headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return AuthenticationResult(user=identity, auth=token)


async def session_caller(connection: ASGIConnection) -> tuple[Identity, str] | None:
    """The signed-in user and token behind the session cookie, for pages open to everyone that
    still show who is signed in; None without a live session."""
    token = connection.cookies.get(SESSION_COOKIE)
    identity = await _caller(connection, token, users_only=True) if token else None
    return (identity, token) if identity is not None and token else None


async def _from_session(connection: ASGIConnection, token: str) -> AuthenticationResult:
    identity = await _caller(connection, token, users_only=True)
    if identity is None:
        raise NotAuthenticated("The console session has ended; sign in again.", code="auth.session_ended")
    if connection.scope["method"] not in SAFE_METHODS:
        expected = csrf_token(connection.app.state.api_key_digester, token)
        if not csrf_matches(expected, await _presented_csrf_token(connection)):
            raise CsrfTokenMissing("A change made with the console's session cookie needs the session's CSRF token "
                                   "in the {header} header or the {field} form field.", code="csrf.missing",
                                   params={"header": CSRF_HEADER, "field": CSRF_FIELD})
    return AuthenticationResult(user=identity, auth=token)


async def _presented_csrf_token(connection: ASGIConnection) -> str | None:
    if CSRF_HEADER in connection.headers:
        return connection.headers[CSRF_HEADER]
    # A plain HTML form cannot set a header; its body is read once and kept for the handler.
    request: Request = Request(connection.scope, _receive.get())
    if request.content_type[0] != RequestEncodingType.URL_ENCODED:
        return None
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None


async def _caller(connection: ASGIConnection, token: str, *, users_only: bool) -> Identity | None:
    """The identity behind an API key or user token (only a user token when ``users_only``)."""
    state = connection.app.state
    return await identity_for_token(state.database, state.api_key_digester, token, users_only=users_only)
