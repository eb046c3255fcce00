"""The console's session: a signed-in user's token in an HttpOnly cookie, and the CSRF token bound to it.

A browser sends a cookie with every request to the gateway, whoever asked for the request; so a
request that changes something (any method but GET/HEAD/OPTIONS) and carries only the cookie must
also show the session's CSRF token, which only the console's own pages know: in the
``X-CSRF-Token`` header (the console's JavaScript) or the ``_csrf`` field of a form. The token is
an HMAC of the session token under the gateway's key, so it is bound to that session and needs no
storage. API keys and bearer tokens are never sent by a browser on its own and need no CSRF token.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Iterable

from litestar.datastructures import Cookie

from services.gateway.identity.api_keys import ApiKeyDigester
from shared.clock import utc_now
from shared.roles import Role

SESSION_COOKIE = "sortes_session"
SIGN_IN_COOKIE = "sortes_sign_in"  # the sign-in form's own double-submit value, before any session
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# "/path?query" in visible ASCII; "//host" and "/\\host" would leave the site.
_LOCAL_PATH = re.compile(r"/(?![/\\])[\x21-\x7e]*")

# A user with several roles lands on the home of the first of them in this order.
HOME_ORDER = (Role.BUREAU_ADMIN, Role.AUDITOR, Role.ORGANISER, Role.SUPERVISOR, Role.PROCUREMENT_OFFICER,
              Role.RATING_REVIEWER, Role.RATER, Role.VENDOR, Role.EXPERT, Role.SERVICE)


def csrf_token(digester: ApiKeyDigester, session_token: str) -> str:
    # Domain-separated from the stored token digests, so the table never holds a CSRF value.
    return digester.digest("sortes-console-csrf\n" + session_token)


def csrf_matches(expected: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(expected.encode(), presented.encode())


def session_cookie(token: str, expires_at: dt.datetime, *, secure: bool) -> Cookie:
    """The cookie lives no longer than its token: Max-Age is the seconds the token has left (Litestar's
    ``expires`` counts seconds from now too, so an epoch time there would last decades)."""
    max_age = max(0, int((expires_at - utc_now()).total_seconds()))
    return Cookie(key=SESSION_COOKIE, value=token, path="/", httponly=True, samesite="strict", secure=secure,
                  max_age=max_age)


def sign_in_cookie(value: str, *, secure: bool) -> Cookie:
    return Cookie(key=SIGN_IN_COOKIE, value=value, path="/sign-in", httponly=True, samesite="strict",
                  secure=secure)


def cleared(cookie_key: str, path: str = "/") -> Cookie:
    # equivalent mutant: 0 → 1 — expired at the epoch or a second after it, with max_age=0: dropped alike
    return Cookie(key=cookie_key, value="", path=path, max_age=0, expires=0, httponly=True, samesite="strict")


def home_roles(roles: Iterable[str]) -> list[Role]:
    """The roles that have a console home, in landing order."""
    held = set(roles)
    return [role for role in HOME_ORDER if role.value in held]


def home_path(roles: Iterable[str]) -> str:
    ordered = home_roles(roles)
    return f"/home/{ordered[0].value}" if ordered else "/verify"


def local_target(target: str | None) -> str | None:
    """A place to go back to after signing in: only a path on this site, never another host."""
    return target if target and _LOCAL_PATH.fullmatch(target) else None
